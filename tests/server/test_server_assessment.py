"""Units, the self-assessment rows, versions, submit/withdraw and deadlines (on both databases)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from support.server_env import PASSWORD, auth

from par_index.server.errors import ApiError


def test_login_gives_token_and_cookie(client: Any) -> None:
    r = client.post("/api/v1/session", json={"login": "unit", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["role"] == "unit" and len(body["token"]) > 30
    cookie = r.headers["set-cookie"]
    assert "par_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    r = client.get("/api/v1/units", headers={"Authorization": f"Bearer {body['token']}"})
    assert r.status_code == 200
    assert r.json() == [{"unit": "so-noi-vu", "name": "Sở Nội vụ", "kind": "so", "state": "draft", "version": 1}]


def test_wrong_password_and_slowdown(client: Any) -> None:
    t0 = dt.datetime(2025, 1, 10, 8, 0, tzinfo=dt.UTC)
    client.settings.now = lambda: t0  # server time stands still: the wait cannot run out mid-test
    for _ in range(5):
        r = client.post("/api/v1/session", json={"login": "viewer", "password": "sai-mat-khau"})
        assert r.status_code == 401
        assert r.json() == {"error": "sai tên đăng nhập hoặc mật khẩu", "detail": None}
    r = client.post("/api/v1/session", json={"login": "viewer", "password": PASSWORD})
    assert r.status_code == 429  # the fifth failure blocks the next attempt for a second
    assert r.json()["error"] == "đăng nhập sai quá nhiều lần; hãy thử lại sau 2 giây"
    assert r.headers["retry-after"] == "2"
    client.settings.now = lambda: t0 + dt.timedelta(seconds=1.5)
    assert client.post("/api/v1/session", json={"login": "viewer", "password": PASSWORD}).status_code == 200
    r = client.post("/api/v1/session", json={"login": "nobody", "password": PASSWORD})
    assert r.status_code == 401


def test_cookie_session_needs_csrf(client: Any) -> None:
    r = client.post("/api/v1/session", json={"login": "unit", "password": PASSWORD})
    csrf = r.json()["csrf"]
    # TestClient keeps the cookie: no bearer header from here on
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.1", json={"value": "05/01/2024", "version": 1})
    assert r.status_code == 403
    assert "CSRF" in r.json()["error"]
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.1", json={"value": "05/01/2024", "version": 1}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/v1/units").status_code == 401


def test_units_seen_per_role(client: Any) -> None:
    env = client.env
    assert len(client.get("/api/v1/units", headers=auth(env, "appraiser")).json()) == 30
    assert len(client.get("/api/v1/units", headers=auth(env, "viewer")).json()) == 30
    assert [u["unit"] for u in client.get("/api/v1/units", headers=auth(env, "unit2")).json()] == ["so-tu-phap"]
    r = client.get("/api/v1/units")
    assert r.status_code == 401
    assert r.json() == {"error": "chưa đăng nhập hoặc phiên đăng nhập đã hết hạn; hãy đăng nhập lại", "detail": None}


def test_read_and_save_rows_with_versions(client: Any) -> None:
    h = auth(client.env, "unit")
    r = client.get("/api/v1/units/so-noi-vu/assessment", headers=h)
    assert r.status_code == 200
    body = r.json()
    assert body["unit"] == "so-noi-vu" and body["state"] == "draft"
    row = next(x for x in body["rows"] if x["criterion"] == "1.1.2")
    assert row == {"criterion": "1.1.2", "value": "0.998", "note": "", "points": "1", "version": 1, "stage": "self"}
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", json={"value": "95%", "note": "đã rà soát", "version": 1}, headers=h)
    assert r.status_code == 200
    assert r.json()["value"] == "95%" and r.json()["version"] == 2 and r.json()["note"] == "đã rà soát"
    # a second writer with the old version: refused, the current row returned, nothing overwritten
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", json={"value": "50%", "version": 1}, headers=h)
    assert r.status_code == 409
    assert r.json()["detail"]["current"]["value"] == "95%"
    assert r.json()["detail"]["current"]["version"] == 2
    # without a version on an existing row: refused as well
    assert client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", json={"value": "50%"}, headers=h).status_code == 409
    # the audit has who, before and after
    a = client.get("/api/v1/audit?unit=so-noi-vu", headers=auth(client.env, "appraiser")).json()
    assert a[0]["login"] == "unit" and a[0]["criterion"] == "1.1.2"
    assert a[0]["before"]["value"] == "0.998" and a[0]["after"]["value"] == "95%"
    assert a[0]["route"] == "PUT /api/v1/units/{unit}/assessment/{criterion}"


def test_unreadable_value_is_422_naming_criterion(client: Any) -> None:
    h = auth(client.env, "unit")
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.1", json={"value": "sớm", "version": 1}, headers=h)
    assert r.status_code == 422
    body = r.json()
    assert body["error"].startswith("tiêu chí 1.1.1: không đọc được giá trị 'sớm': cần một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd")
    assert body["detail"]["criterion"] == "1.1.1" and body["detail"]["expected"] == "date"
    r = client.put("/api/v1/units/so-noi-vu/assessment/9.9.9", json={"value": "1"}, headers=h)
    assert r.status_code == 404
    assert r.json()["error"] == "tiêu chí '9.9.9' không có trong bộ tiêu chí của đơn vị loại 'so' (hoặc không áp dụng cho loại này)"
    assert client.put("/api/v1/units/khong-co/assessment/1.1.1", json={"value": "1"}, headers=auth(client.env, "unit")).status_code == 404


def test_other_unit_is_403(client: Any) -> None:
    h = auth(client.env, "unit2")
    assert client.get("/api/v1/units/so-noi-vu/assessment", headers=h).status_code == 403
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", json={"value": "1", "version": 1}, headers=h)
    assert r.status_code == 403
    assert r.json()["error"] == "tài khoản đơn vị chỉ xem và sửa được hồ sơ của chính đơn vị mình"
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", json={"value": "1", "version": 1}, headers=auth(client.env, "appraiser"))
    assert r.status_code == 403
    # the role's refusal, worded as the default 403 (par_index.messages.NOT_ALLOWED)
    assert r.json()["error"] == "vai trò «Thẩm định (Sở Nội vụ)» không được phép thực hiện thao tác này"
    assert ApiError(403).message == "tài khoản này không được phép thực hiện thao tác này"
    assert ApiError(429).message == "đăng nhập sai quá nhiều lần; hãy thử lại sau"
    assert ApiError(415).message == "loại tệp không được chấp nhận"


def test_submit_locks_and_withdraw_before_deadline(client: Any) -> None:
    h = auth(client.env, "unit")
    r = client.post("/api/v1/units/so-noi-vu/submit", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "submitted"
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", json={"value": "0.9", "version": 1}, headers=h)
    assert r.status_code == 409
    assert r.json()["detail"]["state"] == "submitted"
    assert client.post("/api/v1/units/so-noi-vu/submit", headers=h).status_code == 409
    r = client.post("/api/v1/units/so-noi-vu/withdraw", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "draft"
    assert client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", json={"value": "0.9", "version": 1}, headers=h).status_code == 200


def test_deadline_by_server_time(client: Any) -> None:
    env = client.env
    r = client.put("/api/v1/rounds/2024", json={"self_deadline": "2025-01-15T17:00:00+07:00"}, headers=auth(env, "admin"))
    assert r.status_code == 200
    assert r.json()["self_deadline"] == "2025-01-15T10:00:00+00:00"
    h = auth(env, "unit")
    client.settings.now = lambda: dt.datetime(2025, 1, 15, 9, 59, tzinfo=dt.UTC)
    assert client.post("/api/v1/units/so-noi-vu/submit", headers=h).status_code == 200
    client.settings.now = lambda: dt.datetime(2025, 1, 15, 10, 1, tzinfo=dt.UTC)
    r = client.post("/api/v1/units/so-noi-vu/withdraw", headers=h)
    assert r.status_code == 409
    assert r.json()["error"] == "đã quá hạn rút hồ sơ (chỉ rút được trước hạn tự đánh giá) (15/01/2025 17:00)"
    r = client.put("/api/v1/units/so-tu-phap/assessment/1.1.2", json={"value": "0.9", "version": 1}, headers=auth(env, "unit2"))
    assert r.status_code == 409
    assert r.json()["error"] == "đã quá hạn tự đánh giá (15/01/2025 17:00)"


def test_sessions_expire(client: Any) -> None:
    env = client.env
    r = client.post("/api/v1/session", json={"login": "admin", "password": PASSWORD})
    token = r.json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/session", headers=h).status_code == 200
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=12, minutes=1)
    client.settings.now = lambda: later
    r = client.get("/api/v1/session", headers=h)
    assert r.status_code == 401
    assert r.json()["error"] == "chưa đăng nhập hoặc phiên đăng nhập đã hết hạn; hãy đăng nhập lại"
    del env


def test_csrf_in_a_form_field(client: Any) -> None:
    """A browser form (multipart) may carry the CSRF token as the field csrf_token."""
    from test_server_roles import PDF

    r = client.post("/api/v1/session", json={"login": "unit", "password": PASSWORD})
    csrf = r.json()["csrf"]
    form = {"criterion": "1.1.1", "document": "Kế hoạch số 6/KH-SNV"}
    files = {"file": ("kh.pdf", PDF, "application/pdf")}
    assert client.post("/api/v1/units/so-noi-vu/evidence", data=form, files=files).status_code == 403
    r = client.post("/api/v1/units/so-noi-vu/evidence", data={**form, "csrf_token": csrf}, files=files)
    assert r.status_code == 201, r.text


def test_a_ratio_above_100_is_refused_at_entry(client: Any) -> None:
    """Issue 10, item 3: refused at entry with the engine's message, never saved (nor clamped)."""
    h = auth(client.env, "unit")
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", json={"value": "85", "version": 1}, headers=h)
    assert r.status_code == 422
    assert r.json()["error"].startswith("tiêu chí 1.1.2: 85 — có phải 85%? Tỷ lệ ghi dạng 85% hoặc số từ 0 đến 1; cần: ")
    assert "được tính 0 điểm" not in r.text  # refused, not scored
    assert r.json()["detail"]["problems"][0]["reason"] == "value_above_100"
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", json={"value": "120%", "version": 1}, headers=h)
    assert r.status_code == 422
    assert r.json()["error"].startswith("tiêu chí 1.1.2: 120% vượt quá 100%; tỷ lệ phải từ 0% đến 100%")
    row = next(x for x in client.get("/api/v1/units/so-noi-vu/assessment", headers=h).json()["rows"] if x["criterion"] == "1.1.2")
    assert (row["value"], row["version"]) == ("0.998", 1)


def test_a_survey_leaf_is_refused_at_entry(client: Any) -> None:
    """Issue 10: survey leaves are filled by Sở Nội vụ from the survey; a unit's value there
    would be ignored by the engine (survey_value_from_unit), so the server refuses it at entry."""
    h = auth(client.env, "unit")
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.6", json={"value": "100%"}, headers=h)
    assert r.status_code == 422
    assert r.json() == {
        "error": "tiêu chí 1.6 là tiêu chí điều tra xã hội học: do Sở Nội vụ điền từ kết quả điều tra, "
        "không phải đơn vị tự đánh giá; giá trị không được lưu",
        "detail": {"criterion": "1.6", "reason": "survey_value_from_unit"},
    }
    rows = client.get("/api/v1/units/so-noi-vu/assessment", headers=h).json()["rows"]
    assert [x for x in rows if x["criterion"] == "1.6"] == []


def test_a_write_and_its_audit_entry_are_one_transaction(client: Any, tmp_path: Any, monkeypatch: Any) -> None:
    """A request's writes and its audit entries commit together or not at all: when the audit
    entry cannot be written (forced), the row is not saved either — for one row, and for a
    workbook of many rows whose last write (the upload's own entry) fails."""
    import openpyxl
    from support.server_env import CRITERIA, DATA

    from par_index.cli.main import main
    from par_index.server import services

    real = services.audit
    h = auth(client.env, "unit")

    def rows() -> dict[str, tuple[str, int]]:
        got = client.get("/api/v1/units/so-noi-vu/assessment", headers=h).json()["rows"]
        return {x["criterion"]: (x["value"], x["version"]) for x in got}

    start = rows()
    assert start["1.1.2"] == ("0.998", 1)

    def broken(*a: Any, **k: Any) -> None:
        raise RuntimeError("nhật ký hỏng có chủ ý")

    monkeypatch.setattr(services, "audit", broken)
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", json={"value": "50%", "version": 1}, headers=h)
    assert r.status_code == 500
    assert rows() == start

    book = tmp_path / "so-noi-vu.xlsx"
    crit = [a for p in CRITERIA for a in ("--criteria", str(p))]
    assert main(["template", *crit, "--unit", "so-noi-vu", "--data", str(DATA), "--out", str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    ws = wb["Tự đánh giá"]
    header = next(r for r in range(1, 40) if any(str(ws.cell(r, c).value or "").startswith("Giá trị") for c in range(1, 20)))
    vcol = next(c for c in range(1, 20) if str(ws.cell(header, c).value or "").startswith("Giá trị"))
    import datetime as dt

    for code, value in (("1.1.1", dt.date(2024, 1, 20)), ("1.1.2", 0.5)):
        row = next(c.row for line in ws.iter_rows() for c in line if c.value == code)
        ws.cell(row, vcol).value = value
    wb.save(book)

    def last_fails(*a: Any, **k: Any) -> None:
        if a[7] is None:  # the upload's own entry (no criterion), written after every row
            raise RuntimeError("nhật ký hỏng có chủ ý")
        real(*a, **k)

    monkeypatch.setattr(services, "audit", last_fails)
    files = {"file": ("phieu.xlsx", book.read_bytes(), "application/octet-stream")}
    r = client.post("/api/v1/units/so-noi-vu/workbook", files=files, headers=h)
    assert r.status_code == 500
    assert rows() == start
    monkeypatch.setattr(services, "audit", real)
    r = client.post("/api/v1/units/so-noi-vu/workbook", files=files, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["changed"] >= 2  # the same upload, with the audit working, changes those rows
    after = rows()
    assert after["1.1.1"] == ("2024-01-20", start["1.1.1"][1] + 1) and after["1.1.2"][1] == 2


ONCE = (
    "tài khoản đang dùng mật khẩu dùng một lần; hãy đổi mật khẩu trước khi làm việc "
    "(trang «Đổi mật khẩu» hoặc PUT /api/v1/session/password)"
)


def test_a_one_time_password_must_be_changed_before_anything_else(client: Any) -> None:
    """An account made by the admin (or by ``users add`` without ``--password-stdin``) logs in
    with its one-time password only to set its own: every other route answers 403 until then,
    and the one-time password no longer opens a session afterwards."""
    env = client.env
    r = client.post("/api/v1/users", json={"login": "snn", "role": "unit", "unit": "so-noi-vu"}, headers=auth(env, "admin"))
    assert r.status_code == 201
    once = r.json()["password"]
    r = client.post("/api/v1/session", json={"login": "snn", "password": once})
    assert r.status_code == 200
    assert r.json()["password_change_required"] is True
    client.cookies.clear()
    h = {"Authorization": f"Bearer {r.json()['token']}"}
    other = {"Authorization": f"Bearer {client.post('/api/v1/session', json={'login': 'snn', 'password': once}).json()['token']}"}
    client.cookies.clear()
    for method, path in (("GET", "/api/v1/units"), ("GET", "/api/v1/units/so-noi-vu/assessment"), ("PUT", "/api/v1/units/so-noi-vu/assessment/1.1.2")):
        r = client.request(method, path, headers=h, json={"value": "0.9", "version": 1} if method == "PUT" else None)
        assert r.status_code == 403, (method, path)
        assert r.json() == {"error": ONCE, "detail": {"password_change_required": True}}
    assert client.get("/api/v1/session", headers=h).json()["password_change_required"] is True
    url = "/api/v1/session/password"
    r = client.put(url, json={"old": "sai-mat-khau-cu", "new": "mat-khau-rieng-cua-toi"}, headers=h)
    assert r.status_code == 422
    assert r.json() == {"error": "mật khẩu hiện tại không đúng", "detail": {"field": "old"}}
    r = client.put(url, json={"old": once, "new": "ngan"}, headers=h)
    assert r.status_code == 422
    assert r.json() == {"error": "mật khẩu mới cần ít nhất 10 ký tự", "detail": {"field": "new"}}
    r = client.put(url, json={"old": once, "new": once}, headers=h)
    assert r.status_code == 422
    assert r.json() == {"error": "mật khẩu mới phải khác mật khẩu dùng một lần", "detail": {"field": "new"}}
    r = client.put(url, json={"old": once, "new": "mat-khau-rieng-cua-toi"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json() == {"login": "snn", "password_change_required": False}
    assert client.get("/api/v1/units", headers=h).status_code == 200  # the same session, now free
    assert client.get("/api/v1/units", headers=other).status_code == 401  # any other session of the one-time password has ended
    assert client.post("/api/v1/session", json={"login": "snn", "password": once}).status_code == 401
    r = client.post("/api/v1/session", json={"login": "snn", "password": "mat-khau-rieng-cua-toi"})
    assert r.status_code == 200 and r.json()["password_change_required"] is False
    a = client.get("/api/v1/audit", headers=auth(env, "admin")).json()[0]
    assert (a["login"], a["action"], a["route"], a["after"]) == ("snn", "password.change", "PUT /api/v1/session/password", {"login": "snn", "password": "đổi"})


def test_a_browser_with_a_one_time_password_is_sent_to_change_it(client: Any) -> None:
    """The pages: every page but the password form sends the browser there (or refuses a form
    with 403); once changed, the pages open."""
    import re

    env = client.env
    once = client.post("/api/v1/users", json={"login": "snn", "role": "unit", "unit": "so-noi-vu"}, headers=auth(env, "admin")).json()["password"]
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"login": "snn", "password": once, "csrf_token": token, "next": "/units/so-noi-vu"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/password"
    r = client.get("/units/so-noi-vu", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/password"
    form = client.get("/password")
    assert form.status_code == 200
    assert "Mật khẩu này chỉ dùng một lần: hãy đặt mật khẩu của riêng bạn trước khi làm việc." in form.text
    csrf = client.cookies.get("par_csrf")
    r = client.post("/units/so-noi-vu/submit", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 403 and "mật khẩu dùng một lần" in r.text
    r = client.post("/password", data={"csrf_token": csrf, "old": once, "new": "mat-khau-rieng-cua-toi", "again": "mat-khau-rieng-cua-toi"}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/units/so-noi-vu", follow_redirects=False).status_code == 200
