"""Fixtures of the server tests: each test runs on SQLite and on PostgreSQL.

PostgreSQL: ``PAR_INDEX_TEST_PG`` (a server URL such as ``postgresql://postgres@/postgres?host=/tmp/x``,
set by ``.ci/run``) or, when it is absent, a throw-away cluster this fixture starts itself with
``initdb`` + ``pg_ctl`` (as the ``postgres`` user when run as root) on a socket in a temporary
folder. The PostgreSQL tests skip only when no PostgreSQL is installed, saying so.

Every test gets a fresh database copied from a template that holds the Bắc Giang 2024 example
(criteria, units, the example data) and one account (with a live session) per role.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from support.server_process import PgCluster, pg_bin

REPO = Path(__file__).resolve().parents[2]  # tests/support/ → the repository
CRITERIA = [REPO / "criteria/bac-giang/2024/so.yaml", REPO / "criteria/bac-giang/2024/huyen.yaml"]
DATA = REPO / "evidence/bac-giang/2024"
PASSWORD = "mat-khau-thu-nghiem"
# login → (role, unit, agency)
ACCOUNTS = {
    "unit": ("unit", "so-noi-vu", None),
    "unit2": ("unit", "so-tu-phap", None),
    "agency": ("agency", None, "so-tu-phap"),
    "appraiser": ("appraiser", None, None),
    "admin": ("admin", None, None),
    "viewer": ("viewer", None, None),
}
BACKENDS = ["sqlite", "postgresql"]



@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The URL of a PostgreSQL server's maintenance database."""
    url = os.environ.get("PAR_INDEX_TEST_PG")
    if url:
        yield url
        return
    if pg_bin("initdb") is None:
        pytest.skip("PostgreSQL is not installed (no initdb); .ci/run installs it — apt-get install postgresql")
    cluster = PgCluster()
    try:
        yield cluster.url
    finally:
        cluster.stop()


def with_db(server_url: str, name: str) -> str:
    """``server_url`` pointing at database ``name``."""
    base, _, query = server_url.partition("?")
    head = base.rsplit("/", 1)[0]
    return f"{head}/{name}" + (f"?{query}" if query else "")


def pg_admin(server_url: str, *statements: str) -> None:
    import psycopg

    conninfo = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for st in statements:
            conn.execute(st)  # type: ignore[arg-type]


@dataclass
class Seeded:
    kind: str
    url: str  # the template (sqlite file URL, or postgres template db URL)
    tokens: dict[str, str] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)


def seed(url: str) -> Seeded:
    """Schema, the Bắc Giang round, the example data and one account (and session) per role."""
    from par_index.server import scoring, services
    from par_index.server.db import Database, migrate
    from par_index.server.settings import Settings

    settings = Settings(db_url=url)
    db = Database(url)
    migrate(db)
    files = scoring.criteria_files(CRITERIA)
    with db.session(write=True) as s:
        services.load_criteria_and_units(s, settings, 2024, files, scoring.read_units_file(DATA / "units.csv"))
    imp = scoring.read_import(DATA)
    with db.session(write=True) as s:
        services.import_rows(s, settings, 2024, imp)
    out = Seeded("", url)
    with db.session(write=True) as s:
        for login, (role, unit, agency) in ACCOUNTS.items():
            services.create_account(s, settings, login, role, PASSWORD, unit, agency)
    with db.session(write=True) as s:
        for login in ACCOUNTS:
            got = services.login(s, settings, login, PASSWORD)
            assert isinstance(got, services.Login)
            out.tokens[login], out.csrf[login] = got.token, got.csrf
    db.dispose()
    return out


_counter = itertools.count()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return {}


def template_for(kind: str, templates: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Seeded:
    if kind not in templates:
        if kind == "sqlite":
            path = tmp_path_factory.mktemp("template") / "template.db"
            got = seed(f"sqlite:///{path}")
        else:
            server = request.getfixturevalue("pg_server")
            name = f"par_template_{os.getpid()}"
            pg_admin(server, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
            got = seed(with_db(server, name))
            got.url = server
            got.kind = name
        templates[kind] = got
    seeded: Seeded = templates[kind]
    return seeded


@dataclass
class Env:
    """One test's database: its URL, the files folder and each role's token."""

    kind: str
    url: str
    files: Path
    tokens: dict[str, str]
    csrf: dict[str, str]


@pytest.fixture(params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path: Path, templates: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    kind = request.param
    t = template_for(kind, templates, tmp_path_factory, request)
    if kind == "sqlite":
        src = Path(t.url.split(":///", 1)[1])
        dst = tmp_path / "test.db"
        shutil.copyfile(src, dst)
        yield Env(kind, f"sqlite:///{dst}", tmp_path / "files", t.tokens, t.csrf)
        return
    name = f"par_test_{os.getpid()}_{next(_counter)}"
    pg_admin(t.url, f"CREATE DATABASE {name} TEMPLATE {t.kind}")
    try:
        yield Env(kind, with_db(t.url, name), tmp_path / "files", t.tokens, t.csrf)
    finally:
        from par_index.server.services import wait_for_stored_results

        wait_for_stored_results()  # answers of this test still to be stored go here, not to a dropped database
        pg_admin(t.url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def client(env: Env) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from par_index.server.factory import create_app
    from par_index.server.settings import Settings

    settings = Settings(db_url=env.url, files_dir=env.files, max_upload_mb=1)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.settings = settings  # type: ignore[attr-defined]
        c.env = env  # type: ignore[attr-defined]
        yield c
    from par_index.server.services import wait_for_stored_results

    wait_for_stored_results()  # answers still being stored go to this database, not a dropped one
    app.state.db.dispose()


def auth(env: Env, login: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {env.tokens[login]}"} if login else {}


def routes_of(routes: list[Any]) -> list[Any]:
    """Routes, with those of included routers (newer FastAPI keeps them apart) flattened."""
    out = []
    for r in routes:
        inner = getattr(r, "original_router", None)
        out.extend(routes_of(inner.routes) if inner is not None else [r])
    return out
