"""The province server under load, as figures of one run (issue 13).

    make bench   (or: pytest benchmarks/test_bench_server.py --benchmark-only -s)

1. ``test_concurrent_saves[sqlite|postgresql]``: a real ``par-index serve`` (one uvicorn
   process) on the synthetic criteria of ``generate.py``; UNITS units (200) each save SAVES
   answers (100) through ``PUT /api/v1/units/{unit}/assessment/{criterion}`` from CLIENTS
   concurrent clients, each unit's saves in order with their versions. Printed: p50/p95 latency
   of a save, saves per second; asserted: every acknowledged save is in the database afterwards
   (rows lost = 0). Values come from a pool of POOL texts per leaf, so the engine's verdict on a
   value (the 422 check, ~50 ms the first time a text is seen) is mostly cached, as it is for
   the repeated answers of a real round; the first pass pays it and is included.
2. ``test_results_vs_score[sqlite|postgresql]``: ``GET /api/v1/results`` for RESULT_UNITS units
   (10,000) against ``par-index score --out x.json`` on the ``db export`` of the same round,
   in-process, as ratios:
   - ``first``: the first GET of a server process after ``db import`` (the rows ``db import``
     stored in ``rows_snapshots``, no stored answer: loads the rows and scores);
   - ``nothing_stored``: the first GET of a process with nothing stored at all (no rows
     snapshot, no answer: reads every row from the database in bulk and scores);
   - ``restart_stored``: the first GET after a restart without a change (the answer stored in
     ``results_snapshots``);
   - ``after_change``: a GET after one save (the rows kept in memory plus that change,
     ``round_rows``: the usual case);
   - ``restart_after_change``: the first GET of a process after saves, with no stored answer
     (the stored rows plus the audit entries since);
   - ``cached``: a repeated GET without change.
   The results after the saves equal the CLI's. Also printed: the times of ``db init`` and
   ``db import`` of the round. The ratios are of wall time (``time.perf_counter``), the
   target's measure; the nothing-stored case is also given in CPU seconds
   (``nothing_stored_cpu_ratio``: this process's threads plus the reading children, against
   the CLI's process time; on PostgreSQL the database server's own CPU is not counted), its
   read (``nothing_stored_read_s``: until the last batch was taken in) and its tail
   (``nothing_stored_tail_s``: from then to the answer, on one core), and the 1-minute load
   average at the end.

Sizes can be lowered for a quick look: PAR_INDEX_BENCH_UNITS, PAR_INDEX_BENCH_SAVES,
PAR_INDEX_BENCH_RESULT_UNITS.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from generate import RULES, value, write_dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.server_env import pg_server  # noqa: F401  (fixture)
from support.server_process import ServerProcess

UNITS = int(os.environ.get("PAR_INDEX_BENCH_UNITS", 200))
SAVES = int(os.environ.get("PAR_INDEX_BENCH_SAVES", 10))
RESULT_UNITS = int(os.environ.get("PAR_INDEX_BENCH_RESULT_UNITS", 10_000))
CLIENTS = 16
POOL = 2


def load_round(url: str, folder: Path, units: int) -> tuple[Path, Path]:
    """db init + db import of the synthetic data set; returns (criteria file, data folder)."""
    from par_index.cli.main import main

    crit, data = write_dataset(folder, units)
    assert main(["db", "init", "--db", url, "--criteria", str(crit), "--units", str(data / "units.csv"), "--year", "2024"]) == 0
    assert main(["db", "import", "--db", url, "--data", str(data)]) == 0
    return crit, data


def unit_sessions(url: str, units: list[str]) -> dict[str, str]:
    """One unit account and a live session per unit (one password hash shared: set-up only)."""
    from par_index.server.db import Database
    from par_index.server.models import Account, Session
    from par_index.server.security import hash_password, new_token, token_hash
    from par_index.server.settings import utc_now

    db = Database(url)
    tokens = {}
    now = utc_now()
    import datetime as dt

    shared = hash_password("mat-khau-do-toc-do")
    with db.session(write=True) as s:
        for u in units:
            acct = Account(login=f"u-{u}", role="unit", unit=u, password_hash=shared, active=True, failed_logins=0, created_at=now)
            s.add(acct)
            s.flush()
            tokens[u] = new_token()
            s.add(Session(token_hash=token_hash(tokens[u]), account_id=acct.id, csrf="x", created_at=now, expires_at=now + dt.timedelta(hours=12)))
    db.dispose()
    return tokens


def current_rows(url: str) -> dict[tuple[str, str], tuple[str, int]]:
    from sqlalchemy import select

    from par_index.server.db import Database
    from par_index.server.models import Assessment

    db = Database(url)
    with db.session() as s:
        got = {(u, c): (v, n) for u, c, v, n in s.execute(select(Assessment.unit, Assessment.criterion, Assessment.value, Assessment.version).where(Assessment.stage == "self"))}
    db.dispose()
    return got


@pytest.fixture(scope="module")
def pg_url(pg_server: str) -> str:  # noqa: F811  (the imported fixture, by name)
    """The PostgreSQL server of the tests (support.server_env.pg_server: CI's cluster or one started here)."""
    return pg_server


def bench_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A new empty database: an SQLite file, or a database created on the tests' PostgreSQL."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'bench.db'}"
    import psycopg

    server = request.getfixturevalue("pg_url")
    name = f"par_bench_{os.getpid()}"
    with psycopg.connect(server.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]
        conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    base, _, query = server.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_saves(benchmark: Any, backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = bench_url(backend, tmp_path, request)
    load_round(url, tmp_path / "data", UNITS)
    start_rows = current_rows(url)
    units = sorted({u for u, _ in start_rows})
    tokens = unit_sessions(url, units)
    rng = random.Random(13)
    leaves = [(f"{a + 1}.{k + 1}", RULES[k % len(RULES)]) for a in range(10) for k in range(10)]
    pool = {code: [value(kind if not (kind == "bonus" and code.startswith("10.")) else "penalty", rng, params.get("measure", "ratio")) for _ in range(POOL)] for code, (kind, _, params) in leaves}
    plans = {}
    for u in units:  # each unit: SAVES saves over its own rows, in order
        mine = sorted(c for uu, c in start_rows if uu == u)
        plans[u] = [(mine[i % len(mine)], rng.choice(pool[mine[i % len(mine)]])) for i in range(SAVES)]
    latencies: list[float] = []
    acked: dict[tuple[str, str], tuple[str, int]] = {}
    errors: list[str] = []
    lock = threading.Lock()

    with ServerProcess(url, tmp_path / "files") as srv:
        import httpx2 as httpx

        queue = list(units)

        def client() -> None:
            with httpx.Client(timeout=120) as c:
                while True:
                    with lock:
                        if not queue:
                            return
                        u = queue.pop()
                    version = {k: v[1] for k, v in start_rows.items() if k[0] == u}
                    for crit, val in plans[u]:
                        t0 = time.perf_counter()
                        r = c.put(
                            f"http://127.0.0.1:{srv.port}/api/v1/units/{u}/assessment/{crit}",
                            json={"value": val, "version": version[(u, crit)]},
                            headers={"Authorization": f"Bearer {tokens[u]}"},
                        )
                        dt_ = time.perf_counter() - t0
                        if r.status_code == 200:
                            version[(u, crit)] = r.json()["version"]
                            with lock:
                                latencies.append(dt_)
                                acked[(u, crit)] = (val, r.json()["version"])
                        elif r.status_code != 422:
                            with lock:
                                errors.append(f"{r.status_code} {r.text[:200]}")

        def run() -> float:
            threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return time.perf_counter() - t0

        wall = benchmark.pedantic(run, rounds=1, iterations=1)
    assert errors == []
    after = current_rows(url)
    lost = [k for k, v in acked.items() if after[k] != v]
    q = statistics.quantiles(latencies, n=20)
    figures = {
        "saves": len(latencies),
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": q[18] * 1000,
        "saves_per_s": len(latencies) / wall,
        "rows_lost": len(lost),
    }
    benchmark.extra_info.update(figures)
    print(f"\n{backend}: {UNITS} units × {SAVES} saves, {CLIENTS} clients: " + ", ".join(f"{k} = {v:.4g}" for k, v in figures.items()))
    assert lost == []
    assert len(latencies) > 0.9 * UNITS * SAVES  # a few pool values may be refused (422) by a rule


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_results_vs_score(benchmark: Any, backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from fastapi.testclient import TestClient

    from par_index.cli.main import main
    from par_index.server.factory import create_app
    from par_index.server.settings import Settings

    url = bench_url(backend, tmp_path, request)
    crit_file, data = write_dataset(tmp_path / "data", RESULT_UNITS)
    t0 = time.perf_counter()
    assert main(["db", "init", "--db", url, "--criteria", str(crit_file), "--units", str(data / "units.csv"), "--year", "2024"]) == 0
    t1 = time.perf_counter()
    assert main(["db", "import", "--db", url, "--data", str(data)]) == 0
    init_s, import_s = t1 - t0, time.perf_counter() - t1
    from par_index.server import services
    from par_index.server.db import Database

    db = Database(url)
    with db.session(write=True) as s:
        services.create_account(s, Settings(db_url=url), "nv", "appraiser", "mat-khau-do-toc-do")
        services.create_account(s, Settings(db_url=url), "dv", "unit", "mat-khau-do-toc-do", unit="dv00001")
    db.dispose()
    export = tmp_path / "export"
    assert main(["db", "export", "--db", url, "--out", str(export)]) == 0
    crit = next((export / "criteria/sets").glob("*.yaml"))

    def cpu() -> float:
        """CPU seconds of this process (all its threads) and of its children that ended (the
        server's reading children)."""
        import resource

        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + kids.ru_utime + kids.ru_stime

    cli_cpu: list[float] = []

    def cli() -> float:
        t, c0 = time.perf_counter(), cpu()
        assert main(["score", "--criteria", str(crit), "--data", str(export), "--out", str(tmp_path / "s.json")]) == 0
        cli_cpu.append(cpu() - c0)
        return time.perf_counter() - t

    cli()  # warm-up (imports)
    cli_best = min(cli() for _ in range(2))
    cli_cpu_best = min(cli_cpu[1:])
    app = create_app(Settings(db_url=url, files_dir=tmp_path / "files"))
    with TestClient(app) as c:
        token = c.post("/api/v1/session", json={"login": "nv", "password": "mat-khau-do-toc-do"}).json()["token"]
        h = {"Authorization": f"Bearer {token}"}

        def get() -> float:
            t = time.perf_counter()
            r = c.get("/api/v1/results", headers=h)
            assert r.status_code == 200
            return time.perf_counter() - t

        first = benchmark.pedantic(get, rounds=1, iterations=1)  # nothing in memory, the rows stored by db import, no stored answer
        cached = min(get() for _ in range(3))
        from sqlalchemy import delete

        from par_index.server import round_rows
        from par_index.server.models import ResultsSnapshot, RowsSnapshot

        def restart(*forget: Any) -> None:
            """What a new server process holds: nothing but what is stored in the database (less ``forget``)."""
            services.wait_for_stored_results()
            services._RESULTS.clear()
            round_rows._ROUNDS.clear()
            with app.state.db.session(write=True) as s:
                for model in forget:
                    s.execute(delete(model))

        restart(RowsSnapshot, ResultsSnapshot)
        from par_index.server import bulk_read

        read_parts, parts_read = bulk_read.read_parts, []

        def counted(database: str, parts: Any, encode: Any = (), snapshot: Any = None) -> Any:
            parts_read.append(len(parts))
            return read_parts(database, parts, encode, snapshot)

        bulk_read.read_parts = counted  # type: ignore[assignment]  # how many parts the read was cut into (idle cores)
        collect, taken = bulk_read.collect, []

        def timed(batches: Any, encode: bool = False) -> Any:
            got = collect(batches, encode)
            taken.append(time.perf_counter())  # a statement's last batch taken in
            return got

        bulk_read.collect = timed  # type: ignore[assignment]
        c0 = cpu()
        t0 = time.perf_counter()
        nothing_stored = get()  # every row read from the database
        nothing_stored_cpu = cpu() - c0
        read_s, tail_s = max(taken) - t0, t0 + nothing_stored - max(taken)  # the read; from its last batch to the answer
        bulk_read.read_parts, bulk_read.collect = read_parts, collect  # type: ignore[assignment]
        services.wait_for_stored_results()
        restarts = []
        for _ in range(2):  # what a new server process holds: nothing but the stored answer in the database
            services._RESULTS.clear()
            round_rows._ROUNDS.clear()
            restarts.append(get())
        with_snapshot = min(restarts)
        unit_token = c.post("/api/v1/session", json={"login": "dv", "password": "mat-khau-do-toc-do"}).json()["token"]
        hu = {"Authorization": f"Bearer {unit_token}"}
        changed = []
        for k in range(3):  # one save, then GET: the rows in memory plus that change
            row = next(r for r in c.get("/api/v1/units/dv00001/assessment", headers=hu).json()["rows"] if r["criterion"] == "1.1")
            r = c.put("/api/v1/units/dv00001/assessment/1.1", json={"value": ["0.25", "0.5", "0.75"][k], "version": row["version"]}, headers=hu)
            assert r.status_code == 200, r.text
            changed.append(get())
        after_change = min(changed)
        restart(ResultsSnapshot)
        restart_after_change = get()  # the stored rows and the audit entries since
        import json

        api = json.loads(c.get("/api/v1/results", headers=h).content)
    assert main(["db", "export", "--db", url, "--out", str(export)]) == 0
    assert main(["score", "--criteria", str(crit), "--data", str(export), "--out", str(tmp_path / "s.json")]) == 0
    cli_doc = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert api["units"] == cli_doc["units"]
    app.state.db.dispose()
    figures = {
        "units": RESULT_UNITS, "score_cli_s": cli_best, "get_first_s": first, "get_nothing_stored_s": nothing_stored,
        "get_restart_stored_s": with_snapshot, "get_cached_s": cached, "get_after_change_s": after_change, "get_restart_after_change_s": restart_after_change,
        "first_ratio": first / cli_best, "nothing_stored_ratio": nothing_stored / cli_best, "restart_stored_ratio": with_snapshot / cli_best,
        "after_change_ratio": after_change / cli_best, "restart_after_change_ratio": restart_after_change / cli_best, "cached_ratio": cached / cli_best,
        "db_init_s": init_s, "db_import_s": import_s,
        # CPU (this process's threads + the reading children; PostgreSQL's own server process not counted)
        "score_cli_cpu_s": cli_cpu_best, "get_nothing_stored_cpu_s": nothing_stored_cpu, "nothing_stored_cpu_ratio": nothing_stored_cpu / cli_cpu_best,
        "nothing_stored_parts": max(parts_read), "nothing_stored_read_s": read_s, "nothing_stored_tail_s": tail_s, "load_1min": os.getloadavg()[0],
    }
    benchmark.extra_info.update(figures)
    print(f"\nresults ({backend}): " + ", ".join(f"{k} = {v:.4g}" for k, v in figures.items()))
