"""Rendering the agency matrix: an Excel workbook, a self-contained HTML page, rich tables.

Reads :class:`~par_index.evidence.matrix.AgencyMatrix` only; computes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from par_index.common import html, spreadsheet
from par_index.common.text_files import out_suffix, write_text
from par_index.common.values import format_date
from par_index.evidence.matrix import DETAIL_HEADERS, SUMMARY_HEADERS, AgencyMatrix

FORMATS = (".xlsx", ".html")
WRAPPED = ("agency_name", "leaf_name", "document", "unit_name", "supplied", "notes")  # detail columns wrapped
STATUS_FILL = {"missing": "F8CBAD", "late": "FFE699", "date": "FCE4D6", "file": "FCE4D6", "issuer": "FCE4D6"}


def write_matrix(matrix: AgencyMatrix, out: Path, today: dt.date | None = None) -> None:
    suffix = out_suffix(out, FORMATS, " cho ma trận tài liệu")
    if suffix == ".xlsx":
        write_xlsx(matrix, out)
    else:
        write_text(out, render_html(matrix, today or dt.date.today()))


def write_xlsx(matrix: AgencyMatrix, out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor="1F4E79")
    wrap = Alignment(wrap_text=True, vertical="top")

    ws = wb.active
    ws.title = "Tổng hợp"
    spreadsheet.append(ws, list(SUMMARY_HEADERS.values()))
    for s in matrix.summary:
        d = asdict(s)
        spreadsheet.append(ws, [d[k] for k in SUMMARY_HEADERS])
    widths = {"A": 16, "B": 40, "C": 14, "D": 8, "E": 8, "F": 8, "G": 18, "H": 16}
    for col, w in widths.items():
        ws.column_dimensions[col].width = w

    detail = wb.create_sheet("Chi tiết")
    spreadsheet.append(detail, list(DETAIL_HEADERS.values()))
    status_col = list(DETAIL_HEADERS).index("status") + 1
    fills = {code: PatternFill("solid", fgColor=colour) for code, colour in STATUS_FILL.items()}
    for row_no, r in enumerate(matrix.rows, start=2):  # the row just appended (max_row scans every row)
        d = asdict(r)
        spreadsheet.append(detail, [d[k] for k in DETAIL_HEADERS])
        if r.status_code in fills:
            detail.cell(row=row_no, column=status_col).fill = fills[r.status_code]
    detail_widths = [14, 28, 20, 10, 40, 40, 22, 14, 28, 14, 50, 50]
    for k, w in enumerate(detail_widths, start=1):
        detail.column_dimensions[get_column_letter(k)].width = w
    for sheet in (ws, detail):
        for cell in sheet[1]:
            cell.font, cell.fill, cell.alignment = head_font, head_fill, wrap
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
    text_columns = [k for k, key in enumerate(DETAIL_HEADERS, start=1) if key in WRAPPED]  # long texts only
    for row in detail.iter_rows(min_row=2):
        for k in text_columns:
            row[k - 1].alignment = wrap
    spreadsheet.save(wb, out)


def render_html(matrix: AgencyMatrix, today: dt.date) -> str:
    return html.render(
        "evidence.html.j2",
        criteria=matrix.criteria,
        today=format_date(today),
        summary=[asdict(s) for s in matrix.summary],
        summary_headers=SUMMARY_HEADERS,
        agencies=[(s.agency, s.agency_name, [asdict(r) for r in matrix.for_agency(s.agency)]) for s in matrix.summary],
        headers=DETAIL_HEADERS,
    )


def print_matrix(matrix: AgencyMatrix, out: Console, show_all: bool = False) -> None:
    """A summary table, then per agency the documents still missing, late or faulty."""
    t = Table(title=f"Tài liệu kiểm chứng theo cơ quan cung cấp — {matrix.criteria}", title_justify="left")
    for key, label in SUMMARY_HEADERS.items():
        t.add_column(label, justify="left" if key in ("agency", "agency_name") else "right")
    for s in matrix.summary:
        d = asdict(s)
        t.add_row(*(str(d[k]) for k in SUMMARY_HEADERS))
    out.print(t)
    for s in matrix.summary:
        rows = [r for r in matrix.for_agency(s.agency) if show_all or r.status_code != "ok"]
        if not rows:
            continue
        a = Table(
            title=f"{s.agency_name} ({s.agency}): {len(rows)} tài liệu cần xử lý", title_justify="left", show_lines=True
        )
        a.add_column("Tiêu chí", no_wrap=True)
        a.add_column("Tài liệu cần có", overflow="fold", ratio=3)
        a.add_column("Đơn vị", overflow="fold")
        a.add_column("Tình trạng")
        a.add_column("Ghi chú", overflow="fold", ratio=3)
        for r in rows:
            a.add_row(r.leaf, r.document, r.unit_name, r.status, r.notes)
        out.print(a)
