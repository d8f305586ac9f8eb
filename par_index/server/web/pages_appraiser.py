"""Sở Nội vụ's pages: the queue by state, one unit's proposals and decisions (a reason required),
moving a dossier through the rounds, the ranking per unit kind, publication and the reports.

Also the ranking and the unit reports a viewer reads after publication (``results.read`` with
scope ``published``).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from par_index.reports.build import AGENCY_FILE, PROVINCE_FILE, WORKBOOK_FILE, prepare, write_reports
from par_index.reports.format import float_to_2dp
from par_index.reports.ranking import (
    PreviousResults,
    PreviousUnit,
    claim_gaps,
    compare_previous,
    ranking_frame,
    unit_groups,
)
from par_index.scoring.engine import Results
from par_index.server import services
from par_index.server.errors import ApiError
from par_index.server.web import data, labels
from par_index.server.web.core import VN, Ctx, form_of, page, redirect, render
from par_index.server.web.unit_form import anchor
from par_index.unit_data.reader import UnitData

ROUND_OF_STATE = {"appraisal1": 1, "appraisal2": 2}


def _queue(ctx: Ctx) -> dict[str, Any]:
    with ctx.db.session() as s:
        units = services.list_units(s, ctx.me)
        rnd = services.get_round(s, None)
        crit = services.criteria_of(s, rnd.year)
        label = rnd.label
    kinds = {k: name for c in crit.sets for k, name in c.kinds.items()}
    groups = []
    for state in labels.STATES:
        rows = [{**u, "kind_name": kinds.get(u["kind"], u["kind"]), "href": f"/appraisal/units/{u['unit']}"} for u in units if u["state"] == state]
        if rows:
            groups.append({"state": state, "units": rows})
    return {"groups": groups, "count": len(units), "dataset_label": label}


@page("GET", "/appraisal", "appraisal.write")
async def queue(ctx: Ctx) -> Response:
    context = await run_in_threadpool(_queue, ctx)
    return render(ctx, "queue.html.j2", "Hàng chờ thẩm định", **context)


def _unit(ctx: Ctx, unit: str) -> dict[str, Any]:
    settings = ctx.settings
    with ctx.db.session() as s:
        rnd = services.get_round(s, None)
        u = services.get_unit(s, rnd.year, unit)
        round_no = ROUND_OF_STATE.get(u.state)
        props = [p for p in data.proposals(s, settings, rnd.year, round_no or 1) if p.unit == unit]
        own = data.unit_scores(data.scores(s, settings, rnd.year, "self"), unit) or {}
        final = data.unit_scores(data.scores(s, settings, rnd.year, "final"), unit) or {}
        c = services.criteria_of(s, rnd.year).set_of_kind(u.kind)
        label = rnd.label
    leaves = [{"code": leaf.code, "name": leaf.name} for leaf in (c.leaves if c else []) if leaf.rule.kind != "survey"
              and (leaf.applies_to is None or u.kind in leaf.applies_to)]
    return {
        "unit": {"unit": u.unit, "name": u.name, "state": u.state, "kind": u.kind},
        "round_no": round_no,
        "moves": [{"state": t, "label": labels.state(t)} for t in services.ADVANCE.get(u.state, ())],
        "proposals": [{"criterion": p.criterion, "anchor": anchor(p.criterion), "name": p.criterion_name, "max": p.max, "self_value": p.self_value,
                       "self_points": p.self_points, "current": p.current_points, "proposed": p.proposed_points, "reason": p.reason}
                      for p in props],
        "leaves": leaves,
        "own": own,
        "final": final,
        "dataset_label": label,
    }


@page("GET", "/appraisal/units/{unit}", "appraisal.write")
async def unit_appraisal(ctx: Ctx, unit: str) -> Response:
    context = await run_in_threadpool(_unit, ctx, unit)
    return render(ctx, "appraise_unit.html.j2", f"Thẩm định — {context['unit']['name']}", **context)


@page("POST", "/appraisal/units/{unit}/decisions", "appraisal.write")
async def decide(ctx: Ctx, unit: str) -> Response:
    form = await form_of(ctx.request)
    criterion = str(form.get("criterion", ""))
    body = {"unit": unit, "criterion": criterion, "round": str(form.get("round", "")),
            "points": str(form.get("points", "")).strip().replace(",", ".") or None, "reason": str(form.get("reason", ""))}

    def work() -> None:
        with ctx.db.session(write=True) as s:
            services.add_appraisal(s, ctx.settings, ctx.me, ctx.route, body)

    await run_in_threadpool(work)
    return redirect(f"/appraisal/units/{unit}", "decided", "p-" + anchor(criterion))


@page("POST", "/appraisal/units/{unit}/state", "unit.advance")
async def move(ctx: Ctx, unit: str) -> Response:
    form = await form_of(ctx.request)

    def work() -> None:
        with ctx.db.session(write=True) as s:
            services.set_state(s, ctx.settings, ctx.me, ctx.route, unit, "unit.advance", str(form.get("state", "")), str(form.get("reason", "")))

    await run_in_threadpool(work)
    return redirect(f"/appraisal/units/{unit}", "moved")


# -- survey (điều tra xã hội học) -------------------------------------------------------------


def _survey(ctx: Ctx) -> dict[str, Any]:
    from sqlalchemy import func, select

    from par_index.server.models import SurveyRow

    with ctx.db.session() as s:
        services.allowed(ctx.me, "survey.import")
        rnd = services.get_round(s, None)
        rows = int(s.scalar(select(func.count()).select_from(SurveyRow).where(SurveyRow.year == rnd.year)) or 0)
        units = int(s.scalar(select(func.count(func.distinct(SurveyRow.unit))).where(SurveyRow.year == rnd.year)) or 0)
        return {"year": rnd.year, "rows": rows, "units": units, "has_map": bool(rnd.survey_map), "problems": []}


@page("GET", "/appraisal/survey", "survey.import")
async def survey(ctx: Ctx) -> Response:
    context = await run_in_threadpool(_survey, ctx)
    return render(ctx, "survey.html.j2", "Điều tra xã hội học", **context)


@page("POST", "/appraisal/survey", "survey.import")
async def survey_import(ctx: Ctx) -> Response:
    form = await ctx.request.form()
    table, mapping = form.get("file"), form.get("map")
    if table is None or isinstance(table, str) or not table.filename:
        raise ApiError(422, "chưa chọn tệp survey.csv để nạp", {"field": "file"})
    table_bytes = await table.read()
    map_bytes = await mapping.read() if mapping is not None and not isinstance(mapping, str) and mapping.filename else None

    def work() -> dict[str, Any]:
        with ctx.db.session(write=True) as s:
            return services.import_survey(s, ctx.settings, ctx.me, ctx.route, table_bytes, map_bytes)

    got = await run_in_threadpool(work)
    context = await run_in_threadpool(_survey, ctx)
    ctx.flashes.append({"kind": "ok", "text": f"Đã nạp {got['rows']} dòng điều tra xã hội học."})
    context["problems"] = [str(p.get("message", p)) for p in got.get("problems", [])]
    return render(ctx, "survey.html.j2", "Điều tra xã hội học", **context)


# -- ranking ----------------------------------------------------------------------------------


def _previous(s: Any, ctx: Ctx, year: int) -> PreviousResults | None:
    """Last year's published results in the same database, if any."""
    from par_index.server.models import Round

    prev = s.get(Round, year - 1)
    if prev is None or prev.published_at is None:
        return None
    doc = data.scores(s, ctx.settings, year - 1, "final")
    units = {u["unit"]: PreviousUnit(u["unit"], u["name"], u["kind"], float_to_2dp(u.get("index")), u.get("rank"), u.get("band"))
             for u in doc.get("units", [])}
    return PreviousResults(f"năm {year - 1}", str(doc.get("criteria", "")), units)


def ranking_kinds(final: Results, own: Results, data_: UnitData, previous: PreviousResults | None) -> list[dict[str, Any]]:
    """Per unit kind, the ranked rows the page shows: rank, points, index and band (the reports'
    exact 2-decimal index), the change since last year, and self-assessed against final."""
    frame = ranking_frame(final, unit_groups(data_))
    gaps = {r["unit"]: r for r in claim_gaps(own, final).units.to_dict("records")} if len(frame) else {}
    change = {r["unit"]: r for r in compare_previous(frame, previous).changes.to_dict("records")} if previous is not None else {}
    kinds = []
    for kind, part in frame.groupby("kind", sort=False):
        rows = []
        for r in part.to_dict("records"):
            g, ch = gaps.get(r["unit"]), change.get(r["unit"])
            rows.append({
                "unit": r["unit"], "name": r["name"], "rank": None if pd.isna(r["rank"]) else int(r["rank"]),
                "points": r["points"], "max": r["max"], "index": r["index_2dp"], "band": r["band"] or "",
                "self_index": g["self_index"] if g is not None else None,
                "gap": (g["self_index"] - g["final_index"]) if g is not None and g["self_index"] is not None and g["final_index"] is not None else None,
                "index_change": _value(ch, "index_change"),
                "rank_change": None if (rank_change := _value(ch, "rank_change")) is None else int(rank_change),
                "report": f"/reports/units/{r['unit']}",
            })
        kinds.append({"kind": kind, "name": part["kind_name"].iat[0], "rows": rows})
    return kinds


def _ranking(ctx: Ctx) -> dict[str, Any]:
    settings = ctx.settings
    with ctx.db.session() as s:
        services.results(s, settings, ctx.me, "final")  # the permission (viewer: only after publication)
        rnd = services.get_round(s, None)
        final = data.results(s, settings, rnd.year, "final")
        own = data.results(s, settings, rnd.year, "self")
        rd = data.round_data(s, settings, rnd.year)
        previous = _previous(s, ctx, rnd.year)
        year, published = rnd.year, services.utc(rnd.published_at)
    return {"year": year, "kinds": ranking_kinds(final, own, rd.data, previous), "published": published, "has_previous": previous is not None,
            "dataset_label": rd.label}


@page("GET", "/results", "rounds.read")
async def published(ctx: Ctx) -> Response:
    """Every account may see whether the round's results are published (not the results)."""

    def work() -> dict[str, Any]:
        with ctx.db.session() as s:
            rounds = services.list_rounds(s, ctx.me)
        for r in rounds:
            r["published"] = dt.datetime.fromisoformat(r["published_at"]) if r["published_at"] else None
        return {"rounds": rounds[::-1], "can_read": ctx.may("results.read")}

    context = await run_in_threadpool(work)
    return render(ctx, "results.html.j2", "Kết quả Chỉ số CCHC", **context)


@page("GET", "/ranking", "results.read")
async def ranking(ctx: Ctx) -> Response:
    context = await run_in_threadpool(_ranking, ctx)
    return render(ctx, "ranking.html.j2", f"Xếp hạng Chỉ số CCHC năm {context['year']}", **context)


# -- publication --------------------------------------------------------------------------------


@page("GET", "/appraisal/publish", "publish")
async def publish_form(ctx: Ctx) -> Response:
    def work() -> dict[str, Any]:
        with ctx.db.session() as s:
            rnd = services.get_round(s, None)
            counts = services.state_counts(s, rnd.year)
            return {"year": rnd.year, "published": services.utc(rnd.published_at), "waiting": sum(v for k, v in counts.items() if k not in ("final", "published")),
                    "counts": [{"state": k, "n": v} for k, v in counts.items() if v]}

    context = await run_in_threadpool(work)
    return render(ctx, "publish.html.j2", f"Công bố kết quả năm {context['year']}", **context)


@page("POST", "/appraisal/publish", "publish")
async def publish(ctx: Ctx) -> Response:
    def work() -> None:
        with ctx.db.session(write=True) as s:
            services.publish(s, ctx.settings, ctx.me, ctx.route)

    await run_in_threadpool(work)
    return redirect("/ranking", "published")


# -- reports (the files par-index report writes) ----------------------------------------------

_REPORTS: dict[tuple[Any, ...], Any] = {}
_TMP = tempfile.TemporaryDirectory(prefix="par-index-web-reports-")


def _report_key(ctx: Ctx, s: Any) -> tuple[Any, ...]:
    """The permission (viewer: only after publication), then the cache key of the round's reports."""
    services.results(s, ctx.settings, ctx.me, "final")
    rnd = services.get_round(s, None)
    return (ctx.settings.db_url, rnd.year, services.data_revision(s, rnd.year))


def _today(ctx: Ctx) -> dt.date:
    """The report's date as the province reads its calendar (Vietnam time, not the server's UTC)."""
    return ctx.settings.now().astimezone(VN).date()


def _reports_folder(ctx: Ctx, name: str) -> Path:
    """Every report ``par-index report`` writes, once per change of the round."""
    with ctx.db.session() as s:
        key = _report_key(ctx, s)
        if name not in (PROVINCE_FILE, AGENCY_FILE, WORKBOOK_FILE):
            raise ApiError(404, "không có báo cáo này")
        if ("folder", *key) in _REPORTS:
            return _REPORTS[("folder", *key)]
        rd = data.round_data(s, ctx.settings, key[1])
        previous = _previous(s, ctx, key[1])
    out = Path(_TMP.name) / f"{key[1]}-{key[2]}"
    write_reports(prepare(rd.criteria.sets, rd.data, _today(ctx)), out, previous)
    _REPORTS[("folder", *key)] = out
    return out


def _unit_report(ctx: Ctx, unit: str) -> str:
    """One unit's report as ``write_reports`` renders it (the evidence review first), without the others."""
    from par_index.reports.agency import evidence_review
    from par_index.reports.unit import render_unit_report, units_in

    with ctx.db.session() as s:
        key = _report_key(ctx, s)
        rd = data.round_data(s, ctx.settings, key[1])
        if ("inputs", *key) not in _REPORTS:
            inp = prepare(rd.criteria.sets, rd.data, _today(ctx))
            requirements, problems = evidence_review(inp)
            inp.evidence_problems, inp.evidence_reviewed = problems, requirements is not None
            _REPORTS[("inputs", *key)] = inp
    inp = _REPORTS[("inputs", *key)]
    if unit not in units_in(inp.final):
        raise ApiError(404, f"không có báo cáo của đơn vị '{unit}'")
    return str(render_unit_report(inp, unit))


@page("GET", "/reports", "results.read")
async def reports(ctx: Ctx) -> Response:
    def work() -> dict[str, Any]:
        with ctx.db.session() as s:
            services.results(s, ctx.settings, ctx.me, "final")
            rnd = services.get_round(s, None)
            units = services.list_units(s, ctx.me)
            return {"year": rnd.year, "units": units}

    context = await run_in_threadpool(work)
    files = [(PROVINCE_FILE, "Báo cáo xếp hạng, xếp loại toàn tỉnh (HTML)"), (AGENCY_FILE, "Báo cáo tài liệu kiểm chứng theo cơ quan (HTML)"),
             (WORKBOOK_FILE, "Các bảng của báo cáo (Excel)")]
    return render(ctx, "reports.html.j2", f"Báo cáo năm {context['year']}", files=files, **context)


REPORT_TYPES = {".html": "text/html; charset=utf-8", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@page("GET", "/reports/files/{name}", "results.read")
async def report_file(ctx: Ctx, name: str) -> Response:
    folder = await run_in_threadpool(_reports_folder, ctx, name)
    return FileResponse(folder / name, media_type=REPORT_TYPES[Path(name).suffix], filename=name if name.endswith(".xlsx") else None)


@page("GET", "/reports/units/{unit}", "results.read")
async def unit_report(ctx: Ctx, unit: str) -> Response:
    html = await run_in_threadpool(_unit_report, ctx, unit)
    return HTMLResponse(html)


def _value(row: Mapping[Hashable, Any] | None, key: str) -> Any:
    """A cell of a records row; None for a missing row, None or NA."""
    if row is None:
        return None
    v = row.get(key)
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v
