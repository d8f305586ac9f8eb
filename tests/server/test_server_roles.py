"""Every route × every role (and anonymous): the status code, from the route table.

``CASES`` has one entry per route of the API (``app.ROUTES``); a new route without an entry
here, or without a rule in ``roles.RULES``, fails ``test_every_route_has_a_case_and_a_rule``.
Each route's case runs on a fresh copy of the example database (both backends): ``prepare``
brings the unit to the state the route needs, then each caller tries it, anonymous first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from support.server_env import CRITERIA, DATA, PASSWORD, auth, routes_of

from par_index.server.app import ROUTES
from par_index.server.roles import PUBLIC, RULES

CALLERS = [None, "unit", "unit2", "agency", "appraiser", "admin", "viewer"]
PDF = b"%PDF-1.4\n% test\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def set_state(client: Any, state: str, units: list[str] | None = None) -> None:
    from sqlalchemy import update

    from par_index.server.models import Unit

    db = client.app.state.db
    with db.session(write=True) as s:
        q = update(Unit).values(state=state)
        if units is not None:
            q = q.where(Unit.unit.in_(units))
        s.execute(q)


def upload(client: Any, login: str = "unit", criterion: str = "2.1.2") -> Any:
    return client.post(
        "/api/v1/units/so-noi-vu/evidence",
        data={"criterion": criterion, "document": "Quyết định số 12/QĐ-STP", "issued_on": "12/03/2024"},
        files={"file": ("qd.pdf", PDF, "application/pdf")},
        headers=auth(client.env, login),
    )


@dataclass
class Case:
    method: str
    path: str  # the route's path with its parameters filled
    expect: dict[str | None, int]  # caller → status
    body: Any = None
    prepare: Callable[[Any], dict[str, Any]] = field(default=lambda c: {})
    multipart: bool = False
    files: Callable[[], dict[str, Any]] | None = None


def _ok(status: int, *roles: str) -> dict[str | None, int]:
    out: dict[str | None, int] = {c: 403 for c in CALLERS}
    out[None] = 401
    for r in roles:
        out[r] = status
    return out


ALL = ("unit", "unit2", "agency", "appraiser", "admin", "viewer")


def _evidence_file(c: Any) -> dict[str, Any]:
    r = upload(c)
    assert r.status_code == 201, r.text
    return {"id": r.json()["id"]}


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/openapi.json"): Case("GET", "/api/v1/openapi.json", {c: 200 for c in CALLERS}),
    ("POST", "/api/v1/session"): Case("POST", "/api/v1/session", {c: 200 for c in CALLERS}, body="login"),
    ("GET", "/api/v1/session"): Case("GET", "/api/v1/session", _ok(200, *ALL)),
    ("DELETE", "/api/v1/session"): Case("DELETE", "/api/v1/session", _ok(200, *ALL)),
    ("PUT", "/api/v1/session/password"): Case("PUT", "/api/v1/session/password", _ok(200, *ALL), body={"old": PASSWORD, "new": "mat-khau-moi-cua-toi"}),
    ("GET", "/api/v1/rounds"): Case("GET", "/api/v1/rounds", _ok(200, *ALL)),
    ("PUT", "/api/v1/rounds/{year}"): Case("PUT", "/api/v1/rounds/2024", _ok(200, "admin"), body={"self_deadline": "2030-01-15T17:00:00+07:00"}),
    ("GET", "/api/v1/units"): Case("GET", "/api/v1/units", _ok(200, *ALL)),
    ("GET", "/api/v1/units/{unit}/assessment"): Case("GET", "/api/v1/units/so-noi-vu/assessment", _ok(200, "unit", "appraiser", "admin")),
    ("PUT", "/api/v1/units/{unit}/assessment/{criterion}"): Case(
        "PUT", "/api/v1/units/so-noi-vu/assessment/1.1.2", _ok(200, "unit"), body={"value": "0.9", "version": 1}
    ),
    ("POST", "/api/v1/units/{unit}/submit"): Case("POST", "/api/v1/units/so-noi-vu/submit", _ok(200, "unit")),
    ("POST", "/api/v1/units/{unit}/withdraw"): Case(
        "POST", "/api/v1/units/so-noi-vu/withdraw", _ok(200, "unit"), prepare=lambda c: set_state(c, "submitted", ["so-noi-vu"]) or {}
    ),
    ("POST", "/api/v1/units/{unit}/state"): Case(
        "POST",
        "/api/v1/units/so-noi-vu/state",
        _ok(200, "appraiser"),
        body={"state": "appraisal1"},
        prepare=lambda c: set_state(c, "submitted", ["so-noi-vu"]) or {},
    ),
    ("GET", "/api/v1/units/{unit}/evidence"): Case("GET", "/api/v1/units/so-noi-vu/evidence", _ok(200, "unit", "agency", "appraiser", "admin")),
    ("POST", "/api/v1/units/{unit}/evidence"): Case("POST", "/api/v1/units/so-noi-vu/evidence", _ok(201, "unit", "agency"), multipart=True),
    ("GET", "/api/v1/units/{unit}/evidence/{evidence_id}/file"): Case(
        "GET", "/api/v1/units/so-noi-vu/evidence/{id}/file", _ok(200, "unit", "agency", "appraiser", "admin"), prepare=_evidence_file
    ),
    ("POST", "/api/v1/units/{unit}/explanations"): Case(
        "POST",
        "/api/v1/units/so-noi-vu/explanations",
        _ok(201, "unit"),
        body={"criterion": "1.1.2", "text": "Đơn vị bổ sung báo cáo"},
        prepare=lambda c: set_state(c, "explanation", ["so-noi-vu"]) or {},
    ),
    ("POST", "/api/v1/appraisals"): Case(
        "POST",
        "/api/v1/appraisals",
        _ok(201, "appraiser"),
        body={"unit": "so-noi-vu", "criterion": "1.1.2", "round": 1, "value": "0.8", "reason": "Báo cáo chưa đủ số liệu"},
        prepare=lambda c: set_state(c, "appraisal1", ["so-noi-vu"]) or {},
    ),
    ("POST", "/api/v1/publish"): Case("POST", "/api/v1/publish", _ok(200, "appraiser"), body={}, prepare=lambda c: set_state(c, "final") or {}),
    ("GET", "/api/v1/results"): Case("GET", "/api/v1/results?stage=self", _ok(200, "appraiser", "admin")),
    ("GET", "/api/v1/audit"): Case("GET", "/api/v1/audit?unit=so-noi-vu", _ok(200, "appraiser", "admin")),
}


_BOOK: dict[str, bytes] = {}


def empty_workbook() -> dict[str, Any]:
    """An empty self-assessment workbook of so-noi-vu (made once by ``par-index template``)."""
    if not _BOOK:
        import tempfile

        from par_index.cli.main import main

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "so-noi-vu.xlsx"
            crit = [a for p in CRITERIA for a in ("--criteria", str(p))]
            assert main(["template", *crit, "--unit", "so-noi-vu", "--kind", "so", "--name", "Sở Nội vụ", "--out", str(out)]) == 0
            _BOOK["x"] = out.read_bytes()
    return {"file": ("so-noi-vu.xlsx", _BOOK["x"], "application/octet-stream")}


def survey_files() -> dict[str, Any]:
    table = b"unit,group,question,answer,count\nso-noi-vu,nguoi-dan,CH-8.1.1,A,3\n"
    return {"file": ("survey.csv", table), "map": ("survey-map.yaml", (DATA / "survey/survey-map.yaml").read_bytes())}


CASES[("POST", "/api/v1/units/{unit}/workbook")] = Case("POST", "/api/v1/units/so-noi-vu/workbook", _ok(200, "unit"), files=empty_workbook)
CASES[("POST", "/api/v1/survey")] = Case("POST", "/api/v1/survey", _ok(200, "appraiser"), files=survey_files)
CASES[("GET", "/api/v1/users")] = Case("GET", "/api/v1/users", _ok(200, "admin"))
CASES[("POST", "/api/v1/users")] = Case("POST", "/api/v1/users", _ok(201, "admin"), body={"login": "moi", "role": "viewer"})


def test_every_route_has_a_case_and_a_rule(tmp_path: Path) -> None:
    """Every route the app serves under /api/ — however it was added, not only through
    ``app.api`` — has an action in ``ROUTES``, a rule for it and a case here."""
    from par_index.server.factory import create_app
    from par_index.server.settings import Settings

    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'x.db'}", files_dir=tmp_path / "files"))
    served = {(m, r.path) for r in routes_of(app.routes) if getattr(r, "path", "").startswith("/api/") for m in getattr(r, "methods", set()) - {"HEAD"}}
    app.state.db.dispose()
    assert served == set(ROUTES), "a route the app serves under /api/ without an action in app.ROUTES"
    assert set(ROUTES) == set(CASES), "a route of the API has no case here (or a case no route)"
    for key, action in ROUTES.items():
        assert action in RULES or action in PUBLIC, f"{key}: action {action} has no row in roles.RULES"


def payload(case: Case, caller: str | None) -> dict[str, Any]:
    """The body of ``case``'s request (JSON, form and files) as ``caller`` sends it."""
    if case.body == "login":
        return {"json": {"login": caller or "viewer", "password": PASSWORD}}
    if case.multipart:
        return {"data": {"criterion": "2.1.2", "document": "Quyết định số 12/QĐ-STP", "issued_on": "12/03/2024"}, "files": {"file": ("qd.pdf", PDF, "application/pdf")}}
    if case.files is not None:
        return {"files": case.files()}
    return {"json": case.body} if case.body is not None else {}


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_by_role(client: Any, route: tuple[str, str]) -> None:
    case = CASES[route]
    params = case.prepare(client)
    got: dict[str | None, int] = {}
    for caller in CALLERS:
        client.cookies.clear()
        path = case.path.format(**params)
        r = client.request(case.method, path, headers=auth(client.env, caller), **payload(case, caller))
        got[caller] = r.status_code
        body = r.json() if r.headers.get("content-type", "").startswith("application/json") else None
        if r.status_code >= 400:
            assert set(body) == {"error", "detail"}, body
    assert got == case.expect


def test_viewer_reads_results_only_after_publication(client: Any) -> None:
    env = client.env
    r = client.get("/api/v1/results", headers=auth(env, "viewer"))
    assert r.status_code == 403
    assert r.json() == {"error": "kết quả chưa được công bố", "detail": {"year": 2024}}
    set_state(client, "final")
    assert client.post("/api/v1/publish", json={"year": 2024}, headers=auth(env, "appraiser")).status_code == 200
    r = client.get("/api/v1/results", headers=auth(env, "viewer"))
    assert r.status_code == 200
    assert len(r.json()["units"]) == 30
    # published: the round is locked
    r = client.post("/api/v1/units/so-noi-vu/state", json={"state": "final"}, headers=auth(env, "appraiser"))
    assert r.status_code == 409


def test_publish_waits_for_every_unit(client: Any) -> None:
    r = client.post("/api/v1/publish", headers=auth(client.env, "appraiser"))
    assert r.status_code == 409
    assert r.json()["error"] == "còn 30 đơn vị chưa có kết quả cuối cùng; chưa công bố được"
    assert r.json()["detail"]["units"][:2] == ["so-noi-vu", "so-tu-phap"]


def test_agency_sees_only_what_it_supplies(client: Any) -> None:
    env = client.env
    assert upload(client, "unit", "2.1.2").status_code == 201  # Sở Tư pháp supplies 2.1.2
    assert upload(client, "unit", "1.1.1").status_code == 201  # Sở Nội vụ supplies 1.1.1
    rows = client.get("/api/v1/units/so-noi-vu/evidence", headers=auth(env, "agency")).json()
    assert {r["criterion"] for r in rows} == {"2.1.2", "2.1.1", "2.3.1", "2.3.2", "2.2"} & {r["criterion"] for r in rows}
    assert "1.1.1" not in {r["criterion"] for r in rows}
    assert upload(client, "agency", "1.1.1").status_code == 403
    own = client.get("/api/v1/units/so-noi-vu/evidence", headers=auth(env, "unit")).json()
    f111 = next(r for r in own if r["criterion"] == "1.1.1" and r["sha256"])
    assert client.get(f111["url"], headers=auth(env, "agency")).status_code == 403
    assert client.get(f111["url"], headers=auth(env, "unit")).content == PDF


CHANGES = sorted(k for k in CASES if k[0] != "GET" and k != ("POST", "/api/v1/session"))


def audit_rows(client: Any) -> list[Any]:
    from sqlalchemy import select

    from par_index.server.models import AuditEntry

    with client.app.state.db.session() as s:
        return list(s.execute(select(AuditEntry.id, AuditEntry.at, AuditEntry.login, AuditEntry.role, AuditEntry.route, AuditEntry.after).order_by(AuditEntry.id)))


@pytest.mark.parametrize("route", CHANGES, ids=lambda r: f"{r[0]} {r[1]}")
def test_every_change_needs_the_csrf_token_with_a_cookie_and_is_audited(client: Any, route: tuple[str, str]) -> None:
    """Every route that changes something, sent by a browser (the session cookie) that may make
    it: refused (403, nothing recorded) without the CSRF token; done with it, and every change
    it made is in the audit table with who, when, the route and what it became. Logging out
    (``DELETE /session``) changes no round data and is in the request log only."""
    case = CASES[route]
    params = case.prepare(client)
    login = next(c for c in CALLERS if c is not None and case.expect[c] < 300)
    client.cookies.clear()
    r = client.post("/api/v1/session", json={"login": login, "password": PASSWORD})
    assert r.status_code == 200
    csrf = r.json()["csrf"]
    path = case.path.format(**params)
    before = audit_rows(client)
    r = client.request(case.method, path, **payload(case, login))
    assert r.status_code == 403
    assert r.json() == {"error": "thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải lại trang và thử lại", "detail": {"csrf": "missing or wrong"}}
    assert audit_rows(client) == before
    r = client.request(case.method, path, headers={"X-CSRF-Token": csrf}, **payload(case, login))
    assert r.status_code == case.expect[login], r.text
    new = audit_rows(client)[len(before) :]
    if route == ("DELETE", "/api/v1/session"):
        assert new == []
        return
    assert new, f"{route}: a change without an audit entry"
    role = {"unit": "unit", "unit2": "unit"}.get(login, login)
    assert {(e.login, e.role, e.route) for e in new} == {(login, role, f"{route[0]} {route[1]}")}
    assert all(e.at is not None and e.after for e in new)


def _with(case: Case, login: str, params: dict[str, Any], unit: str = "so-noi-vu", criterion: str | None = None) -> tuple[str, dict[str, Any]]:
    """``case``'s path and body as ``login`` sends them, with the unit (and the criterion) replaced."""
    path = case.path.format(**params).replace("so-noi-vu", unit)
    kw = payload(case, login)
    if "json" in kw and isinstance(kw["json"], dict):
        kw["json"] = {**kw["json"], **({"unit": unit} if "unit" in kw["json"] else {})}
    if criterion is not None:
        path = path.replace("/assessment/1.1.2", f"/assessment/{criterion}")
        for part in ("json", "data"):
            if part in kw and "criterion" in kw[part]:
                kw[part] = {**kw[part], "criterion": criterion}
    return path, kw


UNIT_ROUTES = sorted(k for k, c in CASES.items() if "so-noi-vu" in c.path or (isinstance(c.body, dict) and c.body.get("unit") == "so-noi-vu"))
CRITERION_ROUTES = [
    ("PUT", "/api/v1/units/{unit}/assessment/{criterion}"),
    ("POST", "/api/v1/units/{unit}/evidence"),
    ("POST", "/api/v1/units/{unit}/explanations"),
    ("POST", "/api/v1/appraisals"),
]


def _unknown(client: Any, route: tuple[str, str], **name: str) -> Any:
    """The route asked by a caller allowed it, with an unknown unit or criterion (``name``):
    404 and nothing audited; the answer's body."""
    case = CASES[route]
    params = case.prepare(client)
    login = next(c for c in CALLERS if c is not None and case.expect[c] < 300)
    path, kw = _with(case, login, params, **name)
    before = audit_rows(client)
    r = client.request(case.method, path, headers=auth(client.env, login), **kw)
    assert r.status_code == 404, r.text
    assert audit_rows(client) == before
    return r.json()


@pytest.mark.parametrize("route", UNIT_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_an_unknown_unit_is_404_naming_it(client: Any, route: tuple[str, str]) -> None:
    body = _unknown(client, route, unit="khong-co")
    if route == ("GET", "/api/v1/audit"):  # every year's entries: a unit of no round
        assert body == {"error": "đơn vị 'khong-co' không có trong cơ sở dữ liệu", "detail": {"unit": "khong-co"}}
    else:
        assert body == {"error": "đơn vị 'khong-co' không có trong kỳ đánh giá năm 2024", "detail": {"unit": "khong-co", "year": 2024}}


@pytest.mark.parametrize("route", CRITERION_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_an_unknown_criterion_is_404_naming_it(client: Any, route: tuple[str, str]) -> None:
    assert _unknown(client, route, criterion="9.9.9") == {
        "error": "tiêu chí '9.9.9' không có trong bộ tiêu chí của đơn vị loại 'so' (hoặc không áp dụng cho loại này)",
        "detail": {"criterion": "9.9.9", "kind": "so"},
    }
