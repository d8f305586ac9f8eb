"""Issue 15: the report workbook's tables are written as XML row by row (common/xlsx_table.py);
openpyxl reads back the same values, text cells stay text, and each sheet has the header style,
number format, widths, frozen and filtered header, and A4 page set-up of the openpyxl writers."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from par_index.common.xlsx_table import Table, column_letter, write_tables


def test_values_text_and_layout(tmp_path: Path) -> None:
    rows = [
        ["=1+1", 1, 2.5, Decimal("7.25"), None, "a < b & \"c\"", True],
        ["x\x1by", np.int64(3), np.float64(0.1), math.nan, pd.NA, "", False],
        ["+84 912", -0.0, 1e-7, math.inf, "  khoảng trắng  ", "Tiếng Việt có dấu", None],
    ]
    out = write_tables(tmp_path / "t.xlsx", [Table("Bảng 'một'", [f"Cột {i}" for i in range(1, 8)], rows, {2, 3, 4, 5}, {1: 30}),
                                            Table("Trống", ["A", "B"], [])])
    wb = load_workbook(out)
    assert wb.sheetnames == ["Bảng 'một'", "Trống"]
    ws = wb["Bảng 'một'"]
    values = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert values == [
        ["=1+1", 1, 2.5, 7.25, None, "a < b & \"c\"", True],
        ["x\\x1by", 3, 0.1, None, None, None, False],
        ["+84 912", 0, 1e-7, None, "  khoảng trắng  ", "Tiếng Việt có dấu", None],
    ]
    assert ws["A2"].data_type != "f" and ws["A4"].data_type != "f"
    assert [ws.cell(row=2, column=j).number_format for j in range(1, 8)] == ["General", *["[$-42A]0.00"] * 4, "General", "General"]  # a decimal comma in LibreOffice too
    head = ws["A1"]
    assert head.value == "Cột 1" and head.font.b and head.font.color.rgb == "00FFFFFF" and head.fill.fgColor.rgb == "001F4E79"
    assert head.alignment.wrap_text and head.alignment.vertical == "center"
    assert ws.column_dimensions["A"].width == 30 and ws.column_dimensions["B"].width == 12
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:G4" and ws.print_title_rows == "$1:$1"
    assert str(ws.page_setup.paperSize) == "9" and ws.page_setup.orientation == "landscape"
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight, ws.sheet_properties.pageSetUpPr.fitToPage) == (1, 0, True)
    assert ws.print_options.horizontalCentered
    empty = wb["Trống"]
    assert [c.value for c in empty[1]] == ["A", "B"] and empty.page_setup.orientation == "portrait" and not empty.auto_filter.ref


def test_column_letters() -> None:
    assert [column_letter(n) for n in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]


def test_rows_put_together_from_each_columns_distinct_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows are joined from each column's distinct cells, a chunk of rows at a time: a repeated
    value across chunks, a row shorter than the header (no element past its end), an empty cell
    with and without a number format, an unhashable value (written as its text)."""
    import re
    import zipfile

    from par_index.common import xlsx_table

    monkeypatch.setattr(xlsx_table, "ROWS_PER_CHUNK", 2)
    rows = [["a", 1, None], ["b"], [[1, 2], None, "a"], ["a", 1, True], ["", 1.5, None]]
    write_tables(tmp_path / "t.xlsx", [Table("T", ["X", "Y", "Z"], rows, {2})])
    with zipfile.ZipFile(tmp_path / "t.xlsx") as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    data = re.search(r'<sheetData><row r="1"[^>]*>.*?</row>(.*)</sheetData>', xml)
    assert data is not None

    def text(ref: str, s: str) -> str:
        return f'<c r="{ref}" s="3" t="inlineStr"><is><t xml:space="preserve">{s}</t></is></c>'

    assert data.group(1) == (
        f'<row r="2">{text("A2", "a")}<c r="B2" s="2"><v>1</v></c></row>'
        f'<row r="3">{text("A3", "b")}</row>'
        f'<row r="4">{text("A4", "[1, 2]")}<c r="B4" s="2"/>{text("C4", "a")}</row>'
        f'<row r="5">{text("A5", "a")}<c r="B5" s="2"><v>1</v></c><c r="C5" t="b"><v>1</v></c></row>'
        '<row r="6"><c r="B6" s="2"><v>1.5</v></c></row>'
    )


def _sheet_xml(path: Path) -> str:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml").decode("utf-8")


def test_a_long_text_wraps_in_a_row_tall_enough_for_it(tmp_path: Path) -> None:
    """Text cells wrap: a name wider than its column is not cut by the cell beside it; its row is
    stored as tall as its lines need (a spreadsheet prints a row at its stored height)."""
    from par_index.common.text_metrics import row_height, wrapped_lines

    name = "Sở Lao động - Thương binh và Xã hội"
    rows = [[name, 77.63], ["Sở Y tế", 74.86], [None, 1.0]]
    wb = load_workbook(write_tables(tmp_path / "t.xlsx", [Table("T", ["Tên", "Điểm"], rows, {2}, {1: 12})]))
    ws = wb["T"]
    assert ws["A2"].alignment.wrap_text and ws["A3"].alignment.wrap_text and not ws["B2"].alignment.wrap_text
    assert wrapped_lines(name, 12) == 4
    assert ws.row_dimensions[2].height == row_height(4) == 57.75
    assert ws.row_dimensions[3].height is None and ws.row_dimensions[4].height is None  # one line: the default row


def test_columns_and_one_type_columns_give_the_rows_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet given as coded columns (from arrays) is the sheet of the same rows; a column of one
    type (and None) is told apart in C, with the same cells as the per-value dict (equal values of
    a type are one cell, the first seen: -0.0 after 0.0, Decimal 1.50 after 1.5)."""
    from par_index.common import xlsx_table
    from par_index.common.xlsx_table import Coded, Columns

    rows = [
        ["a", 0.0, Decimal("1.5"), 1, True, None, "x"],
        ["b", -0.0, Decimal("1.50"), 2, False, math.nan, None],
        ["a", None, None, 1, None, 2.5, 3],
        ["", math.nan, Decimal("NaN"), None, True, None, "x"],
    ]
    headers = [f"C{i}" for i in range(1, 8)]
    numeric = {2, 3, 4}
    fast = _sheet_xml(write_tables(tmp_path / "fast.xlsx", [Table("T", headers, rows, numeric)]))
    monkeypatch.setattr(xlsx_table, "_ONE_TYPE", frozenset())  # every column by the dict
    slow = _sheet_xml(write_tables(tmp_path / "slow.xlsx", [Table("T", headers, rows, numeric)]))
    assert fast == slow
    assert '<c r="B3" s="2"><v>0.0</v></c>' in fast and '<c r="C3" s="2"><v>1.5</v></c>' in fast  # row 3 = data row 2
    columns = Columns([
        Coded(["a", "b", ""], np.array([0, 1, 0, 2])),
        Coded([0.0, -0.0], np.array([0, 0, -1, -1])),
        Coded([Decimal("1.5")], np.array([0, 0, -1, -1])),
        Coded([1, 2], np.array([0, 1, 0, -1])),
        Coded([True, False], np.array([0, 1, -1, 0])),
        Coded([2.5], np.array([-1, -1, 0, -1])),
        Coded(["x", 3], np.array([0, -1, 1, 0])),
    ])
    assert len(columns) == 4
    assert _sheet_xml(write_tables(tmp_path / "cols.xlsx", [Table("T", headers, columns, numeric)])) == slow
