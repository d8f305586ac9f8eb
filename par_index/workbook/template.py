"""Writing the self-assessment workbook (phiếu tự đánh giá) a unit fills in.

One row per node of the criteria tree that applies to the unit's kind (areas, criteria and
leaves in reading order), with the scoring method in Vietnamese, an input cell whose data
validation fits the rule, evidence and explanation columns, and live formulas (see
:mod:`par_index.workbook.formulas`) that give the same points, maxima and index as the engine.
The sheet is protected; only the input cells are unlocked. A hidden sheet holds metadata.
"""

from __future__ import annotations

import datetime as dt
import math
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from par_index.common import spreadsheet
from par_index.common.text_metrics import row_height, wrapped_lines
from par_index.common.values import (
    format_number,
    is_na_text,
    parse_date_scalar,
    parse_dates,
    parse_numbers,
    parse_yes_no,
)
from par_index.criteria.compiled import CompiledCriteria, Leaf, NodeInfo
from par_index.errors import InputError, Problem
from par_index.messages import UNIT_KIND_UNKNOWN, UNIT_UNKNOWN
from par_index.scoring.engine import SetResult
from par_index.unit_data.reader import UnitData
from par_index.workbook.formulas import band_formula, index_formula, leaf_cells, na_test, num, sum_formula, value_kind
from par_index.workbook.layout import (
    COLUMNS,
    CRITERIA_LABEL,
    EVIDENCE_COLUMNS,
    EVIDENCE_HEADER_ROW,
    EVIDENCE_ROWS,
    EVIDENCE_SHEET,
    FORMAT,
    FORMAT_VERSION,
    INPUTS,
    KIND_LABEL,
    MAIN_SHEET,
    META_FILLED_COL,
    META_KEYS,
    META_KIND_COL,
    META_LEAF_COL,
    META_SHEET,
    NA_INPUT,
    NAME_LABEL,
    UNIT_LABEL,
    col,
)

HEADER_ROW = 10
FIRST_ROW = HEADER_ROW + 1
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
EVIDENCE_FILL = PatternFill("solid", fgColor="FFFBEA")
PARENT_FILL = PatternFill("solid", fgColor="E7E6E6")
SURVEY_FILL = PatternFill("solid", fgColor="D9D9D9")  # read-only: filled by Sở Nội vụ
TEXT_VALUE_FILL = PatternFill("solid", bgColor="FFC7CE")  # conditional: a value typed as text
AREA_FILL = PatternFill("solid", fgColor="D9E1F2")
HEAD_FILL = PatternFill("solid", fgColor="BDD7EE")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FORMATS = {"ratio": "0.00%", "count": "0", "points": "0.00", "number": "General", "date": "DD/MM/YYYY"}
INSTRUCTIONS = (
    "Hướng dẫn: (1) Chỉ nhập vào các ô nền vàng: giá trị tự đánh giá, tài liệu kiểm chứng và giải trình; "
    "các ô khác được khoá và tự tính điểm. (2) Tỷ lệ nhập dạng phần trăm (ví dụ 93%); ngày nhập dạng "
    "dd/mm/yyyy; có/không chọn trong danh sách; số điểm hoặc số lượng nhập dạng số — số hoặc ngày nhập dạng văn bản "
    "(ô chuyển màu đỏ) được tính 0 điểm. (3) Mục không áp dụng "
    "với đơn vị: nhập «không áp dụng» — mục đó không tính vào điểm tối đa. (4) Không nhập công thức vào ô "
    "giá trị: công thức không được tính. (5) Tài liệu kiểm chứng thứ hai trở đi của một tiêu chí ghi ở trang "
    f"«{EVIDENCE_SHEET}». (6) Các tiêu chí điều tra xã hội học (ô giá trị nền xám, khoá) do Sở Nội vụ điền "
    "theo kết quả điều tra; đơn vị không nhập và không tự chấm các tiêu chí này. (7) Gửi lại nguyên tệp này; "
    "par-index đọc trực tiếp (par-index score --data <tệp hoặc thư mục phiếu>)."
)
SURVEY_METHOD = "Do Sở Nội vụ điền theo kết quả điều tra xã hội học (đơn vị không nhập). "
SURVEY_COMMENT = (
    "Tiêu chí điều tra xã hội học: Sở Nội vụ điền tỷ lệ theo kết quả điều tra. "
    "Đơn vị không nhập và không tự chấm tiêu chí này."
)
SURVEY_PENDING = "Chưa gồm điểm các tiêu chí điều tra xã hội học (Sở Nội vụ điền sau)."
SURVEY_FILLED_BY = "so-noi-vu"  # META_FILLED_COL of a survey leaf


def is_survey(leaf: Leaf) -> bool:
    """A survey leaf: its value comes from Sở Nội vụ's survey, never from the unit."""
    return leaf.rule.kind == "survey"


@dataclass(frozen=True)
class UnitInfo:
    unit: str
    name: str
    kind: str


@dataclass(frozen=True)
class EvidenceRecord:
    document: str
    issued_on: dt.date | str = ""
    issuer: str = ""
    file: str = ""


@dataclass
class Prefill:
    """What the unit has already entered: cell values by leaf code, notes and evidence."""

    values: dict[str, object] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, list[EvidenceRecord]] = field(default_factory=dict)


@dataclass
class Layout:
    """Where each node landed: code -> row; the total row; the leaves by code."""

    rows: dict[str, int]
    total_row: int
    band_row: int | None
    leaves: dict[str, Leaf]

    def cell(self, code: str, key: str) -> str:
        return f"{col(key)}{self.rows[code]}"


def applicable_nodes(c: CompiledCriteria, kind: str) -> list[NodeInfo]:
    """Nodes with at least one leaf that applies to ``kind``, in reading order."""
    has = c.aggregate(c.applicable(kind).astype(np.int64)) > 0
    return [n for n, ok in zip(c.nodes, has, strict=True) if ok]


def input_cell_value(leaf: Leaf, text: str) -> object:
    """A value as written in the data (CSV text) → the typed cell value that reads back the same."""
    text = text.strip()
    if not text:
        return None
    s = pd.Series([text], dtype=object)
    if is_na_text(s)[0]:
        return NA_INPUT
    kind = value_kind(leaf)
    x, _ = parse_numbers(s)
    if kind == "bool":
        if not np.isnan(x[0]):
            return "có" if x[0] >= 1 else "không"
        b = parse_yes_no(s)[0]
        return text if np.isnan(b) else ("có" if b == 1 else "không")
    if kind == "date":
        days = parse_dates(s)[0]
        return text if np.isnan(days) else dt.date(1970, 1, 1) + dt.timedelta(days=int(days))
    if np.isnan(x[0]):
        share = leaf.rule.parse_text(text)  # survey answer counts → their share
        return text if share is None else share
    v = float(x[0])
    return int(v) if v.is_integer() and kind in ("count", "points", "number") else v


def prefill_from_data(c: CompiledCriteria, data: UnitData, unit: str, scored: SetResult | None = None) -> Prefill:
    """The unit's current self-assessment (self, overlaid by survey) and its evidence.

    ``scored`` is the set's result at stage ``self`` when the caller already has it.
    """
    from par_index.scoring.engine import score

    res = scored if scored is not None else score(c, data, "self").sets[0]
    try:
        i = res.unit_row(unit)
    except KeyError:
        raise InputError(Problem("unit_unknown", UNIT_UNKNOWN.format(unit=unit, where=f"dữ liệu {data.source}") + f" (hoặc không thuộc bộ tiêu chí {c.id})", unit=unit)) from None
    out = Prefill()
    rows = data.assessments[data.assessments["unit"] == unit]
    for j, leaf in enumerate(c.leaves):
        status = res.status[i, j]
        if status == "not_applicable":
            continue
        if is_survey(leaf) and res.value_stage[i, j] != "survey":
            continue  # a survey leaf shows Sở Nội vụ's survey value only, never the unit's own row
        text = str(res.value_text[i, j])
        if status == "na":
            out.values[leaf.code] = NA_INPUT
        elif text.strip():
            out.values[leaf.code] = input_cell_value(leaf, text)
        elif value_kind(leaf) == "points" and not np.isnan(res.claimed[i, j]):
            out.values[leaf.code] = float(res.claimed[i, j])  # points given without a value
        used = rows[(rows["criterion"] == leaf.code) & (rows["stage"] == res.value_stage[i, j])]
        notes = [str(n).strip() for n in used["note"] if str(n).strip()]
        if notes:
            out.notes[leaf.code] = notes[0]
    ev = data.evidence[data.evidence["unit"] == unit]
    for r in ev.itertuples():
        issued = str(r.issued_on).strip()
        date = parse_date_scalar(issued) if issued else None
        rec = EvidenceRecord(str(r.document).strip(), date or issued, str(r.issuer).strip(), str(r.file).strip())
        out.evidence.setdefault(str(r.criterion), []).append(rec)
    return out


def write_workbook(c: CompiledCriteria, unit: UnitInfo, path: Path, prefill: Prefill | None = None) -> Layout:
    """Write the unit's workbook to ``path`` and say where each node is."""
    if unit.kind not in c.kinds:
        raise InputError(
            Problem("unit_kind_unknown", UNIT_KIND_UNKNOWN.format(kind=unit.kind, where=f"bộ tiêu chí {c.id} ({', '.join(c.kinds)})"), unit=unit.unit)
        )
    prefill = prefill or Prefill()
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = MAIN_SHEET
    nodes = applicable_nodes(c, unit.kind)
    layout = _table(ws, c, nodes, unit, prefill)
    _header_block(ws, c, unit, layout, prefill)
    _signature_block(ws, layout)
    extra = _evidence_sheet(wb, layout, prefill)
    _meta_sheet(wb, c, unit, layout)
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    extra.protection.sheet = True
    wb.security = WorkbookProtection(lockStructure=True)
    spreadsheet.save(wb, path, formulas=True)
    return layout


def _header_block(ws: Worksheet, c: CompiledCriteria, unit: UnitInfo, layout: Layout, prefill: Prefill) -> None:
    ws["A1"] = f"PHIẾU TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {c.spec.year}"
    ws["A1"].font = Font(bold=True, size=14)
    spreadsheet.put(ws["A2"], c.spec.title)
    ws["A2"].font = Font(italic=True)
    ws.merge_cells("A1:K1")
    ws.merge_cells("A2:K2")
    labels = [
        (UNIT_LABEL, unit.unit, None),
        (NAME_LABEL, unit.name, None),
        (KIND_LABEL, unit.kind, c.kinds.get(unit.kind, "")),
        (CRITERIA_LABEL, c.id, None),
    ]
    for r, (label, value, extra) in enumerate(labels, start=3):
        ws[f"A{r}"] = label
        ws[f"A{r}"].font = Font(bold=True)
        spreadsheet.put(ws[f"B{r}"], value)
        if extra:
            # the kind's name shown after its code by the cell's text format: the cell keeps the code
            # the reader reads, and the name is not cut by the instructions beside it (column C is 9 wide)
            shown = extra.replace('"', "").replace("\\", "")
            ws[f"B{r}"].number_format = f'@" — {shown}"'
    t = layout.total_row
    ws["A7"], ws["B7"] = "Tổng điểm", f"={col('points')}{t}"
    ws["A8"], ws["B8"] = "Chỉ số (%)", f"={col('index')}{t}"
    for ref in ("A7", "A8"):
        ws[ref].font = Font(bold=True)
    ws["B7"].number_format = ws["B8"].number_format = spreadsheet.NUMBER_FORMAT
    if layout.band_row is not None:
        ws["C8"] = f"={col('points')}{layout.band_row}"
    if any(is_survey(leaf) and prefill.values.get(code) is None for code, leaf in layout.leaves.items()):
        spreadsheet.put(ws["A9"], SURVEY_PENDING)  # the survey cells are locked: this stays true
        ws["A9"].font = Font(italic=True)
    ws["D3"] = INSTRUCTIONS
    ws.merge_cells("D3:F8")  # inside the printed columns A–F
    ws["D3"].alignment = Alignment(wrap_text=True, vertical="top")
    width = sum(COLUMNS[k][2] for k in ("method", "value", "points"))
    height = row_height(wrapped_lines(INSTRUCTIONS, width))
    for r in range(3, 9):  # the merged block's rows share the height its lines need
        ws.row_dimensions[r].height = max(row_height(1), math.ceil(height / 6 * 4) / 4)


SIGN_LEFT = ("NGƯỜI LẬP PHIẾU", "(Ký, ghi rõ họ tên)")
SIGN_RIGHT = ("THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ", "(Ký, ghi rõ họ tên, đóng dấu)")
SIGN_DATE = "…………, ngày …… tháng …… năm ……"
PRINT_LAST_COL = "F"  # the signed document: code, content, maximum, method, value, points


def _signature_block(ws: Worksheet, layout: Layout) -> None:
    """Below the table, the place and date and the two signatures, in columns the reader does not
    read (B and D); the printed form is A4 landscape, columns A–F (evidence is attached apart)."""
    r = (layout.band_row or layout.total_row) + 2
    ws[f"{col('method')}{r}"] = SIGN_DATE
    ws[f"{col('method')}{r}"].font = Font(italic=True)
    for k, (left, right) in enumerate(zip(SIGN_LEFT, SIGN_RIGHT, strict=True)):
        for key, text in (("name", left), ("method", right)):
            cell = ws[f"{col(key)}{r + 1 + k}"]
            cell.value = text
            cell.font = Font(bold=k == 0, italic=k == 1)
            cell.alignment = Alignment(horizontal="center")
    ws[f"{col('method')}{r}"].alignment = Alignment(horizontal="center")
    last = r + 4  # room for the signatures
    ws.print_area = f"A1:{PRINT_LAST_COL}{last}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"  # the table's header on every page, the header block once
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4


def _table(ws: Worksheet, c: CompiledCriteria, nodes: list[NodeInfo], unit: UnitInfo, prefill: Prefill) -> Layout:
    styles = _Styles()
    for key, (letter, text, width) in COLUMNS.items():
        styles.apply(_cell(ws, key, HEADER_ROW, text), ("head",))
        ws.column_dimensions[letter].width = width
    ws.column_dimensions[col("x")].hidden = True
    ws.freeze_panes = f"C{FIRST_ROW}"
    rows = {n.code: FIRST_ROW + k for k, n in enumerate(nodes)}
    leaves = {leaf.code: leaf for leaf in c.leaves if leaf.code in rows}
    scale = c.scale
    total_row = FIRST_ROW + len(nodes)
    band_row = total_row + 1 if c.band_fractions else None
    layout = Layout(rows, total_row, band_row, leaves)
    mask = c.applicable(unit.kind)
    for n in nodes:
        r = rows[n.code]
        _cell(ws, "code", r, n.code)
        _cell(ws, "name", r, n.name)
        if n.is_leaf:
            kind = _leaf_row(ws, c, leaves[n.code], r, prefill)
            role = "survey" if is_survey(leaves[n.code]) else "leaf"
        else:
            kids = [k for k in c.children(n.code) if k.code in rows]
            span = c.under(c.node_index[n.code])
            maximum = sum((leaf.max for leaf, u in zip(c.leaves[span], mask[span], strict=True) if u), Decimal(0))
            _cell(ws, "max", r, float(maximum))
            _cell(ws, "method", r, f"Tổng điểm của {len(kids)} tiêu chí thành phần")
            _cell(ws, "points", r, sum_formula([layout.cell(k.code, "points") for k in kids], scale))
            _cell(ws, "max_used", r, sum_formula([layout.cell(k.code, "max_used") for k in kids], scale))
            kind, role = "", "area" if n.depth == 1 else "parent"
        _cell(ws, "index", r, index_formula(layout.cell(n.code, "points"), layout.cell(n.code, "max_used"), scale))
        for key, (letter, _text, _width) in COLUMNS.items():
            styles.apply(ws[f"{letter}{r}"], (role, key, n.depth, kind))
    areas = [n.code for n in nodes if n.depth == 1]
    t = total_row
    _cell(ws, "name", t, "TỔNG ĐIỂM")
    _cell(ws, "max", t, float(c.max_for_kind(unit.kind)))
    _cell(ws, "method", t, "Tổng điểm các lĩnh vực (không âm); chỉ số = điểm / điểm tối đa được tính × 100")
    _cell(ws, "points", t, sum_formula([layout.cell(a, "points") for a in areas], scale, floor_zero=True))
    _cell(ws, "max_used", t, sum_formula([layout.cell(a, "max_used") for a in areas], scale))
    pts_ref, max_ref = f"{col('points')}{t}", f"{col('max_used')}{t}"
    _cell(ws, "index", t, index_formula(pts_ref, max_ref, scale))
    if leaves:
        _date_validation(ws, col("issued_on"), FIRST_ROW, total_row - 1)
        _text_value_warning(ws, FIRST_ROW, total_row - 1)
    extra_rows = [t]
    if band_row is not None:
        _cell(ws, "name", band_row, "Xếp loại (theo chỉ số)")
        bands = "; ".join(f"{label}: từ {format_number(float(f))}" for label, f in c.band_fractions)
        _cell(ws, "method", band_row, bands)
        _cell(ws, "points", band_row, band_formula(pts_ref, max_ref, scale, c.band_fractions))
        extra_rows.append(band_row)
    for r in extra_rows:
        for key, (letter, _text, _width) in COLUMNS.items():
            styles.apply(ws[f"{letter}{r}"], ("total", key, 1, ""))
    return layout


FORMULA_COLUMNS = ("x", "points", "max_used", "index")  # the only columns holding our own formulas


def _cell(ws: Worksheet, key: str, row: int, value: object) -> Any:
    cell = ws[f"{col(key)}{row}"]
    if key in FORMULA_COLUMNS:
        cell.value = value
    else:
        spreadsheet.put(cell, value)  # user text (names, values, notes) stays text
    return cell


class _Styles:
    """Cell styles by role, built once and copied (setting styles one by one is slow in openpyxl)."""

    def __init__(self) -> None:
        self._done: dict[tuple[object, ...], Any] = {}

    def apply(self, cell: Any, key: tuple[object, ...]) -> None:
        if key in self._done:
            cell._style = copy(self._done[key])
            return
        _build_style(cell, key)
        self._done[key] = copy(cell._style)


def _build_style(cell: Any, key: tuple[object, ...]) -> None:
    cell.border = BOX
    if key[0] == "head":
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        return
    role, col_key, depth, kind = key
    assert isinstance(depth, int)
    if col_key in ("max", "points", "max_used", "index"):
        cell.number_format = spreadsheet.NUMBER_FORMAT
    if col_key in ("name", "method", "document", "note"):
        cell.alignment = Alignment(wrap_text=True, vertical="top", indent=depth - 1 if col_key == "name" else 0)
    elif col_key == "value":
        cell.alignment = Alignment(horizontal="center", vertical="top")
    else:
        cell.alignment = Alignment(vertical="top")
    if role in ("area", "total"):
        cell.font = Font(bold=True)
    if role in ("area", "parent"):
        cell.fill = AREA_FILL if role == "area" else PARENT_FILL
    if role == "extra":
        cell.protection = Protection(locked=False)
        cell.fill = EVIDENCE_FILL
        if col_key == "issued_on":
            cell.number_format = "DD/MM/YYYY"
    if role == "survey" and col_key == "value":  # locked: Sở Nội vụ fills it
        cell.fill = SURVEY_FILL
        cell.number_format = FORMATS.get(str(kind), "General")
    if role == "leaf" and col_key in INPUTS:
        cell.protection = Protection(locked=False)
        cell.fill = INPUT_FILL if col_key == "value" else EVIDENCE_FILL
        if col_key == "value":
            cell.number_format = FORMATS.get(str(kind), "General")
        if col_key == "issued_on":
            cell.number_format = "DD/MM/YYYY"


def _leaf_row(ws: Worksheet, c: CompiledCriteria, leaf: Leaf, r: int, prefill: Prefill) -> str:
    """Write a leaf's cells (values, formulas, comments, validation); returns its value kind."""
    mx = float(leaf.max)
    kind = value_kind(leaf)
    survey = is_survey(leaf)
    if not leaf.outside_max:
        _cell(ws, "max", r, mx)
    method = leaf.rule.describe(mx)
    _cell(ws, "method", r, SURVEY_METHOD + method if survey else method)
    cells = leaf_cells(leaf, r, 10**c.precision, col("value"), col("x"))
    value = _cell(ws, "value", r, prefill.values.get(leaf.code))
    if survey:
        value.comment = Comment(SURVEY_COMMENT, "par-index", height=100, width=280)
    _cell(ws, "x", r, cells.helper)
    points = _cell(ws, "points", r, cells.points)
    if cells.comment:
        points.comment = Comment(cells.comment, "par-index")
    _cell(ws, "max_used", r, cells.maximum)
    evidence = prefill.evidence.get(leaf.code, [])
    if evidence:
        first = evidence[0]
        _cell(ws, "document", r, first.document)
        _cell(ws, "issued_on", r, first.issued_on or None)
        _cell(ws, "issuer", r, first.issuer or None)
        _cell(ws, "file", r, first.file or None)
    _cell(ws, "note", r, prefill.notes.get(leaf.code))
    if survey:
        return kind  # no input here: no evidence prompt, no validation
    if leaf.evidence or leaf.agency:
        lines = ["Tài liệu cần có:"] + [f"- {e.document}" for e in leaf.evidence]
        if leaf.agency:
            lines.append(f"Cơ quan cung cấp: {c.agencies.get(leaf.agency, leaf.agency)}")
        ws[f"{col('document')}{r}"].comment = Comment("\n".join(lines), "par-index", height=160, width=320)
    _validation(ws, leaf, kind, r, method)
    return kind


ERRORS = {
    "ratio": "Nhập tỷ lệ từ 0% đến 100% (ví dụ 93%), hoặc «không áp dụng».",
    "count": "Nhập số lượng là số nguyên không âm (0, 1, 2, ...), hoặc «không áp dụng».",
    "number": "Nhập một số, hoặc «không áp dụng».",
    "date": "Nhập ngày dạng dd/mm/yyyy (ví dụ 10/01/2024), hoặc «không áp dụng».",
    "bool": "Chọn có, không hoặc không áp dụng trong danh sách.",
}


def _validation(ws: Worksheet, leaf: Leaf, kind: str, r: int, method: str) -> None:
    e = f"{col('value')}{r}"
    na = na_test(e)
    error = ERRORS.get(kind, "")
    if kind == "bool":
        dv = DataValidation(type="list", formula1=f'"có,không,{NA_INPUT}"', allow_blank=True)
    else:
        if kind == "ratio":
            ok = f"AND(ISNUMBER({e}),{e}>=0,{e}<=1)"
        elif kind == "count":
            ok = f"AND(ISNUMBER({e}),{e}>=0,{e}=INT({e}))"
        elif kind == "date":
            ok = f"AND(ISNUMBER({e}),{e}>=DATE(2000,1,1))"
        elif kind == "points":
            top = leaf.upper
            ok = f"AND(ISNUMBER({e}),{e}>=0,{e}<={num(top)})"
            step = getattr(leaf.rule, "step", None)
            error = f"Nhập số điểm từ 0 đến {format_number(top)}" + (f", bước {format_number(step)}" if step else "") + ", hoặc «không áp dụng»."
        else:
            ok = f"ISNUMBER({e})"
        dv = DataValidation(type="custom", formula1=f"OR({ok},{na})", allow_blank=True)
    hint = {"ratio": " Nhập dạng phần trăm, ví dụ 93%.", "date": " Nhập ngày dd/mm/yyyy."}.get(kind, "")
    dv.promptTitle = f"Tiêu chí {leaf.code}"[:32]
    dv.prompt = (method + hint)[:250]
    dv.errorTitle = "Giá trị không hợp lệ"
    dv.error = error[:250]
    dv.showInputMessage = True
    dv.showErrorMessage = True
    ws.add_data_validation(dv)
    dv.add(e)


def _text_value_warning(ws: Worksheet, first: int, last: int) -> None:
    """Value cells holding text the formulas cannot read (a number or date pasted as text) turn
    red: they count 0 in the form, and ``score`` refuses them (``value_is_text``) the same way."""
    from openpyxl.formatting.rule import FormulaRule

    e, x = f"{col('value')}{first}", f"${col('x')}{first}"
    rule = FormulaRule(formula=[f'AND(ISTEXT({e}),{x}="",NOT({na_test(e)}))'], fill=TEXT_VALUE_FILL, font=Font(color="9C0006"))
    ws.conditional_formatting.add(f"{col('value')}{first}:{col('value')}{last}", rule)


def _date_validation(ws: Worksheet, letter: str, first: int, last: int) -> None:
    """Dates from 2000 on in ``letter`` rows first..last (the formula is relative to the first cell)."""
    ref = f"{letter}{first}"
    dv = DataValidation(type="custom", formula1=f"AND(ISNUMBER({ref}),{ref}>=DATE(2000,1,1))", allow_blank=True)
    dv.errorTitle = "Ngày không hợp lệ"
    dv.error = ERRORS["date"].replace(", hoặc «không áp dụng»", "")
    dv.showErrorMessage = True
    ws.add_data_validation(dv)
    dv.add(f"{ref}:{letter}{last}")


def _evidence_sheet(wb: Workbook, layout: Layout, prefill: Prefill) -> Worksheet:
    ws = wb.create_sheet(EVIDENCE_SHEET)
    ws["A1"] = "TÀI LIỆU KIỂM CHỨNG BỔ SUNG"
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = (
        f"Tài liệu thứ hai trở đi của một tiêu chí (tài liệu đầu tiên ghi ngay ở dòng của tiêu chí trong trang «{MAIN_SHEET}»). "
        "Mỗi dòng một tài liệu; cột Mã tiêu chí chọn trong danh sách."
    )
    ws.merge_cells("A2:E2")
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = 32
    h = EVIDENCE_HEADER_ROW
    for letter, text, width in EVIDENCE_COLUMNS.values():
        cell = ws[f"{letter}{h}"]
        cell.value = text
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
        cell.border = BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[letter].width = width
    records = [(code, rec) for code, recs in prefill.evidence.items() for rec in (recs[1:] if code in layout.leaves else recs)]
    cols = {k: v[0] for k, v in EVIDENCE_COLUMNS.items()}
    n_rows = max(EVIDENCE_ROWS, len(records) + 50)
    unlocked = _Styles()
    for k in range(n_rows):
        r = h + 1 + k
        for key, letter in cols.items():
            unlocked.apply(ws[f"{letter}{r}"], ("extra", key, 1, ""))
    for k, (code, rec) in enumerate(records):
        r = h + 1 + k
        spreadsheet.put(ws[f"{cols['code']}{r}"], code)
        spreadsheet.put(ws[f"{cols['document']}{r}"], rec.document)
        spreadsheet.put(ws[f"{cols['issued_on']}{r}"], rec.issued_on or None)
        spreadsheet.put(ws[f"{cols['issuer']}{r}"], rec.issuer or None)
        spreadsheet.put(ws[f"{cols['file']}{r}"], rec.file or None)
    last = h + n_rows
    _date_validation(ws, cols["issued_on"], h + 1, last)
    n_leaves = len(layout.leaves)
    codes = DataValidation(
        type="list", formula1=f"'{META_SHEET}'!${META_LEAF_COL}$2:${META_LEAF_COL}${n_leaves + 1}", allow_blank=True
    )
    codes.errorTitle = "Mã tiêu chí không có trong phiếu"
    codes.error = "Chọn mã tiêu chí trong danh sách."
    codes.showErrorMessage = True
    ws.add_data_validation(codes)
    codes.add(f"{cols['code']}{h + 1}:{cols['code']}{last}")
    ws.freeze_panes = f"A{h + 1}"
    return ws


def _meta_sheet(wb: Workbook, c: CompiledCriteria, unit: UnitInfo, layout: Layout) -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("par-index")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        ver = "?"
    ws = wb.create_sheet(META_SHEET)
    values = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "criteria": c.id,
        "criteria_title": c.spec.title,
        "unit": unit.unit,
        "kind": unit.kind,
        "precision": c.spec.precision,
        "generated_by": f"par-index {ver}",
    }
    for r, key in enumerate(META_KEYS, start=1):
        ws[f"A{r}"] = key
        spreadsheet.put(ws[f"B{r}"], values[key])
    ws[f"{META_LEAF_COL}1"] = "leaf"
    ws[f"{META_KIND_COL}1"] = "value_kind"
    ws[f"{META_FILLED_COL}1"] = "filled_by"
    for r, (code, leaf) in enumerate(layout.leaves.items(), start=2):
        spreadsheet.put(ws[f"{META_LEAF_COL}{r}"], code)
        ws[f"{META_KIND_COL}{r}"] = value_kind(leaf)
        if is_survey(leaf):
            ws[f"{META_FILLED_COL}{r}"] = SURVEY_FILLED_BY
    ws.sheet_state = "hidden"
    ws.protection.sheet = True
