"""Issue 10: values that were scored as something else without an error.

Each test reproduces one report (it failed before the fix): the data is written in a temporary
folder, scored by the engine (and by the reference scorer where the semantics are shared).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from par_index.criteria.compiled import load
from par_index.pipeline import read_data
from par_index.scoring.engine import Results, score
from par_index.testing.reference import score as reference_score

HEAD = "id: t\ntitle: t\nyear: 2024\nunit_kinds: {so: Sở}\nprovenance: illustrative\n"


def _score(tmp_path: Path, nodes: str, rows: str, units: str = "u,U,so\n", extra: str = "") -> Results:
    (tmp_path / "c.yaml").write_text(HEAD + extra + "nodes:\n" + nodes, encoding="utf-8")
    data = tmp_path / "d"
    data.mkdir(exist_ok=True)
    (data / "units.csv").write_text("unit,name,kind\n" + units, encoding="utf-8")
    (data / "assessments.csv").write_text("unit,criterion,value,points\n" + rows, encoding="utf-8")
    return score(load(tmp_path / "c.yaml"), read_data(data))


def _points(res: Results, unit: str = "u") -> float:
    s, i = res.find(unit)
    return float(s.points()[i])


def _leaf(res: Results, code: str, unit: str = "u") -> float:
    s, i = res.find(unit)
    return float(s.leaf_points[i, s.criteria.leaf_index[code]] / s.scale)


def _reference(tmp_path: Path) -> dict[str, object]:
    from par_index.criteria.loader import load_criteria

    spec = load_criteria(tmp_path / "c.yaml")
    return {u.unit: u for u in reference_score(spec, read_data(tmp_path / "d"))}


BONUS_PENALTY = (
    "  - {code: '1', name: A, max: 10, children: [{code: '1.1', name: B, max: 10, rule: {kind: manual}}]}\n"
    "  - code: '9'\n    name: Thưởng, trừ\n    children:\n"
    "      - {code: '9.1', name: Thưởng, rule: {kind: bonus, cap: 1}}\n"
    "      - {code: '9.2', name: Trừ, rule: {kind: penalty, cap: 1}}\n"
    "      - {code: '9.3', name: Trừ mỗi lần, rule: {kind: penalty, cap: 2, each: 0.5}}\n"
)


def test_signed_penalty_and_bonus_are_magnitudes(tmp_path: Path) -> None:
    """Item 5: a penalty written -0,5 (as the example writes claims) scored 0 with a warning."""
    res = _score(tmp_path, BONUS_PENALTY, 'u,1.1,8,\nu,9.1,"-0,25",\nu,9.2,"-0,5",\nu,9.3,-2,\n')
    assert (_leaf(res, "9.1"), _leaf(res, "9.2"), _leaf(res, "9.3")) == (0.25, -0.5, -1.0)
    assert _points(res) == 6.75
    assert not [p for p in res.problems if p.reason == "value_negative"]
    ref = _reference(tmp_path)["u"]
    assert ref.total_points == res.sets[0].total_points[0] / res.sets[0].scale  # type: ignore[attr-defined]


RATIO = "  - {code: '1', name: A, max: 2, children: [{code: '1.1', name: B, max: 2, rule: {kind: proportional, target: 0.9}}]}\n"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("85", "85 — có phải 85%? Tỷ lệ ghi dạng 85% hoặc số từ 0 đến 1; được tính 0 điểm"),
        ("120%", "120% vượt quá 100%; tỷ lệ phải từ 0% đến 100%; được tính 0 điểm"),
        ("1,5", "1,5 — có phải 1,5%? Tỷ lệ ghi dạng 1,5% hoặc số từ 0 đến 1; được tính 0 điểm"),
    ],
)
def test_ratio_above_one_is_an_error_scored_0(tmp_path: Path, value: str, message: str) -> None:
    """Item 3: ``85`` (meant 85 %) or ``120%`` scored full points with a warning and exit 0."""
    res = _score(tmp_path, RATIO, f'u,1.1,"{value}",\n')
    assert _points(res) == 0.0
    (p,) = [p for p in res.problems if p.reason == "value_above_100"]
    assert (p.severity, p.message, p.line, p.unit, p.criterion) == ("error", message, 2, "u", "1.1")
    assert _reference(tmp_path)["u"].total_points == 0  # type: ignore[attr-defined]


DEADLINE = "  - {code: '1', name: A, max: 2, children: [{code: '1.1', name: B, max: 2, rule: {kind: deadline, due: 2024-01-14}}]}\n"


@pytest.mark.parametrize("value", ["04/01/0024", "0001-01-04", "04/01/1924"])
def test_implausible_year_is_an_error_not_full_deadline_points(tmp_path: Path, value: str) -> None:
    """Item 12: a date in year 0024 or 0001 was "on time" and got full points with no message."""
    res = _score(tmp_path, DEADLINE, f"u,1.1,{value},\n")
    assert _points(res) == 0.0
    (p,) = [p for p in res.problems if p.criterion == "1.1"]
    assert (p.reason, p.severity) == ("date_implausible", "error")
    assert p.message == (
        f"{value}: năm không hợp lý (sớm hơn hạn 14/01/2024 hơn 10 năm); "
        "hãy ghi ngày dạng dd/mm/yyyy đủ 4 chữ số năm, ví dụ 04/01/2024; được tính 0 điểm"
    )
    assert _reference(tmp_path)["u"].total_points == 0  # type: ignore[attr-defined]
    ok = _score(tmp_path, DEADLINE, "u,1.1,04/01/2014,\n")  # within ten years: on time, as before
    assert _points(ok) == 2.0


MANUAL_STEP = "  - {code: '1', name: A, max: 3, children: [{code: '1.1', name: B, max: 2, rule: {kind: manual, step: 0.5}}, {code: '1.2', name: C, max: 1, rule: {kind: yes_no}}]}\n"


def test_points_without_a_value_get_the_value_paths_checks(tmp_path: Path) -> None:
    """Item 12: points given with an empty value skipped the step and sign checks: 1,3 on a
    0,5 step counted 1,3; −1 on an ordinary leaf became 0 silently."""
    res = _score(tmp_path, MANUAL_STEP, 'u,1.1,,"1,3"\nu,1.2,,-1\n')
    assert (_leaf(res, "1.1"), _leaf(res, "1.2")) == (1.0, 0.0)
    got = sorted((p.criterion, p.reason, p.severity, p.message) for p in res.problems)
    assert got == [
        ("1.1", "points_not_on_step", "warning", "1,3 điểm không phải bội số của 0,5; được làm tròn xuống"),
        ("1.2", "value_negative", "warning", "-1 điểm là số âm"),
    ]
    assert _reference(tmp_path)["u"].total_points == 1  # type: ignore[attr-defined]
    same = _score(tmp_path, MANUAL_STEP, 'u,1.1,"1,3",\nu,1.2,có,\n')  # the value path says the same of 1,3
    assert [(p.reason, p.message) for p in same.problems] == [("points_not_on_step", "1,3 điểm không phải bội số của 0,5; được làm tròn xuống")]


@pytest.mark.parametrize("stage", ["self", "final"])
def test_a_units_own_row_on_a_survey_leaf_never_counts(tmp_path: Path, stage: str) -> None:
    """Survey leaves are filled by Sở Nội vụ from the survey: tests/data/mini so-a 3.1 ``100%``
    as stage self scored 2/2 at final (and self) with no problem. Now it is ignored with a
    warning naming file, row, unit and criterion, at every stage; a survey row still counts."""
    from support.paths import REPO

    from par_index.criteria.loader import load_criteria

    data, rows = _mini_with_row(tmp_path, "so-a,3.1,A:120; B:40; C:15; D:5; E:0,survey,,", "so-a,3.1,100%,self,,")
    criteria = REPO / "tests/data/mini/criteria.yaml"
    res = score(load(criteria), read_data(data), stage)
    s, i = res.find("so-a")
    j = s.criteria.leaf_index["3.1"]
    assert s.leaf_points[i, j] == 0 and s.status[i, j] != "value"
    assert _points(res, "so-a") == 8.39  # 10,39 with the unit's own 2 points of 3.1
    (p,) = [p for p in res.problems if p.reason == "survey_value_from_unit"]
    assert (p.file, p.line, p.unit, p.criterion, p.severity) == ("assessments.csv", 8, "so-a", "3.1", "warning")
    assert p.message == (
        "tiêu chí 3.1 là tiêu chí điều tra xã hội học: do Sở Nội vụ điền từ kết quả điều tra, "
        "không phải đơn vị tự đánh giá; dòng tự đánh giá này không được tính"
    )
    assert [q.reason for q in res.problems if q.unit == "so-a" and q.criterion == "3.1"] == ["survey_value_from_unit", "value_missing"]
    ref = {u.unit: u for u in reference_score(load_criteria(criteria), read_data(data), stage)}
    assert ref["so-a"].leaf_points["3.1"] == 0 and float(ref["so-a"].total_points) == 8.39
    # with Sở Nội vụ's survey row beside it, the survey row counts and the unit's row is still ignored
    (data / "assessments.csv").write_text(rows + "so-a,3.1,50%,survey,,\n", encoding="utf-8")
    res = score(load(criteria), read_data(data), stage)
    s, i = res.find("so-a")
    assert s.leaf_points[i, j] / s.scale == 1.0
    assert [q.reason for q in res.problems if q.unit == "so-a" and q.criterion == "3.1"] == ["survey_value_from_unit"]


@pytest.mark.parametrize("stage", ["self", "final"])
def test_a_survey_row_on_a_units_own_leaf_is_its_self_row(tmp_path: Path, stage: str) -> None:
    """The opposite case: tests/data/mini so-a 1.2 ``93%`` (claimed 2 points) written as stage
    survey on a leaf that is not a survey leaf was scored as Sở Nội vụ's value, so appraisal never
    proposed a cut on it; beside the unit's own ``50%`` self row it won (2 points instead of 0).
    Now it is read as the unit's self row, with a warning naming file, row, unit and criterion;
    where the unit wrote its own self row, that row counts."""
    from support.paths import REPO

    from par_index.appraisal.proposals import propose
    from par_index.criteria.loader import load_criteria

    data, rows = _mini_with_row(tmp_path, "so-a,1.2,93%,self,,2", "so-a,1.2,93%,survey,,2")
    criteria = REPO / "tests/data/mini/criteria.yaml"
    res = score(load(criteria), read_data(data), stage)
    s, i = res.find("so-a")
    j = s.criteria.leaf_index["1.2"]
    assert (s.leaf_points[i, j] / s.scale, s.value_stage[i, j]) == (2.0, "self")  # was "survey"
    (p,) = [p for p in res.problems if p.reason == "survey_stage_on_unit_leaf"]
    assert (p.file, p.line, p.unit, p.criterion, p.severity) == ("assessments.csv", 3, "so-a", "1.2", "warning")
    assert p.message == (
        "tiêu chí 1.2 không phải tiêu chí điều tra xã hội học: giá trị ở đây không thể là kết quả điều tra "
        "do Sở Nội vụ điền (giai đoạn survey); được tính là giá trị đơn vị tự đánh giá (self)"
    )
    assert _points(res, "so-a") == 10.02  # as with the row written as self
    # no evidence in mini: the claim is proposed for a cut as any other (it was skipped as a survey value)
    assert [(q.unit, q.criterion, q.proposed_points) for q in propose([load(criteria)], read_data(data), 1) if q.unit == "so-a" and q.criterion == "1.2"] == [("so-a", "1.2", 0.0)]
    # the unit's own self row beside it counts: 50 % scores 0 (the survey row won before: 2 points)
    (data / "assessments.csv").write_text(rows + "so-a,1.2,50%,self,,\n", encoding="utf-8")
    res = score(load(criteria), read_data(data), stage)
    s, i = res.find("so-a")
    assert s.leaf_points[i, j] == 0 and _points(res, "so-a") == 8.02
    (p,) = [p for p in res.problems if p.reason == "survey_stage_on_unit_leaf"]
    assert p.message.endswith("; đơn vị đã có dòng tự đánh giá cho tiêu chí này nên dòng này không được tính")
    ref = {u.unit: u for u in reference_score(load_criteria(criteria), read_data(data), stage)}
    assert ref["so-a"].leaf_points["1.2"] == 0 and float(ref["so-a"].total_points) == 8.02


def test_a_claim_is_written_with_a_decimal_comma_in_the_message(tmp_path: Path) -> None:
    """Issue 10 item 17: the over-claim message wrote the claimed points as typed ("tự chấm 1.5
    điểm", Bắc Giang 2024 so-nn-ptnt 1.1.2) beside the rule's points with a decimal comma."""
    nodes = (
        '  - code: "1"\n    name: "Một"\n    max: 1.5\n    rule:\n      kind: bands\n      bands:\n'
        "        - {from: 0.9, points: 1.5}\n        - {below: 0.9, points: 0.5}\n"
    )
    res = _score(tmp_path, nodes, "u,1,0.86,1.5\n")
    assert [(p.reason, p.message) for p in res.problems] == [
        ("claim_above_rule", "tự chấm 1,5 điểm nhưng giá trị '0.86' chỉ được 0,5 điểm theo quy tắc")
    ]
    # a claim written with a decimal comma reads the same
    res = _score(tmp_path, nodes, 'u,1,0.86,"1,25"\n')
    assert res.problems[0].message.startswith("tự chấm 1,25 điểm nhưng")


LOWER_IS_BETTER = (
    "  - code: '1'\n    name: A\n    max: 4\n    children:\n"
    "      - {code: '1.1', name: Trễ hạn, max: 2, rule: {kind: bands, bands: [{below: 0.01, points: 2}, {from: 0.01, points: 0}]}}\n"
    "      - {code: '1.2', name: Vi phạm, max: 2, rule: {kind: bands, measure: count, bands: [{below: 1, points: 2}, {from: 1, points: 0}]}}\n"
)


def test_a_negative_ratio_or_count_is_an_error_not_zero(tmp_path: Path) -> None:
    """A ratio of -5 % or a count of -3 (impossible, a typo) was read as 0 with a warning: on a
    lower-is-better rule ("tỷ lệ hồ sơ trễ hạn", "số vụ vi phạm") that is full points, 4/4 here,
    exit 0. Like a ratio above 100 % (item 3) it is an error scored 0, and refused in whatif --set."""
    from par_index.cli.main import main

    res = _score(tmp_path, LOWER_IS_BETTER, "u,1.1,-5%,\nu,1.2,-3,\n")
    assert (_leaf(res, "1.1"), _leaf(res, "1.2")) == (0.0, 0.0)  # were 2 and 2
    assert sorted((p.criterion, p.reason, p.severity, p.message) for p in res.problems) == [
        ("1.1", "value_negative", "error", "-5% là số âm; tỷ lệ phải từ 0% đến 100%; được tính 0 điểm"),
        ("1.2", "value_negative", "error", "-3 là số âm; số lượng phải ≥ 0; được tính 0 điểm"),
    ]
    assert _reference(tmp_path)["u"].total_points == 0  # type: ignore[attr-defined]
    assert _points(_score(tmp_path, LOWER_IS_BETTER, "u,1.1,0%,\nu,1.2,0,\n")) == 4.0  # 0 is full points
    args = ["whatif", "--criteria", str(tmp_path / "c.yaml"), "--data", str(tmp_path / "d"), "--set", "u:1.1=-5%"]
    assert main(args) == 2


def _mini_with_row(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    """A copy of tests/data/mini/data whose assessments.csv has the row ``old`` written as ``new``:
    the folder and the new assessments text."""
    import shutil

    from support.paths import REPO

    data = tmp_path / "data"
    shutil.copytree(REPO / "tests/data/mini/data", data)
    text = (data / "assessments.csv").read_text(encoding="utf-8")
    assert old in text
    rows = text.replace(old, new)
    (data / "assessments.csv").write_text(rows, encoding="utf-8")
    return data, rows
