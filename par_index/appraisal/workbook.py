"""The appraisal workbook: proposals written for the appraiser, decisions read back.

Sheet ``Đề xuất``: one row per proposed cut (unit, criterion, self value and points, proposed
points, reason) and the appraiser's columns — decision (``đồng ý`` / ``không``), points, value,
reason, name, date. Sheet ``Thông tin``: the round and how to fill the sheet.

Read back (:func:`read_decisions`): an accepted row becomes an appraisal record of the
workbook's round — its points are the appraiser's points, or the proposed points when left
empty; a rejected row changes nothing. Rows the appraiser adds at the bottom are read the same
way. An accepted row without the appraiser's reason is refused (``appraisal_reason_missing``).
Cells are read as values; a formula cell is refused, never evaluated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from par_index.appraisal.proposals import KIND_WORDS, Proposal
from par_index.common import spreadsheet
from par_index.common.values import format_date, nfc, parse_date_scalar, parse_numbers
from par_index.errors import InputError, Problem
from par_index.messages import (
    DATE_UNREADABLE,
    EXCEL_UNREADABLE,
    FORMULA_IN_CELL,
    POINTS_EXPECTED,
    REASON_REQUIRED,
    ROUND_UNKNOWN,
    not_a_number,
)
from par_index.unit_data.reader import cell_text as sheet_cell_text

SHEET = "Đề xuất"
INFO_SHEET = "Thông tin"
ROUND_LABEL = "Vòng thẩm định"
HEADER_ROW = 3
# (key, header, width); the appraiser fills the last six
COLUMNS = [
    ("unit", "Mã đơn vị", 16),
    ("unit_name", "Tên đơn vị", 28),
    ("criterion", "Mã tiêu chí", 10),
    ("criterion_name", "Tiêu chí", 40),
    ("max", "Điểm tối đa", 9),
    ("self_value", "Giá trị tự đánh giá", 16),
    ("self_points", "Điểm tự chấm", 10),
    ("current_points", "Điểm hiện tại", 10),
    ("proposed_points", "Điểm đề xuất", 10),
    ("kinds", "Loại đề xuất", 22),
    ("reason", "Lý do đề xuất", 50),
    ("decision", "Quyết định (đồng ý/không)", 14),
    ("final_points", "Điểm thẩm định", 11),
    ("final_value", "Giá trị thẩm định", 14),
    ("final_reason", "Lý do thẩm định", 40),
    ("appraiser", "Người thẩm định", 20),
    ("date", "Ngày thẩm định", 13),
]
APPRAISER_KEYS = ("decision", "final_points", "final_value", "final_reason", "appraiser", "date")
HEADERS = {key: header for key, header, _ in COLUMNS}
YES = frozenset({"đồng ý", "dong y", "đồng y", "có", "co", "yes", "y", "x", "1", "ok", "đ"})
NO = frozenset({"không", "khong", "không đồng ý", "khong dong y", "no", "n", "0"})


def cell_text(v: object) -> str:
    """A cell's value as NFC text without surrounding spaces (dates as yyyy-mm-dd; 3.0 as 3)."""
    return nfc(sheet_cell_text(v)).strip()


def write_proposals(proposals: Sequence[Proposal], path: Path, round_no: int, criteria_ids: str, data_source: str) -> None:
    """The workbook the appraiser edits (one row per proposal)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    last = get_column_letter(len(COLUMNS))
    spreadsheet.put(ws["A1"], f"Đề xuất cắt giảm điểm khi thẩm định lần {round_no} — {criteria_ids}")
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = (
        "Người thẩm định điền các cột tô vàng: Quyết định (đồng ý/không), Điểm thẩm định (để trống = điểm đề xuất), "
        "Lý do thẩm định (bắt buộc khi đồng ý), Người thẩm định, Ngày thẩm định. Có thể thêm dòng mới ở cuối bảng."
    )
    ws.merge_cells(f"A2:{last}2")
    ws["A2"].alignment = Alignment(wrap_text=True)
    ws.row_dimensions[2].height = 32
    fill = PatternFill("solid", fgColor="FFF2CC")
    head_fill = PatternFill("solid", fgColor="D9E1F2")
    for col, (key, header, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(HEADER_ROW, col, header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.fill = fill if key in APPRAISER_KEYS else head_fill
        ws.column_dimensions[get_column_letter(col)].width = width
    wrap_top = Alignment(wrap_text=True, vertical="top")  # one style object for every cell (a new one per cell costs)
    for n, p in enumerate(proposals, start=HEADER_ROW + 1):
        values: dict[str, object] = {
            "unit": p.unit,
            "unit_name": p.unit_name,
            "criterion": p.criterion,
            "criterion_name": p.criterion_name,
            "max": p.max,
            "self_value": p.self_value,
            "self_points": p.self_points,
            "current_points": p.current_points,
            "proposed_points": p.proposed_points,
            "kinds": "; ".join(KIND_WORDS.get(k, k) for k in p.kinds),
            "reason": p.reason,
        }
        for col, (key, _header, _w) in enumerate(COLUMNS, start=1):
            cell = spreadsheet.put(ws.cell(n, col), values.get(key))
            cell.alignment = wrap_top
            if key in ("max", "self_points", "current_points", "proposed_points", "final_points"):
                cell.number_format = spreadsheet.NUMBER_FORMAT
            if key == "self_value":
                cell.data_type = "s"
            if key in APPRAISER_KEYS:
                cell.fill = fill
    decision_col = get_column_letter(_col("decision"))
    dv = DataValidation(type="list", formula1='"đồng ý,không"', allow_blank=True)
    dv.error = "Chọn 'đồng ý' hoặc 'không'"
    dv.add(f"{decision_col}{HEADER_ROW + 1}:{decision_col}{HEADER_ROW + max(len(proposals), 1) + 200}")
    ws.add_data_validation(dv)
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 4)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(len(proposals), 1)}"
    info = wb.create_sheet(INFO_SHEET)
    reason_rule = REASON_REQUIRED.format(where=f"cột {HEADERS['final_reason']}")
    rows = [
        (ROUND_LABEL, round_no),
        ("Bộ tiêu chí", criteria_ids),
        ("Dữ liệu", data_source),
        ("Ngày lập", format_date(dt.date.today())),
        ("Số đề xuất", len(proposals)),
        ("Cách dùng", "Sau khi điền, lưu tệp vào thư mục dữ liệu (giữ tên tệp này hoặc đặt tên bất kỳ, giữ trang «Đề xuất»); lệnh 'par-index score' sẽ đọc các quyết định."),
        ("Đồng ý", "Dòng được đồng ý trở thành điểm thẩm định của vòng này: Điểm thẩm định (hoặc Giá trị thẩm định), để trống thì lấy Điểm đề xuất."),
        ("Không", "Dòng không đồng ý không thay đổi điểm."),
        ("Lý do", reason_rule[:1].upper() + reason_rule[1:] + "; dòng đồng ý mà không ghi lý do bị từ chối và không được áp dụng."),
        ("Không dùng công thức", "Ô chứa công thức không được đọc; hãy nhập trực tiếp số."),
    ]
    for n, (k, v) in enumerate(rows, start=1):
        info.cell(n, 1, k).font = Font(bold=True)
        spreadsheet.put(info.cell(n, 2), v).alignment = Alignment(wrap_text=True)
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 100
    spreadsheet.save(wb, path)


def _col(key: str) -> int:
    return [k for k, _h, _w in COLUMNS].index(key) + 1


def is_appraisal_workbook(path: Path) -> bool:
    """Is ``path`` a workbook written by ``par-index appraise`` (an .xlsx with the sheet «Đề xuất»),
    whatever its name?"""
    from par_index.unit_data.reader import has_sheet

    return has_sheet(path, SHEET)


def read_decisions(path: Path, problems: list[Problem]) -> pd.DataFrame:
    """The accepted rows of an edited workbook as appraisal records (``RECORD_COLUMNS``)."""
    from openpyxl import load_workbook

    from par_index.appraisal.records import RECORD_COLUMNS, reason_missing_message
    from par_index.common.xlsx_guard import check_loaded_sheet, check_workbook

    check_workbook(path, loaded=True)
    try:
        wb = load_workbook(path, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InputError(Problem("xlsx_unreadable", EXCEL_UNREADABLE.format(error=exc), file=str(path))) from None
    try:
        round_no = _read_round(wb, path)
        ws = wb[SHEET] if SHEET in wb.sheetnames else None
        if ws is None:
            raise InputError(Problem("sheet_missing", f"thiếu trang tính '{SHEET}' của bảng đề xuất thẩm định", file=str(path)))
        check_loaded_sheet(ws, f"{path.name}[{SHEET}]")
        rows = list(ws.iter_rows())
    finally:
        wb.close()
    where = f"{path.name}[{SHEET}]"
    cols = _find_header(rows, where)
    records = []
    undecided: list[int] = []
    for row in rows:
        line = row[0].row if row and hasattr(row[0], "row") else None
        if line is None or line <= cols["_header_row"]:
            continue
        cells = {key: (row[c] if c < len(row) else None) for key, c in cols.items() if key != "_header_row"}
        formulas = [c for c in cells.values() if c is not None and getattr(c, "data_type", "") == "f"]
        text = {key: cell_text(c.value) if c is not None else "" for key, c in cells.items()}
        if not any(text.values()):
            continue
        unit, criterion = text.get("unit", ""), text.get("criterion", "")

        def add(
            reason: str, message: str, severity: str = "error", line: int = line, unit: str = unit, criterion: str = criterion, cell: str = ""
        ) -> None:
            problems.append(Problem(reason, message, file=where, line=line, cell=cell, unit=unit, criterion=criterion, severity=severity))

        for c in formulas:  # never evaluated: one problem per cell, the row is not applied
            formula = str(getattr(c.value, "text", c.value))  # ArrayFormula keeps its text in .text
            add("appraisal_formula", FORMULA_IN_CELL.format(cell="ô", formula=formula, kinds="số, ngày, văn bản") + "; dòng này không được áp dụng", cell=c.coordinate)
        if formulas:
            continue
        decision = text.get("decision", "").lower()
        if not decision:
            undecided.append(line)
            continue
        if decision in NO:
            if not text.get("final_reason"):
                add("appraisal_reason_missing", "không đồng ý với đề xuất nhưng không ghi lý do (cột Lý do thẩm định); điểm giữ nguyên", "warning")
            continue
        if decision not in YES:
            add("appraisal_decision_unreadable", f"quyết định '{text['decision']}' không đọc được: ghi 'đồng ý' hoặc 'không'; dòng này không được áp dụng")
            continue
        if not unit or not criterion:
            add("appraisal_row_incomplete", "thiếu mã đơn vị hoặc mã tiêu chí; dòng này không được áp dụng")
            continue
        if not text.get("final_reason"):
            add("appraisal_reason_missing", reason_missing_message(round_no, HEADERS["final_reason"]))
            continue
        value = text.get("final_value", "")
        points = text.get("final_points", "") or ("" if value else text.get("proposed_points", ""))
        if not value and not points:
            add("appraisal_empty", "đồng ý nhưng không có Điểm thẩm định, Giá trị thẩm định hay Điểm đề xuất; dòng này không được áp dụng")
            continue
        if points and np_isnan(parse_numbers(pd.Series([points]))[0][0]):
            add("appraisal_points_unreadable", not_a_number("điểm thẩm định", points, POINTS_EXPECTED) + "; dòng này không được áp dụng")
            continue
        date = text.get("date", "")
        if date and parse_date_scalar(date) is None:
            add("appraisal_date_unreadable", DATE_UNREADABLE.format(what="ngày thẩm định", text=date), "warning")
        if not text.get("appraiser"):
            add("appraisal_appraiser_missing", "chưa ghi tên người thẩm định (cột Người thẩm định)", "warning")
        records.append(
            {
                "unit": unit,
                "criterion": criterion,
                "stage": f"appraisal{round_no}",
                "value": value,
                "points": points,
                "reason": text["final_reason"],
                "appraiser": text.get("appraiser", ""),
                "date": date,
                "at_file": where,
                "at_line": line,
            }
        )
    if undecided:
        shown = ", ".join(str(n) for n in undecided[:10]) + (", …" if len(undecided) > 10 else "")
        problems.append(
            Problem(
                "appraisal_undecided",
                f"{len(undecided)} đề xuất chưa có quyết định (dòng {shown}); các dòng này chưa thay đổi điểm",
                file=where,
                severity="warning",
            )
        )
    return pd.DataFrame(records, columns=RECORD_COLUMNS)


def np_isnan(x: float) -> bool:
    return bool(x != x)


def _read_round(wb: object, path: Path) -> int:
    sheets = wb.sheetnames  # type: ignore[attr-defined]
    if INFO_SHEET in sheets:
        for row in wb[INFO_SHEET].iter_rows(values_only=True):  # type: ignore[index]
            if row and cell_text(row[0]).lower() == ROUND_LABEL.lower():
                value = cell_text(row[1]) if len(row) > 1 else ""
                if value in ("1", "2"):
                    return int(value)
                raise InputError(
                    Problem("appraisal_round_unknown", ROUND_UNKNOWN.format(round=value), file=f"{path.name}[{INFO_SHEET}]")
                )
    raise InputError(
        Problem(
            "appraisal_round_unknown",
            f"không tìm thấy dòng '{ROUND_LABEL}' trong trang tính '{INFO_SHEET}'; tệp này không phải bảng đề xuất thẩm định do par-index appraise tạo",
            file=str(path),
        )
    )


def _find_header(rows: list[tuple[object, ...]], where: str) -> dict[str, int]:
    wanted = {nfc(h).lower(): key for key, h, _w in COLUMNS}
    for row in rows[:10]:
        found: dict[str, int] = {}
        for c, cell in enumerate(row):
            key = wanted.get(cell_text(getattr(cell, "value", None)).lower())
            if key is not None:
                found[key] = c
        if "unit" in found:
            needed = ("unit", "criterion", "proposed_points", "decision", "final_points", "final_reason", "appraiser")
            missing = [HEADERS[k] for k in needed if k not in found]
            if missing:
                raise InputError(Problem("column_missing", f"thiếu cột {', '.join(missing)} trong bảng đề xuất thẩm định", file=where))
            found["_header_row"] = getattr(row[0], "row", HEADER_ROW)
            return found
    raise InputError(Problem("column_missing", f"không tìm thấy dòng tiêu đề (cột '{HEADERS['unit']}') trong 10 dòng đầu", file=where))
