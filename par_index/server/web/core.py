"""What every page shares: the logged-in account, the CSRF token, the header, errors as pages.

Each page route is declared with :func:`page` naming its action of ``roles.RULES`` — the same
table the JSON API obeys. ``PAGES`` lists (method, path) → action for the role × route test.
A refused action (:class:`ApiError` from the services) becomes an HTML page with the same
status code and the services' Vietnamese message; no login sends the browser to ``/login``.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from par_index.server import services
from par_index.server.app import account_from_request, db_of, require_csrf, settings_of
from par_index.server.errors import ApiError
from par_index.server.models import Account
from par_index.server.roles import scope
from par_index.server.web import labels
from par_index.server.web.render import render_text

log = logging.getLogger("par_index.server.web")
router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parents[1] / "static"  # the stylesheet and icon (no CDN)
# (method, path) → action of roles.RULES (None: a page anyone may open, e.g. the login page)
PAGES: dict[tuple[str, str], str | None] = {}
LOGIN_CSRF_COOKIE = "par_login_csrf"
VN = dt.timezone(dt.timedelta(hours=7))


@dataclass
class Ctx:
    """The request as a page sees it."""

    request: Request
    account: Account | None
    csrf: str
    flashes: list[dict[str, str]] = field(default_factory=list)

    @property
    def db(self) -> Any:
        return db_of(self.request)

    @property
    def settings(self) -> Any:
        return settings_of(self.request)

    @property
    def route(self) -> str:
        r = self.request.scope.get("route")
        return f"{self.request.method} {getattr(r, 'path', self.request.url.path)}"

    @property
    def me(self) -> Account:
        assert self.account is not None
        return self.account

    def may(self, action: str) -> bool:
        return self.account is not None and scope(self.account.role, action) is not None


Handler = Callable[..., Awaitable[Response]]


def page(method: str, path: str, action: str | None) -> Callable[[Handler], Handler]:
    """Declare a page route; the handler gets a :class:`Ctx` first, then the path parameters."""

    def deco(fn: Handler) -> Handler:
        PAGES[(method, path)] = action

        @functools.wraps(fn)
        async def handler(request: Request, **kw: Any) -> Response:
            acct = await run_in_threadpool(account_from_request, request)
            if action is not None and acct is None:
                if method == "GET":
                    return RedirectResponse("/login?next=" + quote(str(request.url.path)), status_code=303)
                return error_page(Ctx(request, None, ""), ApiError(401))
            ctx = Ctx(request, acct, getattr(request.state, "csrf", None) or "")
            try:
                if acct is not None and action is not None:
                    if acct.password_once and action not in services.ONCE_ALLOWED and method == "GET":
                        return RedirectResponse("/password", status_code=303)  # a form (POST) is refused by allowed()
                    services.allowed(acct, action)
                    if method != "GET":
                        await require_csrf(request)
                return await fn(ctx, **kw)
            except ApiError as exc:
                return error_page(ctx, exc)
            except Exception:  # a page, not a traceback: the trace goes to the server's log
                log.exception("page %s %s failed", method, path)
                return error_page(ctx, ApiError(500))

        # FastAPI reads the path parameters from the signature (the Ctx parameter is not one)
        params = list(inspect.signature(fn).parameters.values())[1:]
        handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request), *params]
        )
        router.add_api_route(path, handler, methods=[method], response_class=HTMLResponse)
        return fn

    return deco


# -- rendering ---------------------------------------------------------------------------------

NAV: dict[str, list[tuple[str, str]]] = {
    "unit": [("/units/{unit}", "Phiếu tự đánh giá"), ("/units/{unit}/appraisal", "Thẩm định và giải trình")],
    "agency": [("/agency", "Tài liệu kiểm chứng phải cung cấp")],
    "appraiser": [("/appraisal", "Hàng chờ thẩm định"), ("/appraisal/survey", "Điều tra xã hội học"),
                  ("/ranking", "Xếp hạng"), ("/appraisal/publish", "Công bố"), ("/reports", "Báo cáo")],
    "admin": [("/admin/accounts", "Tài khoản"), ("/admin/calendar", "Lịch đánh giá"), ("/admin/criteria", "Bộ tiêu chí"),
              ("/admin/audit", "Nhật ký thay đổi"), ("/ranking", "Xếp hạng")],
    "viewer": [("/results", "Kết quả Chỉ số CCHC")],
}


def header(ctx: Ctx) -> dict[str, Any]:
    """The round's year and its deadlines with the days left (server time)."""
    if ctx.account is None:
        return {"year": None, "deadlines": []}
    with ctx.db.session() as s:
        try:
            rnd = services.get_round(s, None)
        except ApiError:
            return {"year": None, "deadlines": []}
        year, self_d, expl_d = rnd.year, services.utc(rnd.self_deadline), services.utc(rnd.explanation_deadline)
    now = ctx.settings.now()
    out: list[dict[str, Any]] = []
    for label, when in (("Hạn tự đánh giá", self_d), ("Hạn giải trình", expl_d)):
        if when is None:  # said, not left out: a unit must not read "no deadline" as "no hurry"
            out.append({"label": label, "date": None, "left": "chưa đặt", "css": ""})
            continue
        local = when.astimezone(VN)
        days = (local.date() - now.astimezone(VN).date()).days
        left = "đã quá hạn" if when < now else "hôm nay" if days == 0 else f"còn {days} ngày"
        css = "late" if when < now else "soon" if days <= 7 else ""
        out.append({"label": label, "date": local, "left": left, "css": css})
    return {"year": year, "deadlines": out}


def unit_name(ctx: Ctx) -> str | None:
    if ctx.account is None or not ctx.account.unit:
        return None
    with ctx.db.session() as s:
        try:
            rnd = services.get_round(s, None)
            return services.get_unit(s, rnd.year, ctx.account.unit).name
        except ApiError:
            return ctx.account.unit


def agency_name(ctx: Ctx) -> str | None:
    """The agency's name as the criteria files give it (its id if they do not)."""
    if ctx.account is None or not ctx.account.agency:
        return None
    with ctx.db.session() as s:
        try:
            crit = services.criteria_of(s, services.get_round(s, None).year)
        except ApiError:
            return ctx.account.agency
    names = {a.id: a.name for c in crit.sets for a in (c.spec.agencies or [])}
    return names.get(ctx.account.agency, ctx.account.agency)


def render(ctx: Ctx, template: str, title: str, status: int = 200, **context: Any) -> HTMLResponse:
    me = None
    if ctx.account is not None:
        me = {"login": ctx.account.login, "role": ctx.account.role, "unit_name": unit_name(ctx), "agency_name": agency_name(ctx)}
    path = ctx.request.url.path
    nav = []
    if ctx.account is not None:
        for h, label in NAV.get(ctx.account.role, []):
            href = h.replace("{unit}", ctx.account.unit or "")
            nav.append({"href": href, "label": label, "active": path == href})
    flashes = ctx.flashes + _flash_from_query(ctx.request)
    html = render_text(template, title=title, me=me, csrf=ctx.csrf, nav=nav, head=header(ctx), flashes=flashes,
                       now=ctx.settings.now(), dataset_label=context.pop("dataset_label", ""), **context)
    resp = HTMLResponse(html, status_code=status)
    resp.headers["Content-Security-Policy"] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp


# Messages a redirect may carry (?ok=KEY): fixed texts, so no user text travels in a URL.
FLASH = {
    "saved": "Đã lưu.",
    "uploaded": "Đã tải lên tài liệu kiểm chứng.",
    "submitted": "Đã nộp phiếu tự đánh giá. Phiếu đã khóa, không sửa được nữa.",
    "withdrawn": "Đã rút lại phiếu tự đánh giá; có thể sửa và nộp lại trước hạn.",
    "decided": "Đã ghi quyết định thẩm định.",
    "explained": "Đã gửi giải trình.",
    "moved": "Đã chuyển trạng thái hồ sơ.",
    "published": "Đã công bố kết quả.",
    "calendar": "Đã lưu lịch đánh giá.",
    "account": "Đã lưu tài khoản.",
    "password": "Đã đổi mật khẩu.",
    "survey": "Đã nạp số liệu điều tra xã hội học.",
}


def _flash_from_query(request: Request) -> list[dict[str, str]]:
    key = request.query_params.get("ok")
    return [{"kind": "ok", "text": FLASH[key]}] if key in FLASH else []


def redirect(path: str, ok: str | None = None, anchor: str = "") -> RedirectResponse:
    sep = "&" if "?" in path else "?"
    return RedirectResponse(path + (f"{sep}ok={ok}" if ok else "") + (f"#{anchor}" if anchor else ""), status_code=303)


HEADINGS = {
    401: "Chưa đăng nhập",
    403: "Không có quyền truy cập",
    404: "Không tìm thấy",
    409: "Không thực hiện được",
    413: "Tệp quá lớn",
    415: "Loại tệp không được chấp nhận",
    422: "Dữ liệu không hợp lệ",
    429: "Tạm khóa đăng nhập",
    500: "Lỗi trong máy chủ",
}


def error_page(ctx: Ctx, exc: ApiError) -> HTMLResponse:
    hint = ""
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    if exc.status == 403 and ({"action", "unit", "agency"} & detail.keys()):  # a role's or another unit's page
        hint = "Trang này thuộc về một đơn vị hoặc một vai trò khác. Nếu cần quyền, hãy liên hệ quản trị viên."
    elif exc.status == 403 and "year" in detail:  # the results before publication
        hint = "Kết quả xem được ở đây sau khi Sở Nội vụ công bố."
    elif exc.status == 401:
        hint = "Hãy đăng nhập lại."
    resp = render(ctx, "error.html.j2", HEADINGS.get(exc.status, "Lỗi"), status=exc.status, code=exc.status, heading=HEADINGS.get(exc.status, "Lỗi"),
                  message=_sentence(exc.message), hint=hint, back="/login" if exc.status == 401 else "/")
    for k, v in (exc.headers or {}).items():
        resp.headers[k] = v
    return resp


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")) if text else text


async def form_of(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: v for k, v in form.multi_items()}


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def labels_module() -> Any:
    return labels
