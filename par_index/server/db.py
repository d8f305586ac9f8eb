"""Connecting to the database: SQLite (WAL, foreign keys on) or PostgreSQL (psycopg 3).

``Database.session(write=True)`` opens a session whose transaction, on SQLite, starts with
``BEGIN IMMEDIATE``: a writer takes the write lock at once, so two writers queue (busy timeout)
instead of one failing when it upgrades a read lock; the writers of one server process queue
on a Python lock before that (fair hand-over instead of SQLite's sleep-and-retry). PostgreSQL uses its default isolation;
row versions are compared inside the ``UPDATE`` itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from itertools import repeat
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from par_index.server.errors import ApiError


def normal_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 (not psycopg2); a bare path means an SQLite file."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def make_engine(url: str) -> Engine:
    url = normal_url(url)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60}, pool_size=20, max_overflow=20)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "")
            conn.exec_driver_sql(f"BEGIN {mode}".strip())

        return engine
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


class Database:
    """The engine and two session factories (reading, writing) for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        # SQLite has one writer at a time: the writers of this process queue on this lock, each
        # woken as the one before commits, instead of polling SQLite's lock (its busy handler
        # sleeps up to 100 ms between tries and lets late-comers in first: some saves waited
        # 18-29 s under 16 writers). Other processes (the CLI) still meet the busy timeout.
        self._write_lock = threading.RLock() if self.is_sqlite else None
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(writer, expire_on_commit=False)

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any exception. A
        writing session on SQLite waits its turn on the process's write lock first."""
        factory = self._write if write else self._read
        with self._write_lock if write and self._write_lock is not None else nullcontext(), factory() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()


def stored(conn: Connection, column: Any, value: Any) -> Any:
    """``value`` as SQLAlchemy sends it to the database for ``column`` (e.g. a datetime as text
    on SQLite): for the values :func:`bulk_insert` passes as they are."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return value if process is None or value is None else process(value)


def bulk_insert(conn: Connection, table: Table, columns: dict[str, Sequence[Any]], constants: dict[str, Any] | None = None) -> None:
    """Insert many rows, given as columns (name → the values of every row; ``constants``: name
    → the one value of every row), each value as :func:`stored` gives it, through the DB-API in
    the transaction of ``conn``: on PostgreSQL ``COPY … FROM STDIN`` of CSV text that pyarrow
    writes from the columns (no Python work per row: psycopg's ``write_row`` loop took ~10 s of
    a 1 M-row import), on SQLite one prepared ``executemany`` — much faster than an ORM or Core
    ``executemany``, which builds the parameters of every row in Python."""
    constants = constants or {}
    n = len(next(iter(columns.values())))
    names = [*columns, *constants]
    quote = conn.dialect.identifier_preparer.quote
    listed = ", ".join(quote(c) for c in names)
    dbapi: Any = conn.connection.dbapi_connection  # psycopg's or sqlite3's own connection
    if not n:
        return
    if conn.dialect.name == "postgresql":
        with dbapi.cursor() as cur, cur.copy(f"COPY {quote(table.name)} ({listed}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(_csv_text(list(columns.values()), list(constants.values()), n))
        return
    rows = zip(*columns.values(), *(repeat(v, n) for v in constants.values()), strict=True)
    cur = dbapi.cursor()
    try:
        cur.executemany(f"INSERT INTO {quote(table.name)} ({listed}) VALUES ({', '.join('?' * len(names))})", rows)
    finally:
        cur.close()


def _csv_text(columns: Sequence[Sequence[Any]], constants: Sequence[Any], n: int) -> Any:
    """``n`` rows of ``columns`` and ``constants`` as CSV text for PostgreSQL's ``COPY … (FORMAT
    csv)``, written by pyarrow: every value quoted (so an empty text stays an empty text), None
    as an unquoted empty field (NULL), anything not text as ``str()`` gives it (a number, an
    aware datetime)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    def text(value: Any) -> Any:
        return None if value is None else str(value)

    arrays = []
    for col in columns:
        try:
            arrays.append(pa.array(col, pa.string()))  # the usual case: text (None is NULL)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            arrays.append(pa.array([text(v) for v in col], pa.string()))
    arrays += [pa.repeat(pa.scalar(text(v), pa.string()), n) for v in constants]
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(pa.table(arrays, names=[f"c{i}" for i in range(len(arrays))]), sink, pa_csv.WriteOptions(include_header=False, quoting_style="all_valid"))
    return sink.getvalue()


@contextmanager
def constraints_rebuilt(conn: Connection, tables: Sequence[Table]) -> Iterator[None]:
    """On PostgreSQL, a bulk load into ``tables`` with their unique and foreign-key constraints
    and their indexes dropped, and made again (checking every row) when the block ends, in the
    transaction of ``conn``: one sort builds an index and one join checks a foreign key, where
    ``COPY`` into the live table checked and locked the referenced unit row for each row.
    (1 M assessment rows at load ≈ 10: ``COPY`` 115 s with them, 26 s + 13 s to build the unique
    index + 1.5 s to check the foreign key without.) The tables are locked (ACCESS EXCLUSIVE)
    until the transaction ends. Elsewhere (SQLite) the block runs as it is."""
    if conn.dialect.name != "postgresql":
        yield
        return
    from sqlalchemy import ForeignKeyConstraint, UniqueConstraint
    from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

    constraints = [c for t in tables for c in t.constraints if isinstance(c, (UniqueConstraint, ForeignKeyConstraint)) and c.name]
    indexes = [i for t in tables for i in t.indexes]
    for i in indexes:
        conn.execute(DropIndex(i))
    for c in constraints:
        conn.execute(DropConstraint(c))
    yield
    for c in constraints:
        conn.execute(AddConstraint(c))
    for i in indexes:
        conn.execute(CreateIndex(i))


def migrate(db: Database) -> None:
    """Create the schema or bring it to the newest migration (``db init`` runs this)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def check_schema(db: Database) -> None:
    """Refuse to serve a database that ``db init`` has not created or migrated."""
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current != head:
        raise ApiError(
            500,
            "cơ sở dữ liệu chưa được khởi tạo hoặc chưa được nâng cấp; hãy chạy par-index db init",
            {"revision": current, "expected": head},
        )
