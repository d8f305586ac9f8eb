"""The province ranking report: ranked tables per kind with bands, change since last year,
area leaders, the self-assessed against final gap, and charts.

Built from :mod:`par_index.reports.ranking` (plain data); the template only prints.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from par_index.reports.charts import gap_chart, ranking_chart
from par_index.reports.format import data_number, exact_index, vn, vn_date, vn_int
from par_index.reports.ranking import Change, ClaimGap, PreviousResults, area_leaders, areas_of
from par_index.reports.render import render, svg
from par_index.reports.unit import ReportInputs
from par_index.scoring.engine import Results

if TYPE_CHECKING:
    from par_index.appraisal.proposals import Proposal


@dataclass
class ProvinceData:
    ranking: pd.DataFrame
    gaps: ClaimGap
    change: Change | None
    previous: PreviousResults | None
    # the cuts the same run proposes that have no decision yet (:func:`pending_cuts`); None:
    # not worked out (the context works them out)
    pending: list[Proposal] | None = field(default=None)
    # each unit's index after those cuts (:func:`index_after_cuts`), worked out once for the
    # report and the workbook (:func:`after_cuts`)
    after: dict[str, Decimal | None] | None = field(default=None)


def _int(x: object) -> int | None:
    return None if x is None or x is pd.NA or x != x else int(x)  # type: ignore[call-overload]


def _trend(x: object) -> str:
    v = _int(x) if not hasattr(x, "as_tuple") else x
    if v is None or v == 0:
        return ""
    return "up" if v > 0 else "down"  # type: ignore[operator]


def province_context(inp: ReportInputs, pd_: ProvinceData) -> dict[str, Any]:
    r = pd_.ranking
    pending, after = after_cuts(inp, pd_)
    change_by_unit = {} if pd_.change is None else {row["unit"]: row for row in pd_.change.changes.to_dict("records")}
    has_groups = bool((r["group"] != "").any()) if len(r) else False
    areas = areas_of(inp.final)
    leaders = area_leaders(inp.final)
    # the table of areas' cells per unit written here (as the unit reports' tables): a code
    # escaped once, the numbers ours (~10 cells a unit, 1,000 units)
    area_codes = [str(escape(code)) for code, _ in areas]
    kinds = []
    for s in inp.final.sets:
        edges = [(label, float(f)) for label, f in s.criteria.band_fractions]
        for kind, kind_name in s.criteria.kinds.items():
            part = r[r["kind"] == kind]
            if not len(part):
                continue
            rows = []
            for u in part.to_dict("records"):
                ch = change_by_unit.get(u["unit"], {})
                rows.append({
                    "unit": u["unit"], "name": u["name"], "group": u["group"], "group_rank": vn_int(_int(u["group_rank"]), empty=""),
                    "rank": vn_int(_int(u["rank"])), "rank_data": "" if _int(u["rank"]) is None else str(_int(u["rank"])),
                    "points": vn(u["points"]), "points_data": data_number(u["points"]), "max": vn(u["max"]), "max_data": data_number(u["max"]),
                    "index": vn(u["index_2dp"]), "index_data": data_number(u["index_2dp"]), "band": u["band"] or "—",
                    "after_cuts": vn(after.get(u["unit"], u["index_2dp"])), "after_cuts_data": data_number(after.get(u["unit"], u["index_2dp"])),
                    "area_cells": Markup("".join([f'<td class="num" data-code="{code}" data-points="{data_number(x)}">{vn(x)}</td>'
                                                  for code, x in zip(area_codes, [u.get(f"area_{code}") for code, _ in areas], strict=True)])),
                    "prev_rank": vn_int(_int(ch.get("prev_rank"))), "rank_change": vn_int(_int(ch.get("rank_change")), signed=True),
                    "rank_trend": _trend(ch.get("rank_change")),
                    "prev_index": vn(ch.get("prev_index")), "index_change": vn(ch.get("index_change"), signed=True),
                    "index_change_data": data_number(ch.get("index_change")), "index_trend": _trend(ch.get("index_change")),
                    "change_note": ch.get("note", ""),
                })
            scored = part[part["index_2dp"].notna()]
            counts = scored["band"].fillna("—").value_counts()
            band_counts = [{"label": label, "min": vn(_dec(f)), "count": int(counts.get(label, 0))} for label, f in s.criteria.band_fractions]
            chart = ranking_chart([str(x) for x in scored["name"]], [float(x) for x in scored["index_2dp"]],
                                  [b for b in scored["band"]], edges)
            lk = leaders[leaders["kind"] == kind]
            leader_rows = []
            for code, name in areas:
                la = lk[lk["area"] == code]
                if not len(la):
                    continue
                leader_rows.append({"code": code, "name": name, "units": [
                    {"rank": int(x["rank"]), "unit": x["unit"], "name": x["name"], "index": vn(x["index_2dp"]), "data": data_number(x["index_2dp"])}
                    for x in la.to_dict("records")]})
            kinds.append({"kind": kind, "name": kind_name, "criteria": s.criteria.spec.title, "rows": rows, "bands": band_counts,
                          "chart": svg(chart), "leaders": leader_rows, "count": len(part)})
    g = pd_.gaps
    over = g.units[g.units["gap"].map(lambda x: x != 0)] if len(g.units) else g.units
    gap_rows = []
    areas_by_unit: dict[Any, list[Any]] = {}  # grouped once, not filtered per unit
    for a in g.areas.to_dict("records"):
        areas_by_unit.setdefault(a["unit"], []).append(a)
    for u in over.to_dict("records"):
        ar = areas_by_unit.get(u["unit"], [])
        gap_rows.append({"unit": u["unit"], "name": u["name"], "self": vn(u["self_points"]), "final": vn(u["final_points"]),
                         "gap": vn(u["gap"], signed=True), "gap_data": data_number(u["gap"]),
                         "self_index": vn(u["self_index"]), "final_index": vn(u["final_index"]),
                         "areas": [f"{a['area']}. {a['area_name']}: {vn(a['gap'], signed=True)}" for a in ar]})
    gchart = gap_chart([str(x) for x in over["name"]], [float(x) for x in over["gap"]]) if len(over) else ""
    change = None
    if pd_.change is not None and pd_.previous is not None:
        change = {"source": pd_.previous.source, "criteria": pd_.previous.criteria,
                  "new": [f"{u} ({r.loc[r['unit'] == u, 'name'].iloc[0]})" for u in pd_.change.new_units],
                  "gone": [f"{u.unit} ({u.name})" if u.name else u.unit for u in pd_.change.gone_units]}
    years = sorted({s.criteria.spec.year for s in inp.final.sets})
    return {
        "year": ", ".join(str(y) for y in years), "date": vn_date(inp.date), "criteria": [s.criteria.spec.title for s in inp.final.sets],
        "stage": stage_title(inp, pending), "has_pending": bool(pending),
        "kinds": kinds, "areas": [{"code": c, "name": n} for c, n in areas], "has_groups": has_groups,
        "has_previous": pd_.change is not None, "change": change,
        "gaps": gap_rows, "gap_chart": svg(gchart), "units_without_gap": len(g.units) - len(over),
        "problem_count": len(inp.final.problems),
    }


def _appraised(inp: ReportInputs) -> bool:
    return bool(inp.data.assessments["stage"].isin(["appraisal1", "appraisal2"]).any())


def pending_cuts(inp: ReportInputs) -> list[Proposal]:
    """The cuts this run proposes (for the next appraisal round) that no decision has made yet;
    none at stage self."""
    if inp.final.stage != "final":
        return []
    from par_index.appraisal.proposals import propose

    # the self and final scores and (once write_reports has run it) the evidence review are work
    # propose would do again: it reuses what is the same on these data
    return [
        p for p in propose([s.criteria for s in inp.final.sets], inp.data, 2 if _appraised(inp) else 1, final=inp.final, self_=inp.self_,
                           evidence=inp.evidence_review)
        if p.kinds != ("explanation",) and p.proposed_points < p.current_points
    ]


def after_cuts(inp: ReportInputs, pd_: ProvinceData) -> tuple[list[Proposal], dict[str, Decimal | None]]:
    """The pending cuts and each unit's index after them, worked out once and kept in ``pd_``."""
    if pd_.pending is None:
        pd_.pending = pending_cuts(inp)
    if pd_.after is None:
        pd_.after = index_after_cuts(inp.final, pd_.pending)
    return pd_.pending, pd_.after


def index_after_cuts(results: Results, pending: list[Proposal]) -> dict[str, Decimal | None]:
    """Per unit with a pending cut: its index once those cuts are made (2 decimals, half up, from
    whole units as every index; a leaf is never cut below its proposed points nor raised).
    Worked out per criteria set on arrays (tens of thousands of cuts on 1,000 units)."""
    at: dict[str, tuple[int, int]] = {}  # unit → (set, row) as Results.find gives it: the first wins
    for n, s in enumerate(results.sets):
        for i, u in enumerate(s.units["unit"].tolist()):
            at.setdefault(str(u), (n, i))
    order: dict[str, None] = {}  # the units in the order of their first cut
    picked: list[list[tuple[int, int, float, float]]] = [[] for _ in results.sets]
    for p in pending:
        n, i = at[p.unit]
        order.setdefault(p.unit)
        picked[n].append((i, results.sets[n].criteria.leaf_index[p.criterion], p.current_points, p.proposed_points))
    cut: list[np.ndarray] = []
    for s, rows in zip(results.sets, picked, strict=True):
        if not rows:
            cut.append(np.zeros(0, dtype=np.int64))
            continue
        ii, jj, current, proposed = (np.array(x) for x in zip(*rows, strict=True))
        scale = float(s.scale)  # np.rint rounds half to even as round() of a float does
        now = np.minimum(s.leaf_points[ii, jj].astype(np.int64), np.rint(current * scale).astype(np.int64))
        lost = np.maximum(now - np.rint(proposed * scale).astype(np.int64), 0)
        cut.append(np.bincount(ii, weights=lost, minlength=len(s.units)).astype(np.int64))
    out: dict[str, Decimal | None] = {}
    for unit in order:
        n, i = at[unit]
        s = results.sets[n]
        out[unit] = exact_index(max(int(s.total_points[i]) - int(cut[n][i]), 0), s.total_max[i])
    return out


def stage_title(inp: ReportInputs, pending: list[Proposal] | None = None) -> str:
    """What the numbers are, honestly: "after appraisal" only when the data holds appraisal
    decisions; otherwise the self-assessment, whose points appraisal may still cut."""
    if inp.final.stage != "final":
        return "tự đánh giá"
    from par_index.common.values import format_number

    appraised = _appraised(inp)
    if pending is None:
        pending = pending_cuts(inp)
    if not pending:
        return "kết quả cuối cùng (sau thẩm định)" if appraised else "kết quả tự đánh giá (không có đề xuất cắt giảm)"
    cut = sum(p.current_points - p.proposed_points for p in pending)
    return (
        f"kết quả {'thẩm định chưa xong' if appraised else 'tự đánh giá, chưa thẩm định'}: còn {len(pending)} đề xuất cắt giảm "
        f"({format_number(cut)} điểm) chưa có quyết định và vẫn được tính trong bảng này"
    )


def _dec(f: Any) -> Any:
    from decimal import Decimal

    return Decimal(f.numerator) / Decimal(f.denominator)


def render_province_report(inp: ReportInputs, data: ProvinceData) -> str:
    return render("province_report.html.j2", r=province_context(inp, data), dataset_label=inp.data.label)


def today() -> dt.date:
    return dt.date.today()
