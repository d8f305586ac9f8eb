"""Big tables written straight to .xlsx as XML text, row after row, without a cell object per
value (openpyxl takes ~40 µs a cell: a minute for the report workbook of 1,000 units).

What a sheet gets is what :mod:`par_index.common.spreadsheet` gives the openpyxl workbooks:
text cells are text (inline strings: never a formula; control characters shown as ``\\xNN``,
:func:`spreadsheet.escape_controls`), numbers stay numbers (the columns listed in ``numeric``
shown with 2 decimals and a decimal comma, ``spreadsheet.NUMBER_FORMAT``), a bold white header on dark blue that wraps (its row as tall as
its lines need, :mod:`par_index.common.text_metrics`), column widths,
the header frozen and filtered, and the A4 page set-up of :func:`spreadsheet.print_setup`:
A4, fitted to the page width, landscape for more than 6 columns, the header repeated on every
page, centred horizontally. Missing values (None, NaN, pandas' NA) are empty cells.
"""

from __future__ import annotations

import itertools
import math
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from par_index.common.spreadsheet import CONTROL, NUMBER_FORMAT, escape_controls
from par_index.common.text_files import writing
from par_index.common.text_metrics import row_height, wrapped_lines

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
HEADER_FILL = "1F4E79"
DEFAULT_WIDTH = 12
ROWS_PER_CHUNK = 20_000  # rows joined and written at a time

STYLES = (
    HEAD + f'<styleSheet xmlns="{MAIN}">'
    f'<numFmts count="1"><numFmt numFmtId="164" formatCode="{NUMBER_FORMAT}"/></numFmts>'
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Times New Roman"/><family val="1"/></font>'
    '<font><b/><sz val="11"/><color rgb="00FFFFFF"/><name val="Times New Roman"/><family val="1"/></font>'
    "</fonts>"
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    f'<fill><patternFill patternType="solid"><fgColor rgb="00{HEADER_FILL}"/><bgColor rgb="00000000"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1">'
    '<alignment vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'  # spreadsheet.NUMBER_FORMAT
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment wrapText="1"/></xf>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
# A column w digits wide holds 0,49·w of the widest letters (W: 0,94 em against a digit's 0,5 em)
SURE_FIT = 0.45
HEADER_STYLE, NUMBER_STYLE, TEXT_STYLE = 1, 2, 3  # text wraps: a long name is never cut by the cell beside it


@dataclass
class Coded:
    """A column as its distinct values and each row's position in them (as ``pandas.factorize``
    gives them; -1 is an empty cell)."""

    values: Sequence[Any]
    codes: np.ndarray


@dataclass
class Columns:
    """A sheet's rows given column by column, each :class:`Coded` (all of one length): a big
    table made from arrays needs no Python list per row."""

    columns: Sequence[Coded]

    def __len__(self) -> int:
        return len(self.columns[0].codes) if self.columns else 0


@dataclass
class Table:
    """One sheet: ``headers``, then ``rows``; ``numeric`` and ``widths`` by 1-based column."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]] | Columns
    numeric: set[int] = field(default_factory=set)
    widths: dict[int, float] = field(default_factory=dict)


def column_letter(n: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _text(value: str) -> str:
    if CONTROL.search(value):
        value = escape_controls(value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    return _text(value).replace('"', "&quot;")


def _cell_tail(value: Any, style: str) -> str:
    """A ``<c>`` element after its ``r="…"`` (what does not depend on where the cell is); "" for
    no element at all (an empty cell keeps its column's number format, as openpyxl's does)."""
    t = type(value)
    if t is str and value:
        return f' s="{TEXT_STYLE}" t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'
    if value is None or t is str:
        return f"{style}/>" if style else ""
    if t is bool:
        return f' t="b"><v>{int(value)}</v></c>'
    if t is int:
        return f"{style}><v>{value}</v></c>"
    if t is float or isinstance(value, (float, Decimal)):
        x = float(value)
        return f"{style}><v>{x!r}</v></c>" if math.isfinite(x) else _cell_tail(None, style)
    if type(value).__name__ in ("NAType", "NaTType"):
        return _cell_tail(None, style)
    kind = getattr(getattr(value, "dtype", None), "kind", "")  # numpy scalars
    if kind in ("i", "u"):
        return _cell_tail(int(value), style)
    if kind == "f":
        return _cell_tail(float(value), style)
    if kind == "b":
        return _cell_tail(bool(value), style)
    return _cell_tail(str(value), style)


_ABSENT = object()  # past the end of a row shorter than the header: no cell at all
# a column of one of these types (and None) is told apart by pandas.factorize: the same keys
# as (type, value) in _column's dict (equal values of one type are one cell; the first one seen)
_ONE_TYPE = frozenset({str, int, float, bool, Decimal})


def _coded(column: Coded, style: str) -> tuple[list[str], np.ndarray, list[Any]]:
    """A :class:`Coded` column as :func:`_column` gives one (0: an empty cell)."""
    tails = [_cell_tail(None, style), *(_cell_tail(v, style) for v in column.values)]
    return tails, np.asarray(column.codes, dtype=np.int32) + 1, [None, *column.values]


def _column(values: Sequence[Any], style: str) -> tuple[list[str], np.ndarray, list[Any]]:
    """A column as (the ``<c>`` tail of each distinct value, each row's position in them, the
    distinct values): the same names, codes and numbers repeat down a column thousands of times."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) == 1 and kinds <= _ONE_TYPE:  # hashed in C (~6× faster than the dict below)
        import pandas as pd

        positions, uniques = pd.factorize(np.array(values, dtype=object))
        return _coded(Coded(list(uniques), positions), style)
    tails: list[str] = [""]  # 0: no cell
    distinct: list[Any] = [None]
    seen: dict[tuple[type, Any], int] = {(object, _ABSENT): 0}
    codes: list[int] = []
    add = codes.append
    for v in values:
        key = (type(v), v)  # the type too: True, 1, 1.0 and Decimal(1) are equal keys but other cells
        try:
            add(seen[key])
        except KeyError:
            seen[key] = len(tails)
            add(len(tails))
            tails.append(_cell_tail(v, style))
            distinct.append(v)
        except TypeError:  # unhashable
            add(len(tails))
            tails.append(_cell_tail(v, style))
            distinct.append(v)
    return tails, np.array(codes, dtype=np.int32), distinct


def _rows(rows: Sequence[Sequence[Any]] | Columns, letters: list[str], number: list[str], widths: list[float]) -> Iterator[memoryview]:
    """The ``<row>`` elements from row 2 on, as UTF-8, ``ROWS_PER_CHUNK`` rows at a time: each
    column's distinct cells made once (:func:`_column`), the rows put together from them by
    pyarrow's string kernels (a cell at a time in Python was ~1 µs, 1.26 million cells in the
    report workbook of 1,000 units): one join of every column's pieces per chunk, a column with
    empty cells (no element) made as cells first. A row whose text wraps onto more lines gets
    the height for them (:func:`_row_heights`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from par_index.common.arrow_text import utf8_text

    if isinstance(rows, Columns):
        columns = [_coded(c, number[j]) for j, c in enumerate(rows.columns)]
    else:
        columns = [_column(values, number[j]) for j, values in enumerate(itertools.zip_longest(*rows, fillvalue=_ABSENT))]
    tails = [pa.array([f'"{x}' for x in t], type=pa.string()) for t, _, _ in columns]  # each after its cell's row number
    empty = [np.flatnonzero(np.array([x == "" for x in t], dtype=bool)) for t, _, _ in columns]
    heights = _row_heights(columns, widths)
    for lo in range(0, len(rows), ROWS_PER_CHUNK):
        hi = min(lo + ROWS_PER_CHUNK, len(rows))
        numbers = _row_numbers(lo + 2, hi + 2)
        pieces: list[Any] = ['<row r="', numbers, pa.array(heights[lo:hi], type=pa.string()), '">']
        for j, (_, codes, _) in enumerate(columns):
            part = codes[lo:hi]
            tail = tails[j].take(pa.array(part))
            gone = np.isin(part, empty[j])
            if gone.any():  # no element for an empty cell without a style
                pieces.append(pc.if_else(pa.array(gone), "", pc.binary_join_element_wise(f'<c r="{letters[j]}', numbers, tail, "")))
            else:  # joined with the whole row: no array of this column's cells
                pieces += (f'<c r="{letters[j]}', numbers, tail)
        yield utf8_text(pc.binary_join_element_wise(*pieces, "</row>", ""))


def _row_heights(columns: list[tuple[list[str], np.ndarray, list[Any]]], widths: list[float]) -> np.ndarray:
    """Each row's height attribute (after its number's closing quote): "" for one line, else
    ``" ht="…" customHeight="1`` — its text cells wrap (``TEXT_STYLE``) and a spreadsheet prints a
    row at its stored height. Lines counted once per distinct text (:func:`wrapped_lines`)."""
    n = len(columns[0][1]) if columns else 0
    lines = np.ones(n, dtype=np.int32)
    for (_, codes, distinct), width in zip(columns, widths, strict=True):
        sure = int(width * SURE_FIT)  # this many characters fit whatever they are: no need to measure
        per = np.array([wrapped_lines(v, width) if type(v) is str and len(v) > sure else 1 for v in distinct], dtype=np.int32)
        np.maximum(lines, per[codes], out=lines)
    attrs = np.array(["", *(f'" ht="{row_height(k)}" customHeight="1' for k in range(2, int(lines.max(initial=1)) + 1))], dtype=object)
    return attrs[lines - 1]


@lru_cache(maxsize=8)
def _row_numbers(lo: int, hi: int) -> Any:
    """The row numbers ``lo`` … ``hi - 1`` as a pyarrow string array (not pc.cast: its first call
    takes ~1 s), made once for the sheets of a workbook (their chunks start at the same rows)."""
    import pyarrow as pa

    return pa.array(list(map(str, range(lo, hi))), type=pa.string())


def _sheet_head(table: Table, n_cols: int, n_rows: int) -> str:
    last = column_letter(n_cols)
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{table.widths.get(i, DEFAULT_WIDTH)}" customWidth="1"/>' for i in range(1, n_cols + 1)
    )
    return (
        HEAD + f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
        '<sheetPr><outlinePr summaryBelow="1" summaryRight="1"/><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{last}{n_rows}"/>'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>'
        f"<cols>{cols}</cols><sheetData>"
    )


def _sheet_tail(n_cols: int, n_rows: int, filtered: bool) -> str:
    orientation = "landscape" if n_cols > 6 else "portrait"
    auto = f'<autoFilter ref="A1:{column_letter(n_cols)}{n_rows}"/>' if filtered else ""
    return (
        f"</sheetData>{auto}"
        '<printOptions horizontalCentered="1"/>'
        '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
        f'<pageSetup orientation="{orientation}" paperSize="9" fitToHeight="0" fitToWidth="1"/>'
        "</worksheet>"
    )


def _write_sheet(z: zipfile.ZipFile, name: str, table: Table) -> tuple[int, int]:
    n_cols = len(table.headers)
    n_rows = len(table.rows) + 1
    letters = [column_letter(j) for j in range(1, n_cols + 1)]
    number = [f' s="{NUMBER_STYLE}"' if j in table.numeric else "" for j in range(1, n_cols + 1)]
    with z.open(name, "w", force_zip64=True) as fh:
        fh.write(_sheet_head(table, n_cols, n_rows).encode("utf-8"))
        header = "".join(
            f'<c r="{letters[j]}1" s="{HEADER_STYLE}" t="inlineStr"><is><t xml:space="preserve">{_text(str(h))}</t></is></c>'
            for j, h in enumerate(table.headers)
        )
        lines = max((wrapped_lines(str(h), table.widths.get(j, DEFAULT_WIDTH), bold=True) for j, h in enumerate(table.headers, start=1)), default=1)
        height = f' ht="{row_height(lines)}" customHeight="1"' if lines > 1 else ""  # the header wraps: tall enough for it
        fh.write(f'<row r="1"{height}>{header}</row>'.encode())
        if table.rows:
            for part in _rows(table.rows, letters, number, [float(table.widths.get(j, DEFAULT_WIDTH)) for j in range(1, n_cols + 1)]):
                fh.write(part)
        fh.write(_sheet_tail(n_cols, n_rows, bool(table.rows)).encode("utf-8"))
    return n_cols, n_rows


def write_tables(path: Path, tables: Sequence[Table]) -> Path:
    """Write ``tables`` as the sheets of one .xlsx at ``path`` (whole or not at all)."""
    sheets = []
    names = []
    with writing(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for i, table in enumerate(tables, start=1):
            sheets.append(_write_sheet(z, f"xl/worksheets/sheet{i}.xml", table))
            names.append(table.title)
        z.writestr("[Content_Types].xml", _content_types(len(tables)))
        z.writestr("_rels/.rels", HEAD + f'<Relationships xmlns="{PKG_REL}">'
                   f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/_rels/workbook.xml.rels", HEAD + f'<Relationships xmlns="{PKG_REL}">' + "".join(
            f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(tables) + 1)
        ) + f'<Relationship Id="rId{len(tables) + 1}" Type="{REL}/styles" Target="styles.xml"/></Relationships>')
        z.writestr("xl/styles.xml", STYLES)
        z.writestr("xl/workbook.xml", _workbook(names, sheets, [bool(t.rows) for t in tables]))
    return path


def _content_types(n: int) -> str:
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    return (
        HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet}"/>' for i in range(1, n + 1))
        + "</Types>"
    )


def _workbook(names: list[str], sheets: list[tuple[int, int]], filtered: list[bool]) -> str:
    defined = []
    for i, (name, (n_cols, n_rows), f) in enumerate(zip(names, sheets, filtered, strict=True)):
        quoted = "'" + name.replace("'", "''") + "'"
        if f:
            defined.append(
                f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">{_text(quoted)}!$A$1:${column_letter(n_cols)}${n_rows}</definedName>'
            )
        defined.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{_text(quoted)}!$1:$1</definedName>')
    sheet_list = "".join(f'<sheet name="{_attr(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, start=1))
    return (
        HEAD + f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{sheet_list}</sheets><definedNames>{''.join(defined)}</definedNames></workbook>"
    )
