"""The admin's pages: accounts (create, disable, reset password), the round's calendar, the
criteria sets loaded for the year, and the audit log with filters. Also the agency's evidence page.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from par_index.common.values import format_date, parse_date_scalar
from par_index.messages import DATE_UNREADABLE
from par_index.server import services
from par_index.server.errors import ApiError
from par_index.server.models import CriteriaFile, Unit
from par_index.server.web import accounts, data, labels
from par_index.server.web.core import VN, Ctx, form_of, page, redirect, render
from par_index.server.web.render import datetime as vn_time
from par_index.server.web.render import num
from par_index.server.web.unit_form import anchor


def _accounts(ctx: Ctx) -> dict[str, Any]:
    with ctx.db.session() as s:
        rows = accounts.list_accounts(s, ctx.me)
        rnd = services.get_round(s, None)
        units = [(u.unit, u.name) for u in s.scalars(select(Unit).where(Unit.year == rnd.year).order_by(Unit.position))]
        agencies = sorted({(a.id, a.name) for c in services.criteria_of(s, rnd.year).sets for a in (c.spec.agencies or [])})
    names = dict(units) | dict(agencies)
    for a in rows:  # the unit's or agency's name, as the header shows it (its code beside it)
        code = a.get("unit") or a.get("agency") or ""
        a["belongs"] = (names.get(code, code), code if code in names else "")
    return {"accounts": rows, "units": units, "agencies": agencies, "roles": labels.ROLES}


@page("GET", "/admin/accounts", "users.read")
async def accounts_page(ctx: Ctx) -> Response:
    context = await run_in_threadpool(_accounts, ctx)
    return render(ctx, "accounts.html.j2", "Tài khoản", new_password=None, **context)


@page("POST", "/admin/accounts", "users.write")
async def create_account(ctx: Ctx) -> Response:
    form = await form_of(ctx.request)
    role = str(form.get("role", ""))
    body = {"login": str(form.get("login", "")).strip(), "role": role,
            "unit": str(form.get("unit", "")) if role == "unit" else None, "agency": str(form.get("agency", "")) if role == "agency" else None}

    def work() -> dict[str, Any]:
        with ctx.db.session(write=True) as s:
            return services.add_user(s, ctx.settings, ctx.me, ctx.route, body)

    made = await run_in_threadpool(work)
    context = await run_in_threadpool(_accounts, ctx)
    ctx.flashes.append({"kind": "ok", "text": f"Đã tạo tài khoản {made['login']}."})
    return render(ctx, "accounts.html.j2", "Tài khoản", new_password={"login": made["login"], "password": made["password"]}, **context)


@page("POST", "/admin/accounts/{account_id}/active", "users.write")
async def set_active(ctx: Ctx, account_id: int) -> Response:
    form = await form_of(ctx.request)

    def work() -> None:
        with ctx.db.session(write=True) as s:
            accounts.set_active(s, ctx.settings, ctx.me, ctx.route, account_id, str(form.get("active", "")) == "1")

    await run_in_threadpool(work)
    return redirect("/admin/accounts", "account")


@page("POST", "/admin/accounts/{account_id}/password", "users.write")
async def reset(ctx: Ctx, account_id: int) -> Response:
    def work() -> tuple[str, str]:
        with ctx.db.session(write=True) as s:
            a, pw = accounts.reset_password(s, ctx.settings, ctx.me, ctx.route, account_id)
            return a.login, pw

    login, password = await run_in_threadpool(work)
    context = await run_in_threadpool(_accounts, ctx)
    ctx.flashes.append({"kind": "ok", "text": f"Đã đặt lại mật khẩu của {login}."})
    return render(ctx, "accounts.html.j2", "Tài khoản", new_password={"login": login, "password": password}, **context)


# -- calendar ---------------------------------------------------------------------------------


def _calendar(ctx: Ctx) -> dict[str, Any]:
    with ctx.db.session() as s:
        services.allowed(ctx.me, "calendar.write")
        rnd = services.get_round(s, None)
        out: dict[str, Any] = {"year": rnd.year}
        for key in ("self_deadline", "explanation_deadline"):
            when = services.utc(getattr(rnd, key))
            out[key] = format_date(when.astimezone(VN).date()) if when else ""
    return out


@page("GET", "/admin/calendar", "calendar.write")
async def calendar(ctx: Ctx) -> Response:
    context = await run_in_threadpool(_calendar, ctx)
    return render(ctx, "calendar.html.j2", "Lịch đánh giá", **context)


@page("POST", "/admin/calendar", "calendar.write")
async def calendar_post(ctx: Ctx) -> Response:
    form = await form_of(ctx.request)
    body: dict[str, Any] = {}
    for key, what in (("self_deadline", "hạn tự đánh giá"), ("explanation_deadline", "hạn giải trình")):
        text = str(form.get(key, "")).strip()
        if not text:
            body[key] = None
            continue
        d = parse_date_scalar(text)
        if d is None:
            raise ApiError(422, f"{what}: {DATE_UNREADABLE.format(what='ngày', text=text)}", {"field": key})
        body[key] = dt.datetime.combine(d, dt.time(23, 59, 59), VN).isoformat()  # the whole day, Vietnam time

    def work() -> None:
        with ctx.db.session(write=True) as s:
            rnd = services.get_round(s, None)
            services.set_calendar(s, ctx.settings, ctx.me, ctx.route, rnd.year, body)

    await run_in_threadpool(work)
    return redirect("/admin/calendar", "calendar")


# -- criteria ---------------------------------------------------------------------------------


def _criteria(ctx: Ctx) -> dict[str, Any]:
    with ctx.db.session() as s:
        services.allowed(ctx.me, "users.read")
        rnd = services.get_round(s, None)
        crit = services.criteria_of(s, rnd.year)
        files = list(s.execute(select(CriteriaFile.set_id, CriteriaFile.path).where(CriteriaFile.year == rnd.year).order_by(CriteriaFile.position)))
    sets = []
    for c in crit.sets:
        # a group of bonus and penalty points only has no maximum: its points are added outside it
        outside = [all(leaf.outside_max for leaf in c.leaves[c.under(c.node_index[n.code])]) for n in c.areas()]
        sets.append({"id": c.id, "title": c.spec.title, "kinds": ", ".join(c.kinds.values()), "leaves": len(c.leaves),
                     "max": sum((leaf.max for leaf in c.leaves), start=0),
                     "areas": [(n.code, n.name, None if out else n.max) for n, out in zip(c.areas(), outside, strict=True)],
                     "bands": [(b.label, b.min) for b in (c.spec.bands or [])]})
    return {"year": rnd.year, "sets": sets, "files": [p for _set, p in files]}


@page("GET", "/admin/criteria", "users.read")
async def criteria(ctx: Ctx) -> Response:
    context = await run_in_threadpool(_criteria, ctx)
    return render(ctx, "criteria.html.j2", f"Bộ tiêu chí năm {context['year']}", **context)


# -- audit ------------------------------------------------------------------------------------


@page("GET", "/admin/audit", "audit.read")
async def audit(ctx: Ctx) -> Response:
    q = ctx.request.query_params
    unit, login, action = q.get("unit", "").strip(), q.get("login", "").strip(), q.get("action", "").strip()

    def work() -> dict[str, Any]:
        with ctx.db.session() as s:
            rows = services.audit_entries(s, ctx.me, unit or None, None, 2000)
            actions = sorted({r["action"] for r in services.audit_entries(s, ctx.me, None, None, 10000)})
        if login:
            rows = [r for r in rows if r["login"] == login]
        if action:
            rows = [r for r in rows if r["action"] == action]
        for r in rows:
            r["when"] = dt.datetime.fromisoformat(r["at"]) if r["at"] else None
            r["who"] = r["login"] if r["role"] == "cli" else f"{r['login']} — {labels.role(r['role'])}"
            r["before_text"], r["after_text"] = _change(r["before"]), _change(r["after"])
        return {"rows": rows[:500], "total": len(rows), "actions": [(a, labels.action(a)) for a in actions], "f": {"unit": unit, "login": login, "action": action}}

    context = await run_in_threadpool(work)
    return render(ctx, "audit.html.j2", "Nhật ký thay đổi", **context)


_WHEN = ("self_deadline", "explanation_deadline", "published_at")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")


def _change(d: Any) -> str:
    """An audit entry's before or after as a reader reads it: ``trạng thái: Đã nộp; …``."""
    if d is None:
        return ""
    if not isinstance(d, dict):
        return _word("", d)
    return "; ".join(f"{labels.FIELDS[k]}: {_word(k, v)}" for k, v in d.items() if k in labels.FIELDS)


def _word(key: str, v: Any) -> str:
    if v is None or v == "":
        return "—"
    if isinstance(v, bool):
        return "có" if v else "không"
    if isinstance(v, list):
        return ", ".join(_word(key, x) for x in v)
    if isinstance(v, float):
        return num(v)
    text = str(v)
    if key == "state":
        return labels.state(text)
    if key == "stage":
        return labels.stage(text)
    if key == "role":
        return labels.role(text)
    if key in _WHEN:
        try:
            return vn_time(dt.datetime.fromisoformat(text))
        except ValueError:
            return text
    return text.replace(".", ",") if key == "points" and _DECIMAL.match(text) else text  # a code (1.2) or a typed value stays as it is


# -- agency -------------------------------------------------------------------------------------


def _agency(ctx: Ctx) -> dict[str, Any]:
    """Per criterion the agency supplies, per unit: what is owed, uploaded, missing, late."""
    from par_index.evidence.check import STATUS_ORDER, STATUS_WORDS, review_evidence

    settings = ctx.settings
    with ctx.db.session() as s:
        services.allowed(ctx.me, "evidence.upload")
        rnd = services.get_round(s, None)
        rd = data.round_data(s, settings, rnd.year)
        res = data.results(s, settings, rnd.year, "self")
        uploads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        listed = services.list_units(s, ctx.me)  # in the province's own order (units.csv)
        for u in listed:
            for e in services.list_evidence(s, ctx.me, u["unit"]):
                uploads.setdefault((u["unit"], e["criterion"]), []).append(e)
        states = {u["unit"]: u["state"] for u in listed}
        position = {u["unit"]: i for i, u in enumerate(listed)}
    agency = ctx.me.agency
    review = review_evidence(res, rd.data, None, always=True)
    rows = []
    for q in review.requirements:
        if q.agency != agency:
            continue
        files = uploads.get((q.unit, q.leaf), [])
        rows.append({"unit": q.unit, "unit_name": q.unit_name, "criterion": q.leaf, "name": q.leaf_name, "document": q.document,
                     "status": q.status, "status_text": STATUS_WORDS.get(q.status, q.status), "notes": q.notes, "supplied": q.supplied,
                     "files": files, "anchor": f"e-{anchor(q.unit)}-{anchor(q.leaf)}",
                     "can_upload": states.get(q.unit) in ("draft", "submitted", "appraisal1", "explanation", "appraisal2")})
    names = {a.id: a.name for c in rd.criteria.sets for a in (c.spec.agencies or [])}
    counts: dict[str, int] = {}
    for r in rows:
        text = str(r["status_text"])
        counts[text] = counts.get(text, 0) + 1
    # units in the province's order, not by code point ("Sở Khoa học" before "Sở Kế hoạch" was Python's)
    units = sorted({(str(r["unit"]), str(r["unit_name"])) for r in rows}, key=lambda u: position.get(u[0], len(position)))
    # worst first (thiếu, muộn, …, đủ), then unit and criterion; filters from the query string
    want_unit, want_status = ctx.request.query_params.get("unit", ""), ctx.request.query_params.get("status", "")
    order = {st: i for i, st in enumerate(STATUS_ORDER)}
    rows = [r for r in rows if (not want_unit or r["unit"] == want_unit) and (not want_status or r["status"] == want_status)]
    rows.sort(key=lambda r: (order.get(str(r["status"]), len(order)), position.get(str(r["unit"]), len(position)), _code_key(str(r["criterion"]))))
    return {"rows": rows, "agency": names.get(agency or "", agency), "counts": counts, "dataset_label": rd.label, "units": units,
            "statuses": [(st, STATUS_WORDS[st]) for st in STATUS_ORDER], "f": {"unit": want_unit, "status": want_status}}


def _code_key(code: str) -> tuple[tuple[int, int, str], ...]:
    """A criterion code in reading order: 1.2 before 1.10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in code.split("."))


@page("GET", "/agency", "evidence.upload")
async def agency_page(ctx: Ctx) -> Response:
    context = await run_in_threadpool(_agency, ctx)
    return render(ctx, "agency.html.j2", "Tài liệu kiểm chứng phải cung cấp", **context)
