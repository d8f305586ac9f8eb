"""Survey leaves are filled by Sở Nội vụ, not the unit (issue 10, item 7).

In the self-assessment workbook they are read-only (locked, grey, labelled), the reader gives
them stage ``survey``, and neither the appraiser's preview nor ``appraise`` treats them as the
unit's claims: the same data give the same preview from the workbook and from CSV.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from support.paths import REPO

from par_index.appraisal.proposals import propose
from par_index.criteria.compiled import CompiledCriteria, load
from par_index.evidence.check import preview_appraisal
from par_index.pipeline import read_data
from par_index.workbook import layout as wl
from par_index.workbook.reader import read_workbooks
from par_index.workbook.template import (
    INPUT_FILL,
    SURVEY_FILL,
    SURVEY_PENDING,
    Layout,
    UnitInfo,
    is_survey,
    prefill_from_data,
    write_workbook,
)

BAC_GIANG = ([REPO / "criteria/bac-giang/2024/so.yaml", REPO / "criteria/bac-giang/2024/huyen.yaml"], REPO / "evidence/bac-giang/2024")
UNIT = "so-gd-dt"  # 89,99 from the CSV data; the workbook preview gave 63,08 (issue: 62,37) before


@pytest.fixture(scope="module")
def sets() -> list[CompiledCriteria]:
    return [load(p) for p in BAC_GIANG[0]]


@pytest.fixture(scope="module")
def book(sets: list[CompiledCriteria], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Layout]:
    data = read_data(BAC_GIANG[1])
    c = sets[0]
    path = tmp_path_factory.mktemp("survey") / f"{UNIT}.xlsx"
    layout = write_workbook(c, UnitInfo(UNIT, "Sở Giáo dục và Đào tạo", "so"), path, prefill_from_data(c, data, UNIT))
    return path, layout


def _index(results: object, unit: str) -> float:
    s, i = results.find(unit)  # type: ignore[attr-defined]
    return round(float(s.index[i]), 2)


def test_survey_cells_are_read_only_and_labelled(book: tuple[Path, Layout]) -> None:
    path, layout = book
    ws = openpyxl.load_workbook(path)[wl.MAIN_SHEET]
    survey = [code for code, leaf in layout.leaves.items() if is_survey(leaf)]
    assert survey == ["1.6", "2.4", "3.4", "4.4", "5.5", "6.4", "7.4", "8.1.1", "8.1.2", "8.2.1", "8.2.2"]
    for code in survey:
        value = ws[layout.cell(code, "value")]
        assert value.protection.locked, code
        assert value.fill.fgColor.rgb == SURVEY_FILL.fgColor.rgb != INPUT_FILL.fgColor.rgb
        assert "Sở Nội vụ điền" in value.comment.text
        assert str(ws[layout.cell(code, "method")].value).startswith("Do Sở Nội vụ điền theo kết quả điều tra xã hội học")
        for key in ("document", "issued_on", "issuer", "file", "note"):
            assert ws[layout.cell(code, key)].protection.locked, (code, key)
    own = ws[layout.cell("1.1.1", "value")]
    assert not own.protection.locked
    assert own.fill.fgColor.rgb == INPUT_FILL.fgColor.rgb
    assert "do Sở Nội vụ điền" in str(ws["D3"].value)
    assert ws["A9"].value is None  # the survey values are there: the form's total is complete


def test_blank_form_says_the_survey_points_are_not_in_its_total(sets: list[CompiledCriteria], tmp_path: Path) -> None:
    write_workbook(sets[0], UnitInfo(UNIT, "Sở Giáo dục và Đào tạo", "so"), tmp_path / "blank.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "blank.xlsx")[wl.MAIN_SHEET]
    assert ws["A9"].value == SURVEY_PENDING == "Chưa gồm điểm các tiêu chí điều tra xã hội học (Sở Nội vụ điền sau)."


def test_reader_gives_survey_leaves_stage_survey(book: tuple[Path, Layout]) -> None:
    path, layout = book
    rows = read_workbooks(path).assessments
    stages = dict(zip(rows["criterion"], rows["stage"], strict=True))
    assert {code for code, st in stages.items() if st == "survey"} == {c for c, leaf in layout.leaves.items() if is_survey(leaf)}
    assert stages["1.1.1"] == "self"


def test_preview_is_the_same_from_workbook_and_csv(sets: list[CompiledCriteria], book: tuple[Path, Layout]) -> None:
    path, _ = book
    from_book, review = preview_appraisal(sets, read_data(path), "self")
    from_csv, _ = preview_appraisal(sets, read_data(BAC_GIANG[1]), "self")
    assert _index(from_book, UNIT) == _index(from_csv, UNIT) == 89.99
    assert not review.cut[sets[0].id].any()
    assert not [p for p in from_book.problems if p.reason == "evidence_missing"]


def test_appraise_proposes_no_cut_on_survey_items(sets: list[CompiledCriteria], book: tuple[Path, Layout]) -> None:
    path, _ = book
    assert propose(sets, read_data(path), 1) == []  # was 11 survey items, 26,91 points


def test_a_units_own_row_on_a_survey_leaf_is_not_its_claim(sets: list[CompiledCriteria], tmp_path: Path) -> None:
    """CSV data where the unit wrote the survey leaves itself (stage self), without evidence:
    those rows never count (a warning each), so the preview is the one without survey points."""
    data = read_data(BAC_GIANG[1])
    a = data.assessments
    survey = {leaf.code for leaf in sets[0].leaves if is_survey(leaf)}
    folder = tmp_path / "csv"
    folder.mkdir()
    rows = a[a["unit"] == UNIT][["unit", "criterion", "value", "stage", "note", "points"]].copy()
    rows.loc[rows["criterion"].isin(survey), "stage"] = "self"
    rows.to_csv(folder / "assessments.csv", index=False)
    data.units[data.units["unit"] == UNIT][["unit", "name", "kind"]].to_csv(folder / "units.csv", index=False)
    data.evidence[data.evidence["unit"] == UNIT][["unit", "criterion", "document", "issued_on", "issuer", "file"]].to_csv(folder / "evidence.csv", index=False)
    got = read_data(folder)
    assert not [p for p in propose(sets, got, 1) if p.criterion in survey]
    preview, _ = preview_appraisal(sets, got, "self")
    assert _index(preview, UNIT) == 63.08  # 89,99 counted the unit's own survey values
    ignored = sorted(p.criterion for p in preview.problems if p.reason == "survey_value_from_unit")
    assert ignored == sorted(survey) and len(ignored) == 11


def test_a_form_marking_an_ordinary_leaf_as_survey_keeps_it_the_units_claim(book: tuple[Path, Layout], tmp_path: Path) -> None:
    """The reader takes the survey marks from the form's hidden sheet; a unit that marks its own
    leaf 1.1.1 as Sở Nội vụ's there (and drops its evidence) had the value read as stage survey:
    scored, but never proposed for a cut. The engine now checks the marks against the criteria:
    the cell is read as the unit's own row, with a warning naming the file, cell, unit and
    criterion, and ``appraise`` proposes the cut as on any claim."""
    import csv
    import json

    from par_index.cli.main import main

    path, layout = book
    wb = openpyxl.load_workbook(path)
    meta = wb[wl.META_SHEET]
    (row,) = [r for r in range(2, meta.max_row + 1) if meta[f"{wl.META_LEAF_COL}{r}"].value == "1.1.1"]
    meta[f"{wl.META_FILLED_COL}{row}"] = "so-noi-vu"
    ws = wb[wl.MAIN_SHEET]
    for key in ("document", "issued_on", "issuer", "file"):
        ws[layout.cell("1.1.1", key)] = None
    extra = wb[wl.EVIDENCE_SHEET]
    for line in extra.iter_rows():
        if line[0].value == "1.1.1":
            for cell in line:
                cell.value = None
    tampered = tmp_path / "phieu.xlsx"
    wb.save(tampered)
    assert set(read_workbooks(tampered).assessments.query("criterion == '1.1.1'")["stage"]) == {"survey"}  # the form's own mark

    crit = [a for p in BAC_GIANG[0] for a in ("--criteria", str(p))]
    out, problems = tmp_path / "r.json", tmp_path / "p.csv"
    assert main(["score", *crit, "--data", str(tampered), "--stage", "self", "--out", str(out), "--problems", str(problems)]) == 0
    (unit,) = json.loads(out.read_text(encoding="utf-8"))["units"]
    assert (unit["unit"], unit["index"], unit["nodes"]["1.1.1"]["points"]) == (UNIT, 89.99, 1.0)  # the same points, from a self row
    with problems.open(encoding="utf-8-sig") as f:
        (warned,) = [r for r in csv.DictReader(f) if r["Mã lỗi"] == "survey_stage_on_unit_leaf"]
    assert (warned["Mức độ"], warned["Tệp"], warned["Ô"], warned["Đơn vị"], warned["Tiêu chí"]) == (
        "lưu ý", "phieu.xlsx[Tự đánh giá]", layout.cell("1.1.1", "value"), UNIT, "1.1.1",
    )
    assert warned["Nội dung"] == (
        "tiêu chí 1.1.1 không phải tiêu chí điều tra xã hội học: giá trị ở đây không thể là kết quả điều tra "
        "do Sở Nội vụ điền (giai đoạn survey); được tính là giá trị đơn vị tự đánh giá (self)"
    )

    proposals = tmp_path / "de-xuat.xlsx"
    assert main(["appraise", *crit, "--data", str(tampered), "--out", str(proposals)]) == 0
    sheet = openpyxl.load_workbook(proposals)["Đề xuất"]
    got = [(r[0], r[2], r[6], r[8], r[9]) for r in sheet.iter_rows(min_row=4, values_only=True) if r[0]]
    assert got == [(UNIT, "1.1.1", 1, 0, "thiếu tài liệu kiểm chứng")]  # claimed 1 point, proposed 0; before: no proposal
