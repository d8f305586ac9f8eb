"""The reports' tables as one .xlsx, Vietnamese headers, numbers kept as numbers (2 decimals
shown) so the workbook can be sorted and summed. Written as XML row by row
(:mod:`par_index.common.xlsx_table`): for 1,000 units it has ~180,000 rows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from par_index.common.xlsx_table import Coded, Columns, Table, write_tables
from par_index.reports.format import point_texts
from par_index.reports.province import ProvinceData, after_cuts
from par_index.reports.ranking import areas_of
from par_index.reports.unit import ReportInputs


def write_workbook(inp: ReportInputs, pdata: ProvinceData, requirements: list[Any] | None, out: Path) -> Path:
    tables: list[Table] = []
    r = pdata.ranking
    areas = areas_of(inp.final)
    change = {} if pdata.change is None else {c["unit"]: c for c in pdata.change.changes.to_dict("records")}
    pending, after = after_cuts(inp, pdata)
    cuts = 1 if pending else 0  # the column of the index after the pending cuts, beside the index
    head = ["Loại đơn vị", "Hạng", "Mã đơn vị", "Tên đơn vị", "Nhóm", "Hạng trong nhóm", "Điểm", "Điểm tối đa", "Chỉ số (%)"]
    head += ["Chỉ số sau đề xuất cắt giảm (%)"] * cuts + ["Xếp loại"]
    if pdata.change is not None:
        head += ["Hạng năm trước", "Thay đổi hạng", "Chỉ số năm trước", "Thay đổi chỉ số", "Ghi chú so sánh"]
    head += [f"LV {code}. {name} (%)" for code, name in areas]
    rows = []
    for u in r.to_dict("records"):
        row = [u["kind_name"], u["rank"], u["unit"], u["name"], u["group"] or None, u["group_rank"], u["points"], u["max"], u["index_2dp"]]
        row += [after.get(u["unit"], u["index_2dp"])] * cuts + [u["band"]]
        if pdata.change is not None:
            ch = change.get(u["unit"], {})
            row += [ch.get("prev_rank"), ch.get("rank_change"), ch.get("prev_index"), ch.get("index_change"), ch.get("note") or None]
        row += [u.get(f"area_{code}") for code, _ in areas]
        rows.append(row)
    numeric = {7, 8, 9} | ({10} if cuts else set()) | ({13 + cuts, 14 + cuts} if pdata.change is not None else set())
    first_area = len(head) - len(areas) + 1
    numeric |= set(range(first_area, len(head) + 1))
    _sheet(tables, "Xếp hạng", head, rows, numeric, {1: 26, 3: 16, 4: 40, 10 + cuts: 12, 15 + cuts: 30} | ({10: 16} if cuts else {}))

    from par_index.reports.ranking import area_leaders

    leaders = area_leaders(inp.final)
    _sheet(tables, "Dẫn đầu lĩnh vực", ["Loại đơn vị", "Lĩnh vực", "Tên lĩnh vực", "Hạng", "Mã đơn vị", "Tên đơn vị", "Điểm", "Điểm tối đa", "Chỉ số thành phần (%)"],
           [[x["kind_name"], x["area"], x["area_name"], x["rank"], x["unit"], x["name"], x["points"], x["max"], x["index_2dp"]] for x in leaders.to_dict("records")],
           {7, 8, 9}, {1: 26, 3: 40, 5: 16, 6: 36})
    g = pdata.gaps
    _sheet(tables, "Chênh lệch tự chấm", ["Mã đơn vị", "Tên đơn vị", "Loại", "Điểm tự chấm", "Điểm cuối cùng", "Chênh lệch (điểm)", "Chỉ số tự chấm", "Chỉ số cuối cùng"],
           [[x["unit"], x["name"], x["kind"], x["self_points"], x["final_points"], x["gap"], x["self_index"], x["final_index"]] for x in g.units.to_dict("records")],
           {4, 5, 6, 7, 8}, {1: 16, 2: 40})
    _sheet(tables, "Chênh lệch theo lĩnh vực", ["Mã đơn vị", "Lĩnh vực", "Tên lĩnh vực", "Điểm tự chấm", "Điểm cuối cùng", "Chênh lệch (điểm)"],
           [[x["unit"], x["area"], x["area_name"], x["self_points"], x["final_points"], x["gap"]] for x in g.areas.to_dict("records")],
           {4, 5, 6}, {1: 16, 3: 40})
    detail = _detail(inp)
    _sheet(tables, "Điểm chi tiết", ["Mã đơn vị", "Tiêu chí", "Nội dung", "Điểm tối đa", "Tự đánh giá", "Cuối cùng", "Giá trị"], detail, {4, 5, 6}, {1: 16, 3: 60, 7: 24})
    if requirements is not None:
        from par_index.evidence.check import STATUS_WORDS

        # by column (~70,000 rows for 1,000 units): no list per row
        status = _coded_texts([q.status for q in requirements])
        ev_rows: list[list[Any]] | Columns = Columns([
            *(_coded_texts([getattr(q, name) for q in requirements]) for name in ("agency", "leaf", "leaf_name", "document", "unit", "unit_name")),
            Coded([STATUS_WORDS.get(x, x) for x in status.values], status.codes)])
    else:
        from par_index.reports.agency import agency_context

        ctx = agency_context(inp, None)
        ev_rows = [[a["id"], it["code"], it["name"], it["document"], unit, name, status]
                   for a in ctx["agencies"] for it in a["entries"] for unit, name, status in it["lacking"]]
    _sheet(tables, "Tài liệu kiểm chứng", ["Cơ quan", "Tiêu chí", "Nội dung", "Tài liệu", "Mã đơn vị", "Tên đơn vị", "Tình trạng"], ev_rows, set(), {1: 16, 3: 40, 4: 50, 6: 36})
    return write_tables(out, tables)


def _sheet(tables: list[Table], title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]] | Columns, numeric: set[int], widths: dict[int, int]) -> None:
    tables.append(Table(title, headers, rows, numeric, dict(widths)))


def _detail(inp: ReportInputs) -> Columns:
    """The detail sheet (every unit's applicable leaves: max, self, final, value) as columns
    straight from the score arrays; each distinct number made into its points once."""
    parts: list[list[Coded]] = []
    for fs in inp.final.sets:
        ss = next(s for s in inp.self_.sets if s.criteria.id == fs.criteria.id)
        leaves = fs.criteria.leaves
        units = [str(u) for u in fs.units["unit"]]
        ii, jj = np.nonzero(fs.status != "not_applicable")  # in unit, then leaf order
        kk = np.array([ss.unit_row(u) for u in units], dtype=np.intp)[ii]
        m = fs.leaf_max[ii, jj]
        parts.append([
            Coded(units, ii),
            Coded([leaf.code for leaf in leaves], jj),
            Coded([leaf.name for leaf in leaves], jj),
            _points(m, fs.scale, m > 0),
            _points(ss.leaf_points[kk, jj], ss.scale),
            _points(fs.leaf_points[ii, jj], fs.scale),
            _texts(fs.value_text[ii, jj]),
        ])
    return Columns([_joined([p[n] for p in parts]) for n in range(7)] if parts else [])


def _points(units: np.ndarray, scale: int, shown: np.ndarray | None = None) -> Coded:
    """Whole units (rounded half to even, as :func:`~par_index.reports.format.units_to_points` rounds) → points; not ``shown``: an empty cell."""
    distinct, codes = np.unique(np.rint(units).astype(np.int64), return_inverse=True)
    codes = codes.reshape(-1)
    if shown is not None:
        codes = np.where(shown, codes, -1)
    return Coded([point_texts(int(u), scale)[0] for u in distinct.tolist()], codes)


def _texts(values: np.ndarray) -> Coded:
    """Values as written, stripped (an empty one: an empty cell)."""
    codes, distinct = pd.factorize(values)
    texts = [str(v).strip() or None for v in distinct]
    for k in np.flatnonzero(codes < 0).tolist():  # a missing value (none from the engine): its text, as str() gives it
        codes[k] = len(texts)
        texts.append(str(values[k]).strip() or None)
    return Coded(texts, codes)


def _coded_texts(values: list[str]) -> Coded:
    """A column of texts (no None) as its distinct values in order of first appearance, as the
    sheet writer codes a column of one type given row by row."""
    codes, distinct = pd.factorize(np.array(values, dtype=object))
    return Coded(list(distinct), codes)


def _joined(columns: list[Coded]) -> Coded:
    """One column of several sets' parts, one after the other."""
    if len(columns) == 1:
        return columns[0]
    values: list[Any] = []
    codes = []
    for c in columns:
        codes.append(np.where(c.codes >= 0, c.codes + len(values), -1))
        values.extend(c.values)
    return Coded(values, np.concatenate(codes))
