"""Connecting to the database: SQLite (WAL, foreign keys on) or PostgreSQL (psycopg 3).

``Database.session(write=True)`` opens a session whose transaction, on SQLite, starts with
``BEGIN IMMEDIATE``: a writer takes the write lock at once, so two writers queue (busy timeout)
instead of one failing when it upgrades a read lock. PostgreSQL uses its default isolation;
row versions are compared inside the ``UPDATE`` itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
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
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(writer, expire_on_commit=False)

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any exception."""
        factory = self._write if write else self._read
        with factory() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()


def stored(conn: Connection, column: Any, value: Any) -> Any:
    """``value`` as SQLAlchemy sends it to the database for ``column`` (e.g. a datetime as text
    on SQLite): for the values :func:`bulk_insert` passes as they are."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return value if process is None or value is None else process(value)


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert many rows (tuples in ``columns`` order, each value as :func:`stored` gives it)
    through the DB-API in the transaction of ``conn``: ``COPY … FROM STDIN`` on PostgreSQL, one
    prepared ``executemany`` on SQLite — much faster than an ORM or Core ``executemany``, which
    builds the parameters of every row in Python."""
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    dbapi: Any = conn.connection.dbapi_connection  # psycopg's or sqlite3's own connection
    if conn.dialect.name == "postgresql":
        with dbapi.cursor() as cur, cur.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    cur = dbapi.cursor()
    try:
        cur.executemany(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
    finally:
        cur.close()


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
