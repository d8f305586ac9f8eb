"""Đăng nhập, đăng xuất, đổi mật khẩu, and the home page that leads each role to its work."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from par_index.server import services
from par_index.server.app import CSRF_COOKIE, SESSION_COOKIE
from par_index.server.errors import ApiError
from par_index.server.security import same
from par_index.server.web import accounts
from par_index.server.web.core import (
    LOGIN_CSRF_COOKIE,
    Ctx,
    error_page,
    form_of,
    new_login_csrf,
    page,
    redirect,
    render,
)

HOME = {"unit": "/unit", "agency": "/agency", "appraiser": "/appraisal", "admin": "/admin/accounts", "viewer": "/results"}


def _safe_next(target: str) -> str:
    """Only a path of this site (never //host or a scheme) may follow the login."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@page("GET", "/login", None)
async def login_form(ctx: Ctx) -> Response:
    token = new_login_csrf()
    ctx.csrf = token
    resp = render(ctx, "login.html.j2", "Đăng nhập", next=_safe_next(ctx.request.query_params.get("next", "/")), login="")
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login", secure=ctx.settings.secure_cookies)
    return resp


@page("POST", "/login", None)
async def login_post(ctx: Ctx) -> Response:
    form = await form_of(ctx.request)
    sent, expected = str(form.get("csrf_token", "")), ctx.request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not same(sent, expected):
        return error_page(ctx, ApiError(403, "phiên đăng nhập của trang đã cũ (thiếu mã chống giả mạo); hãy tải lại trang đăng nhập"))
    name, password = str(form.get("login", "")), str(form.get("password", ""))
    settings, db = ctx.settings, ctx.db

    def work() -> services.Login | ApiError:
        with db.session(write=True) as s:
            return services.login(s, settings, name, password)

    try:
        got = await run_in_threadpool(work)
    except ApiError as exc:
        got = exc
    if isinstance(got, ApiError):
        token = new_login_csrf()
        ctx.csrf = token
        ctx.flashes.append({"kind": "error", "text": got.message[:1].upper() + got.message[1:] + "."})
        resp = render(ctx, "login.html.j2", "Đăng nhập", status=got.status, next=_safe_next(str(form.get("next", "/"))), login=name)
        resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login", secure=settings.secure_cookies)
        return resp
    ctx.request.state.login = name
    target = _safe_next(str(form.get("next", "/")))
    if target in ("/", "/login"):
        target = HOME.get(got.account.role, "/")
    if got.account.password_once:
        target = "/password"  # a one-time password: set one's own first
    ok = RedirectResponse(target, status_code=303)
    max_age = int(settings.session_hours * 3600)
    ok.set_cookie(SESSION_COOKIE, got.token, max_age=max_age, httponly=True, samesite="strict", secure=settings.secure_cookies, path="/")
    ok.set_cookie(CSRF_COOKIE, got.csrf, max_age=max_age, httponly=False, samesite="strict", secure=settings.secure_cookies, path="/")
    ok.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return ok


@page("POST", "/logout", "session.delete")
async def logout(ctx: Ctx) -> Response:
    token = ctx.request.cookies.get(SESSION_COOKIE, "")

    def work() -> None:
        with ctx.db.session(write=True) as s:
            services.logout(s, token)

    await run_in_threadpool(work)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    resp.delete_cookie(CSRF_COOKIE, path="/")
    return resp


@page("GET", "/", None)
async def home(ctx: Ctx) -> Response:
    if ctx.account is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME.get(ctx.account.role, "/login"), status_code=303)


@page("GET", "/password", "session.read")
async def password_form(ctx: Ctx) -> Response:
    return render(ctx, "password.html.j2", "Đổi mật khẩu", once=ctx.me.password_once)


@page("POST", "/password", "password.change")
async def password_post(ctx: Ctx) -> Response:
    form = await form_of(ctx.request)

    def work() -> None:
        with ctx.db.session(write=True) as s:
            accounts.change_own_password(
                s, ctx.settings, ctx.me, ctx.route, str(form.get("old", "")), str(form.get("new", "")), str(form.get("again", "")),
                ctx.request.cookies.get(SESSION_COOKIE, ""),
            )

    try:
        await run_in_threadpool(work)
    except ApiError as exc:
        if exc.status != 422:
            raise
        ctx.flashes.append({"kind": "error", "text": exc.message[:1].upper() + exc.message[1:] + "."})
        return render(ctx, "password.html.j2", "Đổi mật khẩu", status=422, once=ctx.me.password_once)
    return redirect("/password", "password")


def request_path(request: Request) -> str:
    return str(request.url.path)


@page("GET", "/favicon.ico", None)
async def favicon(ctx: Ctx) -> Response:
    """Browsers ask for it on pages without an icon link (the reports ``par-index report`` writes)."""
    from fastapi.responses import FileResponse

    from par_index.server.web.core import STATIC

    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")
