"""The pages in a real browser (Debian's Chromium through Selenium), on a running ``par-index
serve`` of the Bắc Giang example. Every page visited is checked for console errors, a label on
every input and duplicate ids, and leaves a screenshot under the test's temporary folder.

The tests of this module share one server and run in order: the scenarios change the round.
"""

from __future__ import annotations

import base64
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import NoAlertPresentException
from web_harness import PASSWORD, Browser, par_index

# Each role's pages (the unit pages of its own unit) — all visited by test_every_page_opens_clean.
PAGES = {
    "so-noi-vu": ["/units/so-noi-vu", "/units/so-noi-vu/submit", "/units/so-noi-vu/appraisal", "/password", "/results"],
    "stp-kiem-chung": ["/agency", "/results"],
    "tham-dinh": ["/appraisal", "/appraisal/units/so-cong-thuong", "/appraisal/units/xss-unit", "/ranking", "/appraisal/publish",
                  "/reports", "/units/so-cong-thuong", "/units/so-cong-thuong/appraisal", "/results"],
    "quan-tri": ["/admin/accounts", "/admin/calendar", "/admin/criteria", "/admin/audit", "/admin/audit?unit=so-cong-thuong", "/ranking"],
    "xem": ["/results"],
}
# The smallest PDF a content sniffer accepts as PDF.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def no_alert(browser: Browser) -> None:
    with pytest.raises(NoAlertPresentException):
        browser.driver.switch_to.alert  # noqa: B018 (reading it raises when there is none)


def test_every_page_opens_clean(browser: Browser) -> None:
    for login, pages in PAGES.items():
        browser.login(login)
        for path in pages:
            browser.visit(path)
            assert browser.driver.find_element("css selector", "h1").text.strip()
    assert len(list(browser.shots.glob("*.png"))) == sum(len(p) + 2 for p in PAGES.values())


def test_a_script_as_a_unit_name_is_shown_as_text(browser: Browser) -> None:
    browser.login("tham-dinh")
    for path in ("/appraisal", "/appraisal/units/xss-unit", "/ranking"):
        browser.visit(path)
        no_alert(browser)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in browser.driver.page_source
        assert "<script>alert(1)</script>" in browser.driver.find_element("css selector", "main").text
    row = browser.css('table.ranking tr[data-unit="xss-unit"] td a')
    assert row.text == "<script>alert(1)</script>"


def test_a_unit_cannot_open_another_units_page(browser: Browser) -> None:
    browser.login("so-noi-vu")
    browser.visit("/units/so-tu-phap", check=False)
    browser.check("403", status=403)
    assert browser.text("h1") == "Không có quyền truy cập"
    assert browser.text(".error-page .message") == "Tài khoản đơn vị chỉ xem và sửa được hồ sơ của chính đơn vị mình."
    assert browser.status_of("/units/so-tu-phap") == 403
    assert browser.status_of("/ranking") == 403
    browser.visit("/units/so-noi-vu", "own-unit-after-403")


def save(browser: Browser, code: str, value: str) -> None:
    anchor = code.replace(".", "-")
    field = browser.css(f"#v-{anchor}")
    field.clear()
    field.send_keys(value)
    browser.css(f"#c-{anchor} form.save button[type=submit]").click()


def test_a_department_fills_uploads_submits_and_is_locked(browser: Browser, tmp_path: Path) -> None:
    browser.login("so-noi-vu")
    browser.visit("/units/so-noi-vu", "form-before")
    assert browser.text("[data-field=total]") == "90,65"
    assert browser.text("[data-field=index]") == "90,65"
    survey = browser.css("#c-1-6")  # a survey leaf: read-only, never the unit's input
    assert "do Sở Nội vụ nhập từ điều tra xã hội học" in survey.text
    assert survey.find_elements("css selector", "input, textarea, select") == []
    # a deadline, typed dd/mm/yyyy whatever the browser's language: 20/01/2024 is after 14/01
    # but by 31/01 → 0,5 of 1 point
    assert browser.css("#v-1-1-1").get_attribute("value") == "04/01/2024"
    assert browser.css("#v-1-1-1").get_attribute("placeholder") == "dd/mm/yyyy"
    save(browser, "1.1.1", "20/01/2024")
    browser.check("saved-1.1.1")
    assert browser.text(".flash.ok") == "Đã lưu."
    assert browser.text("#c-1-1-1 [data-field=points]") == "0,5"
    assert browser.text("[data-field=total]") == "90,15"
    # a percentage: a bare 93 is refused with a message, not guessed
    save(browser, "1.1.2", "93")
    browser.check("refused-1.1.2", status=422)
    assert browser.text("#c-1-1-2 .field-error") == (
        "Tiêu chí 1.1.2: '93' thiếu dấu %; tỷ lệ phải ghi kèm dấu %, ví dụ 93% (không tự đoán 93 là 93% hay 9300%)."
    )
    assert browser.css("#v-1-1-2").get_attribute("value") == "93"
    assert browser.text("[data-field=total]") == "90,15"  # nothing saved
    save(browser, "1.1.2", "75%")  # 70% to under 90% → 0,5 of 1,5
    browser.check("saved-1.1.2")
    assert browser.text("#c-1-1-2 [data-field=points]") == "0,5"
    assert browser.text("[data-field=total]") == "89,65"
    # a count: 2 times × 0,25 → 0,5 (the cap)
    save(browser, "1.7", "2")
    browser.check("saved-1.7")
    assert browser.text("#c-1-7 [data-field=points]") == "0,5"
    assert browser.text("[data-field=total]") == "90,15"
    assert browser.text("[data-field=index]") == "90,15"
    # a PDF attached to 1.7, in place
    pdf = tmp_path / "bao-cao.pdf"
    pdf.write_bytes(PDF)
    browser.driver.execute_script("document.querySelector('#c-1-7 details.upload').open = true")
    browser.css("#d-1-7").send_keys("Báo cáo số 12/BC-SNV ngày 20/12/2024 về đối thoại với doanh nghiệp")
    browser.css("#f-1-7").send_keys(str(pdf))
    browser.css("#c-1-7 details.upload button[type=submit]").click()
    browser.check("uploaded-1.7")
    assert browser.text(".flash.ok") == "Đã tải lên tài liệu kiểm chứng."
    link = browser.css("#c-1-7 .files a")
    assert link.text == "Báo cáo số 12/BC-SNV ngày 20/12/2024 về đối thoại với doanh nghiệp"
    got = browser.driver.execute_async_script(
        "const done = arguments[1]; fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => done(btoa(String.fromCharCode(...new Uint8Array(b)))));",
        link.get_attribute("href"))
    assert base64.b64decode(got) == PDF
    # submit, with a confirmation page
    browser.css("a.button.primary[href='/units/so-noi-vu/submit']").click()
    browser.check("confirm-submit")
    assert browser.text("form.confirm p") == "Nộp phiếu tự đánh giá của Sở Nội vụ?"
    browser.css("form.confirm button[type=submit]").click()
    browser.check("submitted")
    assert browser.text("[data-field=state]") == "Đã nộp"
    assert browser.text("[data-field=total]") == "90,15"
    assert browser.all("form.save") == []  # read-only: no input left on the form
    assert browser.text("#c-1-7 [data-field=value]") == "2"
    # and the server refuses a save sent anyway (an old tab)
    status = browser.status_of("/units/so-noi-vu/criteria/1.7", {"value": "1", "version": "1"})
    assert status == 409


def decide(browser: Browser, code: str, points: str, reason: str) -> None:
    browser.driver.find_element("css selector", f"#any-criterion option[value='{code}']").click()
    browser.fill("#any-points", points)
    browser.fill("#any-reason", reason)
    browser.css("#any-reason").submit()


def move(browser: Browser, state: str) -> None:
    browser.driver.find_element("css selector", f"#move-state option[value='{state}']").click()
    browser.css("#move-state").submit()


def test_an_appraiser_cuts_the_unit_explains_round_two_restores(browser: Browser) -> None:
    browser.login("so-tu-phap")
    browser.visit("/units/so-tu-phap/submit")
    browser.css("form.confirm button[type=submit]").click()
    browser.check("tp-submitted")
    self_total = browser.text("[data-field=total]")

    browser.login("tham-dinh")
    browser.visit("/appraisal/units/so-tu-phap")
    assert browser.text("[data-field=final-points]") == self_total
    move(browser, "appraisal1")
    browser.check("round1")
    assert browser.text("[data-field=state]") == "Thẩm định vòng 1"
    # a decision without a reason is refused (the browser keeps the form; the server says why)
    status = browser.status_of("/appraisal/units/so-tu-phap/decisions", {"criterion": "2.1.2", "round": "1", "points": "0", "reason": ""})
    assert status == 422
    decide(browser, "2.1.2", "0", "Kế hoạch kiểm tra văn bản gửi kèm là của năm 2023")
    browser.check("cut")
    assert browser.text(".flash.ok") == "Đã ghi quyết định thẩm định."
    cut_total = browser.text("[data-field=final-points]")
    assert _num(self_total) - _num(cut_total) == pytest.approx(1.5)
    move(browser, "explanation")
    browser.check("to-explanation")

    browser.login("so-tu-phap")
    browser.visit("/units/so-tu-phap/appraisal")
    section = browser.css("section[data-criterion='2.1.2']")
    steps = section.find_elements("css selector", "tbody tr")
    assert [s.get_attribute("data-step") for s in steps] == ["self", "appraisal1"]
    assert steps[1].find_element("css selector", "[data-field=points]").text == "0"
    assert "Kế hoạch kiểm tra văn bản gửi kèm là của năm 2023" in steps[1].text
    browser.fill("#x-2-1-2", "Đơn vị gửi bổ sung Kế hoạch số 15/KH-STP ngày 20/01/2024 (năm 2024).")
    browser.css("#x-2-1-2").submit()
    browser.check("explained")
    assert browser.text(".flash.ok") == "Đã gửi giải trình."

    browser.login("tham-dinh")
    browser.visit("/appraisal/units/so-tu-phap")
    move(browser, "appraisal2")
    browser.check("round2")
    decide(browser, "2.1.2", "1.5", "Đã giải trình, tài liệu bổ sung đúng năm 2024")
    browser.check("restored")
    assert browser.text("[data-field=final-points]") == self_total
    move(browser, "final")
    browser.check("final")

    browser.login("so-tu-phap")
    browser.visit("/units/so-tu-phap/appraisal")
    steps = browser.css("section[data-criterion='2.1.2']").find_elements("css selector", "tbody tr")
    assert [s.get_attribute("data-step") for s in steps] == ["self", "appraisal1", "explanation", "appraisal2"]
    assert [s.find_element("css selector", "[data-field=points]").text for s in steps] == ["1,5", "0", "", "1,5"]
    assert "(điểm cuối cùng)" in steps[3].text


def _num(text: str) -> float:
    return float(text.replace(",", "."))


def test_the_ranking_page_shows_what_score_gives_on_db_export(browser: Browser, tmp_path: Path) -> None:
    out = tmp_path / "export"
    par_index("db", "export", "--db", browser.site.db_url, "--out", str(out))
    crit = sorted((out / "criteria" / "sets").glob("*.yaml"))
    args = [a for p in crit for a in ("--criteria", str(p))]
    par_index("score", *args, "--data", str(out), "--stage", "final", "--out", str(tmp_path / "final.json"))
    expected = {u["unit"]: u for u in json.loads((tmp_path / "final.json").read_text(encoding="utf-8"))["units"]}
    browser.login("tham-dinh")
    browser.visit("/ranking")
    rows = browser.all("table.ranking tbody tr")
    assert len(rows) == len(expected) == 31
    for row in rows:
        unit = row.get_attribute("data-unit")
        want: dict[str, Any] = expected[unit]
        assert row.find_element("css selector", "[data-field=rank]").text == str(want["rank"]), unit
        shown = row.find_element("css selector", "[data-field=index]").text
        exact = (Decimal(str(want["points"])) * 100 / Decimal(str(want["max"]))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert shown == f"{exact:.2f}".replace(".", ","), unit
        assert abs(float(exact) - want["index"]) < 0.006, unit
        assert row.find_element("css selector", "[data-field=band]").text == want["band"], unit
    assert browser.text("tr[data-unit='so-tu-phap'] [data-field=gap]") == "0,00"


def test_ranking_and_unit_report_print_on_a4(browser: Browser) -> None:
    from selenium.webdriver.common.print_page_options import PrintOptions

    a4 = PrintOptions()
    a4.page_width, a4.page_height = 21.0, 29.7
    browser.login("tham-dinh")
    for path in ("/ranking", "/reports/units/so-noi-vu"):
        browser.visit(path)
        pdf = base64.b64decode(browser.driver.print_page(a4))
        assert pdf[:5] == b"%PDF-" and len(pdf) > 10_000, path
        assert b"/MediaBox [0 0 595" in pdf, path  # A4: 595 × 842 points
    # laid out as it prints (A4 portrait, 12 mm margins: 703 px): the ranking fits the paper, so
    # Chromium does not shrink the page, and a unit's name has room (not a word a line)
    driver = browser.driver
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 703, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
    try:
        browser.visit("/ranking")
        tables = driver.execute_script(
            "return [...document.querySelectorAll('table.ranking')].map(t => [Math.round(t.getBoundingClientRect().width),"
            " document.documentElement.clientWidth, Math.round(t.querySelector('thead th:nth-child(2)').getBoundingClientRect().width)])")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert len(tables) == 2
    for width, paper, unit_column in tables:
        assert width <= paper and unit_column >= 90, tables


def test_login_by_keyboard_alone(browser: Browser) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.logout()
    browser.visit("/login", "keyboard-login")
    keys = ActionChains(browser.driver)
    keys.send_keys(Keys.TAB).perform()
    active = browser.driver.switch_to.active_element
    assert active.text == "Bỏ qua thanh điều hướng"  # the skip link comes first
    keys.send_keys(Keys.TAB, Keys.TAB).perform()  # the site name, then the first field
    assert browser.driver.switch_to.active_element.get_attribute("id") == "login"
    keys.send_keys("xem", Keys.TAB, PASSWORD, Keys.ENTER).perform()
    browser.check("keyboard-logged-in")
    assert browser.driver.current_url.endswith("/results")
    assert browser.text("h1") == "Kết quả Chỉ số CCHC"
