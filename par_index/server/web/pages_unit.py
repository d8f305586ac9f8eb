"""The unit's pages: Phiếu tự đánh giá (save per criterion, evidence upload in place, submit and
withdraw with a confirmation), and the appraisal trail with the explanation form.

Every change goes through the services (``put_assessment``, ``add_evidence``, ``set_state``,
``add_explanation``): the same checks, versions and audit entries as the JSON API.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from par_index.appraisal.trail import leaf_trails
from par_index.messages import CRITERION_UNKNOWN, UNIT_KIND_UNKNOWN
from par_index.server import services
from par_index.server.errors import ApiError
from par_index.server.uploads import store
from par_index.server.web import data
from par_index.server.web.core import Ctx, form_of, page, redirect, render
from par_index.server.web.unit_form import anchor, unit_form
from par_index.server.web.widgets import read_input, widget_for


@page("GET", "/unit", "assessment.write")
async def own_unit(ctx: Ctx) -> Response:
    return RedirectResponse(f"/units/{ctx.me.unit}", status_code=303)


def _form_context(ctx: Ctx, unit: str, errors: dict[str, str] | None = None, typed: dict[str, str] | None = None) -> dict[str, Any]:
    settings = ctx.settings
    with ctx.db.session() as s:
        got = services.get_assessment(s, ctx.me, unit)  # permission and scope: 403 for another unit
        rnd = services.get_round(s, None)
        u = services.get_unit(s, rnd.year, unit)
        crit = services.criteria_of(s, rnd.year)
        c = crit.set_of_kind(u.kind)
        if c is None:
            raise ApiError(404, UNIT_KIND_UNKNOWN.format(kind=u.kind, where="bộ tiêu chí"))
        evidence = services.list_evidence(s, ctx.me, unit) if ctx.may("evidence.read") else []
        doc = data.scores(s, settings, rnd.year, "self")
        mine = data.unit_scores(doc, unit) or {"nodes": {}, "points": None, "max": None, "index": None}
        rd = data.round_data(s, settings, rnd.year)
        cuts = [p for p in data.proposals(s, settings, rnd.year, 1) if p.unit == unit]
        self_deadline, now = services.utc(rnd.self_deadline), settings.now()
    a = rd.data.assessments
    survey_rows = a[(a["unit"] == unit) & (a["stage"] == "survey")]
    survey = dict(zip(survey_rows["criterion"], survey_rows["value"], strict=True))
    rows = {r["criterion"]: r for r in got["rows"]}
    areas = unit_form(c, u.kind, rows, mine["nodes"], evidence, c.agencies, errors, typed, survey)
    lost = sum((Decimal(str(p.current_points)) - Decimal(str(p.proposed_points)) for p in cuts), Decimal(0))
    total = mine.get("points")
    before_deadline = self_deadline is None or now <= self_deadline
    own = ctx.account is not None and ctx.account.role == "unit" and ctx.account.unit == unit
    return {
        "unit": {"unit": u.unit, "name": u.name, "state": u.state, "kind": u.kind},
        "areas": areas,
        "total": {"points": total, "max": mine.get("max"), "index": mine.get("index")},
        "cut_total": (float(Decimal(str(total)) - lost) if total is not None else None) if cuts else None,
        "cuts": [{"criterion": p.criterion, "anchor": anchor(p.criterion), "name": p.criterion_name, "current": p.current_points,
                  "proposed": p.proposed_points, "reason": p.reason} for p in cuts],
        "editable": own and u.state == "draft" and before_deadline and ctx.may("assessment.write"),
        "can_upload": own and u.state in ("draft", "explanation"),
        "can_submit": own and u.state == "draft" and before_deadline,
        "can_withdraw": own and u.state == "submitted" and before_deadline,
        "can_explain": u.state not in ("draft", "submitted"),
        "base": f"/units/{unit}",
        "dataset_label": rd.label,
    }


@page("GET", "/units/{unit}", "assessment.read")
async def unit_page(ctx: Ctx, unit: str) -> Response:
    context = await run_in_threadpool(_form_context, ctx, unit)
    return render(ctx, "unit_form.html.j2", f"Phiếu tự đánh giá — {context['unit']['name']}", **context)


@page("POST", "/units/{unit}/criteria/{criterion}", "assessment.write")
async def save_leaf(ctx: Ctx, unit: str, criterion: str) -> Response:
    form = await form_of(ctx.request)
    raw, note = str(form.get("value", "")), str(form.get("note", ""))
    version_text = str(form.get("version", "")).strip()
    version = int(version_text) if version_text.isdigit() else None

    def work() -> str | None:
        with ctx.db.session(write=True) as s:
            rnd = services.get_round(s, None)
            u = services.get_unit(s, rnd.year, unit)
            c = services.criteria_of(s, rnd.year).set_of_kind(u.kind)
            j = c.leaf_index.get(criterion) if c is not None else None
            if c is None or j is None:
                raise ApiError(404, CRITERION_UNKNOWN.format(criterion=criterion, where="bộ tiêu chí của đơn vị"))
            value, problem = read_input(widget_for(c.leaves[j]), criterion, raw)
            if problem is not None:
                return problem
            try:
                services.put_assessment(s, ctx.settings, ctx.me, ctx.route, unit, criterion, value or "", note, version)
            except ApiError as exc:
                if exc.status != 422:
                    raise
                return exc.message[:1].upper() + exc.message[1:]
        return None

    problem = await run_in_threadpool(work)
    if problem is not None:
        context = await run_in_threadpool(_form_context, ctx, unit, {criterion: problem}, {criterion: raw})
        ctx.flashes.append({"kind": "error", "text": problem})
        return render(ctx, "unit_form.html.j2", f"Phiếu tự đánh giá — {context['unit']['name']}", status=422, **context)
    return redirect(f"/units/{unit}", "saved", "c-" + anchor(criterion))


@page("POST", "/units/{unit}/evidence", "evidence.upload")
async def upload(ctx: Ctx, unit: str) -> Response:
    form = await ctx.request.form()
    criterion = str(form.get("criterion", ""))
    document, issued = str(form.get("document", "")), str(form.get("issued_on", ""))
    back = str(form.get("back", ""))
    file = form.get("file")
    settings = ctx.settings

    def allowed() -> None:
        with ctx.db.session() as s:
            services.check_evidence_upload(s, settings, ctx.me, unit, criterion)

    await run_in_threadpool(allowed)  # who, which unit, which state: before anything about the file
    if file is None or isinstance(file, str) or not file.filename:
        raise ApiError(422, f"tiêu chí {criterion}: chưa chọn tệp để tải lên", {"criterion": criterion, "field": "file"})
    if issued:
        from par_index.common.values import parse_date_scalar

        d = parse_date_scalar(issued)
        issued = d.strftime("%d/%m/%Y") if d else issued

    def work() -> None:
        with ctx.db.session() as s:
            services.check_evidence_upload(s, settings, ctx.me, unit, criterion)
        stored = store(file.file, settings.files_dir, settings.max_upload_bytes)
        with ctx.db.session(write=True) as s:
            services.add_evidence(s, settings, ctx.me, ctx.route, unit, criterion, document, issued, "", stored)

    await run_in_threadpool(work)
    if back == "agency":
        return redirect("/agency", "uploaded", f"e-{anchor(unit)}-{anchor(criterion)}")
    return redirect(f"/units/{unit}", "uploaded", "c-" + anchor(criterion))


@page("POST", "/units/{unit}/workbook", "workbook.upload")
async def workbook(ctx: Ctx, unit: str) -> Response:
    """The whole self-assessment workbook (``par-index template``), read as ``score --data`` reads it."""
    import shutil
    import tempfile
    from pathlib import Path

    form = await ctx.request.form()
    file = form.get("file")

    def allowed() -> None:
        with ctx.db.session() as s:
            rnd = services.get_round(s, None)
            services.get_unit(s, rnd.year, unit)
            services.check_unit_scope(ctx.me, services.allowed(ctx.me, "workbook.upload"), unit, rnd)

    await run_in_threadpool(allowed)  # which unit: before anything about the file
    if file is None or isinstance(file, str) or not file.filename:
        raise ApiError(422, "chưa chọn tệp phiếu tự đánh giá (.xlsx) để tải lên", {"field": "file"})
    shown = Path(file.filename).name

    def work() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="par-index-workbook-") as tmp:
            path = Path(tmp) / f"{anchor(unit)}.xlsx"
            with path.open("wb") as out:
                shutil.copyfileobj(file.file, out)
            with ctx.db.session(write=True) as s:
                return services.upload_workbook(s, ctx.settings, ctx.me, ctx.route, unit, path, shown)

    got = await run_in_threadpool(work)
    ctx.flashes.append({"kind": "ok", "text": f"Đã đọc phiếu {shown}: {got['rows']} dòng, {got['changed']} dòng thay đổi, {got['evidence']} tài liệu kiểm chứng."})
    for w in got.get("warnings", [])[:20]:
        ctx.flashes.append({"kind": "info", "text": str(w.get("text") or w.get("message") or w)})
    context = await run_in_threadpool(_form_context, ctx, unit)
    return render(ctx, "unit_form.html.j2", f"Phiếu tự đánh giá — {context['unit']['name']}", **context)


def _confirm(ctx: Ctx, unit: str, what: str) -> Response:
    with ctx.db.session() as s:
        rnd = services.get_round(s, None)
        u = services.get_unit(s, rnd.year, unit)
        services.check_unit_scope(ctx.me, services.allowed(ctx.me, f"unit.{what}"), unit, rnd)
    if what == "submit":
        return render(ctx, "confirm.html.j2", "Nộp phiếu tự đánh giá", action=f"/units/{unit}/submit", back=f"/units/{unit}",
                      question=f"Nộp phiếu tự đánh giá của {u.name}?",
                      details=["Sau khi nộp, phiếu bị khóa: không sửa được số liệu nữa.",
                               "Trước hạn tự đánh giá, đơn vị có thể rút lại để sửa rồi nộp lại."],
                      button="Nộp phiếu", danger=False)
    return render(ctx, "confirm.html.j2", "Rút lại phiếu tự đánh giá", action=f"/units/{unit}/withdraw", back=f"/units/{unit}",
                  question=f"Rút lại phiếu tự đánh giá của {u.name} để sửa?",
                  details=["Phiếu trở về trạng thái đang tự đánh giá; nhớ nộp lại trước hạn."], button="Rút lại", danger=True)


@page("GET", "/units/{unit}/submit", "unit.submit")
async def submit_confirm(ctx: Ctx, unit: str) -> Response:
    return await run_in_threadpool(_confirm, ctx, unit, "submit")


@page("GET", "/units/{unit}/withdraw", "unit.withdraw")
async def withdraw_confirm(ctx: Ctx, unit: str) -> Response:
    return await run_in_threadpool(_confirm, ctx, unit, "withdraw")


async def _move(ctx: Ctx, unit: str, action: str, ok: str) -> Response:
    def work() -> None:
        with ctx.db.session(write=True) as s:
            services.set_state(s, ctx.settings, ctx.me, ctx.route, unit, action)

    await run_in_threadpool(work)
    return redirect(f"/units/{unit}", ok)


@page("POST", "/units/{unit}/submit", "unit.submit")
async def submit(ctx: Ctx, unit: str) -> Response:
    return await _move(ctx, unit, "unit.submit", "submitted")


@page("POST", "/units/{unit}/withdraw", "unit.withdraw")
async def withdraw(ctx: Ctx, unit: str) -> Response:
    return await _move(ctx, unit, "unit.withdraw", "withdrawn")


# -- the appraisal as the unit sees it, and its explanation -----------------------------------


def trail_context(ctx: Ctx, unit: str) -> dict[str, Any]:
    settings = ctx.settings
    with ctx.db.session() as s:
        services.get_assessment(s, ctx.me, unit)  # who may see the unit's dossier
        rnd = services.get_round(s, None)
        u = services.get_unit(s, rnd.year, unit)
        res = data.results(s, settings, rnd.year, "final")
        rd = data.round_data(s, settings, rnd.year)
        deadline, now = services.utc(rnd.explanation_deadline), settings.now()
    trails = leaf_trails(res, rd.data, unit)
    c = rd.criteria.set_of_kind(u.kind)
    names = {leaf.code: leaf.name for leaf in c.leaves} if c else {}
    own = ctx.account is not None and ctx.account.role == "unit" and ctx.account.unit == unit
    # the unit reads a round's decisions once the round is over (not while it is under way)
    hidden = {"draft": ("appraisal1", "appraisal2"), "submitted": ("appraisal1", "appraisal2"), "appraisal1": ("appraisal1", "appraisal2"),
              "appraisal2": ("appraisal2",)}.get(u.state, ()) if own else ()
    rows = []
    for code, steps in trails.items():
        shown = [st for st in steps if st.step not in hidden]
        if not any(st.step.startswith("appraisal") for st in shown):
            continue
        rows.append({"code": code, "anchor": anchor(code), "name": names.get(code, ""), "steps": shown})
    return {"unit": {"unit": u.unit, "name": u.name, "state": u.state}, "rows": rows, "in_progress": bool(hidden) and u.state.startswith("appraisal"),
            "can_explain": own and u.state == "explanation" and (deadline is None or now <= deadline),
            "dataset_label": rd.label}


@page("GET", "/units/{unit}/appraisal", "assessment.read")
async def unit_trail(ctx: Ctx, unit: str) -> Response:
    context = await run_in_threadpool(trail_context, ctx, unit)
    return render(ctx, "unit_trail.html.j2", f"Kết quả thẩm định — {context['unit']['name']}", **context)


@page("POST", "/units/{unit}/explanations", "explanation.write")
async def explain(ctx: Ctx, unit: str) -> Response:
    form = await form_of(ctx.request)
    criterion, text = str(form.get("criterion", "")), str(form.get("text", ""))

    def work() -> None:
        with ctx.db.session(write=True) as s:
            services.add_explanation(s, ctx.settings, ctx.me, ctx.route, unit, criterion, text)

    await run_in_threadpool(work)
    return redirect(f"/units/{unit}/appraisal", "explained", "t-" + anchor(criterion))
