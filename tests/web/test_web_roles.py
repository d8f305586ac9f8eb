"""Every page route × every role (and anonymous) answers as the role table says — the same
table (``roles.RULES``) the JSON API obeys. In process (Starlette's test client), no browser.

A page route without an action in ``PAGES`` fails ``test_every_page_route_names_its_action``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.server_env import routes_of
from web_harness import ACCOUNTS, PASSWORD, XSS_UNIT, copy_db

from par_index.server.factory import create_app
from par_index.server.roles import scope
from par_index.server.settings import Settings
from par_index.server.web import PAGES

ROLE_LOGIN = {"unit": "so-noi-vu", "agency": "stp-kiem-chung", "appraiser": "tham-dinh", "admin": "quan-tri", "viewer": "xem"}
OWN_UNIT = "so-noi-vu"
OTHER_UNIT = "so-tu-phap"
PARAMS = {"criterion": "1.1.1", "account_id": "999", "name": "khong-co.html"}  # no account 999: nothing reset
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, seed_db: Path) -> Any:
    folder = tmp_path_factory.mktemp("roles")
    db = copy_db(seed_db, folder)
    application = create_app(Settings(db_url=f"sqlite:///{db}", files_dir=folder / "files"))
    yield application
    application.state.db.dispose()


def login(app: Any, name: str) -> tuple[TestClient, str]:
    c = TestClient(app, follow_redirects=False)
    page = c.get("/login")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"login": name, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert r.status_code == 303, r.text
    home = c.get(r.headers["location"])
    assert home.status_code in (200, 303)
    csrf = c.cookies.get("par_csrf")
    assert csrf
    return c, csrf


def concrete(path: str, unit: str) -> str:
    out = path.replace("{unit}", unit)
    for key, value in PARAMS.items():
        out = out.replace("{" + key + "}", value)
    return out


ROUTES = sorted(PAGES.items())


def test_every_page_route_names_its_action(app: Any) -> None:
    pages = set()
    for r in routes_of(app.routes):
        path = getattr(r, "path", "")
        if path.startswith("/api/") or path.startswith("/static") or not hasattr(r, "methods"):
            continue
        for m in r.methods - {"HEAD"}:
            pages.add((m, path))
    assert pages == set(PAGES), "a page route without an action in PAGES (or an action without a route)"
    assert len(PAGES) >= 30


def test_anonymous_is_sent_to_login_or_refused(app: Any) -> None:
    c = TestClient(app, follow_redirects=False)
    for (method, path), action in ROUTES:
        url = concrete(path, OWN_UNIT)
        r = c.request(method, url)
        if action is None:
            assert r.status_code in (200, 303, 403), (method, path, r.status_code)
        elif method == "GET":
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), (method, path, r.status_code)
        else:
            assert r.status_code == 401, (method, path, r.status_code)
            assert "Chưa đăng nhập" in r.text


@pytest.mark.parametrize("role", sorted(ROLE_LOGIN))
def test_each_role_route_by_route(app: Any, role: str) -> None:
    """Refused exactly where the role table has no scope (or, for a viewer, before publication);
    never refused elsewhere. Writes are sent empty so they change nothing."""
    c, csrf = login(app, ROLE_LOGIN[role])
    for (method, path), action in ROUTES:
        if path in ("/logout", "/login"):
            continue
        url = concrete(path, OWN_UNIT)
        data = {"csrf_token": csrf} if method == "POST" else None
        r = c.request(method, url, data=data)
        sc = None if action is None else scope(role, action)
        refused = action is not None and (sc is None or sc == "published")  # not published in the seed
        if role == "agency" and "{unit}" in path and sc == "supplied" and method == "GET":
            refused = False
        if refused:
            assert r.status_code == 403, (role, method, path, r.status_code)
            assert "Không có quyền truy cập" in r.text and 'lang="vi"' in r.text
        else:
            assert r.status_code not in (401, 403, 500), (role, method, path, r.status_code, r.text[:300])


def test_a_unit_cannot_open_another_units_pages(app: Any) -> None:
    c, csrf = login(app, "so-noi-vu")
    for (method, path), action in ROUTES:
        if "{unit}" not in path:
            continue
        r = c.request(method, concrete(path, OTHER_UNIT), data={"csrf_token": csrf} if method == "POST" else None)
        if scope("unit", action or "") is None:
            assert r.status_code == 403, (method, path)
            continue
        assert r.status_code == 403, (method, path, r.status_code)
        assert "chỉ xem và sửa được hồ sơ của chính đơn vị mình" in r.text
    assert c.get(f"/units/{OWN_UNIT}").status_code == 200


def test_a_form_without_the_csrf_token_is_refused(app: Any) -> None:
    c, csrf = login(app, "so-noi-vu")
    r = c.post(f"/units/{OWN_UNIT}/criteria/1.1.1", data={"value": "2024-01-05", "version": "1"})
    assert r.status_code == 403
    assert "mã chống giả mạo (CSRF)" in r.text
    r = c.post(f"/units/{OWN_UNIT}/criteria/1.1.1", data={"value": "2024-01-05", "version": "1", "csrf_token": "sai" + csrf})
    assert r.status_code == 403


def test_login_refuses_a_wrong_password_in_vietnamese(app: Any) -> None:
    c = TestClient(app, follow_redirects=False)
    token = CSRF.search(c.get("/login").text).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"login": "xem", "password": "sai-mat-khau-123", "csrf_token": token})
    assert r.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in r.text
    r = c.post("/login", data={"login": "xem", "password": PASSWORD, "csrf_token": "khac"})
    assert r.status_code == 403


def test_seed_has_the_script_named_unit() -> None:
    assert "<script>alert(1)</script>" in XSS_UNIT
    assert {a[1] for a in ACCOUNTS} == {"unit", "agency", "appraiser", "admin", "viewer"}


def test_every_form_that_changes_something_needs_the_csrf_token(app: Any) -> None:
    """Every page route a form posts to (all but the login form, which has its own token):
    refused with 403 without the session's CSRF token or with a wrong one, for a role that
    may send it — nothing is done."""
    clients: dict[str, tuple[TestClient, str]] = {}
    posts = [(path, action) for (method, path), action in ROUTES if method == "POST" and action is not None]
    assert len(posts) >= 10
    for path, action in posts:
        role = next(r for r in sorted(ROLE_LOGIN) if scope(r, action) not in (None, "published"))
        if role not in clients:
            clients[role] = login(app, ROLE_LOGIN[role])
        c, csrf = clients[role]
        for data in ({}, {"csrf_token": "sai" + csrf}):
            r = c.post(concrete(path, OWN_UNIT), data=data)
            assert r.status_code == 403, (role, path, data, r.status_code)
            assert "mã chống giả mạo (CSRF)" in r.text, (role, path)
