"""The pages' own work, in process (Starlette's test client, no browser): widgets, accounts,
calendar and deadlines, audit filters, the agency's upload in place, withdraw, publication and
what a viewer reads after it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from web_harness import PASSWORD, copy_db

from par_index.criteria.compiled import load
from par_index.server.factory import create_app
from par_index.server.models import Unit
from par_index.server.settings import Settings
from par_index.server.web.widgets import read_input, read_only_value, shown_value, widget_for

REPO = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(scope="module")
def crit() -> Any:
    return load(REPO / "criteria" / "bac-giang" / "2024" / "so.yaml")


@pytest.mark.parametrize(("code", "typed", "stored", "message"), [
    ("1.1.1", "2024-01-20", "20/01/2024", None),
    ("1.1.1", "20/01/2024", "20/01/2024", None),
    ("1.1.1", "20.01.2024", None, "Tiêu chí 1.1.1: không đọc được ngày '20.01.2024': cần một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd."),
    ("1.1.2", "93%", "93%", None),
    ("1.1.2", "93,5 %", "93,5%", None),
    ("1.1.2", "93", None, "Tiêu chí 1.1.2: '93' thiếu dấu %; tỷ lệ phải ghi kèm dấu %, ví dụ 93% (không tự đoán 93 là 93% hay 9300%)."),
    ("1.1.2", "chín mươi", None, "Tiêu chí 1.1.2: 'chín mươi' không phải là tỷ lệ; cần một tỷ lệ phần trăm (ví dụ 93% hoặc 93,5%)."),
    ("1.7", "2", "2", None),
    ("1.7", "hai", None, "Tiêu chí 1.7: giá trị 'hai' không phải là số; cần một số nguyên (ví dụ 4)."),
    ("2.1.2", "có", "có", None),
    ("2.1.2", "Không", "không", None),
    ("2.1.2", "có lẽ", None, "Tiêu chí 2.1.2: 'có lẽ' không phải có/không; chọn Có hoặc Không."),
    ("2.2", "1,25", "1,25", None),
    ("2.2", "", "", None),
    ("1.6", "80%", None, "Tiêu chí 1.6: số liệu do Sở Nội vụ nhập từ điều tra xã hội học, đơn vị không nhập."),
])
def test_each_rule_kind_reads_what_its_widget_sends(crit: Any, code: str, typed: str, stored: str | None, message: str | None) -> None:
    leaf = crit.leaves[crit.leaf_index[code]]
    assert read_input(widget_for(leaf), code, typed) == (stored, message)


def test_widgets_show_the_stored_value_as_their_input_wants(crit: Any) -> None:
    def leaf(code: str) -> Any:
        return widget_for(crit.leaves[crit.leaf_index[code]])

    assert leaf("1.1.1").kind == "date" and shown_value(leaf("1.1.1"), "04/01/2024") == "04/01/2024"
    assert shown_value(leaf("1.1.1"), "2024-01-04") == "04/01/2024"
    assert leaf("1.1.2").kind == "ratio" and shown_value(leaf("1.1.2"), "0.998") == "99,8%"
    assert shown_value(leaf("1.1.2"), "94,2%") == "94,2%"
    assert leaf("2.2").kind == "points" and (leaf("2.2").step, leaf("2.2").max) == ("0.25", "1.5")
    assert leaf("2.2").hint == "từ 0 đến 1,5 điểm, bước 0,25"
    assert shown_value(leaf("2.2"), "1,75") == "1.75"
    assert leaf("1.7").kind == "count" and leaf("1.7").step == "1"
    # the hints are the catalogue's forms, as the self-assessment workbook's messages say them
    assert (leaf("1.1.2").hint, leaf("1.7").hint) == ("một tỷ lệ phần trăm (ví dụ 93% hoặc 93,5%)", "một số nguyên (ví dụ 4)")
    assert leaf("2.1.2").kind == "bool" and shown_value(leaf("2.1.2"), "Có") == "có"
    assert leaf("1.6").kind == "survey"


def test_a_locked_form_shows_what_a_reader_reads(crit: Any) -> None:
    def leaf(code: str) -> Any:
        return widget_for(crit.leaves[crit.leaf_index[code]])

    assert read_only_value(leaf("2.2"), "1.5") == "1,5"  # not the number input's 1.5
    assert read_only_value(leaf("2.2"), "1,75") == "1,75"
    assert read_only_value(leaf("1.7"), "3") == "3"
    assert read_only_value(leaf("1.1.2"), "0.998") == "99,8%"
    assert read_only_value(leaf("1.1.1"), "2024-01-04") == "04/01/2024"
    assert read_only_value(leaf("2.2"), "na") == "không áp dụng"
    assert read_only_value(leaf("2.1.2"), "NA") == "không áp dụng"


# -- in process on a copy of the seeded database ----------------------------------------------


@pytest.fixture
def app(tmp_path: Path, seed_db: Path) -> Any:
    db = copy_db(seed_db, tmp_path)
    application = create_app(Settings(db_url=f"sqlite:///{db}", files_dir=tmp_path / "files"))
    yield application
    application.state.db.dispose()


def login(app: Any, name: str, password: str = PASSWORD) -> tuple[TestClient, str]:
    c = TestClient(app, follow_redirects=False)
    token = CSRF.search(c.get("/login").text).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"login": name, "password": password, "csrf_token": token})
    assert r.status_code == 303, r.text[:500]
    return c, str(c.cookies.get("par_csrf"))


def test_admin_creates_disables_and_resets_an_account(app: Any) -> None:
    c, csrf = login(app, "quan-tri")
    r = c.post("/admin/accounts", data={"csrf_token": csrf, "login": "snv-2", "role": "unit", "unit": "so-noi-vu", "agency": ""})
    assert r.status_code == 200
    assert "Đã tạo tài khoản snv-2." in r.text
    password = re.search(r'data-field="password">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
    assert len(password) == 16
    user, user_csrf = login(app, "snv-2", password)
    sent = user.get("/units/so-noi-vu")
    assert (sent.status_code, sent.headers["location"]) == (303, "/password")  # a one-time password: its own first
    changed = user.post("/password", data={"csrf_token": user_csrf, "old": password, "new": "mat-khau-cua-snv-2", "again": "mat-khau-cua-snv-2"})
    assert changed.status_code == 303
    assert user.get("/units/so-noi-vu").status_code == 200
    ids = re.findall(r'<tr data-login="snv-2">.*?/admin/accounts/(\d+)/active', r.text, re.S)
    assert ids
    r = c.post(f"/admin/accounts/{ids[0]}/active", data={"csrf_token": csrf, "active": "0"})
    assert r.status_code == 303
    assert user.get("/units/so-noi-vu").status_code == 303  # its session ended: back to the login page
    page = c.get("/admin/accounts")
    assert re.search(r'<tr data-login="snv-2">.*?<td>Đã khóa</td>', page.text, re.S)
    r = c.post(f"/admin/accounts/{ids[0]}/active", data={"csrf_token": csrf, "active": "1"})
    r = c.post(f"/admin/accounts/{ids[0]}/password", data={"csrf_token": csrf})
    assert "Đã đặt lại mật khẩu của snv-2." in r.text
    fresh = re.search(r'data-field="password">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
    assert fresh != password
    again, _ = login(app, "snv-2", fresh)
    assert again.get("/units/so-noi-vu").headers["location"] == "/password"  # a reset gives a one-time password too
    audit = c.get("/admin/audit", params={"action": "users.write"})
    assert audit.status_code == 200
    assert re.search(r'data-field="count">4 mục', audit.text), audit.text[-3000:]
    assert password not in audit.text and fresh not in audit.text


def test_the_audit_log_reads_in_vietnamese(app: Any) -> None:
    unit, ucsrf = login(app, "so-noi-vu")
    assert unit.post("/units/so-noi-vu/submit", data={"csrf_token": ucsrf}).status_code == 303
    admin, csrf = login(app, "quan-tri")
    assert admin.post("/admin/calendar", data={"csrf_token": csrf, "self_deadline": "15/01/2025", "explanation_deadline": ""}).status_code == 303
    page = admin.get("/admin/audit").text
    rows = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td><td data-field=\"action\">([^<]*)</td>.*?"
                      r'data-field="before">([^<]*)</small>.*?data-field="after">([^<]*)</small>', page, re.S)
    assert ("so-noi-vu — Đơn vị", "Nộp phiếu tự đánh giá", "trạng thái: Đang tự đánh giá", "trạng thái: Đã nộp") in rows
    assert ("(dòng lệnh)", "Khởi tạo cơ sở dữ liệu", "",
            "tệp tiêu chí: criteria/sets/so.yaml, criteria/agencies.yaml, criteria/sets/huyen.yaml; số đơn vị: 31") in rows
    calendar = [r for r in rows if r[1] == "Lịch đánh giá"]
    assert calendar and calendar[0][2:] == ("hạn tự đánh giá: —; hạn giải trình: —; công bố lúc: —", "hạn tự đánh giá: 15/01/2025 23:59; hạn giải trình: —; công bố lúc: —")
    assert '<option value="unit.submit">Nộp phiếu tự đánh giá</option>' in page
    for code in ("unit.submit", "db.init", "calendar.write", "(cli)", '"state"', "draft"):
        assert code not in re.sub(r'<option value="[^"]*"', "", page), code


def test_the_admin_reads_names_not_codes(app: Any) -> None:
    admin, _ = login(app, "quan-tri")
    page = admin.get("/admin/accounts").text
    belongs = dict(re.findall(r'<tr data-login="([^"]+)">.*?<td data-field="belongs">(.*?)</td>', page, re.S))
    assert belongs["so-noi-vu"] == 'Sở Nội vụ <span class="muted">(so-noi-vu)</span>'
    assert belongs["stp-kiem-chung"] == 'Sở Tư pháp <span class="muted">(so-tu-phap)</span>'
    assert belongs["quan-tri"] == ""
    crit = admin.get("/admin/criteria").text
    rows = re.findall(r'<tr><td>([^<]*)</td><td class="num" data-field="max">([^<]*)</td></tr>', crit)
    assert ("1. Công tác chỉ đạo, điều hành CCHC", "9,5") in rows
    assert ("9. Điểm thưởng, điểm trừ", "ngoài điểm tối đa") in rows and ("9. Điểm thưởng, điểm trừ", "0") not in rows


def test_the_calendar_shows_days_left_and_closes_the_form(app: Any) -> None:
    settings: Settings = app.state.settings
    settings.now = lambda: dt.datetime(2025, 1, 10, 3, 0, tzinfo=dt.UTC)  # 10/01/2025 10:00 in Vietnam
    admin, csrf = login(app, "quan-tri")
    before = admin.get("/admin/calendar").text  # make serve's database: no calendar yet, and the header says so
    assert "<li class=\"\">Hạn tự đánh giá: chưa đặt</li>" in before and "<li class=\"\">Hạn giải trình: chưa đặt</li>" in before
    r = admin.post("/admin/calendar", data={"csrf_token": csrf, "self_deadline": "15/01/2025", "explanation_deadline": "2025-02-05"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/calendar?ok=calendar"
    page = admin.get("/admin/calendar")
    assert 'value="15/01/2025"' in page.text and 'value="05/02/2025"' in page.text  # dd/mm/yyyy, not the browser's picker
    assert 'type="date"' not in page.text
    unit, ucsrf = login(app, "so-noi-vu")
    form = unit.get("/units/so-noi-vu")
    assert "Hạn tự đánh giá: <strong>15/01/2025</strong> (còn 5 ngày)" in form.text
    assert "Hạn giải trình: <strong>05/02/2025</strong> (còn 26 ngày)" in form.text
    settings.now = lambda: dt.datetime(2025, 1, 15, 17, 30, tzinfo=dt.UTC)  # 16/01 00:30 in Vietnam: past the deadline
    assert unit.get("/units/so-noi-vu").status_code == 303  # the session of 10/01 has expired (12 hours)
    unit, ucsrf = login(app, "so-noi-vu")
    admin, csrf = login(app, "quan-tri")
    form = unit.get("/units/so-noi-vu")
    assert "Hạn tự đánh giá: <strong>15/01/2025</strong> (đã quá hạn)" in form.text
    assert 'class="save"' not in form.text  # the form is closed
    r = unit.post("/units/so-noi-vu/criteria/1.7", data={"csrf_token": ucsrf, "value": "1", "version": "1"})
    assert r.status_code == 409
    assert "Đã quá hạn tự đánh giá (15/01/2025 23:59)." in r.text
    bad = admin.post("/admin/calendar", data={"csrf_token": csrf, "self_deadline": "31/02/2025"})
    assert bad.status_code == 422 and "Hạn tự đánh giá: không đọc được ngày &#39;31/02/2025&#39;: cần một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd." in bad.text


def test_a_unit_withdraws_before_the_deadline_and_saves_again(app: Any) -> None:
    c, csrf = login(app, "so-noi-vu")
    assert c.post("/units/so-noi-vu/submit", data={"csrf_token": csrf}).headers["location"] == "/units/so-noi-vu?ok=submitted"
    page = c.get("/units/so-noi-vu/withdraw")
    assert "Rút lại phiếu tự đánh giá của Sở Nội vụ để sửa?" in page.text
    assert c.post("/units/so-noi-vu/withdraw", data={"csrf_token": csrf}).headers["location"] == "/units/so-noi-vu?ok=withdrawn"
    form = c.get("/units/so-noi-vu?ok=withdrawn")
    assert "Đã rút lại phiếu tự đánh giá; có thể sửa và nộp lại trước hạn." in form.text
    version = re.search(r'id="c-1-7".*?name="version" value="(\d+)"', form.text, re.S).group(1)  # type: ignore[union-attr]
    r = c.post("/units/so-noi-vu/criteria/1.7", data={"csrf_token": csrf, "value": "1", "version": version})
    assert r.status_code == 303
    assert re.search(r'id="c-1-7".*?data-field="points">0,25<', c.get("/units/so-noi-vu").text, re.S)
    # the same form sent again with the old version: refused, nothing overwritten
    r = c.post("/units/so-noi-vu/criteria/1.7", data={"csrf_token": csrf, "value": "2", "version": version})
    assert r.status_code == 409 and "phiên bản đã cũ" in r.text
    r = c.post("/units/so-noi-vu/criteria/9.9.9", data={"csrf_token": csrf, "value": "1", "version": version})
    assert r.status_code == 404 and "Tiêu chí &#39;9.9.9&#39; không có trong bộ tiêu chí của đơn vị." in r.text


def test_a_submitted_form_shows_points_with_a_decimal_comma(app: Any) -> None:
    c, csrf = login(app, "so-noi-vu")
    assert c.post("/units/so-noi-vu/submit", data={"csrf_token": csrf}).status_code == 303
    page = c.get("/units/so-noi-vu").text
    assert 'class="save"' not in page  # locked: the values are text, not inputs
    assert re.search(r'id="c-2-2".*?Giá trị đã khai: <strong data-field="value">1,5</strong>', page, re.S)


def test_the_agency_sees_what_it_owes_and_uploads_in_place(app: Any) -> None:
    c, csrf = login(app, "stp-kiem-chung")
    page = c.get("/agency")
    assert page.status_code == 200
    assert "<h1>Tài liệu kiểm chứng phải cung cấp — Sở Tư pháp</h1>" in page.text
    rows = re.findall(r'<tr id="[^"]+" data-unit="([^"]+)" data-criterion="([^"]+)" data-status="([^"]+)">', page.text)
    assert rows and {crit for _u, crit, _s in rows} <= {"2.1.1", "2.1.2", "2.2", "2.3.1", "2.3.2", "2.4"} | {c for _u, c, _s in rows if c.startswith("2.")}
    statuses = [st for _u, _c, st in rows]
    assert statuses == sorted(statuses, key=["missing", "late", "date", "file", "issuer", "ok"].index)  # worst first
    # then the units in the province's order (units.csv), as the unit filter lists them — not by
    # code point, which put "Sở Khoa học và Công nghệ" before "Sở Kế hoạch và Đầu tư"
    province = [line.split(",")[0] for line in (REPO / "evidence/bac-giang/2024/units.csv").read_text("utf-8").splitlines()[1:]]
    listed = re.findall(r'<option value="([^"]+)"', page.text.split('id="f-unit"')[1].split("</select>")[0])
    assert listed == [u for u in province if u in listed] and len(listed) >= 20
    assert listed.index("so-kh-dt") < listed.index("so-khcn") and listed.index("so-noi-vu") < listed.index("so-nn-ptnt")
    ok_units = [u for u, _c, st in rows if st == "ok"]
    assert ok_units == sorted(ok_units, key=province.index)
    assert "Cơ quan cung cấp tài liệu kiểm chứng</span>" in page.text and '<span class="unit">Sở Tư pháp</span>' in page.text
    only = c.get("/agency", params={"unit": "so-noi-vu", "status": "ok"})
    kept = re.findall(r'data-unit="([^"]+)" data-criterion="[^"]+" data-status="([^"]+)"', only.text)
    assert kept and set(kept) == {("so-noi-vu", "ok")}
    assert f'data-field="count">{len(kept)} dòng;' in only.text
    r = c.post("/units/so-noi-vu/evidence", data={"csrf_token": csrf, "criterion": "2.1.2", "document": "Báo cáo số 5/BC-STP ngày 10/12/2024 kiểm tra văn bản QPPL",
                                                  "issued_on": "2024-12-10", "back": "agency"}, files={"file": ("bc.pdf", PDF, "application/pdf")})
    assert r.status_code == 303 and r.headers["location"].startswith("/agency?ok=uploaded#e-so-noi-vu-2-1-2")
    page = c.get("/agency?ok=uploaded")
    assert "Đã tải lên tài liệu kiểm chứng." in page.text
    assert "Báo cáo số 5/BC-STP ngày 10/12/2024 kiểm tra văn bản QPPL</a>" in page.text
    # issue 10 item 17: the unit's form shows documents' dates as users read them, also those stored as
    # written in the imported evidence.csv (4.1.2: 2024-06-10, shown "(2024-06-10)" before)
    unit, _ = login(app, "so-noi-vu")
    form = unit.get("/units/so-noi-vu").text
    assert "Báo cáo số 5/BC-STP ngày 10/12/2024 kiểm tra văn bản QPPL</a> (10/12/2024)</li>" in form
    assert "số lượng cấp phó năm 2024 (10/06/2024)</li>" in form
    assert not re.search(r"\(\d{4}-\d\d-\d\d\)", form)
    # not the agency of area 1: refused
    r = c.post("/units/so-noi-vu/evidence", data={"csrf_token": csrf, "criterion": "1.1.1", "document": "x"}, files={"file": ("a.pdf", PDF, "application/pdf")})
    assert r.status_code == 403
    # a file that is not one of the allowed types: 415, in Vietnamese
    r = c.post("/units/so-noi-vu/evidence", data={"csrf_token": csrf, "criterion": "2.1.2", "document": "x"}, files={"file": ("a.pdf", b"MZ\x90\x00", "application/pdf")})
    assert r.status_code == 415 and "Loại tệp không được chấp nhận" in r.text


def test_a_refusal_page_says_why_without_blaming_the_role(app: Any) -> None:
    viewer, _ = login(app, "xem")
    early = viewer.get("/ranking")
    assert early.status_code == 403
    assert re.search(r'<p class="message">Kết quả chưa được công bố.</p>\s*<p>Kết quả xem được ở đây sau khi Sở Nội vụ công bố.</p>', early.text)
    assert "thuộc về một đơn vị hoặc một vai trò khác" not in early.text  # the viewer's role is not the reason
    unit, _ = login(app, "so-noi-vu")
    other = unit.get("/units/so-tu-phap")
    assert other.status_code == 403
    assert "<p>Trang này thuộc về một đơn vị hoặc một vai trò khác. Nếu cần quyền, hãy liên hệ quản trị viên.</p>" in other.text
    role = unit.get("/admin/accounts")
    assert role.status_code == 403 and "thuộc về một đơn vị hoặc một vai trò khác" in role.text


def test_an_address_the_pages_cannot_read_is_a_page_not_json(app: Any) -> None:
    admin, csrf = login(app, "quan-tri")
    r = admin.post("/admin/accounts/abc/active", data={"csrf_token": csrf, "active": "0"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert '<p class="message">Thiếu hoặc sai trường: account_id.</p>' in r.text
    api = admin.get("/api/v1/audit", params={"limit": "nhiều"})
    assert api.status_code == 422 and api.json()["error"] == "thiếu hoặc sai trường: limit"  # the API keeps its JSON


def test_a_report_is_dated_by_the_vietnamese_calendar(app: Any) -> None:
    settings: Settings = app.state.settings
    settings.now = lambda: dt.datetime(2025, 1, 15, 17, 30, tzinfo=dt.UTC)  # 16/01/2025 00:30 in Vietnam
    appraiser, _ = login(app, "tham-dinh")
    report = appraiser.get("/reports/units/so-noi-vu")
    assert report.status_code == 200
    assert "Ngày lập báo cáo: 16/01/2025" in report.text


def test_after_publication_a_viewer_reads_the_ranking_and_unit_reports(app: Any) -> None:
    viewer, _ = login(app, "xem")
    assert viewer.get("/ranking").status_code == 403
    assert "Chưa công bố" in viewer.get("/results").text
    with app.state.db.session(write=True) as s:
        s.execute(update(Unit).values(state="final"))
    appraiser, csrf = login(app, "tham-dinh")
    page = appraiser.get("/appraisal/publish")
    assert "Công bố kết quả cuối cùng năm 2024?" in page.text
    r = appraiser.post("/appraisal/publish", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/ranking?ok=published"
    results = viewer.get("/results").text
    assert re.search(r"Đã công bố ngày \d\d/\d\d/\d{4}", results)
    ranking = viewer.get("/ranking")
    assert ranking.status_code == 200
    assert re.search(r'<tr data-unit="so-noi-vu">\s*<td class="num" data-field="rank">', ranking.text)
    report = viewer.get("/reports/units/so-noi-vu")
    assert report.status_code == 200 and "Sở Nội vụ" in report.text
    assert viewer.get("/reports/units/khong-co").status_code == 404
    # locked: the unit cannot change anything any more
    unit, ucsrf = login(app, "so-noi-vu")
    r = unit.post("/units/so-noi-vu/criteria/1.7", data={"csrf_token": ucsrf, "value": "1", "version": "1"})
    assert r.status_code == 409 and "Kết quả đã công bố; kỳ đánh giá đã khóa." in r.text


def test_a_unit_uploads_its_whole_workbook(app: Any, tmp_path: Path) -> None:
    from web_harness import CRITERIA, EXAMPLE, par_index

    book = tmp_path / "so-noi-vu.xlsx"
    par_index("template", *[a for p in CRITERIA for a in ("--criteria", str(p))], "--unit", "so-noi-vu", "--data", str(EXAMPLE), "--out", str(book))
    c, csrf = login(app, "so-noi-vu")
    form = c.get("/units/so-noi-vu")
    assert 'action="/units/so-noi-vu/workbook"' in form.text
    r = c.post("/units/so-noi-vu/workbook", data={"csrf_token": csrf}, files={"file": ("phieu.xlsx", book.read_bytes(), "application/octet-stream")})
    assert r.status_code == 200, r.text[-2000:]
    shown = re.search(r"Đã đọc phiếu phieu.xlsx: (\d+) dòng, (\d+) dòng thay đổi, (\d+) tài liệu kiểm chứng.", r.text)
    assert shown is not None, r.text[-3000:]
    # every self row of so-noi-vu (55; the 11 survey cells are Sở Nội vụ's, not saved as the unit's) and its evidence rows
    assert (shown.group(1), shown.group(3)) == ("55", "58")
    assert 'data-field="total">90,65<' in r.text  # the same values: the same score
    r = c.post("/units/so-noi-vu/workbook", data={"csrf_token": csrf}, files={"file": ("ghi-chu.xlsx", b"not a workbook", "application/octet-stream")})
    assert r.status_code == 422 and "Không đọc được phiếu tự đánh giá" in r.text


def test_the_audit_log_keeps_criterion_codes_and_typed_values_as_they_are() -> None:
    """Only points are numbers to show with a decimal comma: criterion 1.2 is a code, and a value
    shows as the unit typed it."""
    from par_index.server.web.pages_admin import _change

    assert _change({"criterion": "1.2", "points": "1.5", "value": "1.5", "state": "submitted"}) == (
        "tiêu chí: 1.2; điểm: 1,5; giá trị: 1.5; trạng thái: Đã nộp"
    )
