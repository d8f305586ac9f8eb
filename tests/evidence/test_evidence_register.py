"""The evidence register, the appraiser's preview and the agency matrix on hand-made data.

tests/data/evidence_mini: four units (a clean, b late and missing, c bad dates and a missing
file, d an implausible issuer and a plan after the last deadline) and three agencies.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from support.paths import REPO, TESTS

from par_index.cli.main import main
from par_index.criteria.compiled import load
from par_index.errors import Problem
from par_index.evidence.check import check_evidence, preview_appraisal, review_evidence
from par_index.evidence.matrix import build_matrix
from par_index.evidence.report import write_matrix
from par_index.pipeline import read_data
from par_index.scoring.engine import score

HERE = TESTS / "data" / "evidence_mini"
CRITERIA = HERE / "criteria.yaml"
DATA = HERE / "data"


def _problems(data_path: Path = DATA, files: Path | None = None) -> list[Problem]:
    c = load(CRITERIA)
    data = read_data(data_path)
    return check_evidence(score(c, data, "self"), data, files)


def _by(problems: list[Problem]) -> dict[tuple[str, str, str], Problem]:
    return {(p.reason, p.unit, p.criterion): p for p in problems}


def test_every_reason_with_its_message_and_place() -> None:
    got = _problems()
    ev = "evidence.csv"  # files are named relative to the data folder
    asm = "assessments.csv"
    expected = {
        ("evidence_date", "c", "2.1", 10): "ngày ban hành 10/12/2023 nằm ngoài năm đánh giá 2024",
        ("evidence_date", "c", "2.1", 11): "không đọc được ngày ban hành '31/13/2024': cần một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd",
        ("evidence_issuer", "d", "1.2", 13): (
            "nơi ban hành 'so-tai-chinh' không phải đơn vị d hay cơ quan được chấp nhận cho tiêu chí này "
            "(Sở Nội vụ); kiểm tra lại cột issuer"
        ),
        ("evidence_unknown", "x", "1.1", 14): "đơn vị 'x' không có trong units; tài liệu này không được tính",
        ("evidence_unknown", "a", "9.9", 15): "tiêu chí '9.9' không có trong bộ tiêu chí ev-mini; tài liệu này không được tính",
        ("evidence_unknown", "a", "1", 16): "'1' là tiêu chí có tiêu chí con; hãy ghi tài liệu kiểm chứng cho từng tiêu chí thành phần",
        ("evidence_file_missing", "c", "1.2", 9): f"không tìm thấy tệp 'c/khong-co.pdf' trong thư mục {DATA}",
        ("evidence_late", "b", "1.1", 7): "tài liệu ban hành ngày 20/01/2024, sau hạn 14/01/2024: nộp chậm, chỉ được 0,5 điểm, nhưng tự chấm 1 điểm",
        ("evidence_late", "d", "1.1", 12): "tài liệu ban hành ngày 05/02/2024, sau hạn cuối 31/01/2024: theo quy tắc được 0 điểm",
        ("evidence_missing", "b", "1.2", 7): (
            "tự chấm 1 điểm nhưng thiếu tài liệu kiểm chứng (cần: Báo cáo CCHC năm); "
            "khi thẩm định, tiêu chí này bị tính 0 điểm"
        ),
        ("evidence_incomplete", "b", "2.1", 8): "thiếu tài liệu kiểm chứng do Bưu điện tỉnh ban hành: Báo cáo BCCI",
        ("evidence_incomplete", "d", "1.2", 13): "thiếu tài liệu kiểm chứng của đơn vị: Báo cáo CCHC năm",
    }
    assert sorted((p.reason, p.unit, p.criterion, p.line) for p in got) == sorted(expected)
    for p in got:
        assert p.message == expected[(p.reason, p.unit, p.criterion, p.line)]
        # problems about a self-score point at the assessment row, the others at the evidence row
        assert p.file == (asm if p.reason in ("evidence_missing", "evidence_incomplete") else ev)
    severity = {(p.reason, p.unit, p.criterion): p.severity for p in got}
    assert severity[("evidence_missing", "b", "1.2")] == "error"
    assert severity[("evidence_incomplete", "b", "2.1")] == "warning"
    assert severity[("evidence_issuer", "d", "1.2")] == "warning"


def test_missing_message_says_thieu_tai_lieu_kiem_chung() -> None:
    for p in _problems():
        if p.reason in ("evidence_missing", "evidence_incomplete"):
            assert "thiếu tài liệu kiểm chứng" in p.message


def test_clean_unit_zero_points_and_penalties_need_nothing() -> None:
    got = _problems()
    assert not [p for p in got if p.unit == "a" and p.reason != "evidence_unknown"]  # name as issuer: fine
    assert not [p for p in got if p.unit == "c" and p.criterion == "1.1"]  # scored 0: nothing to prove
    assert not [p for p in got if p.criterion == "2.2"]  # a penalty is not the unit's to prove


def test_later_covering_letter_does_not_make_the_plan_late() -> None:
    # unit a: plan 10/01/2024 (on time) and the letter sending it 16/01/2024
    assert not [p for p in _problems() if p.unit == "a" and p.reason == "evidence_late"]


def test_files_not_shipped_give_one_warning(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("units.csv", "assessments.csv", "evidence.csv"):
        shutil.copy(DATA / name, data / name)
    got = _problems(data)
    absent = [p for p in got if p.reason == "evidence_files_absent"]
    assert len(absent) == 1
    assert absent[0].message == (
        "không tìm thấy tệp nào trong 11 tệp đính kèm được ghi ở cột file (trong thư mục dữ liệu); "
        "chưa kiểm tra tệp đính kèm — dùng --files THƯ_MỤC để chỉ nơi lưu tệp"
    )
    assert not [p for p in got if p.reason == "evidence_file_missing"]
    # an explicit --files folder checks every file
    files = tmp_path / "files"
    files.mkdir()
    (files / "a").mkdir()
    (files / "a" / "kh-1.pdf").write_text("x", encoding="utf-8")
    got = _problems(data, files)
    missing = sorted((p.unit, p.line) for p in got if p.reason == "evidence_file_missing")
    assert len(missing) == 10 and ("a", 2) not in missing


def test_no_evidence_table_means_no_checks() -> None:
    mini = TESTS / "data" / "mini"
    c = load(mini / "criteria.yaml")
    data = read_data(mini / "data")
    assert check_evidence(score(c, data, "self"), data) == []


def test_preview_appraisal_cuts_exactly_the_unproven_leaf() -> None:
    c = load(CRITERIA)
    data = read_data(DATA)
    plain = score(c, data, "self")
    cut, review = preview_appraisal([c], data, "self")
    s0, s1 = plain.sets[0], cut.sets[0]
    units = list(s0.units["unit"])
    before = dict(zip(units, (s0.total_points / s0.scale).tolist(), strict=True))
    after = dict(zip(units, (s1.total_points / s1.scale).tolist(), strict=True))
    assert before == {"a": 3.5, "b": 2.5, "c": 3.0, "d": 2.0}
    assert after == {"a": 3.5, "b": 1.5, "c": 3.0, "d": 2.0}
    j = c.leaf_index["1.2"]
    assert s1.leaf_points[units.index("b"), j] == 0 and s0.leaf_points[units.index("b"), j] == s0.scale
    assert review.cut["ev-mini"].sum() == 1
    notes = [p for p in cut.problems if p.reason == "appraisal_preview"]
    assert [(p.unit, p.message) for p in notes] == [
        ("b", "xem trước thẩm định: mất 1 điểm vì tự chấm mà không có tài liệu kiểm chứng ở tiêu chí 1.2")
    ]
    assert cut.sets[0].index[units.index("b")] == pytest.approx(37.5)


def test_score_command_preview_appraisal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    code = main(["score", "--criteria", str(CRITERIA), "--data", str(DATA), "--stage", "self", "--preview-appraisal", "--out", str(out)])
    import json

    doc = json.loads(out.read_text(encoding="utf-8"))
    assert code == 0
    assert {u["unit"]: u["points"] for u in doc["units"]} == {"a": 3.5, "c": 3.0, "d": 2.0, "b": 1.5}
    err = capsys.readouterr().err
    assert "Xem trước thẩm định: 1 tiêu chí tự chấm không có tài liệu kiểm chứng được tính 0 điểm; 1 đơn vị bị giảm điểm" in err
    # without the flag the points are the unit's own, and the problems are still listed
    code = main(["score", "--criteria", str(CRITERIA), "--data", str(DATA), "--stage", "self", "--out", str(out)])
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert {u["unit"]: u["points"] for u in doc["units"]}["b"] == 2.5
    assert sum(1 for p in doc["problems"] if p["reason"] == "evidence_missing") == 1


def test_explain_shows_evidence_problems_on_the_leaf(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    code = main(["explain", "--criteria", str(CRITERIA), "--data", str(DATA), "--unit", "b", "--stage", "self", "--json"])
    assert code == 0
    e = json.loads(capsys.readouterr().out)
    leaves = {leaf["code"]: leaf for leaf in e["leaves"]}
    assert "thiếu tài liệu kiểm chứng do Bưu điện tỉnh ban hành: Báo cáo BCCI" in leaves["2.1"]["problems"]
    assert any(m.startswith("tự chấm 1 điểm nhưng thiếu tài liệu kiểm chứng") for m in leaves["1.2"]["problems"])


# -- the agency matrix ------------------------------------------------------------------------

EXPECTED_ROWS = [
    # agency, leaf, document, unit, status
    ("so-noi-vu", "1.1", "Kế hoạch CCHC năm 2024", "a", "đủ"),
    ("so-noi-vu", "1.1", "Kế hoạch CCHC năm 2024", "b", "muộn"),
    ("so-noi-vu", "1.1", "Văn bản gửi kế hoạch", "a", "đủ"),
    ("so-noi-vu", "1.1", "Văn bản gửi kế hoạch", "b", "muộn"),
    ("so-noi-vu", "1.2", "Báo cáo CCHC năm", "a", "đủ"),
    ("so-noi-vu", "1.2", "Báo cáo CCHC năm", "b", "thiếu"),
    ("so-noi-vu", "1.2", "Báo cáo CCHC năm", "c", "thiếu tệp"),
    ("so-noi-vu", "1.2", "Báo cáo CCHC năm", "d", "thiếu"),
    ("so-tu-phap", "2.1", "Báo cáo của đơn vị", "a", "đủ"),
    ("so-tu-phap", "2.1", "Báo cáo của đơn vị", "b", "đủ"),
    ("so-tu-phap", "2.1", "Báo cáo của đơn vị", "c", "ngày không hợp lệ"),
    ("buu-dien", "2.1", "Báo cáo BCCI", "a", "đủ"),
    ("buu-dien", "2.1", "Báo cáo BCCI", "b", "thiếu"),
    ("buu-dien", "2.1", "Báo cáo BCCI", "c", "ngày không hợp lệ"),
]


def _matrix():  # type: ignore[no-untyped-def]
    c = load(CRITERIA)
    data = read_data(DATA)
    results = score(c, data, "self")
    return build_matrix(results, review_evidence(results, data))


def test_matrix_rows() -> None:
    m = _matrix()
    assert [(r.agency, r.leaf, r.document, r.unit, r.status) for r in m.rows] == EXPECTED_ROWS
    by = {(r.agency, r.document, r.unit): r for r in m.rows}
    bcci = by[("buu-dien", "Báo cáo BCCI", "a")]
    assert bcci.agency_name == "Bưu điện tỉnh" and bcci.issuer == "Bưu điện tỉnh"
    assert bcci.supplied == "Báo cáo số 5/BC-BĐ, ngày 12/12/2024"
    assert by[("so-noi-vu", "Báo cáo CCHC năm", "a")].issuer == "đơn vị tự ban hành"
    assert by[("so-noi-vu", "Kế hoạch CCHC năm 2024", "a")].issuer == "không quy định"
    assert by[("so-noi-vu", "Kế hoạch CCHC năm 2024", "b")].notes == (
        "tài liệu ban hành ngày 20/01/2024, sau hạn 14/01/2024: nộp chậm, chỉ được 0,5 điểm"
    )


def test_matrix_summary() -> None:
    m = _matrix()
    got = [(s.agency, s.agency_name, s.owed, s.ok, s.missing, s.late, s.other, s.units) for s in m.summary]
    assert got == [
        ("so-noi-vu", "Sở Nội vụ", 8, 3, 2, 2, 1, 2),
        ("so-tu-phap", "Sở Tư pháp", 3, 2, 0, 0, 1, 0),
        ("buu-dien", "Bưu điện tỉnh", 3, 1, 1, 0, 1, 1),
    ]


def test_matrix_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "m.xlsx"
    write_matrix(_matrix(), out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["Tổng hợp", "Chi tiết"]
    summary = [list(r) for r in wb["Tổng hợp"].iter_rows(values_only=True)]
    assert summary[0] == [
        "Mã cơ quan", "Cơ quan", "Số tài liệu phải có", "Đủ", "Thiếu", "Muộn",
        "Lỗi khác (ngày, tệp, nơi ban hành)", "Số đơn vị còn thiếu hoặc muộn",
    ]
    assert summary[1] == ["so-noi-vu", "Sở Nội vụ", 8, 3, 2, 2, 1, 2]
    detail = [list(r) for r in wb["Chi tiết"].iter_rows(values_only=True)]
    assert detail[0][:4] == ["Mã cơ quan", "Cơ quan cung cấp", "Bộ tiêu chí", "Mã tiêu chí"]
    assert len(detail) == 1 + len(EXPECTED_ROWS)
    assert detail[6][:10] == [
        "so-noi-vu", "Sở Nội vụ", "ev-mini", "1.2", "Mức độ hoàn thành kế hoạch CCHC", "Báo cáo CCHC năm",
        "đơn vị tự ban hành", "b", "Sở B", "thiếu",
    ]


def test_matrix_html_is_self_contained(tmp_path: Path) -> None:
    import datetime as dt

    out = tmp_path / "m.html"
    from par_index.evidence.report import render_html

    out.write_text(render_html(_matrix(), dt.date(2025, 1, 6)), encoding="utf-8")
    text = out.read_text(encoding="utf-8")
    assert "lập ngày 06/01/2025" in text
    assert '<h2 id="buu-dien">Bưu điện tỉnh (buu-dien)</h2>' in text
    assert '<tr class="missing"><td>1.2</td>' in text
    assert "http://" not in text and "https://" not in text and "<script" not in text


def test_evidence_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evidence", "--criteria", str(CRITERIA), "--data", str(DATA)])
    out = capsys.readouterr()
    assert code == 0
    assert "Bưu điện tỉnh (buu-dien): 2 tài liệu cần xử lý" in out.out
    assert "Vấn đề về tài liệu kiểm chứng (12)" in out.err
    code = main(["evidence", "--criteria", str(CRITERIA), "--data", str(DATA), "--out", str(tmp_path / "m.csv")])
    assert code == 2
    assert "không hỗ trợ định dạng '.csv' cho ma trận tài liệu; dùng .xlsx hoặc .html" in capsys.readouterr().err
    code = main(["evidence", "--criteria", str(CRITERIA), "--data", str(DATA), "--strict", "--out", str(tmp_path / "m.xlsx")])
    assert code == 1
    assert (tmp_path / "m.xlsx").is_file()


def test_bac_giang_preview_cuts_the_documented_gaps() -> None:
    """The example data's README lists three self-scores without evidence; exactly those are cut."""
    repo = REPO
    paths = [repo / "criteria/bac-giang/2024/so.yaml", repo / "criteria/bac-giang/2024/huyen.yaml"]
    sets = [load(p) for p in paths]
    data = read_data(repo / "evidence/bac-giang/2024")
    _, review = preview_appraisal(sets, data, "self")
    cut = set()
    for s in score(sets, data, "self").sets:
        mask = review.cut[s.criteria.id]
        for i, j in zip(*mask.nonzero(), strict=True):
            cut.add((str(s.units["unit"].iat[i]), s.criteria.leaves[j].code))
    assert cut == {("so-xay-dung", "2.3.1"), ("h-yen-the", "6.2"), ("ban-dan-toc", "1.4.2")}


def _same_review(a: object, b: object) -> bool:
    from par_index.evidence.check import EvidenceReview

    assert isinstance(a, EvidenceReview) and isinstance(b, EvidenceReview)
    return (a.problems == b.problems and a.requirements == b.requirements and a.cut.keys() == b.cut.keys()
            and all((a.cut[k] == b.cut[k]).all() for k in a.cut))


def test_review_like_another_gives_the_same_and_reuses_the_cells_that_agree(tmp_path: Path) -> None:
    """A round-2 proposal reviews the final scores, the reports the self scores of the same data:
    ``like=`` gives what a review of its own gives, reusing the problems of the cells whose self
    view agrees (the same objects) and checking the evidence rows again only when one lies on a
    cell that differs (b 1.1: its late-window warning rests on the unit's claim)."""
    c = load(CRITERIA)
    data_dir = tmp_path / "data"
    shutil.copytree(DATA, data_dir)
    data = read_data(data_dir)
    mine = review_evidence(score(c, data, "self"), data, always=True)
    again = review_evidence(score(c, data, "final"), data, always=True, like=mine)  # only self rows: the same review
    assert _same_review(again, mine) and all(p is q for p, q in zip(again.problems, mine.problems, strict=True))
    with (data_dir / "assessments.csv").open("a", encoding="utf-8") as fh:
        fh.write("b,1.2,95%,appraisal1,\n")  # owed, no evidence row: no longer the unit's own value
    data = read_data(data_dir)
    mine = review_evidence(score(c, data, "self"), data, always=True)
    final = score(c, data, "final")
    alone = review_evidence(final, data, always=True)
    again = review_evidence(final, data, always=True, like=mine)
    assert _same_review(again, alone)
    assert ("evidence_missing", "b", "1.2") in _by(mine.problems) and ("evidence_missing", "b", "1.2") not in _by(again.problems)
    assert len(again.problems) == len(mine.problems) - 1 and all(p in mine.problems for p in again.problems)
    assert {id(p) for p in again.problems} < {id(p) for p in mine.problems}  # every problem reused, rows' checks too
    assert not again.cut["ev-mini"][1].any() and mine.cut["ev-mini"][1].any()
    with (data_dir / "assessments.csv").open("a", encoding="utf-8") as fh:
        fh.write("b,1.1,14/01/2024,appraisal1,\n")  # a cell with an evidence row: the rows are checked again
    data = read_data(data_dir)
    mine = review_evidence(score(c, data, "self"), data, always=True)
    final = score(c, data, "final")
    again = review_evidence(final, data, always=True, like=mine)
    assert _same_review(again, review_evidence(final, data, always=True))
    assert ("evidence_late", "b", "1.1") in _by(mine.problems) and ("evidence_late", "b", "1.1") not in _by(again.problems)
    # a review of another data object (or folder) is not reused: the answer is worked out anew
    other = read_data(data_dir)
    apart = review_evidence(score(c, other, "final"), other, always=True, like=mine)
    assert _same_review(apart, again) and not {id(p) for p in apart.problems} & {id(p) for p in mine.problems}
    apart = review_evidence(final, data, tmp_path, always=True, like=mine)
    assert not {id(p) for p in apart.problems} & {id(p) for p in mine.problems}


def test_bac_giang_review_keeps_cell_order_where_bare_and_supplied_cells_meet() -> None:
    """The owed cells with no evidence row at all (made at once) and those with rows (checked one
    by one) come out as one review in cell order: by set, unit row, leaf, then document."""
    from par_index.evidence.check import Requirement

    paths = [REPO / "criteria/bac-giang/2024/so.yaml", REPO / "criteria/bac-giang/2024/huyen.yaml"]
    sets = [load(p) for p in paths]
    data = read_data(REPO / "evidence/bac-giang/2024")
    results = score(sets, data, "self")
    review = review_evidence(results, data, always=True)
    place = {(s.criteria.id, str(u)): (n, i) for n, s in enumerate(results.sets) for i, u in enumerate(s.units["unit"])}
    cells = [(*place[(q.criteria, q.unit)], sets[place[(q.criteria, q.unit)][0]].leaf_index[q.leaf]) for q in review.requirements]
    assert len(cells) == 1983 and cells == sorted(cells)
    at = [k for k, q in enumerate(review.requirements) if (q.unit, q.leaf) == ("h-yen-the", "6.2")]
    assert at == [at[0], at[0] + 1]
    assert [(q.unit, q.leaf, q.status) for q in (review.requirements[at[0] - 1], review.requirements[at[1] + 1])] == [
        ("h-yen-the", "6.1.2", "late"), ("h-yen-the", "6.3", "ok")]  # supplied cells on either side
    name, unit_name = "Tỷ lệ giải ngân kế hoạch vốn đầu tư công năm 2024 được giao", review.requirements[at[0]].unit_name
    assert [review.requirements[k] for k in at] == [
        Requirement("so-tai-chinh", "bac-giang-2024-huyen", "6.2", name, "Báo cáo tình hình giải ngân vốn đầu tư công năm 2024", None,
                    "h-yen-the", unit_name, "missing"),
        Requirement("so-tai-chinh", "bac-giang-2024-huyen", "6.2", name, "Số liệu giải ngân do Sở Tài chính tổng hợp", "so-tai-chinh",
                    "h-yen-the", unit_name, "missing"),
    ]
    missing = [p for p in review.problems if p.reason == "evidence_missing"]
    assert [str(p) for p in missing] == [
        "assessments.csv dòng 543, đơn vị so-xay-dung, tiêu chí 2.3.1: tự chấm 1,5 điểm nhưng thiếu tài liệu kiểm chứng (cần: Kế hoạch "
        "theo dõi tình hình thi hành pháp luật năm 2024); khi thẩm định, tiêu chí này bị tính 0 điểm",
        "assessments.csv dòng 1196, đơn vị ban-dan-toc, tiêu chí 1.4.2: tự chấm 0,5 điểm nhưng thiếu tài liệu kiểm chứng (cần: Văn bản "
        "đăng ký sáng kiến, giải pháp CCHC gửi Sở Nội vụ); khi thẩm định, tiêu chí này bị tính 0 điểm",
        "assessments.csv dòng 1967, đơn vị h-yen-the, tiêu chí 6.2: tự chấm 0,98 điểm nhưng thiếu tài liệu kiểm chứng (cần: Báo cáo tình "
        "hình giải ngân vốn đầu tư công năm 2024; Số liệu giải ngân do Sở Tài chính tổng hợp); khi thẩm định, tiêu chí này bị tính 0 điểm",
    ]
    assert [(p.file, p.line, p.cell, p.field, p.severity) for p in missing] == [("assessments.csv", n, "", "", "error") for n in (543, 1196, 1967)]


def test_self_rows_give_the_first_rows_place() -> None:
    """A problem on a self-scored cell names its first ``self`` row (file, line; no cell in a
    CSV): a second self row of the same unit and criterion, and a row of another stage, do not
    move it; a cell with no self row has no place."""
    import dataclasses

    import pandas as pd

    from par_index.evidence.check import Where, _SelfRows

    data = read_data(DATA)
    a = data.assessments
    first = a[(a["unit"] == "a") & (a["criterion"] == "1.2")]
    again = first.assign(at_line=[900]).astype({"at_line": a["at_line"].dtype})
    other = first.assign(at_line=[901], stage=["appraisal1"]).astype({"at_line": a["at_line"].dtype, "stage": "object"})
    rows = pd.concat([other.astype(object), a.astype(object), again.astype(object)], ignore_index=True)
    rows["at_line"] = rows["at_line"].astype("int64")
    at = _SelfRows(dataclasses.replace(data, assessments=rows))
    assert at.get(("a", "1.2"), Where()) == Where("assessments.csv", 3, "")
    assert at.get(("a", "9.9"), Where("x")) == Where("x")
    p1, p2 = at.problems("evidence_missing", ["m1", "m2"], ["a", "zz"], ["1.2", "1.1"])
    assert (p1.file, p1.line, p1.cell, p1.unit, p1.criterion, p1.message) == ("assessments.csv", 3, "", "a", "1.2", "m1")
    assert (p2.file, p2.line, p2.cell) == ("", None, "")
