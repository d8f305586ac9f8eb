"""The web pages: server-rendered jinja2, in Vietnamese, on the services the JSON API uses.

``mount(app)`` (called by :func:`par_index.server.factory.create_app`) adds the page routes, the
static files (``/static``: the stylesheet; no CDN, no request leaves the server) and the HTML
error pages for browser routes (the API keeps its JSON errors).

Modules: ``core`` (account, CSRF, header, errors, the ``page`` decorator and the ``PAGES``
table of route → action), ``render`` (the jinja2 environment and Vietnamese formats),
``labels``, ``widgets`` (an input per rule kind), ``unit_form``, ``data`` (the round read and
scored by the engine, cached per change), ``accounts``, and one ``pages_*`` module per role.
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from par_index.server.app import PREFIX
from par_index.server.errors import ApiError, unreadable_request
from par_index.server.web import pages_admin, pages_appraiser, pages_auth, pages_unit  # noqa: F401  (routes register on import)
from par_index.server.web.core import PAGES, STATIC, Ctx, error_page, router

__all__ = ["PAGES", "mount"]


async def _call(handler: Any, request: Request, exc: Exception) -> Response:
    out = handler(request, exc)
    return await out if inspect.isawaitable(out) else out


def _ctx(request: Request) -> Ctx:
    """The page context of a request that failed: its account and CSRF token if it got that far."""
    return Ctx(request, getattr(request.state, "account", None), getattr(request.state, "csrf", None) or "")


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    api_error = app.exception_handlers[ApiError]
    http_error = app.exception_handlers[StarletteHTTPException]

    async def _api_error(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(PREFIX) or not isinstance(exc, ApiError):
            return await _call(api_error, request, exc)
        return error_page(_ctx(request), exc)

    async def _http_error(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(PREFIX) or not isinstance(exc, StarletteHTTPException) or exc.status_code not in (404, 405):
            return await _call(http_error, request, exc)
        message = "không có trang này" if exc.status_code == 404 else "trang này không nhận thao tác này"
        return error_page(Ctx(request, None, ""), ApiError(exc.status_code, message))

    invalid = app.exception_handlers[RequestValidationError]

    async def _invalid(request: Request, exc: Exception) -> Response:
        """A page address or form the routes cannot read (``/admin/accounts/abc/active``): the
        API's message (``thiếu hoặc sai trường: account_id``) on a page, not as JSON."""
        if request.url.path.startswith(PREFIX) or not isinstance(exc, RequestValidationError):
            return await _call(invalid, request, exc)
        return error_page(_ctx(request), unreadable_request(exc.errors()))

    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
