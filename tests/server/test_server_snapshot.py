"""The results snapshot (``results_snapshots``): a server process that starts finds the answer
stored by the last computation while nothing has changed, and never serves it after a change.
The rows snapshot (``rows_snapshots``): a process that starts loads the rows stored by
``db import`` or by the server and applies the audit entries after them, and computes exactly
what a process reading every row computes.

A "restart" here empties the process's caches (``services._RESULTS`` and the rows of
``round_rows``), as a new process starts; the database keeps what was stored. Each write
route of the API that can change results (and ``db init`` / ``db import``) is followed by a
restart and a GET that must compute again, on both databases.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.server_env import CRITERIA, DATA, auth
from test_server_roles import empty_workbook, set_state, survey_files, upload

from par_index.server import round_rows, scoring, services


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stages the engine scored (``scoring.score_folder`` calls), in order."""
    calls: list[str] = []
    real = scoring.score_folder

    def counting(criteria: Any, folder: Any, stage: Any, *a: Any, **k: Any) -> Any:
        calls.append(stage)
        return real(criteria, folder, stage, *a, **k)

    monkeypatch.setattr(scoring, "score_folder", counting)
    return calls


def restart() -> None:
    """What a new server process holds: nothing (the stored answers are in the database)."""
    services.wait_for_stored_results()
    services._RESULTS.clear()
    round_rows._ROUNDS.clear()
    round_rows._LOCKS.clear()


def rows_of(client: Any) -> round_rows.RoundRows:
    """The rows the (restarted) process holds of the round."""
    return round_rows._ROUNDS[(client.settings.db_url, 2024)]


def full_read(client: Any) -> dict[str, bytes]:
    """Both stages' answers as a process computes them that finds nothing stored (no stored
    rows, no stored answer): every row read from the database."""
    from sqlalchemy import delete

    from par_index.server.models import ResultsSnapshot, RowsSnapshot

    restart()
    with client.app.state.db.session(write=True) as s:
        s.execute(delete(RowsSnapshot))
        s.execute(delete(ResultsSnapshot))
    got = {stage: results(client, stage) for stage in ("self", "final")}
    assert rows_of(client).full_reads == 1
    return got


def results(client: Any, stage: str = "final") -> bytes:
    r = client.get(f"/api/v1/results?stage={stage}", headers=auth(client.env, "appraiser"))
    assert r.status_code == 200, r.text
    return r.content  # type: ignore[no-any-return]


def test_a_restart_without_a_change_serves_the_stored_answer(client: Any, computed: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    first = results(client)
    assert computed == ["final"]
    restart()
    assert results(client) == first
    assert computed == ["final"]  # read from results_snapshots, not scored
    from par_index.server.models import ResultsSnapshot

    with client.app.state.db.session() as s:
        snap = s.get(ResultsSnapshot, (2024, "final"))
        assert snap is not None and snap.revision == ":".join(map(str, services.data_revision(s, 2024))) and snap.engine == services.answer_key(client.settings.files_dir)
    restart()
    monkeypatch.setattr(services, "engine_fingerprint", lambda: "0" * 64)  # other code: its stored answer is not served
    assert results(client) == first
    assert computed == ["final", "final"]


def test_a_restart_with_another_files_folder_computes_again(client: Any, computed: list[str], tmp_path: Any) -> None:
    """The stored answer checked evidence in the server's --files store: a server started on
    another store (no change of rows, so the same revision) must not serve it."""
    import dataclasses

    from par_index.server.models import ResultsSnapshot

    results(client)
    restart()
    other = dataclasses.replace(client.settings, files_dir=tmp_path / "other-files")
    with client.app.state.db.session() as s:
        assert s.get(ResultsSnapshot, (2024, "final")) is not None
        services.round_results(s, other, 2024, "final")
    assert computed == ["final", "final"]  # scored again, not read from results_snapshots
    restart()
    with client.app.state.db.session() as s:
        services.round_results(s, client.settings, 2024, "final")  # the answer stored last is the other store's
    assert computed == ["final", "final", "final"]


def _db_init(client: Any) -> None:
    from par_index.cli.main import main

    crit = [a for p in CRITERIA for a in ("--criteria", str(p))]
    assert main(["db", "init", "--db", client.env.url, *crit, "--units", str(DATA / "units.csv"), "--year", "2024"]) == 0


def _db_import(client: Any) -> None:
    from par_index.cli.main import main

    assert main(["db", "import", "--db", client.env.url, "--data", str(DATA)]) == 0


def filled_workbook() -> dict[str, Any]:
    """so-noi-vu's workbook filled from the example data (``template --data``: its evidence
    documents too, which the upload deletes and adds again under new ids) with 1.1.1 done on
    another day."""
    import datetime as dt
    import tempfile
    from pathlib import Path

    import openpyxl

    from par_index.cli.main import main

    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "so-noi-vu.xlsx"
        crit = [a for p in CRITERIA for a in ("--criteria", str(p))]
        assert main(["template", *crit, "--unit", "so-noi-vu", "--data", str(DATA), "--out", str(book)]) == 0
        wb = openpyxl.load_workbook(book)
        ws = wb["Tự đánh giá"]
        row = next(c.row for r in ws.iter_rows() for c in r if c.value == "1.1.1")
        header = next(r for r in range(1, 40) if any(str(ws.cell(r, c).value or "").startswith("Giá trị") for c in range(1, 20)))
        column = next(c for c in range(1, 20) if str(ws.cell(header, c).value or "").startswith("Giá trị"))
        ws.cell(row, column).value = dt.date(2024, 2, 20)
        wb.save(book)
        return {"file": ("so-noi-vu.xlsx", book.read_bytes(), "application/octet-stream")}


def test_every_write_then_a_restart_computes_the_new_answer(client: Any, computed: list[str]) -> None:
    """Through every route that writes the round (and db init / db import): the stored answer
    of before the write is never served after it, and the answer is the new one."""
    env = client.env
    hu, ha, hadm = auth(env, "unit"), auth(env, "appraiser"), auth(env, "admin")
    appraisal = {"unit": "so-noi-vu", "criterion": "1.1.2", "round": 1, "value": "95%", "reason": "Đủ báo cáo"}

    def version(criterion: str) -> int:
        rows = client.get("/api/v1/units/so-noi-vu/assessment", headers=hu).json()["rows"]
        return int(next(r["version"] for r in rows if r["criterion"] == criterion and r["stage"] == "self"))

    steps: list[tuple[str, Any, str | None]] = [  # (what, the write, the stage whose numbers it changes)
        ("POST workbook filled", lambda: client.post("/api/v1/units/so-noi-vu/workbook", files=filled_workbook(), headers=hu), "self"),
        ("PUT assessment", lambda: client.put("/api/v1/units/so-noi-vu/assessment/1.1.2", json={"value": "50%", "version": version("1.1.2")}, headers=hu), "self"),
        ("POST evidence", lambda: upload(client), None),
        ("POST workbook", lambda: client.post("/api/v1/units/so-noi-vu/workbook", files=empty_workbook(), headers=hu), None),
        ("POST submit", lambda: client.post("/api/v1/units/so-noi-vu/submit", headers=hu), None),
        ("POST withdraw", lambda: client.post("/api/v1/units/so-noi-vu/withdraw", headers=hu), None),
        ("POST submit again", lambda: client.post("/api/v1/units/so-noi-vu/submit", headers=hu), None),
        ("POST state", lambda: client.post("/api/v1/units/so-noi-vu/state", json={"state": "appraisal1"}, headers=ha), None),
        ("POST appraisal", lambda: client.post("/api/v1/appraisals", json=appraisal, headers=ha), "final"),
        ("POST state explanation", lambda: client.post("/api/v1/units/so-noi-vu/state", json={"state": "explanation"}, headers=ha), None),
        ("POST explanation", lambda: client.post("/api/v1/units/so-noi-vu/explanations", json={"criterion": "1.1.2", "text": "Bổ sung"}, headers=hu), None),
        ("POST survey", lambda: client.post("/api/v1/survey", files=survey_files(), headers=ha), "final"),
        ("PUT round calendar", lambda: client.put("/api/v1/rounds/2024", json={"self_deadline": "2030-01-15T17:00:00+07:00"}, headers=hadm), None),
        ("db init (criteria)", lambda: _db_init(client), None),
        ("db import", lambda: _db_import(client), "final"),
        ("POST publish", lambda: (set_state(client, "final"), client.post("/api/v1/publish", json={}, headers=ha))[1], None),
    ]
    read_in_full: set[str] = set()  # no write makes a process read every row again (db init changes no row)
    for what, write, changes in steps:
        before = {stage: results(client, stage) for stage in ("self", "final")}
        restart()
        done = len(computed)
        got = write()
        if got is not None:
            assert got.status_code in (200, 201), f"{what}: {got.status_code} {got.text}"
        restart()
        after = {stage: results(client, stage) for stage in ("self", "final")}
        assert computed[done:] == ["self", "final"], what  # scored again, not the stored answer
        assert rows_of(client).full_reads == (1 if what in read_in_full else 0), what  # else the stored rows and the audit since
        if changes is not None:
            assert json.loads(after[changes])["units"] != json.loads(before[changes])["units"], what
        restart()
        assert {stage: results(client, stage) for stage in ("self", "final")} == after, what  # now stored
        assert computed[done + 2 :] == [], what
        assert full_read(client) == after, what  # the stored rows plus the audit since = every row read


def test_db_import_stores_the_rows_and_the_first_get_reads_no_row(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``db import`` stores the rows it wrote (with the audit position of its own entry): the
    first GET of a process loads them instead of reading every row, and computes what a
    process reading every row computes."""
    import json as json_

    from sqlalchemy import func, select

    from par_index.server.models import AuditEntry, RowsSnapshot

    _db_import(client)
    with client.app.state.db.session() as s:
        snap = s.get(RowsSnapshot, 2024)
        assert snap is not None
        assert (snap.position, json_.loads(snap.gaps), snap.format) == (s.scalar(select(func.max(AuditEntry.id))), [], "arrow-ipc-1")
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.id == snap.position)) == "db.import"
    restart()

    def every_row(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("every row read again")

    monkeypatch.setattr(round_rows, "read_frames", every_row)
    stored = {stage: results(client, stage) for stage in ("self", "final")}
    assert rows_of(client).full_reads == 0
    monkeypatch.undo()
    assert stored == full_read(client)


def test_after_every_row_was_read_the_rows_are_stored_at_once(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that found nothing stored stores the rows it read without waiting for a quiet
    moment (an answer still waits ``STORE_AFTER_S``): the next process to start loads them,
    even when this one is killed within seconds."""
    import time

    from sqlalchemy import delete, select

    from par_index.server.models import ResultsSnapshot, RowsSnapshot

    monkeypatch.setattr(services, "STORE_AFTER_S", 3600.0)
    restart()
    with client.app.state.db.session(write=True) as s:
        s.execute(delete(RowsSnapshot))
        s.execute(delete(ResultsSnapshot))
    answer = results(client)
    assert rows_of(client).full_reads == 1
    stored = None
    for _ in range(600):
        with client.app.state.db.session() as s:
            stored = s.scalar(select(RowsSnapshot.position).where(RowsSnapshot.year == 2024))
            answers = s.scalar(select(ResultsSnapshot.year))
        if stored is not None:
            break
        time.sleep(0.1)
    assert stored == rows_of(client).seen_max
    assert answers is None  # the answer waits for its quiet moment
    services._PENDING.clear()  # killed: what was waiting is lost
    services._RESULTS.clear()
    round_rows._ROUNDS.clear()
    round_rows._LOCKS.clear()
    assert results(client) == answer
    assert rows_of(client).full_reads == 0


def test_stored_rows_that_cannot_be_read_are_read_from_the_tables(client: Any) -> None:
    """A damaged rows snapshot (or one of other columns) is a cache that failed: every row is
    read instead and the answer is the same."""
    from sqlalchemy import delete, update

    from par_index.server.models import ResultsSnapshot, RowsSnapshot

    _db_import(client)
    want = full_read(client)
    for damaged in (b"not arrow", None):
        restart()
        with client.app.state.db.session(write=True) as s:
            if damaged is None:  # the rows of the other table where the assessments should be
                damaged = s.get(RowsSnapshot, 2024).evidence
            s.execute(update(RowsSnapshot).values(assessments=damaged))
            s.execute(delete(ResultsSnapshot))  # else the stored answer is served (no audited change)
        assert {stage: results(client, stage) for stage in ("self", "final")} == want
        assert rows_of(client).full_reads == 1


def test_db_init_on_a_database_from_before_the_rows_snapshots_stores_the_rows(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``db init`` on a database from before migration 0003 (no ``rows_snapshots`` table) brings
    it to the newest schema and stores the round's rows, as ``db import`` does: the first GET
    of a process reads no row, and computes what a process reading every row computes. A
    ``db init`` of a database that has them (the criteria again) changes no row either: the
    stored rows and the audit since are used, not every row read."""
    from pathlib import Path

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import func, inspect, select

    from par_index.server import db as server_db
    from par_index.server.models import AuditEntry, RowsSnapshot

    want = full_read(client)
    restart()
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(server_db.__file__).parent / "migrations"))
    with client.app.state.db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    assert "rows_snapshots" not in inspect(client.app.state.db.engine).get_table_names()
    _db_init(client)
    with client.app.state.db.session() as s:
        snap = s.get(RowsSnapshot, 2024)
        assert snap is not None
        assert snap.position == s.scalar(select(func.max(AuditEntry.id)))
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.id == snap.position)) == "db.init"

    def every_row(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("every row read again")

    monkeypatch.setattr(round_rows, "read_frames", every_row)
    restart()
    assert {stage: results(client, stage) for stage in ("self", "final")} == want
    assert rows_of(client).full_reads == 0
    _db_init(client)  # again: the stored rows stay usable
    with client.app.state.db.session() as s:
        assert s.get(RowsSnapshot, 2024).position == snap.position  # not stored again: it was there
    restart()
    assert {stage: results(client, stage) for stage in ("self", "final")} == want
    assert rows_of(client).full_reads == 0


def test_stopping_the_server_stores_what_waits_and_ends_the_storer(env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the app stops (uvicorn's shutdown; the end of a TestClient block), an answer that
    waits for its quiet moment is stored at once and the storer thread ends: nothing is left to
    write later to a database that may be stopped by then."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from par_index.server.factory import create_app
    from par_index.server.models import ResultsSnapshot
    from par_index.server.settings import Settings

    monkeypatch.setattr(services, "STORE_AFTER_S", 3600.0)
    restart()
    app = create_app(Settings(db_url=env.url, files_dir=env.files))
    with TestClient(app) as c:
        r = c.get("/api/v1/results", headers=auth(env, "appraiser"))
        assert r.status_code == 200
        with app.state.db.session() as s:
            assert s.scalar(select(ResultsSnapshot.year)) is None  # waiting for its quiet moment
            revision = ":".join(map(str, services.data_revision(s, 2024)))
        assert any(t.is_alive() for t in services._STORER)
    assert not any(t.is_alive() for t in services._STORER)
    assert services._PENDING == {}
    with app.state.db.session() as s:
        assert s.execute(select(ResultsSnapshot.year, ResultsSnapshot.stage, ResultsSnapshot.revision)).all() == [(2024, "final", revision)]
    app.state.db.dispose()
