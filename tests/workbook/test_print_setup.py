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
