"""Appraisal records beside the self-assessment: refusal without a reason, the trail
self → round 1 → explanation → round 2, and final = the last round present.

Data: tests/data/appraisal/data (the mini units and self-assessment, plus appraisals.csv and
explanations.csv, all synthetic).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from rich.console import Console
from support.paths import TESTS

from par_index.appraisal.records import RECORD_COLUMNS
from par_index.appraisal.trail import leaf_trails, trails_frame
from par_index.cli.console import print_explanation
from par_index.criteria.compiled import load
from par_index.pipeline import read_data
from par_index.reports.explain import explain
from par_index.scoring.engine import score

ROOT = TESTS
CRITERIA = ROOT / "data/mini/criteria.yaml"
DATA = ROOT / "data/appraisal/data"


def _run(stage: str = "final"):
    c = load(CRITERIA)
    data = read_data(DATA)
    return score([c], data, stage), data  # type: ignore[arg-type]


def _points(results, unit: str, code: str) -> float:
    s, i = results.find(unit)
    return float(s.leaf_points[i, s.criteria.leaf_index[code]] / s.scale)


def test_record_without_reason_is_refused_with_its_message():
    results, _ = _run()
    refused = [p for p in results.problems if p.reason == "appraisal_reason_missing"]
    assert len(refused) == 1
    p = refused[0]
    assert p.message == (
        "bản ghi thẩm định lần 1 không ghi lý do nên không được áp dụng; "
        "mọi thay đổi khi thẩm định phải có lý do (cột reason)"
    )
    assert (Path(p.file).name, p.line, p.unit, p.criterion, p.severity) == ("appraisals.csv", 4, "so-a", "2.1", "error")
    # not applied: 2.1 keeps the self value 0.9 → 2 × 0.9 / 0.95 = 1.894… → 1.89 (not the refused 1)
    assert _points(results, "so-a", "2.1") == 1.89


def test_final_is_the_last_round_present():
    final, _ = _run("final")
    own, _ = _run("self")
    # so-a 1.2: self 93% → 2; round 1 75% → 1; round 2 92% → 2 (round 2 is final)
    assert _points(own, "so-a", "1.2") == 2.0
    assert _points(final, "so-a", "1.2") == 2.0
    # h-c 1.4: self 1 point; round 1 only gives 0,5 → final 0.5
    assert _points(own, "h-c", "1.4") == 1.0
    assert _points(final, "h-c", "1.4") == 0.5
    s, i = final.find("h-c")
    assert s.value_stage[i, s.criteria.leaf_index["1.4"]] == "appraisal1"
    # so-b 1.2: the assessments.csv appraisal1 row (60%) is final → 0
    assert _points(final, "so-b", "1.2") == 0.0


def test_trail_self_round1_explanation_round2():
    results, data = _run()
    steps = leaf_trails(results, data, "so-a")["1.2"]
    got = [(st.step, st.value, st.points, st.text, st.who, st.date, st.final) for st in steps]
    assert got == [
        ("self", "93%", 2.0, "", "", "", False),
        ("appraisal1", "75%", 1.0, "Báo cáo chỉ chứng minh hoàn thành 75% kế hoạch", "Nguyễn Văn An", "05/02/2025", False),
        ("explanation", "", None, "Đơn vị đã hoàn thành 92% kế hoạch; gửi kèm báo cáo quý IV", "", "12/02/2025", False),
        ("appraisal2", "92%", 2.0, "Đơn vị bổ sung báo cáo quý IV, đạt 92%", "Trần Thị Bình", "20/02/2025", True),
    ]
    assert steps[1].source.endswith("appraisals.csv dòng 2")
    assert steps[2].source.endswith("explanations.csv dòng 2")
    # an untouched leaf has its first step only, and it is final
    assert [(st.step, st.points, st.final) for st in leaf_trails(results, data, "so-a")["1.1"]] == [("self", 2.0, True)]
    # the date written as yyyy-mm-dd is shown dd/mm/yyyy
    h = leaf_trails(results, data, "h-c")["1.4"]
    assert [(st.step, st.points, st.date) for st in h] == [("self", 1.0, ""), ("appraisal1", 0.5, "06/02/2025")]


def test_trail_in_explain_and_console():
    results, data = _run()
    e = explain(results, data, "so-a")
    leaf = next(x for x in e.leaves if x.code == "1.2")
    assert [st.step for st in leaf.trail] == ["self", "appraisal1", "explanation", "appraisal2"]
    buf = io.StringIO()
    print_explanation(e, Console(file=buf, width=300, color_system=None))
    text = buf.getvalue()
    assert "Quá trình thẩm định" in text
    assert (
        "– thẩm định lần 2 (20/02/2025); giá trị 92%; 2 điểm; lý do: Đơn vị bổ sung báo cáo quý IV, đạt 92%; "
        "người thẩm định: Trần Thị Bình; → điểm cuối cùng"
    ) in text


def test_trails_frame_for_reports():
    results, data = _run()
    t = trails_frame(results, data)
    assert sorted(set(zip(t["unit"], t["criterion"], strict=True))) == [("h-c", "1.4"), ("so-a", "1.2"), ("so-b", "1.2")]
    row = t[(t["unit"] == "so-b") & (t["step"] == "appraisal1")].iloc[0]
    assert (row["value"], row["points"], row["text"], bool(row["final"])) == ("60%", 0.0, "Không đủ tài liệu", True)


def test_assessments_appraisal_row_without_note_is_warned(tmp_path: Path):
    for name in ("units.csv", "assessments.csv"):
        (tmp_path / name).write_text((ROOT / "data/mini/data" / name).read_text(encoding="utf-8"), encoding="utf-8")
    with (tmp_path / "assessments.csv").open("a", encoding="utf-8") as fh:
        fh.write("so-a,1.4,0,appraisal1,,\n")
        fh.write("so-a,1.3,0,appraisal1,Có hồ sơ,\n")  # a reason: no warning
        fh.write('so-a,1.2,0,appraisal1,"   ",\n')  # spaces only: no reason
    data = read_data(tmp_path)
    results = score([load(CRITERIA)], data)
    warned = [p for p in results.problems if p.reason == "appraisal_reason_missing"]
    message = "dòng thẩm định trong assessments không ghi lý do (cột note); vẫn được tính, nhưng mọi thay đổi khi thẩm định nên có lý do"
    assert [(p.severity, p.line, p.message) for p in warned] == [("warning", 28, message), ("warning", 30, message)]
    assert _points(results, "so-a", "1.4") == 0.0
    # the records kept for the trail: the appraisal rows, each cell as the row has it (taken from
    # the dictionary-encoded columns as read, in pandas' text type)
    a = data.assessments
    rec = a[a["stage"].isin(["appraisal1", "appraisal2"]).to_numpy()]
    cells = {c: rec[c].to_numpy() for c in ("unit", "criterion", "stage", "value", "points", "at_file", "at_line")}
    expected = pd.DataFrame({**cells, "reason": rec["note"].to_numpy(), "appraiser": "", "date": ""}, columns=RECORD_COLUMNS)
    assert isinstance(a["value"].dtype, pd.CategoricalDtype) and len(expected) == 4
    pd.testing.assert_frame_equal(data.appraisals, expected, check_exact=True)
