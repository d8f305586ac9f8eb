"""Writing score results to files; the format follows the extension of ``--out``."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from par_index.common import spreadsheet
from par_index.common.csv_out import write_people_csv
from par_index.common.text_files import out_suffix, write_bytes, write_text, writing
from par_index.common.values import format_fixed
from par_index.scoring.engine import Results
from par_index.scoring.results import json_units_block, problems_frame, to_json_dict, units_frame

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
FORMATS = (".json", ".csv", ".xlsx", ".html")


def write_problems(results: Results, out: Path) -> None:
    """The data problems as a CSV for people (UTF-8 with BOM, Vietnamese headers, lỗi / lưu ý)."""
    # = write_people_frame(problems_frame(results), out, PROBLEM_HEADERS_VI, {"severity": SEVERITY_VI}),
    # from the problems directly (no frame of tens of thousands of rows built and read back)
    rows = (
        (SEVERITY_VI.get(p.severity, p.severity), p.reason, p.file, "" if p.line is None else int(p.line), p.cell, p.unit, p.criterion, p.field, p.message)
        for p in results.problems
    )
    write_people_csv(out, list(PROBLEM_HEADERS_VI.values()), rows)


def write_results(results: Results, out: Path) -> None:
    suffix = out_suffix(out, FORMATS)
    if suffix == ".json":
        write_bytes(out, json_parts(to_json_dict(results, include_units=False), {"units": json_units_block(results)}))
    elif suffix == ".csv":
        write_csv(units_frame(results), out)
    elif suffix == ".xlsx":
        write_xlsx(results, out)
    else:
        write_text(out, render_html(results))


def write_csv(df: pd.DataFrame, out: Path) -> None:
    """``df.to_csv(out, index=False)`` as pandas writes it (missing cells empty, floats by their
    shortest repr, ``\n`` line ends), by the csv module: pandas' writer formats cell by cell
    through its own machinery and takes twice as long on 10,000 units."""
    columns = []
    for name in df.columns:
        col = df[name]
        cells = col.to_numpy(dtype=object, copy=True)  # a view may be read-only (an Int64 column without bands)
        missing = col.isna().to_numpy()
        if missing.any():
            cells[missing] = ""
        if spreadsheet.is_text(col):
            cells = np.array([spreadsheet.csv_cell(v) for v in cells], dtype=object)
        columns.append(cells.tolist())
    with writing(out) as tmp, tmp.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(spreadsheet.csv_row([str(c) for c in df.columns]))
        writer.writerows(zip(*columns, strict=True))


def json_bytes(doc: dict[str, Any], blocks: dict[str, Iterable[bytes]] | None = None) -> bytes:
    """``doc`` as JSON in UTF-8 with one unit (and one problem) per line (:func:`json_parts`)."""
    return b"".join(json_parts(doc, blocks))


def json_parts(doc: dict[str, Any], blocks: dict[str, Iterable[bytes]] | None = None) -> Iterator[bytes]:
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


def write_xlsx(results: Results, out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    df = units_frame(results)
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
            cell.number_format = "0.00"
    for i, c in enumerate(df.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 40 if c == "name" else (22 if c.startswith("points_") else 12)
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
    rows = [
        {**r, **{k: format_fixed(v) for k, v in r.items() if k in ("points", "max", "index") or str(k).startswith("points_")}}
        for r in df.to_dict("records")
    ]
    return html.render(
        "score.html.j2",
        dataset_label=results.label,
        criteria=results.criteria_id,
        stage=results.stage,
        rows=rows,
        areas=area_headers(results),
        problems=problems_frame(results).to_dict("records"),
        headers=HEADERS_VI,
        severity=SEVERITY_VI,
    )
