"""CSV files meant for people (the problems, the appraisal trail, survey shares, robustness, plan
status): one writer, so every such file opens correctly in Excel on Windows.

* UTF-8 **with BOM** (Excel reads a CSV without it in the ANSI code page and breaks every
  Vietnamese letter);
* Vietnamese column headers given by the caller, comma-separated, CRLF line ends;
* every cell goes through :func:`people_cell`: empty for missing values, numbers with a
  decimal comma (:func:`par_index.common.values.format_number`), text as it is; then
  :func:`par_index.common.spreadsheet.csv_row` so no cell is read as a formula;
* written whole or not at all (:func:`par_index.common.text_files.writing`).

Machine-oriented CSVs (``score --out results.csv``, read back by scripts) keep their English
headers and decimal points and are written by :mod:`par_index.scoring.writers`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from par_index.common.spreadsheet import FORMULA_START, csv_cell, csv_row
from par_index.common.text_files import writing
from par_index.common.values import format_number


def people_cell(value: object, decimals: int = 2) -> str:
    """One cell as people read it: '' for None/NaN/NA, decimal comma for numbers, text as is."""
    if value is None or type(value).__name__ == "NAType":  # pandas' NA, without importing pandas
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float):
        return "" if math.isnan(value) else format_number(value, decimals)
    if isinstance(value, int):
        return str(value)
    return str(value)


def write_people_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], decimals: int = 2) -> None:
    """Write ``header`` and ``rows`` to ``path`` as a CSV for people (see the module docstring)."""
    write_people_columns(path, header, _column_blocks(rows), decimals)


def write_people_columns(
    path: Path, header: Sequence[str], blocks: Iterable[Sequence[Sequence[object]]], decimals: int = 2
) -> None:
    """:func:`write_people_csv` of rows given column-wise: ``blocks`` are consecutive groups of
    rows, each as its columns (equally long, one per header cell).

    Column by column: each distinct cell of a column is made once (:func:`people_cell`,
    :func:`csv_cell`, then its CSV field as the csv module writes it, :func:`csv_fields`) and
    a block's lines are joined from those fields; the file is UTF-8 with its BOM written first
    (the ``utf-8-sig`` codec encodes in Python, write by write). The csv module writing row by
    row took ~5 µs a problem (a 100,000-unit run has 200,000)."""
    with writing(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:  # whole or not at all
        fh.write(people_head(header))
        for columns in blocks:
            fields = [_people_fields(c, decimals) for c in columns]
            if len(fields) == 1:  # the csv module quotes the one empty field of a one-field row
                fields = [[t or '""' for t in fields[0]]]
            if fields and len(fields[0]):
                fh.write(PEOPLE_LINE_END.join(map(",".join, zip(*fields, strict=True))) + PEOPLE_LINE_END)


def people_head(header: Sequence[str]) -> str:
    """The start of a CSV for people: the BOM and the header line (:func:`write_people_csv`)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator=PEOPLE_LINE_END).writerow(csv_row([people_cell(h) for h in header]))
    return "\ufeff" + buf.getvalue()


def people_fields(cells: Sequence[object], decimals: int = 2) -> Sequence[str]:
    """Each cell of a column as its field in a CSV for people (:func:`people_cell`, then
    :func:`csv_cell`, then quoted as the csv module quotes it), each distinct text made once."""
    return _people_fields(cells, decimals)


PEOPLE_LINE_END = "\r\n"
_CSV_SPECIAL = re.compile('[,"\r\n]')


def csv_fields(texts: Iterable[str], lineterminator: str = "\n") -> list[str]:
    """Each text as the csv module (comma, minimal quoting, ``lineterminator``) writes it as one
    field of a row: unchanged unless it holds a comma, a quote or a line break, and those few
    written by the csv module itself."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=lineterminator)
    out = []
    for t in texts:
        if _CSV_SPECIAL.search(t) is None:
            out.append(t)
            continue
        buf.seek(0)
        buf.truncate()
        writer.writerow((t, ""))
        out.append(buf.getvalue()[: -1 - len(lineterminator)])  # without the empty second field's "," and the line end
    return out


def _column_blocks(rows: Iterable[Sequence[object]], size: int = 20_000) -> Iterator[list[Sequence[object]]]:
    """``rows`` as consecutive blocks of up to ``size`` rows, each as its columns."""
    block: list[Sequence[object]] = []
    for row in rows:
        block.append(row)
        if len(block) == size:
            yield _columns(block)
            block = []
    if block:
        yield _columns(block)


def _columns(block: list[Sequence[object]]) -> list[Sequence[object]]:
    width = len(block[0])
    if any(len(r) != width for r in block):  # rows of unequal length: each as wide as written
        raise ValueError("write_people_csv: every row needs as many cells as the first")
    return list(zip(*block, strict=True))


def _people_fields(cells: Sequence[object], decimals: int) -> Sequence[str]:
    """Each cell of a column as :func:`people_cell` then :func:`csv_cell` make it (a text that
    cannot start a formula is its own cell), as its CSV field; each distinct text once, and a
    column where no text needs either (most: line numbers, unit ids) as it is."""
    if set(map(type, cells)) - {str}:  # a cell not a text (map in C: most columns are all texts)
        cells = [v if type(v) is str and not v.startswith(FORMULA_START) else csv_cell(people_cell(v, decimals)) for v in cells]
    texts: Sequence[str] = cells  # type: ignore[assignment]  # every cell is a text now
    distinct = list(set(texts))
    joined = "\n".join(distinct)  # one search in C: no text starts a formula or needs quotes
    if joined.count("\n") == len(distinct) - 1 and _plain(joined):
        return texts
    made = dict(zip(distinct, csv_fields((csv_cell(v) for v in distinct), PEOPLE_LINE_END), strict=True))
    return list(map(made.__getitem__, texts))


def _plain(joined: str) -> bool:
    """No text of ``joined`` (texts joined by line feeds) would be changed by csv_cell or the csv
    module: none holds a comma, a quote or a carriage return, none starts a formula. Substring
    searches in C (a regex with an alternation at every position was ~50 ns a character)."""
    if any(ch in joined for ch in _QUOTED) or joined.startswith(FORMULA_START):
        return False
    return not any(start in joined for start in _LINE_STARTS)


_QUOTED = (",", '"', "\r")
_LINE_STARTS = tuple("\n" + ch for ch in FORMULA_START)


def write_people_frame(
    df: Any,  # a pandas DataFrame
    path: Path,
    headers: Mapping[str, str],
    labels: Mapping[str, Mapping[str, str]] | None = None,
    decimals: int = 2,
) -> None:
    """``df`` as a CSV for people: columns renamed by ``headers`` (a column not named there is
    an error in the caller), cell texts of a column replaced by ``labels[column]``."""
    labels = labels or {}
    columns = list(df.columns)
    names = [headers[c] for c in columns]
    cells = [df[c].astype(object).tolist() for c in columns]
    for k, c in enumerate(columns):
        if c in labels:
            table = labels[c]
            cells[k] = [table.get(str(v), v) if v is not None else v for v in cells[k]]
    write_people_columns(path, names, [cells], decimals)
