"""Writing score results to files; the format follows the extension of ``--out``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from par_index.common import spreadsheet
from par_index.common.arrow_numpy import scalar, texts_or_ints, to_arrow, to_numpy
from par_index.common.arrow_text import join, utf8_text
from par_index.common.codes import factorize
from par_index.common.csv_out import PEOPLE_LINE_END, csv_fields, people_fields, people_head
from par_index.common.text_files import out_suffix, write_bytes, write_text, writing
from par_index.common.values import format_fixed
from par_index.scoring.engine import Results
from par_index.scoring.results import (
    Column,
    Nullable,
    Part,
    json_problems_block,
    json_units_block,
    problem_columns,
    problems_frame,
    to_json_dict,
    units_columns,
    units_frame,
)

if TYPE_CHECKING:
    import pandas as pd

HEADERS_VI = {
    "unit": "Mã đơn vị",
    "name": "Tên đơn vị",
    "kind": "Loại",
    "points": "Tổng điểm",
    "max": "Điểm tối đa",
    "index": "Chỉ số (%)",
    "rank": "Xếp hạng",
    "band": "Xếp loại",
}
PROBLEM_HEADERS_VI = {
    "severity": "Mức độ",
    "reason": "Mã lỗi",
    "file": "Tệp",
    "line": "Dòng",
    "cell": "Ô",
    "unit": "Đơn vị",
    "criterion": "Tiêu chí",
    "field": "Trường",
    "message": "Nội dung",
}
SEVERITY_VI = {"error": "lỗi", "warning": "lưu ý"}
STAGE_VI = {"self": "tự đánh giá (chưa thẩm định)", "final": "kết quả cuối cùng"}  # the stages a score is of
FORMATS = (".json", ".csv", ".xlsx", ".html")


def write_problems(results: Results, out: Path, rows_per_block: int = 20_000) -> None:
    """The data problems as a CSV for people (UTF-8 with BOM, Vietnamese headers, lỗi / lưu ý)."""
    # = write_people_frame(problems_frame(results), out, PROBLEM_HEADERS_VI, {"severity": SEVERITY_VI}),
    # from the problems directly, column by column (no frame of 200,000 rows on 100,000 units
    # built and read back, no tuple per problem), the lines put together by pyarrow's string
    # kernels and handed to the file without a Python string
    import pyarrow as pa

    def blocks() -> Iterator[Part]:
        yield people_head(list(PROBLEM_HEADERS_VI.values())).encode()
        for _, part in problem_columns(results, list(PROBLEM_HEADERS_VI), rows_per_block):
            fields = [_problem_fields(k, part[k]) for k in PROBLEM_HEADERS_VI]
            lines = join(*fields, ",")
            if isinstance(lines, pa.Scalar):  # every field one value throughout
                lines = pa.repeat(lines, len(part["reason"]))
            yield utf8_text(join(lines, PEOPLE_LINE_END, ""))

    write_bytes(out, blocks())


def _problem_fields(name: str, values: list[Any]) -> Any:
    """The CSV field of each value of a problem field as ``people_fields`` makes it (severity in
    Vietnamese, a line number as its digits), as a pyarrow string array, or one scalar for one
    text throughout; only the values a field must change (quotes, a formula start: found by
    pyarrow) are made by ``people_fields`` itself."""
    import pyarrow as pa
    import pyarrow.compute as pc

    first = values[0]
    if type(first) is str and values[-1] == first and values.count(first) == len(values):
        return scalar(people_fields([SEVERITY_VI.get(first, first) if name == "severity" else first])[0])
    if name == "severity":
        values = [SEVERITY_VI.get(s, s) for s in values]
    arr = texts_or_ints(values)  # string for texts (and None), int64 for ints (and None), as pyarrow infers
    if name == "line" and arr is not None and arr.type == pa.int64():
        arr = pc.cast(arr, pa.string())  # as str(int(n)); None: an empty cell
    elif name == "line":
        arr = to_arrow(["" if n is None else str(int(n)) for n in values])
    elif arr is None or arr.type != pa.string():
        return to_arrow(people_fields(values))  # a value not a text: people_cell makes it one
    arr = pc.fill_null(arr, scalar(""))  # people_cell(None)
    risky = _risky_mask(arr)
    if risky.true_count:
        arr = pc.replace_with_mask(arr, risky, to_arrow(people_fields(arr.filter(risky).to_pylist())))
    return arr


def write_results(results: Results, out: Path) -> None:
    suffix = out_suffix(out, FORMATS)
    if suffix == ".json":
        doc = to_json_dict(results, include_units=False, include_problems=False)
        doc["problems"] = []  # its place in the document: the block below fills it
        write_bytes(out, json_parts(doc, {"units": json_units_block(results), "problems": json_problems_block(results)}))
    elif suffix == ".csv":
        write_columns(units_columns(results), out)  # = write_csv(units_frame(results), out), without pandas
    elif suffix == ".xlsx":
        write_xlsx(results, out)
    else:
        write_text(out, render_html(results))


def write_csv(df: pd.DataFrame, out: Path, rows_per_part: int = 50_000) -> None:
    """``df.to_csv(out, index=False)`` as pandas writes it (missing cells empty, floats by their
    shortest repr, ``\n`` line ends, quotes only where needed), text cells neutralised
    (:func:`spreadsheet.csv_cell`): :func:`write_columns` of the frame's columns."""
    write_columns({name: _frame_column(df[name]) for name in df.columns}, out, rows_per_part)


def _frame_column(col: pd.Series) -> Column:
    """A frame's column as :func:`write_columns` takes it: floats as they are, a text column
    (object or string dtype) as an object array with None where missing, anything else (Int64,
    a categorical, dates) as its values and where they are missing."""
    if isinstance(col.dtype, np.dtype) and col.dtype.kind == "f":
        return col.to_numpy()
    missing = col.isna().to_numpy()
    cells = col.to_numpy(dtype=object, copy=True)
    cells[missing] = None
    return cells if spreadsheet.is_text(col) else Nullable(cells, missing)


def write_columns(columns: dict[Any, Column], out: Path, rows_per_part: int = 50_000) -> None:
    """A table of columns (one value per row each, see :data:`~par_index.scoring.results.Column`)
    as CSV, as pandas' ``to_csv(index=False)`` writes the frame of them: missing cells empty,
    floats by their shortest repr, ``\n`` line ends, quotes only where needed, text cells
    neutralised (:func:`spreadsheet.csv_cell`).

    Column by column: each distinct value of a column is made into its CSV text once (the few
    that need quotes by the csv module itself) and the lines are put together from those texts
    by pyarrow's string kernels, ``rows_per_part`` rows at a time (the file is never whole in
    memory). A cell at a time through the csv module took 7× pyarrow's CSV writer on 100,000
    units; pyarrow's own writer cannot be used (it writes 77 for 77.0 and quotes every text)."""
    coded = [_csv_column(column) for column in columns.values()]
    if len(coded) == 1:  # the csv module quotes the one empty field of a one-field row
        coded = [([t or '""' for t in coded[0][0]], coded[0][1])]
    texts = [to_arrow(t) for t, _ in coded]
    n_rows = len(coded[0][1]) if coded else 0
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow(spreadsheet.csv_row([str(c) for c in columns]))
    with writing(out) as tmp, tmp.open("wb") as f:
        f.write(head.getvalue().encode("utf-8"))
        for lo in range(0, n_rows, rows_per_part):
            cells = [t.take(to_arrow(codes[lo : lo + rows_per_part])) for t, (_, codes) in zip(texts, coded, strict=True)]
            cells[-1] = join(cells[-1], "\n", "")  # the line end after the last cell
            f.write(utf8_text(join(*cells, ",")))


def _csv_column(column: Column) -> tuple[list[str], np.ndarray]:
    """A column as (the CSV text of each distinct cell, then "" for missing; each row's position
    in it): missing values empty, text neutralised, everything else ``str()`` as the csv module
    writes it."""
    if isinstance(column, Nullable):
        codes, distinct = factorize(column.values)
        codes[column.missing] = -1
        texts = _quoted([str(v) for v in distinct.tolist()])
    elif column.dtype.kind == "f":  # floats by their bits: 0.0 and -0.0 are other cells
        codes, bits = factorize(column.view(np.int64))
        texts = _quoted([repr(x) for x in bits.view(np.float64).tolist()])
        codes[np.isnan(column)] = -1
    else:
        codes, distinct = factorize(column)  # -1: missing (None, NaN)
        texts = distinct.tolist()
        if not set(map(type, texts)) <= {str}:  # 1, 1.0, True are equal keys: cell by cell
            return _csv_cells(column), np.arange(len(column))
        for k in _risky(texts):  # only these go through csv_cell and the csv module
            texts[k] = _quoted([str(spreadsheet.csv_cell(texts[k]))])[0]
    codes[codes < 0] = len(texts)
    return [*texts, ""], codes


def _risky(texts: list[str]) -> list[int]:
    """Positions of the texts that may start a formula (:data:`spreadsheet.FORMULA_START`) or
    hold a comma, a quote or a line break (pyarrow's string kernels: a column of 100,000 unit
    names is checked in C)."""
    return np.flatnonzero(to_numpy(_risky_mask(to_arrow(texts)))).tolist()


def _risky_mask(arr: Any) -> Any:
    """:func:`_risky` of a pyarrow string array without nulls, as a pyarrow boolean array: from
    its UTF-8 bytes by numpy (the characters looked for are ASCII, which UTF-8 never uses
    inside another character): a text's first byte, and the text of each byte of ``,"\r\n``."""
    raw = np.frombuffer(utf8_text(arr), dtype=np.uint8)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4).astype(np.int64)
    offsets -= offsets[0]
    starts = np.minimum(offsets[:-1], max(len(raw) - 1, 0))
    hit = (offsets[1:] > offsets[:-1]) & np.isin(raw[starts] if len(raw) else np.zeros(len(arr), np.uint8), _FORMULA_BYTES)
    inside = np.flatnonzero(np.isin(raw, _QUOTE_BYTES))
    hit[np.searchsorted(offsets, inside, side="right") - 1] = True
    return to_arrow(hit)


_FORMULA_BYTES = np.array([ord(c) for c in spreadsheet.FORMULA_START], dtype=np.uint8)  # one ASCII character each
_QUOTE_BYTES = np.array([ord(c) for c in ',"\r\n'], dtype=np.uint8)


def _csv_cells(column: np.ndarray) -> list[str]:
    """Every cell's CSV text, one by one (a text column holding other values too)."""
    cells = ("" if v is None or (isinstance(v, float) and v != v) else spreadsheet.csv_cell(v) for v in column.tolist())
    return _quoted([v if type(v) is str else str(v) for v in cells])


def _quoted(texts: list[str]) -> list[str]:
    """Each text as the csv module writes it as one field of a row (``\n`` line ends)."""
    return csv_fields(texts, "\n")


def json_bytes(doc: dict[str, Any], blocks: dict[str, Iterable[Part]] | None = None) -> bytes:
    """``doc`` as JSON in UTF-8 with one unit (and one problem) per line (:func:`json_parts`)."""
    return b"".join(json_parts(doc, blocks))


def json_parts(doc: dict[str, Any], blocks: dict[str, Iterable[Part]] | None = None) -> Iterator[Part]:
    """``doc`` as JSON in UTF-8 with one unit (and one problem) per line, in consecutive parts
    made as they are asked for (a file written from them never holds the whole document).

    Readable, and written by json's C encoder: ``indent=`` would switch to the pure-Python
    encoder, which takes most of a 10,000-unit run. ``blocks`` gives a list's lines already
    encoded (the units, see ``scoring.results.json_units_block``), placed at its key; an empty
    block writes the list in ``doc``.
    """
    enc = json.JSONEncoder(ensure_ascii=False)
    yield b"{\n"
    for k, (key, value) in enumerate(doc.items()):
        comma = "," if k < len(doc) - 1 else ""
        block = iter(blocks.get(key, ())) if blocks else iter(())
        first = next(block, None)
        if first is None and isinstance(value, list) and value:
            block = _list_lines(enc, value)
            first = next(block)
        if first is not None:
            yield f" {enc.encode(key)}: [\n".encode()
            yield first
            yield from block
            yield f"\n ]{comma}\n".encode()
        else:
            yield f" {enc.encode(key)}: {enc.encode(value)}{comma}\n".encode()
    yield b"}\n"


def _list_lines(enc: json.JSONEncoder, values: list[Any], per_part: int = 1000) -> Iterator[bytes]:
    """A list's items one per line (``,`` between them), in parts of ``per_part`` items."""
    for lo in range(0, len(values), per_part):
        lead = ",\n" if lo else ""
        yield (lead + ",\n".join(f"  {enc.encode(v)}" for v in values[lo : lo + per_part])).encode()


def area_headers(results: Results) -> dict[str, str]:
    names: dict[str, str] = {}
    for s in results.sets:
        for area in s.criteria.areas():
            names.setdefault(f"points_{area.code}", f"{area.code}. {area.name}")
    return names


def kind_names(results: Results) -> dict[str, str]:
    """Each unit kind's name as the criteria sets give it (``so`` → ``Sở, ban, ngành thuộc UBND
    tỉnh``): what the workbook and the HTML page show; the CSV and JSON keep the code."""
    return {code: name for s in results.sets for code, name in s.criteria.kinds.items()}


def write_xlsx(results: Results, out: Path) -> None:
    import pandas as pd
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    df = units_frame(results)
    df["kind"] = df["kind"].replace(kind_names(results))
    headers = {**HEADERS_VI, **area_headers(results)}
    wb = Workbook()
    ws = wb.active
    ws.title = "Kết quả"
    spreadsheet.append(ws, [headers.get(c, c) for c in df.columns])
    for row in df.itertuples(index=False):
        spreadsheet.append(ws, [None if (isinstance(v, float) and v != v) or v is pd.NA else v for v in row])
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1F4E79")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    numeric = {i + 1 for i, c in enumerate(df.columns) if c in ("points", "max", "index") or c.startswith("points_")}
    for col in numeric:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = spreadsheet.NUMBER_FORMAT
    for i, c in enumerate(df.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 40 if c == "name" else (22 if c.startswith("points_") or c == "kind" else 12)
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = ws.dimensions
    pf = problems_frame(results)
    wp = wb.create_sheet("Vấn đề dữ liệu")
    spreadsheet.append(wp, [PROBLEM_HEADERS_VI[c] for c in pf.columns])
    pf["severity"] = pf["severity"].map(SEVERITY_VI)
    for row in pf.itertuples(index=False):
        spreadsheet.append(wp, [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v for v in row])
    for cell in wp[1]:
        cell.font, cell.fill = bold, fill
    wp.column_dimensions["I"].width = 90
    wp.freeze_panes = "A2"
    if results.label:
        ws.insert_rows(1)
        spreadsheet.put(ws["A1"], results.label)
        ws["A1"].font = Font(bold=True, color="9C5700")
        ws.freeze_panes = "C3"
        ws.auto_filter.ref = f"A2:{get_column_letter(ws.max_column)}{ws.max_row}"
    spreadsheet.save(wb, out)


def render_html(results: Results) -> str:
    from par_index.common import html  # jinja2 loads only for an HTML output

    df = units_frame(results)
    df["kind"] = df["kind"].replace(kind_names(results))
    rows = [
        {**r, **{k: format_fixed(v) for k, v in r.items() if k in ("points", "max", "index") or str(k).startswith("points_")}}
        for r in df.to_dict("records")
    ]
    return html.render(
        "score.html.j2",
        dataset_label=results.label,
        criteria=results.criteria_id,
        stage=STAGE_VI.get(results.stage, results.stage),
        rows=rows,
        areas=area_headers(results),
        problems=problems_frame(results).to_dict("records"),
        headers=HEADERS_VI,
        severity=SEVERITY_VI,
    )
