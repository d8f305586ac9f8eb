"""Rendering a :class:`~par_index.reform_plan.status.PlanStatus`: JSON, CSV, Excel and rich tables.

Reads the status only. JSON keeps ISO dates and the share as a number (0..1); CSV and Excel
are for people: Vietnamese headers, dates dd/mm/yyyy, the share as a percentage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from par_index.common import spreadsheet
from par_index.common.text_files import out_suffix, write_text
from par_index.common.values import format_date, format_number
from par_index.reform_plan.status import STATUS_WORDS, AgencyStatus, PlanStatus, TaskStatus

FORMATS = (".json", ".csv", ".xlsx")
AGENCY_HEADERS = {
    "agency": "Mã cơ quan",
    "name": "Cơ quan chủ trì",
    "tasks": "Số nhiệm vụ",
    "due": "Đến hạn",
    "done": "Đã hoàn thành",
    "done_late": "Trong đó hoàn thành muộn",
    "overdue": "Quá hạn",
    "in_progress": "Đang thực hiện",
    "undated": "Không có hạn cụ thể",
    "not_yet_due": "Chưa đến hạn",
    "share": "Tỷ lệ hoàn thành (%)",
}
TASK_HEADERS = {
    "id": "Mã nhiệm vụ",
    "area": "Lĩnh vực",
    "activity": "Nhiệm vụ / hoạt động",
    "lead": "Chủ trì",
    "deadline": "Thời gian",
    "due": "Hạn",
    "status": "Tiến độ báo cáo",
    "done_on": "Ngày hoàn thành",
    "state": "Đánh giá",
    "note": "Ghi chú",
    "origin": "Nguồn trong kế hoạch",
    "criteria": "Tiêu chí chấm điểm",
    "plan_note": "Ghi chú của kế hoạch",
}


def share_percent(a: AgencyStatus) -> float | None:
    return None if a.share is None else round(float(a.share) * 100, 2)


def agency_rows(status: PlanStatus) -> list[dict[str, Any]]:
    out = []
    for a in status.agencies:
        row = {k: getattr(a, k) for k in AGENCY_HEADERS if k != "share"}
        row["share"] = share_percent(a)
        out.append(row)
    return out


def task_rows(status: PlanStatus) -> list[dict[str, Any]]:
    out = []
    for s in status.tasks:
        t, p = s.task, s.progress
        out.append(
            {
                "id": t.id,
                "area": t.area,
                "activity": t.label,
                "lead": ", ".join(status.plan.agencies.get(a, a) for a in t.lead),
                "deadline": t.deadline.text if t.deadline else "",
                "due": format_date(t.due) if t.due else "",
                "status": STATUS_WORDS[p.status] if p else "chưa báo cáo",
                "done_on": format_date(p.done_on) if p and p.done_on else "",
                "state": s.state_vi,
                "note": p.note if p else "",
                "origin": t.origin_vi,
                "criteria": t.criteria_text,
                "plan_note": t.note or "",
            }
        )
    return out


def to_json_dict(status: PlanStatus) -> dict[str, Any]:
    plan = status.plan.plan
    return {
        "plan": plan.id,
        "as_of": status.as_of.isoformat(),
        "agencies": [
            {
                **{k: getattr(a, k) for k in AGENCY_HEADERS if k != "share"},
                "expected": a.expected,
                "share": None if a.share is None else float(a.share),
            }
            for a in status.agencies
        ],
        "tasks": [
            {
                "id": s.task.id,
                "origin": s.task.origin,
                "criteria": s.task.criteria,
                "lead": s.task.lead,
                "due": s.task.due.isoformat() if s.task.due else None,
                "status": s.progress.status if s.progress else None,
                "done_on": s.progress.done_on.isoformat() if s.progress and s.progress.done_on else None,
                "done": s.done,
                "done_late": s.done_late,
                "overdue": s.overdue,
            }
            for s in status.tasks
        ],
        "problems": [p.as_dict() for p in status.problems],
    }


def write_status(status: PlanStatus, out: Path) -> None:
    suffix = out_suffix(out, FORMATS)
    if suffix == ".json":
        write_text(out, json.dumps(to_json_dict(status), ensure_ascii=False, indent=1))
    elif suffix == ".csv":
        from par_index.common.csv_out import write_people_csv

        rows = [
            ["" if row[k] is None else (format_number(row[k]) if k == "share" else row[k]) for k in AGENCY_HEADERS]
            for row in agency_rows(status)
        ]
        write_people_csv(out, list(AGENCY_HEADERS.values()), rows)
    else:
        _write_xlsx(status, out)


def _write_xlsx(status: PlanStatus, out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Theo cơ quan"
    spreadsheet.append(ws, [f"{status.plan.plan.title} — tiến độ tính đến ngày {format_date(status.as_of)}"])
    spreadsheet.append(ws, list(AGENCY_HEADERS.values()))
    for row in agency_rows(status):
        spreadsheet.append(ws, [row[k] for k in AGENCY_HEADERS])
    share_col = len(AGENCY_HEADERS)
    for (cell,) in ws.iter_rows(min_row=3, min_col=share_col, max_col=share_col):
        cell.number_format = spreadsheet.NUMBER_FORMAT
    tasks = wb.create_sheet("Chi tiết nhiệm vụ")
    spreadsheet.append(tasks, list(TASK_HEADERS.values()))
    for trow in task_rows(status):
        spreadsheet.append(tasks, [trow[k] for k in TASK_HEADERS])
    probs = wb.create_sheet("Vấn đề")
    spreadsheet.append(probs, ["Mức độ", "Mã lỗi", "Tệp", "Dòng", "Nhiệm vụ", "Nội dung"])
    for p in status.problems:
        spreadsheet.append(probs, [p.severity, p.reason, p.file, p.line, p.criterion, p.message])
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E79")
    ws["A1"].font = Font(bold=True)
    for sheet, header_row, widths in (
        (ws, 2, [16, 40] + [12] * 9),
        (tasks, 1, [12, 8, 60, 30, 24, 12, 16, 14, 22, 30, 14, 36, 50]),
        (probs, 1, [10, 22, 30, 8, 12, 90]),
    ):
        for cell in sheet[header_row]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for k, w in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(k)].width = w
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    spreadsheet.save(wb, out)


def print_status(status: PlanStatus, out: Console) -> None:
    from rich import box

    plan = status.plan.plan
    # on an 80-column terminal: the agency by name (its code is in the --out files), the ten
    # counts as narrow as their numbers, headings wrapped at spaces — a word is never cut in two
    t = Table(title=f"{plan.title} — tiến độ tính đến ngày {format_date(status.as_of)}", title_justify="left",
              box=box.SIMPLE_HEAD, padding=(0, 0))
    shown = [k for k in AGENCY_HEADERS if k != "agency"]
    for key in shown:
        if key == "name":
            t.add_column(AGENCY_HEADERS[key], min_width=10, ratio=1)
        else:
            t.add_column(AGENCY_HEADERS[key], justify="right", width=5)  # "90,48", and no heading word is longer
    for row in agency_rows(status):
        t.add_row(*("" if row[k] is None else (format_number(row[k]) if k == "share" else str(row[k])) for k in shown))
    out.print(t)
    overdue = [s for s in status.tasks if s.overdue]
    if overdue:
        o = Table(title=f"Nhiệm vụ quá hạn ({len(overdue)})", title_justify="left")
        o.add_column("Mã")
        o.add_column("Nhiệm vụ / hoạt động", overflow="fold", ratio=3)
        o.add_column("Chủ trì", overflow="fold")
        o.add_column("Hạn")
        o.add_column("Tiến độ")
        o.add_column("Tiêu chí chấm điểm", overflow="fold")
        for s in overdue:
            o.add_row(
                s.task.id,
                s.task.label,
                ", ".join(status.plan.agencies.get(a, a) for a in s.task.lead),
                format_date(s.task.due),
                STATUS_WORDS[s.progress.status] if s.progress else "chưa báo cáo",
                s.task.criteria_text or "—",
            )
        out.print(o)
    print_criteria_links(status, out)


def print_criteria_links(status: PlanStatus, out: Console) -> None:
    """Per criteria set and criterion, the plan tasks it scores and how many of them are done."""
    links: dict[tuple[str, str], list[TaskStatus]] = {}
    for s in status.tasks:
        for set_id, codes in s.task.criteria.items():
            for code in codes:
                links.setdefault((set_id, code), []).append(s)
    tasks = status.tasks
    main_text = sum(1 for s in tasks if s.task.origin == "main_text")
    linked = sum(1 for s in tasks if s.task.criteria)
    out.print(
        f"{linked}/{len(tasks)} nhiệm vụ có tiêu chí chấm điểm "
        f"({main_text} nhiệm vụ lấy từ phần chính văn của kế hoạch, còn lại từ Phụ lục)."
    )
    if not links:
        return
    t = Table(title="Chỉ tiêu của kế hoạch và tiêu chí chấm điểm", title_justify="left")
    t.add_column("Bộ tiêu chí")
    t.add_column("Tiêu chí")
    t.add_column("Nhiệm vụ của kế hoạch", overflow="fold", ratio=2)
    t.add_column("Đã hoàn thành", justify="right")
    for (set_id, code), items in sorted(links.items(), key=lambda kv: (kv[0][0], _code_key(kv[0][1]))):
        t.add_row(set_id, code, ", ".join(s.task.id for s in items), f"{sum(s.done for s in items)}/{len(items)}")
    out.print(t)


def _code_key(code: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in code.split("."))
