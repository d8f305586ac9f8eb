"""Problems and messages: every reason code is a member of ``errors.Reason`` and every member is
emitted somewhere; the wordings of ``par_index/messages.py`` are written there only; and
docs/messages.md is generated from both."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import reasons
from support.paths import REPO, TESTS

from par_index import messages
from par_index.errors import InputError, Problem, Reason

PACKAGE = REPO / "par_index"
CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$|^server$")

# Members whose code is built at run time (from pydantic's error type or a provenance word);
# each is triggered by a test below.
BUILT = {
    "criteria_missing", "criteria_extra_forbidden", "criteria_value_error", "criteria_union_tag_invalid", "criteria_invalid",
    "plan_missing", "plan_extra_forbidden", "plan_value_error", "plan_invalid",
    "scenario_missing", "scenario_extra_forbidden", "scenario_value_error", "scenario_invalid",
    "robustness_missing", "robustness_extra_forbidden", "robustness_invalid",
    "official_without_source", "reference_without_source",
}


def package_sources() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py") if p.name not in ("errors.py", "messages.py")}


def string_constants(text: str) -> set[str]:
    return {n.value for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


@pytest.fixture(scope="module")
def found() -> reasons.Found:
    return reasons.find(reasons.package_trees(PACKAGE))


def test_every_code_passed_as_a_reason_is_a_member(found: reasons.Found) -> None:
    # Problem(...) refuses an unknown code when built; this finds one on a path no test runs:
    # at Problem, input_error, ValueIssue and every helper that passes its ``reason`` on to them.
    assert found.wrong(set(Reason.__members__)) == []
    # every code position holds a literal (or Reason.x, or a name assigned one), a code passed on,
    # or a code built at run time (BUILT below): nothing the walk cannot check
    assert found.unread == []


def test_the_walk_finds_the_helpers_that_take_a_code(found: reasons.Found) -> None:
    # the fixed point reaches the helpers without a list of them (a new one is covered the same way)
    assert {
        ("par_index.scoring.layout", "row_problem"): 1,
        ("par_index.appraisal.survey", "_row_problem"): 1,
        ("par_index.appraisal.records", "_problem"): 1,
        ("par_index.criteria.loader", "add"): 0,
        ("par_index.reform_plan.status", "bad"): 0,
    }.items() <= found.constructors.items()
    assert found.methods == {"rows": 0, "add": 0, "problem": 0, "problems": 0, "problems_at": 1}
    assert ("par_index.planning.recipe", "bad") not in found.constructors  # a local bad(field, expected)
    assert len([p for ps in found.codes.values() for p in ps]) > 250


def test_a_misspelt_code_on_a_path_no_test_runs_fails_the_suite() -> None:
    fake = ast.parse(
        "from par_index.errors import Problem\n"
        "from par_index.scoring.layout import row_problem\n"
        "PREVIEW = 'appraisal_previwe'\n"
        "def f(r, ok, problems, where):\n"
        "    problems.append(row_problem(r, 'unit_unknwon' if ok else 'unit_unknown', 'x'))\n"
        "    def add(reason, message):\n"
        "        problems.append(Problem(reason, message))\n"
        "    add('value_missng', 'x')\n"
        "    where.problem(PREVIEW, 'x')\n"
        "    problems.add(code_of(r), 'x')\n"
        "    return {'reason': 'stage_unknwon', 'message': 'x'}\n"
    )
    trees = {**reasons.package_trees(PACKAGE), "par_index.fake": fake}
    got = reasons.find(trees)
    assert got.wrong(set(Reason.__members__)) == [
        "par_index/fake.py:11: 'stage_unknwon'",
        "par_index/fake.py:5: 'unit_unknwon'",
        "par_index/fake.py:8: 'value_missng'",
        "par_index/fake.py:9: 'appraisal_previwe'",
    ]
    assert got.unread == []  # problems.add(code_of(r)): a method call is not resolved (a set's add looks the same)


def test_every_reason_is_emitted_somewhere(found: reasons.Found) -> None:
    # each member is passed as a code somewhere (at a code position, not just written in the
    # package), or built at run time and triggered by a test below
    assert set(Reason.__members__) >= BUILT
    assert [r.value for r in Reason if r.value not in found.codes and r.value not in BUILT] == []
    assert [r for r in BUILT if r in found.codes] == []


def test_every_reason_is_documented() -> None:
    for r in Reason:
        assert CODE.match(r.value), r
        assert r.description and r.description[0].islower(), r


def test_a_problem_with_an_unknown_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown problem reason 'unit_unknwon'"):
        Problem("unit_unknwon", "x")
    assert Problem("unit_unknown", "x").reason == Reason.unit_unknown


def test_each_wording_is_written_once() -> None:
    # No other module writes a catalogued wording out again: its shape (fixed text, with each
    # placeholder standing for an f-string field or a word) appears nowhere else in the package.
    # A trailing "; {expected}" (or ": {x}") is optional, so a copy without the hint is found too.
    # Wordings whose fixed text is too short to tell them apart ("không tìm thấy {what}") are left out.
    sources = package_sources()
    copies = []
    for name, _doc, template in messages.catalogue():
        fixed = re.split(r"\{[a-z_]+\}", re.sub(r"[;:,] \{[a-z_]+\}$", "", template))
        if len("".join(fixed)) < 20:
            continue
        shape = re.compile(r"(?:\{[^{}]*\}|[^\s\"']+)".join(re.escape(f) for f in fixed))
        copies += [f"{name}: {path.relative_to(REPO)}" for path, text in sources.items() if shape.search(text)]
    assert copies == []


def test_messages_doc_is_up_to_date() -> None:
    doc = (REPO / "docs" / "messages.md").read_text(encoding="utf-8")
    assert doc == messages.markdown(), "regenerate: python -m par_index.messages > docs/messages.md"
    out = subprocess.run([sys.executable, "-m", "par_index.messages"], capture_output=True, check=True).stdout.decode("utf-8")
    assert out == doc


# -- the codes built at run time, each triggered ------------------------------------------------


def _reasons(exc: pytest.ExceptionInfo[InputError]) -> set[str]:
    return {p.reason for p in exc.value.problems}


MINI = (TESTS / "data" / "mini" / "criteria.yaml").read_text(encoding="utf-8")


def _refused_changed_mini(tmp_path: Path, old: str, new: str) -> InputError:
    """The error of loading the mini criteria with ``old`` (which must be there) replaced by ``new``."""
    from par_index.criteria.loader import load_criteria

    assert old in MINI
    (tmp_path / "c.yaml").write_text(MINI.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_criteria(tmp_path / "c.yaml")
    return exc.value


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ('title: "Bộ tiêu chí thử nghiệm (tổng hợp)"\n', "", "criteria_missing"),
        ("year: 2024\n", "year: 2024\ntitel: x\n", "criteria_extra_forbidden"),
        ("due: 2024-01-14", "due: 2024-02-30", "criteria_value_error"),
        ("kind: yes_no", "kind: yes_or_no", "criteria_union_tag_invalid"),
        ("year: 2024\n", "year: [2024]\n", "criteria_invalid"),
        ("provenance: illustrative", "provenance: official", "official_without_source"),
        ("provenance: illustrative", "provenance: reference", "reference_without_source"),
    ],
)
def test_criteria_reasons(tmp_path: Path, old: str, new: str, reason: str) -> None:
    assert reason in {p.reason for p in _refused_changed_mini(tmp_path, old, new).problems}


PLAN = (TESTS / "data" / "plan_mini" / "plan.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ('title: "Kế hoạch thử nghiệm"\n', "", "plan_missing"),
        ("year: 2024\n", "year: 2024\ntitel: x\n", "plan_extra_forbidden"),
        ("due: 2024-01-31", "due: 2024-01-32", "plan_value_error"),
        ("year: 2024\n", "year: [2024]\n", "plan_invalid"),
    ],
)
def test_plan_reasons(tmp_path: Path, old: str, new: str, reason: str) -> None:
    from par_index.reform_plan.register import load_plan

    assert old in PLAN
    (tmp_path / "plan.yaml").write_text(PLAN.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_plan(tmp_path / "plan.yaml", TESTS / "data" / "plan_mini" / "agencies.yaml")
    assert reason in _reasons(exc)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({"max": 2}, "scenario_missing"),
        ({"criterion": "1.2", "max": "abc"}, "scenario_value_error"),
        ({"band": "Tốt", "min": [1]}, "scenario_invalid"),
    ],
)
def test_scenario_override_reasons(raw: dict[str, object], reason: str) -> None:
    from par_index.planning.scenario import parse_override

    item, problems = parse_override(raw, "s.yaml", 3)
    assert item is None and [p.reason for p in problems] == [reason]


def test_scenario_rule_with_an_unknown_key() -> None:
    from par_index.criteria.compiled import load
    from par_index.planning.scenario import apply_criteria, parse_override

    item, _ = parse_override({"criterion": "1.3", "rule": {"kind": "yes_no", "bogus": 1}}, "s.yaml", 3)
    assert item is not None
    with pytest.raises(InputError) as exc:
        apply_criteria([load(TESTS / "data" / "mini" / "criteria.yaml")], [item])
    assert _reasons(exc) == {"scenario_extra_forbidden"}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("down: 0.1\nbogus: 1\n", "robustness_extra_forbidden"),
        ("alternatives: [{weight: 1}]\n", "robustness_missing"),
        ("down: 2\n", "robustness_invalid"),
    ],
)
def test_robustness_reasons(tmp_path: Path, text: str, reason: str) -> None:
    from par_index.criteria.compiled import load
    from par_index.pipeline import read_data
    from par_index.planning.robustness_config import load_config

    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    sets = [load(TESTS / "data" / "mini" / "criteria.yaml")]
    with pytest.raises(InputError) as exc:
        load_config(tmp_path / "r.yaml", sets, read_data(TESTS / "data" / "mini" / "data"), "final")
    assert reason in _reasons(exc)


# -- one wording, every former site -------------------------------------------------------------


def _problem_of(call: object) -> tuple[str, str]:
    with pytest.raises(InputError) as exc:
        call()  # type: ignore[operator]
    (p,) = exc.value.problems
    return p.reason, p.message


def test_a_yaml_file_that_is_not_a_mapping_says_so_the_same_way(tmp_path: Path) -> None:
    from par_index.appraisal.survey import load_map
    from par_index.criteria.loader import load_criteria
    from par_index.planning.scenario import load_scenario
    from par_index.reform_plan.register import load_plan

    bad = tmp_path / "list.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    assert [_problem_of(lambda f=f: f(bad)) for f in (load_criteria, load_plan, load_map, load_scenario)] == [
        ("criteria_not_mapping", "tệp tiêu chí phải là một mục YAML có id, title, year, unit_kinds, nodes"),
        ("plan_not_mapping", "tệp kế hoạch phải là một mục YAML có id, title, year, tasks"),
        ("survey_map_invalid", "tệp ánh xạ câu hỏi phải là một mục YAML có groups, questions (answers tùy chọn)"),
        ("scenario_shape", "tệp kịch bản phải là một mục YAML có baseline, overrides (name tùy chọn)"),
    ]


def test_text_that_is_not_json_says_so_the_same_way(tmp_path: Path) -> None:
    # a recipe, last year's results and the server's request body (tests/server/test_server_cli.py)
    from par_index.planning.recipe import load_recipe
    from par_index.reports.ranking import read_previous

    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert _problem_of(lambda: load_recipe(bad)) == (
        "recipe_unreadable", "tệp công thức không phải JSON hợp lệ (Expecting property name enclosed in double quotes, cột 2)"
    )
    assert _problem_of(lambda: read_previous(bad)) == (
        "previous_format",
        "tệp không phải JSON hợp lệ (Expecting property name enclosed in double quotes, cột 2). "
        "Tệp năm trước phải là tệp JSON hoặc CSV do `par-index score --out` ghi ra.",
    )


def test_a_scenario_value_change_with_both_value_and_points() -> None:
    # the server's appraisal with both says it the same way (tests/server/test_server_workflow.py)
    from par_index.planning.scenario import parse_override

    item, problems = parse_override({"unit": "so-a", "criterion": "1.2", "value": "95%", "points": 1}, "s.yaml", 3)
    assert item is None
    assert [(p.reason, p.message) for p in problems] == [("scenario_value", "thay đổi giá trị cần đúng một trong hai: 'value' hoặc 'points'")]


def test_a_column_a_table_does_not_use_and_a_column_it_lacks(tmp_path: Path) -> None:
    # the unit data tables, the appraisal tables, the plan progress file and the units' notes
    import shutil

    from par_index.pipeline import read_data
    from par_index.reform_plan.status import read_progress
    from par_index.reports.unit import read_notes

    data = tmp_path / "data"
    shutil.copytree(TESTS / "data" / "mini" / "data", data)
    units = data / "units.csv"
    units.write_text(units.read_text(encoding="utf-8").replace("unit,name,kind", "unit,name,kind,ghi_chu", 1), encoding="utf-8")
    (data / "appraisals.csv").write_text("unit,criterion,round,reason,nguoi\n", encoding="utf-8")
    progress = tmp_path / "progress.csv"
    progress.write_text("task,status,ngay\nA.1,done,\n", encoding="utf-8")
    unknown = sorted(p.message for p in read_data(data).problems if p.reason == "column_unknown")
    unknown += [p.message for p in read_progress(progress)[1] if p.reason == "column_unknown"]
    assert unknown == [
        "cột 'ghi_chu' không được dùng (bảng 'units' có các cột unit, name, kind, group); dữ liệu của cột này bị bỏ qua",
        "cột 'nguoi' không được dùng (bảng có các cột unit, criterion, round, reason, value, points, appraiser, date); dữ liệu của cột này bị bỏ qua",
        "cột 'ngay' không được dùng (tệp tiến độ có các cột task, status, done_on, note); dữ liệu của cột này bị bỏ qua",
    ]

    units.write_text("unit,name\nso-a,Sở A\n", encoding="utf-8")
    assert _problem_of(lambda: read_data(data)) == ("column_missing", "thiếu cột kind; bảng 'units' cần các cột unit, name, kind (tùy chọn: group)")
    shutil.copy(TESTS / "data" / "mini" / "data" / "units.csv", units)
    (data / "appraisals.csv").write_text("unit,criterion,reason\n", encoding="utf-8")
    assert _problem_of(lambda: read_data(data)) == (
        "column_missing", "thiếu cột round; bảng này cần các cột unit, criterion, round, reason (tùy chọn: value, points, appraiser, date)"
    )
    progress.write_text("task,ngay\n", encoding="utf-8")
    assert _problem_of(lambda: read_progress(progress)) == ("column_missing", "thiếu cột status; tệp tiến độ cần các cột task, status (tùy chọn: done_on, note)")
    notes = tmp_path / "notes.csv"
    notes.write_text("unit,text\n", encoding="utf-8")
    assert _problem_of(lambda: read_notes(notes)) == ("column_missing", "thiếu cột section; tệp ghi chú cần các cột unit, section, text")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("max: 2\n", "max: true\n", "dòng 23, tiêu chí 1.1, trường 'max': cần một số, không phải có/không"),
        # a band's points were read as 1 point; the field is the band's, on its line (the tag
        # "bands" of the rule's union is also the key "bands": locate took one for the other)
        ("points: 2}", "points: true}", "dòng 32, tiêu chí 1.2, trường 'rule.bands[1].points': cần một số, không phải có/không"),
        ("points: 2}", "points: -1}", "dòng 32, tiêu chí 1.2, trường 'rule.bands[1].points': giá trị -1 phải ≥ 0"),
    ],
)
def test_yes_no_where_a_number_belongs_is_one_check(tmp_path: Path, old: str, new: str, message: str) -> None:
    # a node's amount and a rule's parameter are refused by the same guard (rules.base.plain_number)
    assert [str(p).split(".yaml ", 1)[1] for p in _refused_changed_mini(tmp_path, old, new).problems] == [message]


def test_an_appraisal_round_other_than_1_or_2(tmp_path: Path) -> None:
    # appraisal records; the appraisal workbook's info sheet and the server's appraisal say it the
    # same way (messages.ROUND_UNKNOWN; tests/server/test_server_workflow.py)
    import shutil

    from par_index.pipeline import read_data

    data = tmp_path / "data"
    shutil.copytree(TESTS / "data" / "mini" / "data", data)
    (data / "appraisals.csv").write_text("unit,criterion,round,reason\nso-a,1.2,3,Thiếu báo cáo\n", encoding="utf-8")
    got = [p.message for p in read_data(data).problems if p.reason == "appraisal_round_unknown"]
    assert got == ["vòng thẩm định '3' không hợp lệ: ghi 1 hoặc 2; bản ghi không được áp dụng"]


def test_a_csv_row_longer_than_its_header(tmp_path: Path) -> None:
    # the plan progress file says it as the unit data tables do (tests/unit_data/test_unit_data.py)
    from par_index.reform_plan.status import read_progress

    progress = tmp_path / "progress.csv"
    progress.write_text("task,status\nA.1,done,thừa\n", encoding="utf-8")
    assert [(p.reason, p.line, p.message) for p in read_progress(progress)[1]] == [
        ("csv_columns", 2, "dòng có 3 cột trong khi tiêu đề có 2 cột (thừa dấu phẩy? hãy đặt văn bản có dấu phẩy trong ngoặc kép); dòng này bị bỏ qua")
    ]
