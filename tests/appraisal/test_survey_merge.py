"""Survey answer counts → group-weighted favourable shares → ``survey``-stage values.

Hand computation for tests/data/survey/data (leaf 3.1, max 2, answers A 1, B 0.6, C 0.2,
D 0, E 0; weights người dân 0.6, công chức 0.4):

* so-a: người dân A30 B10 C10 → (30 + 6 + 2) / 50 = 0.76; công chức A5 B15 → (5 + 9) / 20 = 0.7;
  share = 0.6 × 0.76 + 0.4 × 0.7 = 0.736 → 2 × 0.736 = 1.472 → 1.47 points;
* so-b: người dân A1 B2 → 2.2 / 3; công chức C3 → 0.6 / 3 = 0.2;
  share = 0.6 × 2.2 / 3 + 0.4 × 0.2 = 0.44 + 0.08 = 0.52 → 1.04 points;
* h-c has no survey rows: its ``survey`` row in assessments.csv (0.5) stays → 1 point.
"""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from support.paths import TESTS

from par_index.appraisal.survey import load_map, shares
from par_index.criteria.compiled import load
from par_index.errors import InputError
from par_index.pipeline import read_data
from par_index.scoring.engine import score

ROOT = TESTS
CRITERIA = ROOT / "data/mini/criteria.yaml"
DATA = ROOT / "data/survey/data"
BROKEN = ROOT / "broken/survey"
SPOIL = "; tỷ lệ của đơn vị cho câu hỏi này không được tính"


def _points(results, unit: str, code: str = "3.1") -> float:
    s, i = results.find(unit)
    return float(s.leaf_points[i, s.criteria.leaf_index[code]] / s.scale)


def test_shares_with_group_weights_by_hand():
    c = load(CRITERIA)
    data = read_data(DATA)
    smap = load_map(DATA / "survey-map.yaml")
    rows = data.survey  # the checked rows, as add_to keeps them
    lines, covered = shares(data, [c], smap, rows, set())
    assert {(s.unit, s.leaf): s.share for s in lines} == {("so-a", "3.1"): Fraction(92, 125), ("so-b", "3.1"): Fraction(13, 25)}
    assert sorted(covered) == [("so-a", "3.1"), ("so-b", "3.1")]
    results = score([c], data)
    assert (_points(results, "so-a"), _points(results, "so-b"), _points(results, "h-c")) == (1.47, 1.04, 1.0)
    s, i = results.find("so-a")
    assert s.value_text[i, s.criteria.leaf_index["3.1"]] == "0.736"
    assert s.value_stage[i, s.criteria.leaf_index["3.1"]] == "survey"
    # survey points count in the self stage too (self → survey)
    assert _points(score([c], data, "self"), "so-b") == 1.04


def test_survey_csv_replaces_survey_rows_with_a_warning():
    results = score([load(CRITERIA)], read_data(DATA))
    warned = [p for p in results.problems if p.reason == "survey_replaces_assessments"]
    assert [(p.severity, Path(p.file).name, p.message) for p in warned] == [
        ("warning", "assessments.csv", "2 dòng giai đoạn survey (tiêu chí 3.1) được thay bằng kết quả tính từ survey.csv")
    ]


def test_weights_need_not_sum_to_one(tmp_path: Path):
    d = tmp_path / "data"
    shutil.copytree(DATA, d)
    (d / "survey-map.yaml").write_text("groups: {nguoi-dan: 3, cong-chuc: 2}\nquestions:\n  Q1: {leaf: \"3.1\"}\n", encoding="utf-8")
    assert _points(score([load(CRITERIA)], read_data(d)), "so-a") == 1.47  # 3:2 is 0.6:0.4


def test_answer_table_from_the_map_when_the_rule_has_none(tmp_path: Path):
    crit = tmp_path / "criteria.yaml"
    crit.write_text(CRITERIA.read_text(encoding="utf-8").replace("rule: {kind: survey, answers: {A: 1, B: 0.6, C: 0.2, D: 0, E: 0}}", "rule: {kind: survey}"), encoding="utf-8")
    d = tmp_path / "data"
    shutil.copytree(DATA, d)
    (d / "survey-map.yaml").write_text(
        "groups: {nguoi-dan: 0.6, cong-chuc: 0.4}\nanswers: {A: 1, B: 0.5, C: 0}\nquestions:\n  Q1: {leaf: \"3.1\"}\n", encoding="utf-8"
    )
    # so-a: người dân (30 + 5) / 50 = 0.7; công chức (5 + 7.5) / 20 = 0.625; 0.42 + 0.25 = 0.67 → 1.34
    assert _points(score([load(crit)], read_data(d)), "so-a") == 1.34


BROKEN_CASES = {
    "question_unknown": ("survey_question_unknown", 4, "câu hỏi 'Q9' không có trong survey-map.yaml (có: Q1); dòng này không được tính", 2.0),
    "count_negative": ("survey_count_negative", 4, "số phiếu -3 là số âm" + SPOIL, None),
    "count_not_integer": ("survey_count_not_integer", 4, "số phiếu '2.5' không phải số nguyên không âm" + SPOIL, None),
    "group_no_answers": (
        "survey_group_no_answers",
        2,
        "nhóm đối tượng 'cong-chuc' (trọng số 0,4) không có phiếu trả lời nào cho tiêu chí 3.1; tỷ lệ không được tính (không tự chia lại trọng số)",
        None,
    ),
    "unit_unknown": ("survey_unit_unknown", 4, "đơn vị 'so-z' không có trong units; dòng này không được tính", 2.0),
    "group_unknown": ("survey_group_unknown", 4, "nhóm đối tượng 'doanh-nghiep' không có trong nhóm của câu hỏi Q1 (nguoi-dan, cong-chuc)" + SPOIL, None),
    "answer_unknown": (
        "survey_answer_unknown",
        4,
        "đáp án 'F' không có trong bảng quy đổi (A, B, C, D, E); tỷ lệ của đơn vị cho tiêu chí 3.1 không được tính",
        None,
    ),
    "row_duplicate": ("survey_row_duplicate", 4, "dòng trùng (cùng đơn vị, nhóm, câu hỏi, đáp án; dòng đầu ở dòng 2)" + SPOIL, None),
}


@pytest.mark.parametrize("case", sorted(BROKEN_CASES))
def test_broken_survey_input_is_reported_not_guessed(case: str, tmp_path: Path):
    reason, line, message, so_a_points = BROKEN_CASES[case]
    d = tmp_path / "data"
    shutil.copytree(DATA, d)
    shutil.copy(BROKEN / f"{case}.csv", d / "survey.csv")
    results = score([load(CRITERIA)], read_data(d))
    hits = [p for p in results.problems if p.reason == reason]
    assert [(p.line, p.message, p.severity) for p in hits] == [(line, message, "error")]
    assert Path(hits[0].file).name == "survey.csv"
    s, i = results.find("so-a")
    if so_a_points is None:
        # nothing guessed: so-a gets no survey value from the file (and its old survey row is replaced)
        assert s.status[i, s.criteria.leaf_index["3.1"]] == "missing"
        assert _points(results, "so-a") == 0.0
    else:
        # the row is ignored; A30 + A5 only: 0.6 × 1 + 0.4 × 1 = 1 → 2 points
        assert _points(results, "so-a") == so_a_points


def test_broken_map_lists_every_problem(tmp_path: Path):
    with pytest.raises(InputError) as err:
        load_map(BROKEN / "map_broken.yaml")
    got = [(p.line, p.field, p.message) for p in err.value.problems]
    assert got == [
        (1, "groups.cong-chuc", "groups.cong-chuc: trọng số phải là số dương, không phải -1"),
        (3, "questions.Q1.leaf", "câu hỏi Q1: leaf phải là mã tiêu chí viết trong ngoặc kép (ví dụ \"8.1.1\"), không phải 3.1"),
        (4, "questions.Q2.colour", "câu hỏi Q2: khóa 'colour' không được dùng; chỉ có leaf, answers, groups"),
    ]


def test_survey_without_map_is_an_input_error(tmp_path: Path):
    d = tmp_path / "data"
    shutil.copytree(DATA, d)
    (d / "survey-map.yaml").unlink()
    with pytest.raises(InputError) as err:
        read_data(d)
    assert [p.reason for p in err.value.problems] == ["survey_map_missing"]
    assert err.value.problems[0].message.startswith("có bảng kết quả điều tra nhưng không có tệp survey-map.yaml bên cạnh")


def test_map_leaf_that_is_not_a_survey_leaf(tmp_path: Path):
    d = tmp_path / "data"
    shutil.copytree(DATA, d)
    (d / "survey-map.yaml").write_text("groups: {nguoi-dan: 0.6, cong-chuc: 0.4}\nquestions:\n  Q1: {leaf: \"1.2\"}\n", encoding="utf-8")
    results = score([load(CRITERIA)], read_data(d))
    hits = [p.message for p in results.problems if p.reason == "survey_map_leaf_unknown"]
    assert hits == ["câu hỏi Q1: tiêu chí 1.2 không phải tiêu chí điều tra xã hội học (rule survey) mini-2024; kết quả điều tra của câu hỏi này không được tính"]
    # 3.1 keeps the assessments survey row A:120; B:40; C:15; D:5 → 147 / 180 × 2 = 1.633… → 1.63
    assert _points(results, "so-a") == 1.63
