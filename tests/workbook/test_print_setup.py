"""Issue 10 item 16 (page set-up): every sheet of the workbooks people print is set up for A4,
fitted to the page width, with its header rows repeated on every page."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from support.paths import TESTS

from par_index.cli.main import main

MINI = TESTS / "data" / "mini"


def test_every_sheet_prints_on_a4_fitted_to_width(tmp_path: Path) -> None:
    base = ["--criteria", str(MINI / "criteria.yaml"), "--data", str(MINI / "data")]
    assert main(["score", *base, "--out", str(tmp_path / "ket-qua.xlsx")]) == 0
    assert main(["appraise", *base, "--out", str(tmp_path / "de-xuat.xlsx")]) == 0
    assert main(["template", "--criteria", str(MINI / "criteria.yaml"), "--unit", "so-a", "--kind", "so", "--out", str(tmp_path / "phieu.xlsx")]) == 0
    for name in ("ket-qua.xlsx", "de-xuat.xlsx", "phieu.xlsx"):
        wb = load_workbook(tmp_path / name)
        for ws in wb.worksheets:
            where = f"{name}[{ws.title}]"
            assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 == "9", where  # A4
            assert ws.sheet_properties.pageSetUpPr.fitToPage, where
            assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), where
            assert ws.page_setup.orientation in ("portrait", "landscape"), where
    results = load_workbook(tmp_path / "ket-qua.xlsx")["Kết quả"]
    assert results.print_title_rows == "$1:$1" and results.page_setup.orientation == "landscape"


def _font_names(path: Path) -> set[str]:
    """Every font name in the workbook's style table (what every cell and style uses)."""
    import re
    import zipfile

    styles = zipfile.ZipFile(path).read("xl/styles.xml").decode("utf-8")
    table = re.search(r"<fonts[^>]*>.*?</fonts>", styles, flags=re.S)  # not the conditional formats' own
    assert table is not None
    fonts = re.findall(r"<font>.*?</font>|<font/>", table.group(0), flags=re.S)
    return {m.group(1) if (m := re.search(r'<name val="([^"]*)"', f)) else "(none)" for f in fonts}


def test_every_workbook_we_write_names_times_new_roman(tmp_path: Path) -> None:
    """Issue 10 item 16: a named font (Times New Roman) in every sheet of every writer, so
    LibreOffice keeps the diacritics; before, the default Calibri and unnamed bold fonts."""
    base = ["--criteria", str(MINI / "criteria.yaml"), "--data", str(MINI / "data")]
    assert main(["score", *base, "--out", str(tmp_path / "ket-qua.xlsx")]) == 0
    assert main(["appraise", *base, "--out", str(tmp_path / "de-xuat.xlsx")]) == 0
    assert main(["template", "--criteria", str(MINI / "criteria.yaml"), "--unit", "so-a", "--kind", "so", "--out", str(tmp_path / "phieu.xlsx")]) == 0
    assert main(["report", *base, "--out", str(tmp_path / "bao-cao"), "--date", "01/12/2026"]) == 0
    ev = TESTS / "data" / "evidence_mini"
    assert main(["evidence", "--criteria", str(ev / "criteria.yaml"), "--data", str(ev / "data"), "--out", str(tmp_path / "tai-lieu.xlsx")]) in (0, 1)
    plan = TESTS / "data" / "plan_mini"
    assert main(["plan-status", "--plan", str(plan / "plan.yaml"), "--progress", str(plan / "progress.csv"), "--as-of", "30/06/2024", "--out", str(tmp_path / "tien-do.xlsx")]) in (0, 1)
    books = ["ket-qua.xlsx", "de-xuat.xlsx", "phieu.xlsx", "bao-cao/bao-cao.xlsx", "tai-lieu.xlsx", "tien-do.xlsx"]
    for name in books:
        assert _font_names(tmp_path / name) == {"Times New Roman"}, name


def test_the_form_prints_as_a_document_to_sign(tmp_path: Path) -> None:
    """Item 16: the self-assessment form prints A4 landscape, columns A–F (what the head of the
    unit signs), rows of wrapped text tall enough, and a place, date and two signatures."""
    from par_index.workbook.template import SIGN_DATE

    assert main(["template", "--criteria", str(MINI / "criteria.yaml"), "--unit", "so-a", "--kind", "so", "--out", str(tmp_path / "phieu.xlsx")]) == 0
    ws = load_workbook(tmp_path / "phieu.xlsx")["Tự đánh giá"]
    cells = {c.value: c.coordinate for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    date_row = int(cells[SIGN_DATE][1:])
    assert cells["NGƯỜI LẬP PHIẾU"] == f"B{date_row + 1}" and cells["THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ"] == f"D{date_row + 1}"
    assert cells["(Ký, ghi rõ họ tên, đóng dấu)"] == f"D{date_row + 2}"
    assert ws.print_area == f"'Tự đánh giá'!$A$1:$F${date_row + 4}"
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"
    assert ws.print_title_rows == "$10:$10"  # the table header on every page, the header block once
    # every row of wrapped text is as tall as its longest cell's lines (tests/workbook/test_row_heights.py)
    from par_index.common.text_metrics import row_height, wrapped_lines

    for r in range(11, date_row):
        need = max(wrapped_lines(str(ws[f"{c}{r}"].value or ""), ws.column_dimensions[c].width, bold=bool(ws[f"{c}{r}"].font.b)) for c in "BD")
        assert need == 1 or (ws.row_dimensions[r].height or 0) >= row_height(need), r
