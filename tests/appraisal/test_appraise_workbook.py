"""``par-index appraise``: proposals written to a workbook, edited, read back by ``score``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from support.paths import TESTS

from par_index.appraisal.proposals import propose
from par_index.appraisal.workbook import HEADER_ROW, SHEET
from par_index.cli.main import main
from par_index.criteria.compiled import load
from par_index.pipeline import read_data
from par_index.scoring.engine import score
from par_index.unit_data.reader import UnitData

ROOT = TESTS
CRITERIA = ROOT / "data/mini/criteria.yaml"

UNITS = "unit,name,kind\nso-a,Sở A (tổng hợp),so\nso-b,Sở B (tổng hợp),so\n"
ASSESSMENTS = """unit,criterion,value,stage,note,points
so-a,1.1,10/01/2024,self,,2
so-a,1.2,93%,self,,2
so-a,1.3,có,self,,1
so-a,1.4,"0,75",self,,
so-a,2.1,0.96,self,,2
so-a,2.2,3,self,,
so-a,3.1,80%,survey,,
so-b,1.1,10/01/2024,self,,2
so-b,1.2,80%,self,,2
so-b,1.3,có,self,,1
so-b,1.4,1,self,,
so-b,2.1,130%,self,,2
so-b,2.2,2,self,,
so-b,3.1,90%,survey,,
"""
# every self-score with points has a document, except so-a 1.3
EVIDENCE = "unit,criterion,document,issued_on,issuer,file\n" + "".join(
    f"{u},{c},Báo cáo số {n}/BC ngày 15/03/2024,15/03/2024,,\n"
    for n, (u, c) in enumerate(
        [("so-a", "1.2"), ("so-a", "1.4"), ("so-a", "2.1"), ("so-a", "2.2"), ("so-b", "1.2"), ("so-b", "1.3"), ("so-b", "1.4"), ("so-b", "2.1"), ("so-b", "2.2")],
        start=1,
    )
) + "so-a,1.1,Kế hoạch số 1/KH ngày 10/01/2024,10/01/2024,,\nso-b,1.1,Kế hoạch số 2/KH ngày 10/01/2024,10/01/2024,,\n"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    (d / "units.csv").write_text(UNITS, encoding="utf-8")
    (d / "assessments.csv").write_text(ASSESSMENTS, encoding="utf-8")
    (d / "evidence.csv").write_text(EVIDENCE, encoding="utf-8")
    return d


def _rows(path: Path) -> list[tuple[object, ...]]:
    ws = load_workbook(path)[SHEET]
    return [r for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if r[0] is not None]


def _points(results, unit: str, code: str) -> float:
    s, i = results.find(unit)
    return float(s.leaf_points[i, s.criteria.leaf_index[code]] / s.scale)


def _decide(path: Path, decisions: dict[tuple[str, str], tuple[object, ...]]) -> None:
    """Fill the appraiser's columns (decision, points, value, reason, appraiser, date)."""
    wb = load_workbook(path)
    ws = wb[SHEET]
    header = [c.value for c in ws[HEADER_ROW]]
    first = header.index("Quyết định (đồng ý/không)") + 1
    for row in ws.iter_rows(min_row=HEADER_ROW + 1):
        key = (row[0].value, row[2].value)
        for k, v in enumerate(decisions.get(key, ())):  # type: ignore[arg-type]
            ws.cell(row[0].row, first + k, v)
    wb.save(path)


def test_proposals_and_workbook(data_dir: Path, tmp_path: Path):
    out = tmp_path / "de-xuat.xlsx"
    code = main(["appraise", "--criteria", str(CRITERIA), "--data", str(data_dir), "--out", str(out)])
    assert code == 0
    header = [c.value for c in load_workbook(out)[SHEET][HEADER_ROW]]
    assert header[:11] == [
        "Mã đơn vị", "Tên đơn vị", "Mã tiêu chí", "Tiêu chí", "Điểm tối đa", "Giá trị tự đánh giá",
        "Điểm tự chấm", "Điểm hiện tại", "Điểm đề xuất", "Loại đề xuất", "Lý do đề xuất",
    ]
    assert header[11:] == ["Quyết định (đồng ý/không)", "Điểm thẩm định", "Giá trị thẩm định", "Lý do thẩm định", "Người thẩm định", "Ngày thẩm định"]
    got = [(r[0], r[2], r[5], r[6], r[7], r[8], r[9]) for r in _rows(out)]
    assert got == [
        ("so-a", "1.3", "có", 1, 1, 0, "thiếu tài liệu kiểm chứng"),
        ("so-b", "1.2", "80%", 2, 1, 1, "tự chấm cao hơn điểm theo quy tắc"),
        ("so-b", "2.1", "130%", 2, 0, 0, "giá trị không đúng quy tắc; tự chấm cao hơn điểm theo quy tắc"),  # 130 %: scored 0 (issue 10)
    ]
    assert _rows(out)[2][10] == (
        "130% vượt quá 100%; tỷ lệ phải từ 0% đến 100%; được tính 0 điểm; đề xuất 0 điểm đến khi đơn vị bổ sung giá trị đúng; "
        "tự chấm 2 điểm nhưng giá trị '130%' chỉ được 0 điểm theo quy tắc"
    )
    info = {r[0]: r[1] for r in load_workbook(out)["Thông tin"].iter_rows(values_only=True)}
    assert info["Vòng thẩm định"] == 1 and info["Số đề xuất"] == 3
    # the rule of a reason, worded as the refusal of a record without one and the server's 422 say it
    assert info["Lý do"] == (
        "Mọi thay đổi khi thẩm định phải có lý do (cột Lý do thẩm định); "
        "dòng đồng ý mà không ghi lý do bị từ chối và không được áp dụng."
    )


def test_propose_reuses_the_callers_scores_and_review_and_gives_what_it_gives_alone(data_dir: Path):
    """The reports pass their final and self scores and their evidence review (of the self
    scores) to propose: the result is what propose works out alone, on plain data, in round 2
    (where the review of the final scores differs from the self one on the cells an appraisal1
    row changed) and with a row of a later round (the final scores are then not the base)."""
    from par_index.evidence.check import review_evidence

    sets = [load(CRITERIA)]

    def theirs(data: UnitData) -> dict[str, Any]:
        self_ = score(sets, data, "self")
        return {"final": score(sets, data, "final"), "self_": self_, "evidence": review_evidence(self_, data, always=True)}

    data = read_data(data_dir)
    plain = propose(sets, data, 1)
    assert [(p.unit, p.criterion, p.kinds) for p in plain] == [
        ("so-a", "1.3", ("evidence_missing",)), ("so-b", "1.2", ("claim_above_rule",)), ("so-b", "2.1", ("value_invalid", "claim_above_rule")),
    ]
    assert propose(sets, data, 1, **theirs(data)) == plain
    with (data_dir / "assessments.csv").open("a", encoding="utf-8") as fh:
        fh.write("so-a,1.3,không,appraisal1,Không có báo cáo định kỳ,\n")
    data = read_data(data_dir)
    alone = propose(sets, data, 2)
    assert ("so-a", "1.3") not in [(p.unit, p.criterion) for p in alone]  # round 1 decided it: no longer the unit's own value
    assert propose(sets, data, 2, **theirs(data)) == alone
    assert propose(sets, data, 1, **theirs(data)) == propose(sets, data, 1) == plain  # round 1 finds the data without it
    with (data_dir / "assessments.csv").open("a", encoding="utf-8") as fh:
        fh.write("so-b,1.2,100%,appraisal2,,\n")
    data = read_data(data_dir)
    alone = propose(sets, data, 2)
    assert propose(sets, data, 2, **theirs(data)) == alone
    assert propose(sets, data, 2, final=score(sets, data, "self")) == alone  # an appraisal2 row: the final scores are not round 2's base


def test_round_trip_score_reads_decisions_back(data_dir: Path):
    before = score([load(CRITERIA)], read_data(data_dir))
    # so-a: 2 + 2 + 1 + 0.75 + 2 (0.96 ≥ 0.95) + 0.75 + 2 × 0.8 = 10.1 of 11
    assert float(before.find("so-a")[0].points()[0]) == 10.1
    book = data_dir / "tham-dinh-lan-1.xlsx"
    main(["appraise", "--criteria", str(CRITERIA), "--data", str(data_dir), "--out", str(book)])
    _decide(
        book,
        {
            ("so-a", "1.3"): ("đồng ý", None, None, "Không có báo cáo định kỳ kèm theo", "Lê Văn Cường", "10/02/2025"),
            ("so-b", "1.2"): ("đồng ý", 0.5, None, "Chỉ 80% nhiệm vụ có kết quả; trừ thêm vì báo cáo muộn", "Lê Văn Cường", "10/02/2025"),
            ("so-b", "2.1"): ("không", None, None, "Đơn vị đã giải trình: 130% do tính cả hồ sơ năm trước; giữ điểm", "Lê Văn Cường", "10/02/2025"),
        },
    )
    results = score([load(CRITERIA)], read_data(data_dir))
    assert _points(results, "so-a", "1.3") == 0.0  # accepted: proposed points
    assert _points(results, "so-b", "1.2") == 0.5  # accepted with the appraiser's own points
    assert _points(results, "so-b", "2.1") == 0.0  # rejected: unchanged, and 130 % scores 0 (issue 10)
    s, i = results.find("so-a")
    assert float(s.points()[i]) == 9.1
    s, i = results.find("so-b")
    # so-b: 2 + 0.5 + 1 + 1 + 0 + 0.5 + 2 × 0.9 = 6.8
    assert float(s.points()[i]) == 6.8
    assert s.value_stage[i, s.criteria.leaf_index["1.2"]] == "appraisal1"
    assert not [p for p in results.problems if p.reason.startswith("appraisal_")]
    # the self stage is untouched by appraisal
    own = score([load(CRITERIA)], read_data(data_dir), "self")
    assert _points(own, "so-a", "1.3") == 1.0


def test_accepted_without_reason_is_refused(data_dir: Path):
    book = data_dir / "appraisal-round1.xlsx"
    main(["appraise", "--criteria", str(CRITERIA), "--data", str(data_dir), "--out", str(book)])
    _decide(book, {("so-a", "1.3"): ("đồng ý", 0, None, None, "Lê Văn Cường", None)})
    results = score([load(CRITERIA)], read_data(data_dir))
    refused = [p for p in results.problems if p.reason == "appraisal_reason_missing"]
    assert [(p.message, p.line, p.unit, p.criterion, p.severity) for p in refused] == [
        (
            "bản ghi thẩm định lần 1 không ghi lý do nên không được áp dụng; mọi thay đổi khi thẩm định phải có lý do (cột Lý do thẩm định)",
            HEADER_ROW + 1,
            "so-a",
            "1.3",
            "error",
        )
    ]
    assert refused[0].file.endswith("appraisal-round1.xlsx[Đề xuất]")
    assert _points(results, "so-a", "1.3") == 1.0  # not applied
    undecided = [p.message for p in results.problems if p.reason == "appraisal_undecided"]
    assert undecided == ["2 đề xuất chưa có quyết định (dòng 5, 6); các dòng này chưa thay đổi điểm"]


def test_formula_cell_is_refused_not_evaluated(data_dir: Path):
    book = data_dir / "appraisal-round1.xlsx"
    main(["appraise", "--criteria", str(CRITERIA), "--data", str(data_dir), "--out", str(book)])
    _decide(book, {("so-a", "1.3"): ("đồng ý", "=1-1", None, "Không có báo cáo", "Lê Văn Cường", None)})
    results = score([load(CRITERIA)], read_data(data_dir))
    bad = [p for p in results.problems if p.reason == "appraisal_formula"]
    # the wording of a formula in a data workbook or the self-assessment workbook (messages.FORMULA_IN_CELL)
    assert [(p.message, p.cell) for p in bad] == [
        ("ô chứa công thức '=1-1'; hãy nhập giá trị (số, ngày, văn bản), không nhập công thức; dòng này không được áp dụng", "M4")
    ]
    assert str(bad[0]).startswith("appraisal-round1.xlsx[Đề xuất] ô M4, đơn vị so-a, tiêu chí 1.3: ô chứa công thức '=1-1'")
    assert _points(results, "so-a", "1.3") == 1.0


def test_points_that_are_not_a_number_are_refused(data_dir: Path):
    book = data_dir / "appraisal-round1.xlsx"
    main(["appraise", "--criteria", str(CRITERIA), "--data", str(data_dir), "--out", str(book)])
    _decide(book, {("so-a", "1.3"): ("đồng ý", "hai", None, "Không có báo cáo", "Lê Văn Cường", None)})
    results = score([load(CRITERIA)], read_data(data_dir))
    bad = [p.message for p in results.problems if p.reason == "appraisal_points_unreadable"]
    assert bad == ["điểm thẩm định 'hai' không phải là số; cần số điểm (ví dụ 0,75); dòng này không được áp dụng"]
    assert _points(results, "so-a", "1.3") == 1.0


def test_round_two_proposes_review_of_explained_leaves(data_dir: Path):
    shutil.copy(ROOT / "data/mini/criteria.yaml", data_dir.parent / "criteria.yaml")
    with (data_dir / "assessments.csv").open("a", encoding="utf-8") as fh:
        fh.write("so-b,1.3,không,appraisal1,Không có báo cáo định kỳ,\n")
    (data_dir / "explanations.csv").write_text("unit,criterion,text,date\nso-b,1.3,Đã bổ sung 4 báo cáo quý,15/02/2025\n", encoding="utf-8")
    got = [(p.unit, p.criterion, p.current_points, p.proposed_points, p.kinds, p.reason) for p in propose([load(CRITERIA)], read_data(data_dir), 2)]
    assert ("so-b", "1.3", 0.0, 1.0, ("explanation",), "đơn vị giải trình ngày 15/02/2025: Đã bổ sung 4 báo cáo quý; đề xuất xem xét lại theo giá trị tự đánh giá (1 điểm)") in got


def test_out_must_be_xlsx(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code = main(["appraise", "--criteria", str(CRITERIA), "--data", str(data_dir), "--out", str(tmp_path / "x.csv")])
    assert code == 2
    assert "--out phải là tệp .xlsx, không phải 'x.csv'" in capsys.readouterr().err


def test_decisions_saved_under_the_default_or_any_name_are_read(data_dir: Path):
    """Issue 10 item 6: ``appraise`` writes ``de-xuat-tham-dinh-lan-1.xlsx`` (the demo's name);
    saved in the data folder under that name, or renamed, the appraiser's cuts count."""
    for name in ("de-xuat-tham-dinh-lan-1.xlsx", "quyet dinh cua hoi dong.xlsx"):
        book = data_dir / name
        main(["appraise", "--criteria", str(CRITERIA), "--data", str(data_dir), "--out", str(book)])
        _decide(book, {("so-a", "1.3"): ("đồng ý", None, None, "Không có báo cáo định kỳ kèm theo", "Lê Văn Cường", "10/02/2025")})
        results = score([load(CRITERIA)], read_data(data_dir))
        assert _points(results, "so-a", "1.3") == 0.0, name
        assert not [p for p in results.problems if p.reason == "file_not_read"]
        book.unlink()


def test_every_other_file_in_the_data_folder_is_reported_as_not_read(data_dir: Path):
    (data_dir / "ket-qua-tham-dinh.csv").write_text("unit,criterion,points\nso-a,1.3,0\n", encoding="utf-8")
    from openpyxl import Workbook

    Workbook().save(data_dir / "ghi-chu.xlsx")
    (data_dir / "README.md").write_text("tài liệu", encoding="utf-8")
    (data_dir / ".~lock.units.csv#").write_text("", encoding="utf-8")
    data = read_data(data_dir)
    got = [(p.reason, p.file, p.severity) for p in data.problems]
    assert got == [("file_not_read", "ghi-chu.xlsx", "warning"), ("file_not_read", "ket-qua-tham-dinh.csv", "warning")]
    assert data.problems[0].message.startswith(
        "tệp 'ghi-chu.xlsx' trong thư mục dữ liệu không được đọc: không phải phiếu tự đánh giá (không có trang «Tự đánh giá») "
        "cũng không phải bảng đề xuất thẩm định (không có trang «Đề xuất»)"
    )
    assert "hãy đổi tên nếu đây là dữ liệu cần chấm" in data.problems[1].message


def test_the_shipped_example_reports_the_plan_progress_file_as_not_read_by_score():
    from support.paths import REPO

    data = read_data(REPO / "evidence/bac-giang/2024")
    assert [(p.file, p.message) for p in data.problems if p.reason == "file_not_read"] == [
        (
            "plan-progress.csv",
            "tệp 'plan-progress.csv' trong thư mục dữ liệu không được đọc: đây là tiến độ kế hoạch CCHC, "
            "lệnh 'par-index plan-status --progress' đọc tệp này, lệnh chấm điểm thì không",
        )
    ]
