"""The round after self-assessment: appraisal rounds (reasons), explanations, workbook upload,
survey import, accounts made by the admin — each checked against what the engine gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.server_env import CRITERIA, DATA, auth
from test_server_roles import set_state

from par_index.cli.main import main


def node(client: Any, unit: str, code: str, stage: str = "final") -> dict[str, Any]:
    doc = client.get(f"/api/v1/results?stage={stage}", headers=auth(client.env, "appraiser")).json()
    return next(u for u in doc["units"] if u["unit"] == unit)["nodes"][code]  # type: ignore[no-any-return]


def test_appraisal_rounds_change_the_final_result(client: Any) -> None:
    env = client.env
    h_app, h_unit = auth(env, "appraiser"), auth(env, "unit")
    assert client.post("/api/v1/units/so-noi-vu/submit", headers=h_unit).status_code == 200
    before = node(client, "so-noi-vu", "1.1.2")
    assert before == {"points": 1.0, "max": 1.5, "index": 66.66666666666667}
    decision = {"unit": "so-noi-vu", "criterion": "1.1.2", "round": 1, "value": "75%"}
    # not yet in round 1
    r = client.post("/api/v1/appraisals", json={**decision, "reason": "Báo cáo thiếu phụ lục"}, headers=h_app)
    assert r.status_code == 409
    assert client.post("/api/v1/units/so-noi-vu/state", json={"state": "appraisal1"}, headers=h_app).status_code == 200
    # no reason: 422, naming the criterion
    r = client.post("/api/v1/appraisals", json=decision, headers=h_app)
    assert r.status_code == 422
    assert r.json()["error"] == "tiêu chí 1.1.2: mọi thay đổi khi thẩm định phải có lý do (trường reason)"
    r = client.post("/api/v1/appraisals", json={**decision, "reason": "   "}, headers=h_app)
    assert r.status_code == 422
    r = client.post("/api/v1/appraisals", json={**decision, "value": "nhiều", "reason": "x"}, headers=h_app)
    assert r.status_code == 422
    assert r.json()["error"].startswith("tiêu chí 1.1.2: không đọc được giá trị 'nhiều'")
    # both a value and points (or neither): the wording of a scenario's value change (tests/test_messages.py)
    r = client.post("/api/v1/appraisals", json={**decision, "round": 3, "reason": "x"}, headers=h_app)
    assert r.status_code == 422
    assert r.json()["error"] == "vòng thẩm định '3' không hợp lệ: ghi 1 hoặc 2 (trường round)"
    r = client.post("/api/v1/appraisals", json={**decision, "points": 1, "reason": "x"}, headers=h_app)
    assert r.status_code == 422
    assert r.json()["error"] == "tiêu chí 1.1.2: cần đúng một trong hai: 'value' (giá trị) hoặc 'points' (điểm)"
    r = client.post("/api/v1/appraisals", json={**decision, "reason": "Báo cáo thiếu phụ lục nhiệm vụ"}, headers=h_app)
    assert r.status_code == 201
    assert r.json()["round"] == 1 and r.json()["appraiser"] == "appraiser"
    assert node(client, "so-noi-vu", "1.1.2") == {"points": 0.5, "max": 1.5, "index": 33.333333333333336}
    assert node(client, "so-noi-vu", "1.1.2", "self") == before  # self stage ignores appraisals
    # explanation, then round 2 restores the points
    assert client.post("/api/v1/units/so-noi-vu/state", json={"state": "explanation"}, headers=h_app).status_code == 200
    r = client.post("/api/v1/units/so-noi-vu/explanations", json={"criterion": "1.1.2", "text": "Bổ sung phụ lục: hoàn thành 95%"}, headers=h_unit)
    assert r.status_code == 201
    assert client.post("/api/v1/units/so-noi-vu/state", json={"state": "appraisal2"}, headers=h_app).status_code == 200
    r = client.post("/api/v1/appraisals", json={**decision, "round": 2, "value": "95%", "reason": "Đã bổ sung phụ lục"}, headers=h_app)
    assert r.status_code == 201
    assert node(client, "so-noi-vu", "1.1.2") == before
    assert client.post("/api/v1/units/so-noi-vu/state", json={"state": "final"}, headers=h_app).status_code == 200
    audit = client.get("/api/v1/audit?unit=so-noi-vu", headers=h_app).json()
    assert [a["action"] for a in audit][:3] == ["unit.advance", "appraisal.write", "unit.advance"]
    assert audit[1]["reason"] == "Đã bổ sung phụ lục"


def test_workbook_upload_same_messages_as_score(client: Any, tmp_path: Path, capsys: Any) -> None:
    import openpyxl

    book = tmp_path / "so-noi-vu.xlsx"
    crit = [a for p in CRITERIA for a in ("--criteria", str(p))]
    assert main(["template", *crit, "--unit", "so-noi-vu", "--data", str(DATA), "--out", str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    ws = wb["Tự đánh giá"]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "1.1.1")
    # the value column is found by its header, as the reader does
    header_row = next(r for r in range(1, 40) if any(str(ws.cell(r, c).value or "").startswith("Giá trị") for c in range(1, 20)))
    vcol = next(c for c in range(1, 20) if str(ws.cell(header_row, c).value or "").startswith("Giá trị"))
    ws.cell(cell.row, vcol).value = "sớm"
    broken = tmp_path / "broken.xlsx"
    wb.save(broken)
    h = auth(client.env, "unit")
    with broken.open("rb") as f:
        r = client.post("/api/v1/units/so-noi-vu/workbook", files={"file": ("phieu-snv.xlsx", f, "application/octet-stream")}, headers=h)
    assert r.status_code == 422
    problems = r.json()["detail"]["problems"]
    bad = next(p for p in problems if p["criterion"] == "1.1.1")
    letter = openpyxl.utils.get_column_letter(vcol)
    assert bad["cell"] == f"{letter}{cell.row}"
    assert bad["file"] == "phieu-snv.xlsx[Tự đánh giá]"
    # score --data on the same file gives the same message for that cell
    capsys.readouterr()
    main(["score", *crit, "--data", str(broken), "--stage", "self", "--problems", str(tmp_path / "p.csv")])
    import csv

    with (tmp_path / "p.csv").open(encoding="utf-8-sig") as f:
        cli_rows = [row for row in csv.DictReader(f) if row.get("Tiêu chí") == "1.1.1"]
    assert any(row["Nội dung"] == bad["message"] for row in cli_rows)
    # fixed: saved; the workbook writes values its own way (dates as yyyy-mm-dd, ratios as
    # percentages) and the engine reads them to the same points
    before = client.get("/api/v1/results?stage=self", headers=auth(client.env, "admin")).json()
    import datetime as dt

    ws.cell(cell.row, vcol).value = dt.date(2024, 1, 3)  # a date typed as text ("03/01/2024") is refused: the form counts it 0
    wb.save(broken)
    with broken.open("rb") as f:
        r = client.post("/api/v1/units/so-noi-vu/workbook", files={"file": ("phieu-snv.xlsx", f, "application/octet-stream")}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["changed"] >= 1
    after = client.get("/api/v1/results?stage=self", headers=auth(client.env, "admin")).json()
    assert after["units"] == before["units"]
    rows = client.get("/api/v1/units/so-noi-vu/assessment", headers=h).json()["rows"]
    assert next(x for x in rows if x["criterion"] == "1.1.1")["value"] == "2024-01-03"  # an Excel date, as the reader writes it
    # another unit's workbook: refused
    with broken.open("rb") as f:
        r = client.post("/api/v1/units/so-tu-phap/workbook", files={"file": ("x.xlsx", f, "application/octet-stream")}, headers=auth(client.env, "unit2"))
    assert r.status_code == 422
    assert r.json()["error"] == "phiếu là của đơn vị so-noi-vu, không phải của 'so-tu-phap'"


def _upload_tampered_form(client: Any, tmp_path: Path, code: str, value: object, survey_marks: dict[str, str | None]) -> tuple[Any, Any, str]:
    """so-noi-vu's prefilled form with its hidden survey marks changed (leaf → "so-noi-vu" or None;
    "*" for every leaf) and ``value`` typed in leaf ``code``'s value cell, uploaded by the unit:
    the answer, the unit's rows after it and that value cell's reference."""
    import openpyxl

    from par_index.workbook.layout import MAIN_SHEET, META_FILLED_COL, META_LEAF_COL, META_SHEET

    book = tmp_path / "so-noi-vu.xlsx"
    crit = [a for p in CRITERIA for a in ("--criteria", str(p))]
    assert main(["template", *crit, "--unit", "so-noi-vu", "--data", str(DATA), "--out", str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    meta = wb[META_SHEET]
    for r in range(2, meta.max_row + 1):
        leaf = meta[f"{META_LEAF_COL}{r}"].value
        for key in (leaf, "*"):
            if key in survey_marks:
                meta[f"{META_FILLED_COL}{r}"] = survey_marks[key]
    ws = wb[MAIN_SHEET]
    row = next(c.row for line in ws.iter_rows() for c in line if c.value == code)
    header_row = next(r for r in range(1, 40) if any(str(ws.cell(r, c).value or "").startswith("Giá trị") for c in range(1, 20)))
    vcol = next(c for c in range(1, 20) if str(ws.cell(header_row, c).value or "").startswith("Giá trị"))
    ws.cell(row, vcol).value = value
    wb.save(book)
    h = auth(client.env, "unit")
    with book.open("rb") as f:
        r = client.post("/api/v1/units/so-noi-vu/workbook", files={"file": ("phieu-snv.xlsx", f, "application/octet-stream")}, headers=h)
    assert r.status_code == 200, r.text
    rows = client.get("/api/v1/units/so-noi-vu/assessment", headers=h).json()["rows"]
    return r, rows, f"{openpyxl.utils.get_column_letter(vcol)}{row}"


def test_workbook_upload_never_saves_a_survey_leaf(client: Any, tmp_path: Path) -> None:
    """Issue 10: a form whose survey marks are gone (hidden sheet column cleared) gives the survey
    cells as the unit's own: the upload saves none of them and says why (the engine's warning)."""
    # 100 %, typed by the unit into Sở Nội vụ's cell
    r, rows, cell = _upload_tampered_form(client, tmp_path, "1.6", 1, {"*": None})
    assert [x for x in rows if x["criterion"] == "1.6"] == []
    (w,) = [w for w in r.json()["warnings"] if w["criterion"] == "1.6"]
    assert (w["reason"], w["cell"]) == ("survey_value_from_unit", cell)
    assert w["message"].startswith("tiêu chí 1.6 là tiêu chí điều tra xã hội học: do Sở Nội vụ điền")


def test_workbook_upload_saves_an_ordinary_leaf_marked_as_survey_as_the_units_own(client: Any, tmp_path: Path) -> None:
    """Issue 10: a form whose hidden sheet marks the unit's own leaf 1.1.1 as Sở Nội vụ's gave it
    as stage survey, and the upload dropped the unit's value with no word. A survey stage is Sở
    Nội vụ's import only: the value is saved as the unit's self row, with the engine's warning."""
    import datetime as dt

    r, rows, cell = _upload_tampered_form(client, tmp_path, "1.1.1", dt.date(2024, 1, 3), {"1.1.1": "so-noi-vu"})
    assert [x["value"] for x in rows if x["criterion"] == "1.1.1"] == ["2024-01-03"]  # was the stored value, unchanged
    (w,) = [w for w in r.json()["warnings"] if w["criterion"] == "1.1.1"]
    assert (w["reason"], w["cell"], w["file"]) == ("survey_stage_on_unit_leaf", cell, "phieu-snv.xlsx[Tự đánh giá]")
    assert w["message"].endswith("; được tính là giá trị đơn vị tự đánh giá (self)")
    assert node(client, "so-noi-vu", "1.1.1", "self")["points"] == 1.0


def test_survey_import_through_the_survey_reader(client: Any) -> None:
    env = client.env
    h = auth(env, "appraiser")
    folder = DATA / "survey"
    with (folder / "survey.csv").open("rb") as t, (folder / "survey-map.yaml").open("rb") as m:
        r = client.post("/api/v1/survey", files={"file": ("survey.csv", t), "map": ("survey-map.yaml", m)}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == 4950
    # a broken row is reported as the reader reports it, with its line
    bad = b"unit,group,question,answer,count\nso-noi-vu,nguoi-dan,CH-khong-co,A,3\n"
    r = client.post("/api/v1/survey", files={"file": ("survey.csv", bad)}, headers=h)
    assert r.status_code == 200
    assert [p["reason"] for p in r.json()["problems"]][:1] == ["survey_question_unknown"]
    assert r.json()["problems"][0]["file"] == "survey.csv" and r.json()["problems"][0]["line"] == 2
    r = client.post("/api/v1/survey", files={"file": ("survey.csv", b"unit,group\n")}, headers=h)
    assert r.status_code == 422
    assert set(r.json()) == {"error", "detail"}


def test_admin_makes_accounts(client: Any) -> None:
    h = auth(client.env, "admin")
    r = client.post("/api/v1/users", json={"login": "snn", "role": "unit", "unit": "so-noi-vu"}, headers=h)
    assert r.status_code == 201
    password = r.json()["password"]
    assert len(password) == 16
    assert client.post("/api/v1/session", json={"login": "snn", "password": password}).status_code == 200
    r = client.post("/api/v1/users", json={"login": "snn", "role": "unit", "unit": "so-noi-vu"}, headers=h)
    assert r.status_code == 409
    r = client.post("/api/v1/users", json={"login": "a", "role": "chu-tich"}, headers=h)
    assert r.status_code == 422
    assert r.json()["error"] == "vai trò 'chu-tich' không có; dùng một trong: unit, agency, appraiser, admin, viewer"
    assert "snn" in [u["login"] for u in client.get("/api/v1/users", headers=h).json()]


def test_publish_after_all_final(client: Any) -> None:
    set_state(client, "final")
    r = client.post("/api/v1/publish", json={}, headers=auth(client.env, "appraiser"))
    assert r.status_code == 200 and r.json()["year"] == 2024
    r = client.post("/api/v1/publish", json={}, headers=auth(client.env, "appraiser"))
    assert r.status_code == 409
    units = client.get("/api/v1/units", headers=auth(client.env, "viewer")).json()
    assert {u["state"] for u in units} == {"published"}


def test_explanation_deadline_by_server_time(client: Any) -> None:
    """The explanation deadline held in the round is enforced by the server's clock: an
    explanation, and the unit's evidence file sent with it, after the deadline → 409."""
    import datetime as dt

    from test_server_roles import upload

    env = client.env
    r = client.put("/api/v1/rounds/2024", json={"explanation_deadline": "2025-02-05T17:00:00+07:00"}, headers=auth(env, "admin"))
    assert r.status_code == 200
    assert r.json()["explanation_deadline"] == "2025-02-05T10:00:00+00:00"
    set_state(client, "explanation", ["so-noi-vu"])
    h = auth(env, "unit")
    url = "/api/v1/units/so-noi-vu/explanations"
    client.settings.now = lambda: dt.datetime(2025, 2, 5, 9, 59, tzinfo=dt.UTC)  # 16:59 in Vietnam
    r = client.post(url, json={"criterion": "1.1.2", "text": "Bổ sung phụ lục"}, headers=h)
    assert r.status_code == 201, r.text
    assert upload(client, "unit", "1.1.2").status_code == 201
    client.settings.now = lambda: dt.datetime(2025, 2, 5, 10, 1, tzinfo=dt.UTC)  # 17:01
    r = client.post(url, json={"criterion": "1.1.2", "text": "Bổ sung lần hai"}, headers=h)
    assert r.status_code == 409
    assert r.json() == {"error": "đã quá hạn giải trình (05/02/2025 17:00)", "detail": {"deadline": "2025-02-05T10:00:00+00:00"}}
    r = upload(client, "unit", "1.1.2")
    assert r.status_code == 409
    assert r.json()["error"] == "đã quá hạn giải trình (05/02/2025 17:00)"
    texts = [a["after"]["text"] for a in client.get("/api/v1/audit?unit=so-noi-vu", headers=auth(env, "admin")).json() if a["action"] == "explanation.write"]
    assert texts == ["Bổ sung phụ lục"]  # the late one is not recorded


def test_a_units_evidence_upload_closes_with_the_self_assessment_deadline(client: Any) -> None:
    """In draft, a unit's evidence upload is bound by the self-assessment deadline (server time);
    the agency that supplies a criterion's documents is not bound by the unit's calendar."""
    import datetime as dt

    from test_server_roles import upload

    env = client.env
    assert client.put("/api/v1/rounds/2024", json={"self_deadline": "2025-01-15T17:00:00+07:00"}, headers=auth(env, "admin")).status_code == 200
    client.settings.now = lambda: dt.datetime(2025, 1, 15, 9, 59, tzinfo=dt.UTC)
    assert upload(client, "unit", "1.1.1").status_code == 201
    client.settings.now = lambda: dt.datetime(2025, 1, 15, 10, 1, tzinfo=dt.UTC)
    r = upload(client, "unit", "1.1.1")
    assert r.status_code == 409
    assert r.json() == {"error": "đã quá hạn tự đánh giá (15/01/2025 17:00)", "detail": {"deadline": "2025-01-15T10:00:00+00:00"}}
    assert upload(client, "agency", "2.1.2").status_code == 201  # Sở Tư pháp supplies 2.1.2


def test_last_years_published_results_feed_the_comparison(client: Any, tmp_path: Path) -> None:
    """A second year beside the first: the ranking of 2025 compares with 2024 only once 2024 is
    published, and what it compares with is exactly what ``report --previous`` reads from the
    results file of 2024 (``GET /results?year=2024`` = ``score --out``)."""
    import json
    import re
    from types import SimpleNamespace

    from sqlalchemy import update

    from par_index.reports.format import float_to_2dp
    from par_index.reports.ranking import read_previous
    from par_index.server.models import Unit
    from par_index.server.web.pages_appraiser import _previous
    from par_index.server.web.render import signed

    env = client.env
    crit = [a for p in CRITERIA for a in ("--criteria", str(p))]
    assert main(["db", "init", "--db", env.url, *crit, "--units", str(DATA / "units.csv"), "--year", "2025"]) == 0
    assert main(["db", "import", "--db", env.url, "--data", str(DATA), "--year", "2025"]) == 0
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.2?year=2025", json={"value": "50%", "version": 1}, headers=auth(env, "unit"))
    assert r.status_code == 200, r.text
    assert client.post("/api/v1/session", json={"login": "appraiser", "password": "mat-khau-thu-nghiem"}).status_code == 200  # the cookie
    page = client.get("/ranking")
    assert page.status_code == 200
    assert "Không có kết quả năm 2024 đã công bố để so sánh." in page.text  # 2024 not published yet
    db = client.app.state.db
    with db.session(write=True) as s:
        s.execute(update(Unit).where(Unit.year == 2024).values(state="final"))
    assert client.post("/api/v1/publish", json={"year": 2024}, headers=auth(env, "appraiser")).status_code == 200
    page = client.get("/ranking")
    assert page.status_code == 200 and "Xếp hạng" in page.text
    assert "đã công bố để so sánh" not in page.text
    last_year = client.get("/api/v1/results?year=2024", headers=auth(env, "appraiser"))
    (tmp_path / "2024.json").write_bytes(last_year.content)
    cli = read_previous(tmp_path / "2024.json")
    with db.session() as s:
        server = _previous(s, SimpleNamespace(settings=client.settings), 2025)
    assert server is not None
    assert server.units == cli.units and len(server.units) == 30 and server.criteria == cli.criteria
    this_year = client.get("/api/v1/results?year=2025", headers=auth(env, "appraiser")).json()
    now = next(u for u in this_year["units"] if u["unit"] == "so-noi-vu")
    before = json.loads(last_year.content)
    then = next(u for u in before["units"] if u["unit"] == "so-noi-vu")
    assert now["index"] < then["index"]  # 1.1.2 fell from 1 point to 0
    row = re.search(r'<tr data-unit="so-noi-vu">(.*?)</tr>', page.text, re.S)
    assert row is not None
    change = float_to_2dp(now["index"]) - cli.units["so-noi-vu"].index  # type: ignore[operator]
    assert f'class="num down">{signed(change)}</td>' in row.group(1)


def test_results_of_an_unknown_stage_or_year(client: Any) -> None:
    h = auth(client.env, "appraiser")
    r = client.get("/api/v1/results?stage=tam-tinh", headers=h)
    assert r.status_code == 422
    assert r.json() == {"error": "stage phải là self hoặc final", "detail": {"field": "stage"}}
    r = client.get("/api/v1/results?year=2019", headers=h)
    assert r.status_code == 404
    assert r.json() == {"error": "không có kỳ đánh giá năm 2019", "detail": {"year": 2019}}
    r = client.get("/api/v1/results?year=hai-nghin", headers=h)
    assert r.status_code == 422
    assert r.json() == {"error": "thiếu hoặc sai trường: year", "detail": {"fields": ["year"]}}
