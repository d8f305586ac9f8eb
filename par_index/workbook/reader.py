"""Reading filled self-assessment workbooks (one file, or a folder of them: one per unit).

Listed among the readers of :func:`par_index.pipeline.read_data`, so ``score --data`` takes a
workbook or a folder of workbooks like any other data. Only the input cells are read (value,
evidence, explanation); the workbook's own formulas and their cached results are never used.
A formula typed into an input cell is reported and not evaluated. Every row keeps its sheet and
cell, so a problem reads "…[Tự đánh giá] ô E14, …: 120% vượt quá 100%".

Cell values become the text the engine reads: percent-formatted numbers as ``93%`` (written so
that they read back to the very same number), Excel dates as ISO dates, booleans as có/không.
A number or date typed as text is refused (``value_is_text``, an error, scored 0): the form's
formulas count such a cell 0, so the engine does too and the total the head of the unit signs
is the engine's. Survey leaves (marked in the metadata sheet) are read as stage ``survey``: the
mark is the form's claim, which the engine checks against the criteria (a survey-stage row on a
leaf that is not a survey leaf is the unit's own, ``survey_stage_on_unit_leaf``); survey-ness has
one owner, the criteria, read in :mod:`par_index.scoring.layout`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from par_index.common.values import is_na_text, nfc, parse_numbers
from par_index.errors import InputError, Problem
from par_index.messages import DECIMAL_FORM, EXCEL_UNREADABLE, FORMULA_IN_CELL, POINTS_FORM, RATIO_FORM, WHOLE_FORM
from par_index.unit_data.reader import UnitData, finish_table, has_sheet
from par_index.workbook.layout import (
    COLUMNS,
    EVIDENCE_COLUMNS,
    EVIDENCE_SHEET,
    HEADER_SCAN_ROWS,
    INPUTS,
    KIND_LABEL,
    LABEL_COL,
    MAIN_SHEET,
    META_FILLED_COL,
    META_KIND_COL,
    META_LEAF_COL,
    META_SHEET,
    NAME_LABEL,
    REQUIRED_HEADERS,
    UNIT_LABEL,
    VALUE_COL,
    col,
    header,
)

NUMBER_KINDS = ("ratio", "count", "number", "points")
# what to enter instead of text in a value cell (the catalogue's forms, as the web form's hints)
EXPECT = {
    "ratio": RATIO_FORM,
    "count": WHOLE_FORM,
    "number": DECIMAL_FORM,
    "points": POINTS_FORM,
    "date": "một ngày của Excel (dd/mm/yyyy)",
}

if TYPE_CHECKING:
    import pandas as pd
    from openpyxl.worksheet.worksheet import Worksheet


def is_workbook(path: Path) -> bool:
    """Is ``path`` a self-assessment workbook (an .xlsx with the sheet «Tự đánh giá»)?"""
    return has_sheet(path, MAIN_SHEET)


def accepts(path: Path) -> bool:
    if path.is_dir():
        return not (path / "units.csv").is_file() and any(is_workbook(p) for p in path.glob("*.xls[xm]"))
    return is_workbook(path)


def read_workbooks(path: Path) -> UnitData:
    """One workbook, or every workbook in a folder (the other files there are reported by
    :func:`par_index.pipeline.unread_files` unless another reader takes them)."""
    import pandas as pd

    problems: list[Problem] = []
    if path.is_dir():
        books = sorted(p for p in path.glob("*.xls[xm]") if is_workbook(p))
        root = path
    else:
        books, root = [path], path.parent
    parts = [_read_one(p, problems) for p in books]
    tables = {name: pd.concat([t[name] for t in parts], ignore_index=True) for name in ("units", "assessments", "evidence")}
    return UnitData(tables["units"], tables["assessments"], tables["evidence"], str(path), problems, files_root=root)


def _read_one(path: Path, problems: list[Problem]) -> dict[str, pd.DataFrame]:
    import pandas as pd
    from openpyxl import load_workbook  # here: reading CSV folders does not load openpyxl

    from par_index.common.xlsx_guard import check_loaded_sheet, check_workbook

    check_workbook(path, loaded=True)
    try:
        wb = load_workbook(path, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InputError(Problem("xlsx_unreadable", EXCEL_UNREADABLE.format(error=exc), file=str(path))) from None
    if MAIN_SHEET not in wb.sheetnames:
        raise InputError(Problem("sheet_missing", f"thiếu trang tính «{MAIN_SHEET}»", file=str(path)))
    ws = wb[MAIN_SHEET]
    where = f"{path.name}[{MAIN_SHEET}]"  # relative to the data folder
    check_loaded_sheet(ws, where)
    kinds, survey = _leaf_kinds(wb)
    unit, name, kind, unit_row = _header_block(ws, where)
    head_row, columns = _table_header(ws, where)
    units = pd.DataFrame([{"unit": unit, "name": name, "kind": kind, "at_line": unit_row, "at_cell": f"{VALUE_COL}{unit_row}"}])
    assessments: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    for r in range(head_row + 1, ws.max_row + 1):
        code = _plain(ws.cell(r, columns["code"]).value)
        got: dict[str, str] = {}
        for key in INPUTS:
            cell = ws.cell(r, columns[key])
            value_kind: str | None = kinds.get(code) if key == "value" else ("date" if key == "issued_on" else "text")
            got[key] = _input_text(cell, value_kind, where, unit, code, problems, warn_text=key == "value")
        if not any(got.values()):
            continue
        if not code:
            problems.append(
                Problem("row_without_code", "dòng có dữ liệu nhưng không có mã tiêu chí ở cột A; dòng này bị bỏ qua", file=where, line=r, cell=f"{_letter(columns['code'])}{r}", unit=unit, severity="warning")
            )
            continue
        if got["value"] or got["note"]:
            assessments.append(
                {"unit": unit, "criterion": code, "value": got["value"], "stage": "survey" if code in survey else "self", "note": got["note"], "points": "", "at_line": r, "at_cell": f"{_letter(columns['value'])}{r}"}
            )
        if got["document"] or got["issued_on"] or got["issuer"] or got["file"]:
            evidence.append(
                {"unit": unit, "criterion": code, **{k: got[k] for k in ("document", "issued_on", "issuer", "file")}, "at_line": r, "at_cell": f"{_letter(columns['document'])}{r}"}
            )
    extra = _evidence_sheet(wb, path, unit, problems)
    wb.close()
    ev_main = finish_table("evidence", _frame(evidence, "evidence"), where, problems)
    out = {
        "units": finish_table("units", units, where, problems),
        "assessments": finish_table("assessments", _frame(assessments, "assessments"), where, problems),
        "evidence": pd.concat([ev_main, extra], ignore_index=True),
    }
    return out


def _frame(rows: list[dict[str, Any]], name: str) -> pd.DataFrame:
    import pandas as pd

    cols = {"assessments": ["unit", "criterion", "value", "stage", "note", "points"], "evidence": ["unit", "criterion", "document", "issued_on", "issuer", "file"]}[name]
    return pd.DataFrame(rows, columns=[*cols, "at_line", "at_cell"], dtype=object)


def _leaf_kinds(wb: Any) -> tuple[dict[str, str], set[str]]:
    """Leaf code -> value kind, and the leaves Sở Nội vụ fills (survey), from the hidden
    metadata sheet (empty when it is gone)."""
    if META_SHEET not in wb.sheetnames:
        return {}, set()
    ws = wb[META_SHEET]
    from par_index.common.xlsx_guard import check_loaded_sheet

    check_loaded_sheet(ws, META_SHEET)
    out = {}
    survey = set()
    for r in range(2, ws.max_row + 1):
        code = _plain(ws[f"{META_LEAF_COL}{r}"].value)
        if code:
            out[code] = _plain(ws[f"{META_KIND_COL}{r}"].value)
            if _plain(ws[f"{META_FILLED_COL}{r}"].value):
                survey.add(code)
    return out, survey


def _plain(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return nfc(str(v)).strip()


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def _header_block(ws: Worksheet, where: str) -> tuple[str, str, str, int]:
    found: dict[str, int] = {}
    wanted = {UNIT_LABEL: "unit", NAME_LABEL: "name", KIND_LABEL: "kind"}
    for r in range(1, HEADER_SCAN_ROWS + 1):
        label = _plain(ws[f"{LABEL_COL}{r}"].value).casefold()
        for text, key in wanted.items():
            if label == text.casefold() and key not in found:
                found[key] = r
    problems = []
    values = {}
    for text, key in wanted.items():
        if key not in found:
            problems.append(Problem("workbook_header_missing", f"không tìm thấy ô «{text}» ở cột {LABEL_COL} phần đầu trang; hãy tạo lại phiếu bằng «par-index template»", file=where))
            continue
        r = found[key]
        values[key] = _plain(ws[f"{VALUE_COL}{r}"].value)
        if not values[key]:
            problems.append(Problem("workbook_header_empty", f"ô «{text}» trống: hãy ghi {text.lower()}", file=where, line=r, cell=f"{VALUE_COL}{r}"))
    if problems:
        raise InputError(problems)
    return values["unit"], values["name"], values["kind"], found["unit"]


def _table_header(ws: Worksheet, where: str) -> tuple[int, dict[str, int]]:
    code_text = header("code").casefold()
    head = next((r for r in range(1, HEADER_SCAN_ROWS + 1) if _plain(ws.cell(r, 1).value).casefold() == code_text), None)
    if head is None:
        raise InputError(
            Problem("workbook_table_missing", f"không tìm thấy dòng tiêu đề của bảng (ô ở cột A ghi «{header('code')}»); hãy tạo lại phiếu bằng «par-index template»", file=where)
        )
    by_text = {header(k).casefold(): k for k in COLUMNS}
    columns: dict[str, int] = {}
    for c in range(1, ws.max_column + 1):
        key = by_text.get(_plain(ws.cell(head, c).value).casefold())
        if key is not None and key not in columns:
            columns[key] = c
    missing = [k for k in REQUIRED_HEADERS if k not in columns]
    if missing:
        raise InputError(
            [
                Problem(
                    "workbook_header_missing",
                    f"thiếu cột «{header(k)}» ở dòng tiêu đề (dòng {head}); đừng xoá hay đổi tên tiêu đề cột — hãy tạo lại phiếu bằng «par-index template»",
                    file=where,
                    line=head,
                    cell=f"{col(k)}{head}",
                )
                for k in missing
            ]
        )
    return head, columns


def _input_text(cell: Any, kind: str | None, where: str, unit: str, code: str, problems: list[Problem], warn_text: bool = False) -> str:
    """The text the engine reads for one input cell ("" for empty or a typed-in formula)."""
    v = cell.value
    ref = cell.coordinate
    if cell.data_type == "f" or (isinstance(v, str) and v.startswith("=") and cell.data_type != "s"):
        problems.append(
            Problem(
                "input_formula",
                FORMULA_IN_CELL.format(cell="ô nhập liệu", formula=_formula_text(v), kinds="số, ngày, có/không") + " — ô này không được tính",
                file=where, line=cell.row, cell=ref, unit=unit, criterion=code,
            )
        )
        return ""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "có" if v else "không"
    if isinstance(v, dt.datetime | dt.date):
        day = v.date() if isinstance(v, dt.datetime) else v
        if kind in NUMBER_KINDS:
            from openpyxl.utils.datetime import to_excel

            return _number_text(float(to_excel(day)), False)
        return day.isoformat()
    if isinstance(v, int | float):
        if kind == "date" or (kind is None and cell.is_date):
            from openpyxl.utils.datetime import from_excel

            return from_excel(v).date().isoformat()
        return _number_text(float(v), "%" in (cell.number_format or ""))
    text = nfc(str(v)).strip()
    if warn_text and text and kind in (*NUMBER_KINDS, "date") and not is_na_text([text])[0]:
        # The form's formulas cannot read text, so the form counts 0 here: par-index counts 0
        # too (an error), so that the total the head of the unit signs is the engine's total.
        problems.append(
            Problem(
                "value_is_text",
                f"'{text}' được nhập dạng văn bản, không phải {EXPECT[kind]}: ô này được tính 0 điểm "
                f"(trong phiếu và khi chấm); hãy xoá ô rồi nhập lại {EXPECT[kind]}",
                file=where, line=cell.row, cell=ref, unit=unit, criterion=code,
            )
        )
        return ""
    return text


def _formula_text(v: object) -> str:
    text = getattr(v, "text", v)  # ArrayFormula keeps its text in .text
    return str(text)


def _number_text(v: float, percent: bool) -> str:
    """A number as text that the engine reads back to exactly ``v`` (``93%`` for percent cells)."""
    if percent:
        for digits in (12, 15, 17):
            s = format(v * 100, f".{digits}g")
            if "e" not in s and parse_numbers([f"{s}%"])[0][0] == v:
                return f"{s}%"
    if v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    return repr(v)


def _evidence_sheet(wb: Any, path: Path, unit: str, problems: list[Problem]) -> pd.DataFrame:
    where = f"{path.name}[{EVIDENCE_SHEET}]"
    rows: list[dict[str, Any]] = []
    if EVIDENCE_SHEET in wb.sheetnames:
        ws = wb[EVIDENCE_SHEET]
        code_text = EVIDENCE_COLUMNS["code"][1].casefold()
        head = next((r for r in range(1, 11) if _plain(ws.cell(r, 1).value).casefold() == code_text), None)
        if head is None:
            problems.append(Problem("workbook_header_missing", f"không tìm thấy dòng tiêu đề (ô ở cột A ghi «{EVIDENCE_COLUMNS['code'][1]}»); trang này không được đọc", file=where, severity="warning"))
        else:
            by_text = {v[1].casefold(): k for k, v in EVIDENCE_COLUMNS.items()}
            cols = {by_text[t]: c for c in range(1, ws.max_column + 1) if (t := _plain(ws.cell(head, c).value).casefold()) in by_text}
            for r in range(head + 1, ws.max_row + 1):
                got = {k: _input_text(ws.cell(r, c), "date" if k == "issued_on" else "text", where, unit, "", problems) for k, c in cols.items()}
                if not any(got.values()):
                    continue
                if not got.get("code"):
                    problems.append(Problem("row_without_code", "dòng có tài liệu nhưng thiếu mã tiêu chí ở cột A; dòng này bị bỏ qua", file=where, line=r, cell=f"A{r}", unit=unit, severity="warning"))
                    continue
                rows.append(
                    {"unit": unit, "criterion": got["code"], **{k: got.get(k, "") for k in ("document", "issued_on", "issuer", "file")}, "at_line": r, "at_cell": f"{_letter(cols.get('document', 2))}{r}"}
                )
    return finish_table("evidence", _frame(rows, "evidence"), where, problems)

