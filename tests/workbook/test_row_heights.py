"""Row heights of wrapped text from the font's own metrics (issue 10 item 16): the one owner,
par_index.common.text_metrics, for every workbook we write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from openpyxl import load_workbook
from support.paths import REPO

from par_index.common import font_widths, text_metrics
from par_index.common.text_metrics import line_height, row_height, text_width, wrapped_lines
from par_index.criteria.compiled import load
from par_index.workbook.layout import COLUMNS, MAIN_SHEET
from par_index.workbook.template import UnitInfo, write_workbook

LIBERATION2 = Path("/usr/share/fonts/truetype/liberation2")  # Debian's fonts-liberation2 (.ci/run installs it)
LONG_NAME = "Tỷ lệ hồ sơ TTHC lĩnh vực người có công liên thông cấp xã, huyện, tỉnh được tiếp nhận, trả kết quả qua dịch vụ bưu chính công ích"


def test_the_width_table_is_the_fonts() -> None:
    """font_widths.py holds Liberation Serif 2's advance widths (Times New Roman's metrics)."""
    if not (LIBERATION2 / "LiberationSerif-Regular.ttf").exists():
        if os.environ.get("CI") or os.environ.get("PAR_INDEX_CI"):
            pytest.fail(f"in CI Liberation Serif 2 must be installed ({LIBERATION2}; apt-get install fonts-liberation2)")
        pytest.skip(f"Liberation Serif 2 is not installed ({LIBERATION2}; apt-get install fonts-liberation2): the stored table is not compared")
    m = text_metrics.measure(LIBERATION2)
    assert (m["REGULAR"], m["BOLD"]) == (font_widths.REGULAR, font_widths.BOLD)
    assert (m["ASCENT"], m["DESCENT"], m["UNITS_PER_EM"]) == (font_widths.ASCENT, font_widths.DESCENT, font_widths.UNITS_PER_EM)


def test_widths_are_times_new_romans() -> None:
    # Times New Roman's advance widths (units of 2048 a em): a 1024, m 1593, W 1933, ư with its horn 1110
    assert [font_widths.REGULAR[c] for c in "0mWư "] == [1024, 1593, 1933, 1110, 512]
    assert [font_widths.BOLD[c] for c in "0mWư"] == [1024, 1706, 2048, 1229]
    assert text_width("Đánh giá") == pytest.approx(7450 * 11 / 2048)
    assert (font_widths.ASCENT + font_widths.DESCENT) / font_widths.UNITS_PER_EM < 1.3  # a line holds the font's ascent and descent
    assert line_height() == pytest.approx(1.3 * 11)
    assert [row_height(n) for n in (1, 2, 3)] == [15.0, 29.25, 43.5]  # one line: the default row of 11 pt text


def test_wrapping_breaks_at_spaces_and_inside_a_word_too_long() -> None:
    assert wrapped_lines("", 10) == 1
    assert wrapped_lines("một\nhai\n\nba", 40) == 4  # each paragraph on its own lines, an empty one too
    assert wrapped_lines("m" * 40, 10) == 8  # 8,56 pt each, 5 in a line of 10 × 5,25 × 0,97 pt: broken inside the word
    assert wrapped_lines("Ngày ban hành", 14) == 1 and wrapped_lines("Ngày ban hành", 14, bold=True) == 2  # 66,6 and 71,3 pt in 71,3 pt
    assert wrapped_lines("Ngày ban hành", 13, bold=True) == 2 and wrapped_lines("Ngày ban hành", 26, bold=True) == 1


def test_a_long_vietnamese_criterion_name_gets_enough_lines(tmp_path: Path) -> None:
    """Bắc Giang xã 3.4, 129 characters in the 58-character «Nội dung tiêu chí» column: 580 pt of
    text in lines of 295 pt: three lines once wrapped at spaces, and its row is three lines tall. The bold header
    «Ngày ban hành» (13 characters) needs two lines in its 13-character column: the estimate by
    character count gave it one (its second line cut off in print)."""
    c = load(REPO / "criteria/bac-giang/2024/xa.yaml")
    assert c.nodes[c.node_index["3.4"]].name == LONG_NAME
    assert round(text_width(LONG_NAME)) == 580 and wrapped_lines(LONG_NAME, COLUMNS["name"][2]) == 3
    write_workbook(c, UnitInfo("xa-x", "Xã X", "xa"), tmp_path / "phieu.xlsx")
    ws = load_workbook(tmp_path / "phieu.xlsx")[MAIN_SHEET]
    row = next(c.row for line in ws.iter_rows() for c in line if c.value == LONG_NAME)
    assert ws.row_dimensions[row].height == row_height(3) == 43.5
    date = next(c for line in ws.iter_rows(max_row=20) for c in line if c.value == "Ngày ban hành")
    assert date.font.b and wrapped_lines("Ngày ban hành", ws.column_dimensions[date.column_letter].width, bold=True) == 2
    lines = {c.value: wrapped_lines(c.value, ws.column_dimensions[c.column_letter].width, bold=True) for c in ws[date.row] if c.value}
    assert lines["Điểm tối đa được tính"] == 3  # the header row is as tall as its tallest cell
    assert max(lines.values()) == 3 and ws.row_dimensions[date.row].height == row_height(3)


def test_the_report_workbooks_header_is_as_tall_as_its_lines(tmp_path: Path) -> None:
    from par_index.common.xlsx_table import Table, write_tables

    write_tables(tmp_path / "t.xlsx", [Table("A", ["Mã", "Chỉ số sau đề xuất cắt giảm (%)"], [["a", 1.0]], {2}, {1: 10, 2: 16})])
    ws = load_workbook(tmp_path / "t.xlsx")["A"]
    assert wrapped_lines("Chỉ số sau đề xuất cắt giảm (%)", 16, bold=True) == 3
    assert ws.row_dimensions[1].height == row_height(3)
    write_tables(tmp_path / "u.xlsx", [Table("A", ["Mã", "Tên"], [["a", "b"]])])
    assert load_workbook(tmp_path / "u.xlsx")["A"].row_dimensions[1].height is None  # one line: the default
