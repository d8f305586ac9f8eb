"""``db init|import|export``, ``users add``; export → ``par-index score`` equals ``GET /results``."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.server_env import CRITERIA, DATA, auth
from test_server_roles import set_state

from par_index.cli.main import main


@dataclass
class Ran:
    exit_code: int
    output: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Ran]:
    def go(*args: str, input: str | None = None) -> Ran:
        if input is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(input))
        code = main(list(args))
        got = capsys.readouterr()
        return Ran(code, got.out + got.err)

    return go


@pytest.fixture(params=["sqlite", "postgresql"])
def new_db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """The URL of an empty database (no schema), on each backend."""
    if request.param == "sqlite":
        (tmp_path / "par-index.db").touch()  # an SQLite file with nothing in it (a missing file is refused before: tests/cli)
        yield f"sqlite:///{tmp_path / 'par-index.db'}"
        return
    import os

    from support.server_env import pg_admin, with_db

    server = request.getfixturevalue("pg_server")
    name = f"par_new_{os.getpid()}_{request.node.name.split('[')[0][-20:]}"
    pg_admin(server, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    try:
        yield with_db(server, name)
    finally:
        pg_admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_init_import_users_on_a_new_database(new_db: str, run: Any) -> None:
    url = new_db
    r = run("db", "init", "--db", url, "--criteria", str(CRITERIA[0]), "--criteria", str(CRITERIA[1]), "--units", str(DATA / "units.csv"))
    assert r.exit_code == 0, r.output
    assert r.output.startswith("Đã khởi tạo kỳ đánh giá năm 2024: 2 bộ tiêu chí, 30 đơn vị (30 mới)")
    r = run("db", "import", "--db", url, "--data", str(DATA))
    assert r.exit_code == 0, r.output
    assert "Đã nạp năm 2024: 1998 dòng đánh giá, 1790 tài liệu kiểm chứng" in r.output
    assert "2 giải trình" in r.output
    r = run("users", "add", "--db", url, "--login", "snv", "--role", "unit", "--unit", "so-noi-vu")
    assert r.exit_code == 0
    assert r.output.startswith("Đã tạo tài khoản snv (unit). Mật khẩu dùng một lần: ")
    password = r.output.rsplit(": ", 1)[1].strip()
    assert len(password) == 16
    r = run("users", "add", "--db", url, "--login", "nv", "--role", "appraiser", "--password-stdin", input="mot-mat-khau-dai\n")
    assert r.output.startswith("Đã tạo tài khoản nv (appraiser).\n")
    r = run("users", "add", "--db", url, "--login", "x", "--role", "unit", "--unit", "khong-co")
    assert r.exit_code == 2
    assert "đơn vị 'khong-co' không có trong cơ sở dữ liệu" in r.output
    # no default account: only the two created ones can log in
    from par_index.server.db import Database
    from par_index.server.models import Account

    db = Database(url)
    with db.session() as s:
        assert sorted(a.login for a in s.query(Account)) == ["nv", "snv"]
        # the printed password is one-time (changed at the first login); one read from stdin is the account's own
        assert {a.login: a.password_once for a in s.query(Account)} == {"nv": False, "snv": True}
    db.dispose()


def test_serve_refuses_an_uninitialised_database(new_db: str, run: Any) -> None:
    r = run("users", "add", "--db", new_db, "--login", "a", "--role", "admin")
    assert r.exit_code == 2
    assert "cơ sở dữ liệu chưa được khởi tạo hoặc chưa được nâng cấp; hãy chạy par-index db init" in r.output
    r = run("serve", "--db", new_db, "--port", "1")
    assert r.exit_code == 2
    assert "cơ sở dữ liệu chưa được khởi tạo hoặc chưa được nâng cấp; hãy chạy par-index db init" in r.output


def test_export_then_score_equals_results(client: Any, tmp_path: Path, run: Any) -> None:
    """Every unit and node: GET /results (both stages) == par-index score on db export."""
    env = client.env
    h = auth(env, "unit")
    assert client.get("/api/v1/results", headers=auth(env, "appraiser")).status_code == 200  # rows now held in memory
    # changes after that reach the results through the audit (round_rows): a row changed, a row
    # added, an evidence file, an appraisal of another unit
    assert client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", json={"value": "91,5%", "version": 1}, headers=h).status_code == 200
    rows = client.get("/api/v1/units/so-noi-vu/assessment", headers=h).json()["rows"]
    from test_server_roles import upload

    assert upload(client).status_code == 201
    assert client.get("/api/v1/results", headers=auth(env, "appraiser")).status_code == 200
    from par_index.server.db import Database
    from par_index.server.models import Assessment

    db = Database(env.url)
    with db.session(write=True) as s:  # a leaf without a row: the next PUT adds one
        gone = s.query(Assessment).filter_by(unit="so-noi-vu", criterion=rows[-1]["criterion"], stage="self").one()
        s.delete(gone)
    db.dispose()
    r = client.put(f"/api/v1/units/so-noi-vu/assessment/{rows[-1]['criterion']}", json={"value": rows[-1]["value"]}, headers=h)
    assert r.status_code == 200 and r.json()["version"] == 1
    set_state(client, "appraisal1", ["so-tu-phap"])
    r = client.post("/api/v1/appraisals", json={"unit": "so-tu-phap", "criterion": "1.1.2", "round": 1, "value": "50%", "reason": "Thiếu báo cáo"}, headers=auth(env, "appraiser"))
    assert r.status_code == 201
    out = tmp_path / "export"
    r = run("db", "export", "--db", env.url, "--out", str(out), "--files", str(env.files))
    assert r.exit_code == 0, r.output
    # the export holds its own copy of the uploaded file (score refuses a link leading out of a folder)
    assert [p for p in out.rglob("*") if p.is_symlink()] == []
    copied = [p for p in (out / "files").rglob("*") if p.is_file()]
    assert len(copied) == 1 and copied[0].read_bytes() == (env.files / copied[0].relative_to(out / "files")).read_bytes()
    for stage in ("self", "final"):
        got = client.get(f"/api/v1/results?stage={stage}", headers=auth(env, "appraiser"))
        assert got.status_code == 200
        api = got.json()
        dest = tmp_path / f"score-{stage}.json"
        crit = [a for p in ("so.yaml", "huyen.yaml") for a in ("--criteria", str(out / "criteria/sets" / p))]
        r = run("score", *crit, "--data", str(out), "--stage", stage, "--out", str(dest))
        assert r.exit_code == 0, r.output
        cli_doc = json.loads(dest.read_text(encoding="utf-8"))
        assert len(api["units"]) == 30
        assert api["units"] == cli_doc["units"]  # every unit, every node, rank and band
        assert {k: v for k, v in api.items() if k != "problems"} == {k: v for k, v in cli_doc.items() if k != "problems"}
        strip = [{k: v.replace(str(out), "db export") if k == "message" else v for k, v in p.items() if k != "file"} for p in cli_doc["problems"]]
        assert [{k: v for k, v in p.items() if k != "file"} for p in api["problems"]] == strip
        # the same evidence: the uploaded file counts as present on both sides (the server's own
        # scoring links its store into a temporary folder and trusts that one link only)
        evidence = [{k: v for k, v in p.items() if k != "file"} for p in api["problems"] if p["reason"].startswith("evidence_file")]
        assert evidence == [p for p in strip if p["reason"].startswith("evidence_file")]
        assert evidence and not [p for p in evidence if "files/" in p["message"] or p["reason"] == "evidence_file_outside"]
    so = next(u for u in api["units"] if u["unit"] == "so-noi-vu")
    assert so["nodes"]["1.1.2"]["points"] == 1.0  # 91,5%: "from 90% to below 100%" gives 1 point


def test_every_row_read_again_in_heap_order_equals_score_on_the_export(client: Any, tmp_path: Path, run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process with nothing in memory and nothing stored reads every row again (in one part
    and in two); on PostgreSQL in the table's heap order, where rows saved after the import
    are no longer in id order (an ``UPDATE`` writes the row's new version elsewhere): the
    answer still equals ``par-index score`` on ``db export`` (which writes the rows by id) for
    every unit and node."""
    from sqlalchemy import delete, select

    from par_index.server import round_rows, services
    from par_index.server.db import Database
    from par_index.server.models import Assessment, ResultsSnapshot, RowsSnapshot

    env = client.env
    h = auth(env, "unit")
    rows = client.get("/api/v1/units/so-noi-vu/assessment", headers=h).json()["rows"]
    second = next(r for r in rows if r["criterion"] == "1.1.2")
    for row, value in ((rows[0], rows[0]["value"]), (second, "91,5%")):  # rows of the unit saved again
        r = client.put(f"/api/v1/units/so-noi-vu/assessment/{row['criterion']}", json={"value": value, "version": row["version"]}, headers=h)
        assert r.status_code == 200, r.text
    db = Database(env.url)
    if env.kind == "postgresql":
        with db.session() as s:
            heap = list(s.scalars(select(Assessment.id)))  # a sequential scan: the heap's order
        assert heap != sorted(heap)
    out = tmp_path / "export"
    r = run("db", "export", "--db", env.url, "--out", str(out))
    assert r.exit_code == 0, r.output
    crit = [a for p in ("so.yaml", "huyen.yaml") for a in ("--criteria", str(out / "criteria/sets" / p))]
    assert run("score", *crit, "--data", str(out), "--out", str(tmp_path / "score.json")).exit_code == 0
    want = json.loads((tmp_path / "score.json").read_text(encoding="utf-8"))["units"]
    real = round_rows.read_frames
    for parts in (1, 2):
        services.wait_for_stored_results()
        services._RESULTS.clear()
        round_rows._ROUNDS.clear()
        with db.session(write=True) as s:
            s.execute(delete(RowsSnapshot))
            s.execute(delete(ResultsSnapshot))
        monkeypatch.setattr(round_rows, "read_frames", lambda conn, reads, _=None, parts=parts: real(conn, reads, parts))
        got = client.get("/api/v1/results", headers=auth(env, "appraiser"))
        assert got.status_code == 200
        assert [r.full_reads for r in round_rows._ROUNDS.values()] == [1]  # every row read again
        assert got.json()["units"] == want
    so = next(u for u in want if u["unit"] == "so-noi-vu")
    assert so["nodes"]["1.1.2"]["points"] == 1.0  # the saved value, read again
    db.dispose()


def test_internal_error_is_a_plain_500(client: Any, monkeypatch: pytest.MonkeyPatch, capfd: Any) -> None:
    from par_index.server import services

    def broken(*a: Any, **k: Any) -> Any:
        raise RuntimeError("hỏng có chủ ý")

    monkeypatch.setattr(services, "list_units", broken)
    r = client.get("/api/v1/units", headers=auth(client.env, "admin"))
    assert r.status_code == 500
    assert r.json() == {"error": "lỗi trong máy chủ; thao tác không được thực hiện, hãy thử lại hoặc báo cho quản trị viên", "detail": None}
    assert "Traceback" not in r.text and "RuntimeError" not in r.text
    log = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    assert log[-1]["status"] == 500 and log[-1]["account"] == "admin" and log[-1]["route"] == "/api/v1/units"
    assert log[-1]["error"] == "RuntimeError: hỏng có chủ ý"


def test_one_json_log_line_per_request_on_standard_error(client: Any, capfd: Any) -> None:
    """method, route (the template), path, status, time and account — and nothing else (no
    password, no token, no body) — for each request, whatever its answer."""
    import re

    from support.server_env import PASSWORD

    env = client.env
    capfd.readouterr()
    assert client.post("/api/v1/session", json={"login": "unit", "password": PASSWORD}).status_code == 200
    client.cookies.clear()
    assert client.get("/api/v1/units", headers=auth(env, "unit")).status_code == 200
    assert client.get("/api/v1/units").status_code == 401
    assert client.get("/api/v1/units/so-noi-vu/assessment", headers=auth(env, "unit2")).status_code == 403
    assert client.put("/api/v1/units/so-noi-vu/assessment/1.1.1", json={"value": "sớm", "version": 1}, headers=auth(env, "unit")).status_code == 422
    assert client.delete("/api/v1/units", headers=auth(env, "admin")).status_code == 405
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    assert [(x["method"], x["route"], x["path"], x["status"], x["account"]) for x in lines] == [
        ("POST", "/api/v1/session", "/api/v1/session", 200, "unit"),
        ("GET", "/api/v1/units", "/api/v1/units", 200, "unit"),
        ("GET", "/api/v1/units", "/api/v1/units", 401, None),
        ("GET", "/api/v1/units/{unit}/assessment", "/api/v1/units/so-noi-vu/assessment", 403, "unit2"),
        ("PUT", "/api/v1/units/{unit}/assessment/{criterion}", "/api/v1/units/so-noi-vu/assessment/1.1.1", 422, "unit"),
        ("DELETE", "/api/v1/units", "/api/v1/units", 405, None),
    ]
    for x in lines:
        assert set(x) == {"at", "method", "route", "path", "status", "ms", "account"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", x["at"]) and isinstance(x["ms"], float) and x["ms"] >= 0
        assert PASSWORD not in json.dumps(x) and env.tokens["unit"] not in json.dumps(x)


def test_a_wrong_method_is_405_in_the_error_body(client: Any) -> None:
    r = client.delete("/api/v1/units", headers=auth(client.env, "admin"))
    assert r.status_code == 405
    assert r.json() == {"error": "phương thức không được hỗ trợ cho địa chỉ này", "detail": None}


def test_unknown_route_and_bad_json(client: Any) -> None:
    r = client.get("/api/v1/khong-co", headers=auth(client.env, "admin"))
    assert r.status_code == 404
    assert r.json() == {"error": "không có địa chỉ /api/v1/khong-co", "detail": None}
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", content=b"{not json", headers=auth(client.env, "unit"))
    assert r.status_code == 422
    # the same wording as a recipe or last year's results that are not JSON (tests/test_messages.py)
    assert r.json()["error"] == "nội dung gửi lên không phải JSON hợp lệ (Expecting property name enclosed in double quotes, dòng 1, cột 2)"
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", content=b'{"value": "\xff"}', headers=auth(client.env, "unit"))
    assert r.status_code == 422
    assert r.json()["error"] == "nội dung gửi lên không phải JSON hợp lệ (không phải văn bản UTF-8, byte thứ 12)"


def test_migrations_match_models(env: Any) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from par_index.server.db import Database
    from par_index.server.models import Base

    db = Database(env.url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert diff == []


def test_audit_is_append_only(env: Any) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    from par_index.server.db import Database

    db = Database(env.url)
    with pytest.raises(DatabaseError, match="append-only"), db.session(write=True) as s:
        s.execute(text("UPDATE audit SET reason = 'x'"))
    with pytest.raises(DatabaseError, match="append-only"), db.session(write=True) as s:
        s.execute(text("DELETE FROM audit"))
    db.dispose()


def test_a_second_year_is_a_new_round_beside_the_first(client: Any, run: Any) -> None:
    """db init --year 2025 adds a round; 2024 (and its results, for report --previous) stay."""
    env = client.env
    r = run("db", "init", "--db", env.url, "--criteria", str(CRITERIA[0]), "--criteria", str(CRITERIA[1]), "--units", str(DATA / "units.csv"), "--year", "2025")
    assert r.exit_code == 0, r.output
    h = auth(env, "admin")
    assert [x["year"] for x in client.get("/api/v1/rounds", headers=h).json()] == [2024, 2025]
    assert client.get("/api/v1/units/so-noi-vu/assessment", headers=h).json()["rows"] == []  # newest round by default
    assert len(client.get("/api/v1/units/so-noi-vu/assessment?year=2024", headers=h).json()["rows"]) > 50
    last_year = client.get("/api/v1/results?year=2024", headers=h).json()
    assert len(last_year["units"]) == 30 and last_year["stage"] == "final"
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.2?year=2025", json={"value": "1"}, headers=auth(env, "unit"))
    assert r.status_code == 200 and r.json()["version"] == 1
    assert client.get("/api/v1/results?year=2024", headers=h).json()["units"] == last_year["units"]


def test_db_import_leaves_the_unique_key_and_the_foreign_key_checked(env: Any, run: Any) -> None:
    """``db import`` loads PostgreSQL with the constraints dropped and makes them again in its
    transaction (db.constraints_rebuilt): afterwards they hold and are enforced, as before."""
    from sqlalchemy import insert, inspect
    from sqlalchemy.exc import IntegrityError

    from par_index.server.db import Database
    from par_index.server.models import Assessment

    r = run("db", "import", "--db", env.url, "--data", str(DATA))
    assert r.exit_code == 0, r.output
    assert "Đã nạp năm 2024: 1998 dòng đánh giá, 1790 tài liệu kiểm chứng" in r.output
    db = Database(env.url)
    names = inspect(db.engine)
    assert {c["name"] for c in names.get_unique_constraints("assessments")} == {"uq_assessments_row"}
    assert {c["name"] for c in names.get_foreign_keys("assessments")} == {"fk_assessments_unit"}
    assert {c["name"] for c in names.get_foreign_keys("evidence")} == {"fk_evidence_unit"}
    assert {i["name"] for i in names.get_indexes("evidence")} == {"ix_evidence_unit"}
    row = {"year": 2024, "criterion": "1.1.2", "stage": "self", "value": "1", "note": "", "points": "", "version": 1, "updated_by": "t"}
    import datetime as dt

    for unit in ("so-noi-vu", "khong-co-don-vi-nay"):  # a second row of a key; a unit the round does not have
        with pytest.raises(IntegrityError), db.session(write=True) as s:
            s.execute(insert(Assessment), [{**row, "unit": unit, "updated_at": dt.datetime.now(dt.UTC)}])
    db.dispose()


def test_db_import_of_the_workbook_format_equals_the_folder(client: Any, tmp_path: Path, run: Any) -> None:
    """``db import --data book.xlsx`` (one workbook with the folder's tables as sheets) reads
    through the same reader and gives the round the same results as the folder did."""
    import csv

    from openpyxl import Workbook

    env = client.env
    h = auth(env, "appraiser")
    before = {stage: client.get(f"/api/v1/results?stage={stage}", headers=h).json()["units"] for stage in ("self", "final")}
    r = client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", json={"value": "10%", "version": 1}, headers=auth(env, "unit"))
    assert r.status_code == 200  # a change the import must undo
    wb = Workbook()
    wb.remove(wb.active)
    for name in ("units", "assessments", "evidence"):
        ws = wb.create_sheet(name)
        with (DATA / f"{name}.csv").open(encoding="utf-8-sig", newline="") as f:
            for row in csv.reader(f):
                ws.append(row)
        for line in ws.iter_rows():
            for cell in line:
                cell.number_format = "@"  # text cells, as typed: "0.998" stays the text the CSV holds
    book = tmp_path / "du-lieu.xlsx"
    wb.save(book)
    r = run("db", "import", "--db", env.url, "--data", str(book))
    assert r.exit_code == 0, r.output
    assert "Đã nạp năm 2024: 1998 dòng đánh giá, 1790 tài liệu kiểm chứng" in r.output
    rows = client.get("/api/v1/units/so-noi-vu/assessment", headers=auth(env, "unit")).json()["rows"]
    assert next(x for x in rows if x["criterion"] == "1.1.2")["value"] == "0.998"
    for stage in ("self", "final"):
        assert client.get(f"/api/v1/results?stage={stage}", headers=h).json()["units"] == before[stage]
