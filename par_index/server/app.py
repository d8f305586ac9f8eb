"""The JSON API: ``create_api(settings)`` and the ``/api/v1`` routes (the whole server, API and
pages, is composed by :func:`par_index.server.factory.create_app`).

Every route names its action in ``ROUTES`` (method, path) → action, and the action's row in
``roles.RULES`` says who may call it; ``tests/server/test_roles.py`` walks every route with
every role. The web pages (``par_index.server.web``) mount on the same app and reuse
:func:`account_from_request`, :func:`require_csrf` and the services.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from par_index.messages import json_invalid
from par_index.server import services
from par_index.server.db import Database
from par_index.server.errors import MESSAGES, ApiError, file_too_large, unreadable_request
from par_index.server.models import Account
from par_index.server.roles import PUBLIC
from par_index.server.settings import Settings

SESSION_COOKIE = "par_session"
CSRF_COOKIE = "par_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE = ("GET", "HEAD", "OPTIONS")
PREFIX = "/api/v1"
# (method, path) → action of roles.RULES; filled by @api below. The API's OpenAPI schema, served
# by FastAPI itself, is public (it describes the routes, no data): a public action of its own.
ROUTES: dict[tuple[str, str], str] = {("GET", PREFIX + "/openapi.json"): "schema.read"}

log = logging.getLogger("par_index.server")
router = APIRouter(prefix=PREFIX)


def api(method: str, path: str, action: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        ROUTES[(method, PREFIX + path)] = action
        router.add_api_route(path, fn, methods=[method], name=action, **kw)
        return fn

    return deco


# ---------------------------------------------------------------- request context --------


def db_of(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def settings_of(request: Request) -> Settings:
    st: Settings = request.app.state.settings
    return st


def route_name(request: Request) -> str:
    r = request.scope.get("route")
    return f"{request.method} {getattr(r, 'path', request.url.path)}"


def _token(request: Request) -> tuple[str | None, bool]:
    """(token, from the cookie?)"""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


def account_from_request(request: Request) -> Account | None:
    """The logged-in account (bearer token or session cookie), or None. Cached on the request."""
    if hasattr(request.state, "account"):
        acct: Account | None = request.state.account
        return acct
    token, cookie = _token(request)
    found = None
    if token:
        with db_of(request).session() as s:
            found = services.session_account(s, settings_of(request), token)
    request.state.account = found[0] if found else None
    request.state.csrf = found[1].csrf if found else None
    request.state.cookie_auth = cookie
    request.state.login = found[0].login if found else None
    return request.state.account


async def require_csrf(request: Request, form_value: str | None = None) -> None:
    """Browsers (cookie sessions) must send the session's CSRF token with every change:
    header ``X-CSRF-Token`` or form field ``csrf_token``. Bearer tokens need none."""
    if request.method in SAFE or not getattr(request.state, "cookie_auth", False):
        return
    expected = getattr(request.state, "csrf", None) or ""
    sent = request.headers.get(CSRF_HEADER) or form_value
    if sent is None and request.headers.get("content-type", "").startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        v = form.get(CSRF_FIELD)
        sent = v if isinstance(v, str) else None
    from par_index.server.security import same

    if not expected or not sent or not same(sent, expected):
        raise ApiError(403, "thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải lại trang và thử lại", {"csrf": "missing or wrong"})


async def logged_in(request: Request) -> Account:
    """Dependency of every route except login: 401 without a valid session, CSRF for browsers."""
    from starlette.concurrency import run_in_threadpool

    acct = await run_in_threadpool(account_from_request, request)
    if acct is None:
        raise ApiError(401)
    await require_csrf(request)
    return acct


Me = Annotated[Account, Depends(logged_in)]

# ---------------------------------------------------------------- routes ------------------


@api("POST", "/session", "session.create")
async def create_session(request: Request) -> Response:
    body = await _json(request)
    name, password = body.get("login"), body.get("password")
    if not isinstance(name, str) or not isinstance(password, str):
        raise ApiError(422, "cần login và password (văn bản)", {"fields": ["login", "password"]})
    settings = settings_of(request)

    def work() -> services.Login | ApiError:
        with db_of(request).session(write=True) as s:
            return services.login(s, settings, name, password)

    got = await _in_thread(work)
    if isinstance(got, ApiError):
        raise got
    request.state.login = name
    out = {
        "token": got.token, "role": got.account.role, "unit": got.account.unit, "agency": got.account.agency, "csrf": got.csrf,
        "expires_at": services.iso(got.expires_at), "password_change_required": got.account.password_once,
    }
    resp = JSONResponse(out)
    max_age = int(settings.session_hours * 3600)
    resp.set_cookie(SESSION_COOKIE, got.token, max_age=max_age, httponly=True, samesite="strict", secure=settings.secure_cookies, path="/")
    resp.set_cookie(CSRF_COOKIE, got.csrf, max_age=max_age, httponly=False, samesite="strict", secure=settings.secure_cookies, path="/")
    return resp


@api("GET", "/session", "session.read")
def read_session(request: Request, acct: Me) -> dict[str, Any]:
    services.allowed(acct, "session.read")
    return {"login": acct.login, "role": acct.role, "unit": acct.unit, "agency": acct.agency, "csrf": request.state.csrf, "password_change_required": acct.password_once}


@api("PUT", "/session/password", "password.change")
async def put_password(request: Request, acct: Me) -> dict[str, Any]:
    body = await _json(request)
    old, new = body.get("old"), body.get("new")
    if not isinstance(old, str) or not isinstance(new, str):
        raise ApiError(422, "cần old (mật khẩu hiện tại) và new (mật khẩu mới), dạng văn bản", {"fields": ["old", "new"]})
    db, settings, route = db_of(request), settings_of(request), route_name(request)

    def work() -> dict[str, Any]:
        with db.session(write=True) as s:
            return services.change_password(s, settings, acct, route, old, new, _token(request)[0] or "")

    return await _in_thread(work)


@api("DELETE", "/session", "session.delete")
def delete_session(request: Request, acct: Me) -> Response:
    services.allowed(acct, "session.delete")
    token, _ = _token(request)
    with db_of(request).session(write=True) as s:
        services.logout(s, token or "")
    resp = JSONResponse({"ok": True})
    resp.delete_cookie(SESSION_COOKIE, path="/")
    resp.delete_cookie(CSRF_COOKIE, path="/")
    return resp


@api("GET", "/rounds", "rounds.read")
def get_rounds(request: Request, acct: Me) -> list[dict[str, Any]]:
    with db_of(request).session() as s:
        return services.list_rounds(s, acct)


@api("PUT", "/rounds/{year}", "calendar.write")
async def put_round(request: Request, acct: Me, year: int) -> dict[str, Any]:
    body = await _json(request)
    with db_of(request).session(write=True) as s:
        return services.set_calendar(s, settings_of(request), acct, route_name(request), year, body)


@api("GET", "/units", "units.list")
def get_units(request: Request, acct: Me, year: int | None = None) -> list[dict[str, Any]]:
    with db_of(request).session() as s:
        return services.list_units(s, acct, year)


@api("GET", "/units/{unit}/assessment", "assessment.read")
def get_assessment(request: Request, acct: Me, unit: str, year: int | None = None) -> dict[str, Any]:
    with db_of(request).session() as s:
        return services.get_assessment(s, acct, unit, year)


@api("PUT", "/units/{unit}/assessment/{criterion}", "assessment.write")
async def put_assessment(request: Request, acct: Me, unit: str, criterion: str, year: int | None = None) -> dict[str, Any]:
    body = await _json(request)
    value = body.get("value")
    if value is None or isinstance(value, (dict, list, bool)):
        raise ApiError(422, f"tiêu chí {criterion}: cần trường value (văn bản hoặc số)", {"criterion": criterion, "field": "value"})
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise ApiError(422, "version phải là một số nguyên", {"field": "version"})
    note = body.get("note")
    db, settings, route = db_of(request), settings_of(request), route_name(request)

    def work() -> dict[str, Any]:
        with db.session() as s:  # the engine reads the value outside the writing transaction
            services.check_value(s, acct, unit, criterion, str(value), year)
        with db.session(write=True) as s:
            return services.put_assessment(s, settings, acct, route, unit, criterion, str(value), None if note is None else str(note), version, year)

    return await _in_thread(work)


@api("POST", "/units/{unit}/submit", "unit.submit")
def submit(request: Request, acct: Me, unit: str, year: int | None = None) -> dict[str, Any]:
    with db_of(request).session(write=True) as s:
        return services.set_state(s, settings_of(request), acct, route_name(request), unit, "unit.submit", year=year)


@api("POST", "/units/{unit}/withdraw", "unit.withdraw")
def withdraw(request: Request, acct: Me, unit: str, year: int | None = None) -> dict[str, Any]:
    with db_of(request).session(write=True) as s:
        return services.set_state(s, settings_of(request), acct, route_name(request), unit, "unit.withdraw", year=year)


@api("POST", "/units/{unit}/state", "unit.advance")
async def advance(request: Request, acct: Me, unit: str, year: int | None = None) -> dict[str, Any]:
    body = await _json(request)
    target = body.get("state")
    with db_of(request).session(write=True) as s:
        return services.set_state(s, settings_of(request), acct, route_name(request), unit, "unit.advance", str(target or ""), str(body.get("reason") or ""), year)


@api("GET", "/units/{unit}/evidence", "evidence.read")
def get_evidence(request: Request, acct: Me, unit: str, year: int | None = None) -> list[dict[str, Any]]:
    with db_of(request).session() as s:
        return services.list_evidence(s, acct, unit, year)


@api("POST", "/units/{unit}/evidence", "evidence.upload", status_code=201)
def post_evidence(
    request: Request,
    acct: Me,
    unit: str,
    criterion: Annotated[str, Form()],
    document: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
    issued_on: Annotated[str, Form()] = "",
    issuer: Annotated[str, Form()] = "",
    year: int | None = None,
) -> dict[str, Any]:
    from par_index.server.uploads import store

    settings, db = settings_of(request), db_of(request)
    with db.session() as s:  # permission, state and calendar before the file is stored
        services.check_evidence_upload(s, settings, acct, unit, criterion, year)
    stored = store(file.file, settings.files_dir, settings.max_upload_bytes)
    with db.session(write=True) as s:
        return services.add_evidence(s, settings, acct, route_name(request), unit, criterion, document, issued_on, issuer, stored, year)


@api("GET", "/units/{unit}/evidence/{evidence_id}/file", "evidence.read")
def download_evidence(request: Request, acct: Me, unit: str, evidence_id: int, year: int | None = None) -> Response:
    from par_index.common.folders import escape
    from par_index.server.uploads import EXTENSIONS, blob_path

    with db_of(request).session() as s:
        e = services.evidence_for_download(s, acct, unit, evidence_id, year)
    store = settings_of(request).files_dir
    path = blob_path(store, e.sha256 or "")
    if not path.is_file() or escape(store, path) is not None:  # a link planted in the store is not followed
        raise ApiError(404, "tệp không còn trong kho lưu trữ của máy chủ; hãy báo quản trị viên", {"sha256": e.sha256})
    name = f"{e.unit}-{e.criterion}-{e.id}{EXTENSIONS.get(e.content_type or '', '')}"
    return FileResponse(path, media_type=e.content_type or "application/octet-stream", filename=name, headers={"X-Content-Type-Options": "nosniff"})


@api("POST", "/units/{unit}/explanations", "explanation.write", status_code=201)
async def post_explanation(request: Request, acct: Me, unit: str, year: int | None = None) -> dict[str, Any]:
    body = await _json(request)
    with db_of(request).session(write=True) as s:
        return services.add_explanation(s, settings_of(request), acct, route_name(request), unit, str(body.get("criterion") or ""), str(body.get("text") or ""), year)


@api("POST", "/appraisals", "appraisal.write", status_code=201)
async def post_appraisal(request: Request, acct: Me, year: int | None = None) -> dict[str, Any]:
    body = await _json(request)
    with db_of(request).session(write=True) as s:
        return services.add_appraisal(s, settings_of(request), acct, route_name(request), body, year)


@api("POST", "/publish", "publish")
async def post_publish(request: Request, acct: Me) -> dict[str, Any]:
    body = await _json(request, allow_empty=True)
    year = body.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise ApiError(422, "year phải là một số nguyên (năm)", {"field": "year"})
    with db_of(request).session(write=True) as s:
        return services.publish(s, settings_of(request), acct, route_name(request), year)


@api("GET", "/results", "results.read")
async def get_results(request: Request, acct: Me, stage: str = Query("final"), year: int | None = None) -> Response:
    db, settings = db_of(request), settings_of(request)

    def work() -> bytes:
        with db.session() as s:
            return services.results(s, settings, acct, stage, year)

    return Response(await _in_thread(work), media_type="application/json")


@api("GET", "/audit", "audit.read")
def get_audit(request: Request, acct: Me, unit: str | None = None, year: int | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    with db_of(request).session() as s:
        return services.audit_entries(s, acct, unit, year, limit)


@api("POST", "/units/{unit}/workbook", "workbook.upload")
def post_workbook(request: Request, acct: Me, unit: str, file: Annotated[UploadFile, File()], year: int | None = None) -> dict[str, Any]:
    import tempfile

    shown = Path(file.filename or "phieu.xlsx").name
    with tempfile.TemporaryDirectory(prefix="par-index-workbook-") as tmp:
        path = Path(tmp) / f"{unit}.xlsx"
        size = 0
        with path.open("wb") as out:
            while chunk := file.file.read(1024 * 1024):
                size += len(chunk)
                if size > settings_of(request).max_upload_bytes:
                    raise ApiError(413, file_too_large(settings_of(request).max_upload_bytes), {"max_bytes": settings_of(request).max_upload_bytes})
                out.write(chunk)
        with db_of(request).session(write=True) as s:
            return services.upload_workbook(s, settings_of(request), acct, route_name(request), unit, path, shown, year)


@api("POST", "/survey", "survey.import")
def post_survey(
    request: Request, acct: Me, file: Annotated[UploadFile, File()], map: Annotated[UploadFile | None, File()] = None, year: int | None = None
) -> dict[str, Any]:
    table = file.file.read()
    survey_map = map.file.read() if map is not None else None
    with db_of(request).session(write=True) as s:
        return services.import_survey(s, settings_of(request), acct, route_name(request), table, survey_map, year)


@api("GET", "/users", "users.read")
def get_users(request: Request, acct: Me) -> list[dict[str, Any]]:
    with db_of(request).session() as s:
        return services.list_users(s, acct)


@api("POST", "/users", "users.write", status_code=201)
async def post_user(request: Request, acct: Me) -> dict[str, Any]:
    body = await _json(request)
    db, settings, route = db_of(request), settings_of(request), route_name(request)

    def work() -> dict[str, Any]:
        with db.session(write=True) as s:
            return services.add_user(s, settings, acct, route, body)

    return await _in_thread(work)


# ---------------------------------------------------------------- helpers ------------------


async def _json(request: Request, allow_empty: bool = False) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip() and allow_empty:
        return {}
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(422, json_invalid("nội dung gửi lên", exc, line=True), {"body": "invalid JSON"}) from None
    if not isinstance(body, dict):
        raise ApiError(422, "nội dung gửi lên phải là một đối tượng JSON {…}", {"body": "not an object"})
    return body


async def _in_thread(fn: Callable[[], Any]) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn)


# ---------------------------------------------------------------- middleware ---------------


class BodyLimit:
    """413 for a body over the upload limit (plus 1 MB for the form's other fields): at once
    from ``Content-Length``, before anything is read, else while it streams in."""

    SLACK = 1024 * 1024

    def __init__(self, app: ASGIApp, limit: Callable[[], int]) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        file_limit = self.limit()
        limit = file_limit + self.SLACK
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            err = ApiError(413, file_too_large(file_limit), {"max_bytes": file_limit, "content_length": int(length)})
            await _send_error(send, err, close=True)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise StarletteHTTPException(413, file_too_large(file_limit))
            return message

        await self.app(scope, counted, send)


async def _send_error(send: Send, err: ApiError, close: bool = False) -> None:
    body = json.dumps(err.body(), ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestLog:
    """One JSON line per request on standard error; any exception becomes a 500 body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        started = False

        async def watch(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
            await send(message)

        error = None
        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # the last line of defence: no traceback leaves the server
            error = exc
            if not started:
                status = 500
                await _send_error(send, ApiError(500))
        state = scope.get("state") or {}
        route = scope.get("route")
        entry: dict[str, Any] = {
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "method": scope.get("method"),
            "route": getattr(route, "path", None) or scope.get("path"),
            "path": scope.get("path"),
            "status": status,
            "ms": round((time.perf_counter() - start) * 1000, 1),
            "account": state.get("login"),
        }
        if error is not None:
            entry["error"] = f"{type(error).__name__}: {error}"
            entry["trace"] = "".join(traceback.format_exception(error, limit=-3))
        sys.stderr.write(json.dumps(entry, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- the app ------------------


def create_api(settings: Settings, db: Database | None = None) -> FastAPI:
    """The JSON API under /api/v1, its error handlers and middleware (the pages are added by
    :func:`par_index.server.factory.create_app`; this module does not import them)."""
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        # stopping: what waits to be stored is stored now, and the storer thread ends, before
        # whoever disposes of the database does (no write left to run against a stopped server)
        await run_in_threadpool(services.stop_storing)

    app = FastAPI(title="par-index", docs_url=None, redoc_url=None, openapi_url=f"{PREFIX}/openapi.json", lifespan=lifespan)
    app.state.settings = settings
    app.state.db = db or Database(settings.db_url)
    app.include_router(router)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse(unreadable_request(exc.errors()).body(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        msg = exc.detail if exc.status_code == 413 and isinstance(exc.detail, str) else MESSAGES.get(exc.status_code, "lỗi")
        if exc.status_code == 404:
            msg = f"không có địa chỉ {request.url.path}"
        return JSONResponse({"error": msg, "detail": None}, status_code=exc.status_code)

    app.add_middleware(BodyLimit, limit=lambda: settings.max_upload_bytes)
    app.add_middleware(RequestLog)
    return app


def public_actions() -> frozenset[str]:
    return PUBLIC
