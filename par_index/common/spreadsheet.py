"""User text in the spreadsheets we write is text, never a formula.

* ``.xlsx`` (openpyxl stores any string beginning with ``=`` as a live formula, and refuses
  control characters): :func:`put` / :func:`append` write a value as a text cell, with control
  characters shown escaped (``\\x1b``); :func:`save` writes the workbook whole or not at all and, as
  a last guard, turns every formula cell into text (except in the self-assessment template, whose
  own sums are wrapped in :class:`Formula` and whose user text goes through :func:`put`).
* ``.csv``: :func:`csv_cell` neutralises a text beginning with ``= + - @`` TAB or CR by a leading
  apostrophe, as OWASP recommends (plain numbers such as ``-5`` or ``+1,5`` are left alone: a
  spreadsheet reads them as numbers, never as formulas). :func:`csv_row` does it for a row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from par_index.common.text_files import writing

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # what openpyxl refuses, and DEL
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*%?")
ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")


class Formula(str):
    """A formula the package writes on purpose (the self-assessment template's sums)."""


def formula(text: str) -> Formula:
    return Formula(text)


def escape_controls(text: str) -> str:
    """Control characters shown as ``\\xNN`` (a spreadsheet cell or a terminal line cannot hold them)."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def xlsx_value(value: Any) -> Any:
    """A value ready for an openpyxl cell: text without control characters; others unchanged."""
    if isinstance(value, str) and not isinstance(value, Formula):
        return escape_controls(value) if CONTROL.search(value) else value
    return value


def put(cell: Any, value: Any) -> Any:
    """Write ``value`` into the openpyxl ``cell`` (text stays text); returns the cell."""
    cell.value = xlsx_value(value)
    if isinstance(value, str) and not isinstance(value, Formula) and cell.data_type in ("f", "e"):
        cell.data_type = "s"
    return cell


def append(ws: Any, values: Iterable[Any]) -> None:
    """``ws.append`` of ``values`` as :func:`put` writes them."""
    row = list(values)
    ws.append([xlsx_value(v) for v in row])
    r = ws._current_row  # the row append just wrote
    for j, v in enumerate(row, start=1):
        if isinstance(v, str) and not isinstance(v, Formula):
            cell = ws.cell(row=r, column=j)
            if cell.data_type in ("f", "e"):
                cell.data_type = "s"


def text_only(wb: Any) -> int:
    """Turn every formula cell of ``wb`` into a text cell; returns how many were turned."""
    n = 0
    for ws in wb.worksheets:
        for cell in ws._cells.values():  # the cells that exist, without creating the empty ones
            if cell.data_type == "f" and isinstance(cell.value, str):
                cell.data_type = "s"
                n += 1
    return n


def named_font(wb: Any) -> None:
    """Every font of ``wb`` (the workbook's font table, so every cell and the default style) named
    :data:`FONT_NAME`, keeping size, bold, italic and colour."""
    from copy import copy

    from openpyxl.utils.indexed_list import IndexedList

    fonts = []
    for f in wb._fonts:
        g = copy(f)
        g.name = FONT_NAME
        fonts.append(g)
    wb._fonts = IndexedList(fonts)  # same order: the cells' font ids stay valid
    for style in wb._named_styles:
        if style.font is not None and style.font.name != FONT_NAME:
            f = copy(style.font)
            f.name = FONT_NAME
            style.font = f


def fit_row_heights(ws: Any) -> None:
    """Rows whose wrapped text needs more than one line get the height for it (Excel and
    LibreOffice print a row at its stored height): each wrapped cell's lines worked out from its
    text, its font (size, bold) and its column's width with the font's own metrics
    (:mod:`par_index.common.text_metrics`); merged cells and rows the writer sized are left alone."""
    from openpyxl.utils import get_column_letter

    from par_index.common.text_metrics import DEFAULT_SIZE, row_height, wrapped_lines

    merged = {(r, c) for rng in ws.merged_cells.ranges for r in range(rng.min_row, rng.max_row + 1) for c in range(rng.min_col, rng.max_col + 1)}
    widths: dict[int, float] = {}
    need: dict[int, tuple[int, float]] = {}  # row → (lines, font size of the tallest cell)
    for (r, c), cell in ws._cells.items():
        v = cell.value
        if not isinstance(v, str) or (r, c) in merged or not cell.alignment.wrap_text:
            continue
        if c not in widths:
            widths[c] = float(ws.column_dimensions[get_column_letter(c)].width or 8.43)
        size = float(cell.font.sz or DEFAULT_SIZE)
        n = wrapped_lines(v, widths[c], size, bool(cell.font.b))
        if n > 1 and row_height(n, size) > row_height(*need.get(r, (1, DEFAULT_SIZE))):
            need[r] = (n, size)
    for r, (n, size) in need.items():
        dim = ws.row_dimensions[r]
        if not dim.customHeight:
            dim.height = row_height(n, size)


def wrap_cut_text(ws: Any) -> None:
    """No text is cut at its column's edge: a text cell wider than its column, with a filled cell
    to its right (which would hide the rest), wraps instead; a column whose longest word does not
    fit (a unit code like ``so-cong-thuong``) is first widened to it, up to :data:`WIDEST_WORD`."""
    from copy import copy

    from openpyxl.utils import get_column_letter

    from par_index.common.text_metrics import DEFAULT_SIZE, column_points, text_width

    merged = {(r, c) for rng in ws.merged_cells.ranges for r in range(rng.min_row, rng.max_row + 1) for c in range(rng.min_col, rng.max_col + 1)}
    cells = ws._cells
    cut: dict[int, list[Any]] = {}
    for (r, c), cell in cells.items():
        v = cell.value
        if cell.data_type != "s" or not isinstance(v, str) or (r, c) in merged or cell.alignment.wrap_text:
            continue
        right = cells.get((r, c + 1))
        if right is None or right.value is None or right.value == "":
            continue  # the text runs on over the empty cell: nothing is hidden
        width = float(ws.column_dimensions[get_column_letter(c)].width or 8.43)
        size, bold = float(cell.font.sz or DEFAULT_SIZE), bool(cell.font.b)
        if text_width(v, size, bold) > column_points(width):
            cut.setdefault(c, []).append(cell)
    for c, found in cut.items():
        dim = ws.column_dimensions[get_column_letter(c)]
        width = float(dim.width or 8.43)
        for cell in found:
            size, bold = float(cell.font.sz or DEFAULT_SIZE), bool(cell.font.b)
            word = max(cell.value.split(), key=lambda w: text_width(w, size, bold), default="")
            while width < WIDEST_WORD and text_width(word, size, bold) > column_points(width):
                width += 1
        dim.width = width
        for cell in found:
            if text_width(cell.value, float(cell.font.sz or DEFAULT_SIZE), bool(cell.font.b)) > column_points(width):
                alignment = copy(cell.alignment)
                alignment.wrap_text = True
                cell.alignment = alignment


def print_setup(ws: Any) -> None:
    """A4 page set-up for a sheet people print, unless its writer set one: fit to the page width
    (as many pages down as needed), landscape for more than 6 columns, the rows above the frozen
    pane repeated on every page, centred horizontally."""
    setup = ws.page_setup
    if setup.paperSize is not None and str(setup.paperSize) != ws.PAPERSIZE_A4:  # the writer chose another paper
        return
    setup.paperSize = ws.PAPERSIZE_A4
    if setup.orientation is None:
        setup.orientation = "landscape" if ws.max_column > 6 else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    setup.fitToWidth, setup.fitToHeight = 1, 0
    ws.print_options.horizontalCentered = True
    frozen = ws.freeze_panes
    if frozen and ws.print_title_rows is None:
        from openpyxl.utils.cell import coordinate_from_string

        row = coordinate_from_string(frozen)[1]
        if row > 1:
            ws.print_title_rows = f"1:{row - 1}"


# Two decimals, the language Vietnamese (LCID 0x42A): LibreOffice shows 90,65 whatever its own
# language (an English LibreOffice showed 90.65); Excel uses the computer's separator, a comma on a
# Vietnamese Windows. The one format of every number we write that is not an input cell.
NUMBER_FORMAT = "[$-42A]0.00"
FONT_NAME = "Times New Roman"  # what administrative documents use; LibreOffice keeps the diacritics
FIT_ROWS_UP_TO = 5000  # row heights are estimated on sheets up to this many rows (the ones people print)
WIDEST_WORD = 30  # characters: a column is widened for its longest word up to this, then the word breaks


def save(wb: Any, path: Path, formulas: bool = False) -> None:
    """Save ``wb`` to ``path`` whole or not at all, every sheet set up for A4 (:func:`print_setup`),
    every font named Times New Roman (:func:`named_font`), no text cut at a column's edge
    (:func:`wrap_cut_text`) and rows of wrapped text tall enough for it (:func:`fit_row_heights`).
    Without ``formulas`` (every writer but the self-assessment template, whose user text goes
    through :func:`put`) no cell is a formula."""
    named_font(wb)
    for ws in wb.worksheets:
        print_setup(ws)
        if ws.max_row <= FIT_ROWS_UP_TO:
            wrap_cut_text(ws)
            fit_row_heights(ws)
    if not formulas:
        text_only(wb)
    with writing(path) as tmp:
        wb.save(tmp)


def csv_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet reads as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_row(values: Sequence[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def is_text(column: Any) -> bool:
    """A pandas column that may hold text (object or string dtype)."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    return bool(is_object_dtype(column.dtype) or is_string_dtype(column.dtype))


def write_frame_csv(df: Any, path: Path) -> None:
    """A pandas frame as UTF-8 CSV (no index), text cells neutralised (:func:`csv_cell`), written
    whole or not at all."""
    safe = df.copy()
    for name in safe.columns:
        if is_text(safe[name]):
            safe[name] = safe[name].map(csv_cell)
    with writing(path) as tmp:
        safe.to_csv(tmp, index=False, encoding="utf-8")
