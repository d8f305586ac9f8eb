"""Reading many rows at once into Arrow columns with ADBC (Apache Arrow's database connectivity),
without a Python object per cell. Only pyarrow and the ADBC driver manager and drivers are
imported here (their low-level API: the DB-API module of ``adbc_driver_manager`` imports pandas
and ``pyarrow.dataset``, ~3/4 of the child's start-up), so the child process of
:func:`in_child` starts quickly."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

BATCH_ROWS = 65_536  # rows per Arrow batch from SQLite (the driver's default, 1,024, is ~20 % slower)
# Bytes per Arrow batch from PostgreSQL (about: the driver cuts them by size). The driver's
# default, 16 MiB, cut 1 M assessment rows into 4 batches, the first 0.9–1.2 s after the
# query: the server process encoded nothing meanwhile and a quarter of the rows after the last
# one came. 4 MiB: 14 batches, the first after ≈ 0.2 s, at the same CPU.
BATCH_BYTES = 4 << 20

# A PostgreSQL reading connection knows PostgreSQL's built-in types by heart
# (``adbc.postgresql.type_resolver_mode = builtin``; the rows read are integers and texts):
# by default the driver reads the server's type catalog for every connection it opens,
# ≈ 0.05 CPU-s here and 0.015 in the database server (a tenth of that with ``builtin``), before
# the first row of every part of a read.
#
# How a PostgreSQL reading connection plans: without parallel workers (they only added CPU: the
# machine's cores are taken by the parts and by the readers' decoding). (Until session 9 also
# ``enable_sort = off``, for ``ORDER BY id`` from the primary key's index; the reads are
# unordered sequential or TID range scans since, put in id order by the caller.)
PG_SETTINGS = ("SET max_parallel_workers_per_gather = 0",)


def arrow_batches(database: str, sqls: Sequence[str], snapshot: str | None = None) -> Iterator[tuple[int, Any]]:
    """(statement number, Arrow record batch reader) for each of ``sqls`` in order, read by ADBC
    on one new connection, in one read transaction: every statement sees the database as the
    first one did (a snapshot: PostgreSQL's repeatable read, SQLite's read transaction in WAL
    mode), so statements that read the same rows' columns apart agree. ``database`` is a libpq
    URI (``postgresql://…``, planned as :data:`PG_SETTINGS` says) or an SQLite file's path.
    ``snapshot`` (PostgreSQL): the transaction takes that exported snapshot
    (:func:`exported_snapshot`) as its own, so readers on several connections see one database.
    Each reader must be read before the next is asked for."""
    import adbc_driver_manager as manager
    import pyarrow as pa

    sqlite = not database.startswith("postgresql://")
    with _connection(database, snapshot) as conn:
        for i, sql in enumerate(sqls):
            stmt = manager.AdbcStatement(conn)
            try:
                if sqlite:
                    stmt.set_options(**{"adbc.sqlite.query.batch_rows": str(BATCH_ROWS)})
                else:
                    stmt.set_options(**{"adbc.postgresql.batch_size_hint_bytes": str(BATCH_BYTES)})
                stmt.set_sql_query(sql)
                stream, _ = stmt.execute_query()
                yield i, pa.RecordBatchReader.from_stream(stream)
            finally:
                stmt.close()


@contextmanager
def _connection(database: str, snapshot: str | None = None) -> Iterator[Any]:
    """A new ADBC connection to ``database`` in a read transaction (PostgreSQL: repeatable read,
    planned as :data:`PG_SETTINGS` says, on ``snapshot`` if given), rolled back at the end."""
    import adbc_driver_manager as manager

    sqlite = not database.startswith("postgresql://")
    if snapshot is not None and (sqlite or not _SNAPSHOT_ID.fullmatch(snapshot)):
        raise ValueError(f"not a PostgreSQL snapshot: {snapshot!r}")
    if sqlite:
        import adbc_driver_sqlite

        db = adbc_driver_sqlite.connect(database)
    else:
        import adbc_driver_postgresql

        db = adbc_driver_postgresql.connect(database, db_kwargs={"adbc.postgresql.type_resolver_mode": "builtin"})
    try:
        conn = manager.AdbcConnection(db)
        try:
            conn.set_options(**{"adbc.connection.autocommit": "false"})
            if not sqlite:
                conn.set_options(**{"adbc.connection.transaction.isolation_level": "adbc.connection.transaction.isolation.repeatable_read"})
            settings = () if sqlite else (*PG_SETTINGS, *(() if snapshot is None else (f"SET TRANSACTION SNAPSHOT '{snapshot}'",)))
            for sql in settings:  # before the transaction's first query
                setting = manager.AdbcStatement(conn)
                try:
                    setting.set_sql_query(sql)
                    setting.execute_update()
                finally:
                    setting.close()
            yield conn
            conn.rollback()  # it only read
        finally:
            conn.close()
    finally:
        db.close()


_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+")  # what pg_export_snapshot() gives: 00000003-0000001B-1


@contextmanager
def exported_snapshot(database: str) -> Iterator[str]:
    """PostgreSQL: the id of a snapshot of ``database`` taken now (``pg_export_snapshot()`` in a
    repeatable-read transaction of a connection of its own), which readers on other
    connections take as theirs (``arrow_batches(snapshot=…)``) while the block runs: the parts
    of one read, each on a connection of its own, see one database."""
    import adbc_driver_manager as manager
    import pyarrow as pa

    with _connection(database) as conn:
        stmt = manager.AdbcStatement(conn)
        try:
            stmt.set_sql_query("SELECT pg_export_snapshot()")
            stream, _ = stmt.execute_query()
            got = str(pa.RecordBatchReader.from_stream(stream).read_all().column(0)[0].as_py())
        finally:
            stmt.close()
        yield got


def collect(batches: Any, encode: bool = False) -> Any:
    """A record batch reader's rows as one table, taken batch by batch as they come.
    ``encode``: the columns after the first dictionary-encoded batch by batch (pyarrow computes
    without the GIL, while the reader decodes the next batch), each chunk
    on its own dictionary of its texts in first-appearance order (:func:`concat` unifies them)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    got = []
    for batch in batches:
        if not batch.num_rows:
            continue
        if encode:
            batch = pa.record_batch([batch.column(0), *(pc.dictionary_encode(c) for c in batch.columns[1:])], names=batch.schema.names)
        got.append(batch)
    return pa.Table.from_batches(got) if got else batches.schema.empty_table()


class _Batches:
    """One statement's record batches as another thread reads them (:func:`in_thread`), taken
    in the order read; ``schema`` is known once they are all taken."""

    def __init__(self, arrived: Any) -> None:
        self.arrived = arrived
        self.schema: Any = None

    def __iter__(self) -> Iterator[Any]:
        while True:
            kind, got = self.arrived.get()
            if kind == "batch":
                yield got
            elif kind == "end":
                self.schema = got
                return
            else:  # the reading thread stopped: what stopped it
                raise got


def in_thread(database: str, sqls: Sequence[str], encode: Sequence[bool] = (), snapshot: str | None = None) -> list[Any]:
    """The rows of each of ``sqls`` as an Arrow table (:func:`arrow_batches`, on ``snapshot``), read by another
    thread of this process while this one takes in each batch as it arrives (:func:`collect`,
    ``encode[j]`` for statement j). PostgreSQL only: ADBC's libpq driver decodes a batch
    without the GIL (pyarrow's reader calls the driver with it released: a thread counting
    beside a one-batch read of 1 M rows that took 5.5 s at load 5 never waited more than
    0.23 s), so the database server producing rows, the reading thread decoding them and this
    one encoding them run at once — as with a child process (:func:`in_child`), without its
    start-up (≈ 0.2 CPU-s) and the Arrow IPC stream between the two."""
    import queue
    import threading

    arrived: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()  # unbounded: the reader never waits on us

    def read() -> None:
        try:
            for _, reader in arrow_batches(database, sqls, snapshot):
                for batch in reader:
                    arrived.put(("batch", batch))
                arrived.put(("end", reader.schema))
        except BaseException as exc:  # handed to the thread that waits for the rows
            arrived.put(("failed", exc))

    reading = threading.Thread(target=read, name="par-index-bulk-read", daemon=True)
    reading.start()
    try:
        return [collect(_Batches(arrived), j < len(encode) and encode[j]) for j in range(len(sqls))]
    finally:
        reading.join()


def read_parts(database: str, parts: Sequence[Sequence[str]], encode: Sequence[bool] = (), snapshot: str | None = None) -> list[Any]:
    """The rows of each statement as one Arrow table, read in parts at once: ``parts[i]`` holds
    the i-th part of every statement (e.g. its rows of the i-th id range), read by a reader of
    its own — a child process on an SQLite file (:func:`in_child`), a thread of this process
    on PostgreSQL (:func:`in_thread`) — and a statement's parts are put together in the order
    of ``parts``. ``database``: as for :func:`arrow_batches`. ``encode[j]``: statement j's
    columns after the first are dictionary-encoded batch by batch as the rows arrive
    (:func:`collect`), then the dictionaries unified: their texts in first-appearance order, as
    one ``dictionary_encode`` of every row gives them (a batch's texts, then the next batch's
    new ones).

    Either way one part is read by another process or thread than the one encoding: the
    database producing rows, the reader decoding them and this thread encoding them run at
    once (session 6's one-part read on PostgreSQL decoded and encoded in turn in this thread,
    on the belief, wrong for this driver, that ADBC held the GIL: see :func:`in_thread`).
    On PostgreSQL the parts of one read see one snapshot: ``snapshot``, one the caller exported
    (``pg_export_snapshot()`` in a transaction it keeps open during the read), else one
    exported here (:func:`exported_snapshot`, a connection more): a row an ``UPDATE`` moves
    from one part's pages to another's while they start is read once, never twice or not at
    all. (SQLite's parts are id ranges, read in transactions of their own: a row is in one
    range whatever changes.)"""
    from concurrent.futures import ThreadPoolExecutor

    if len(parts) == 1:
        pg = database.startswith("postgresql://")
        return [concat([t]) for t in (in_thread if pg else in_child)(database, parts[0], encode)]
    with _snapshot_of(database, snapshot) as shared:

        def part(sqls: Sequence[str]) -> list[Any]:
            return in_child(database, sqls, encode) if shared is None else in_thread(database, sqls, encode, shared)

        with ThreadPoolExecutor(len(parts)) as pool:  # each waits on its reader without the GIL
            got = list(pool.map(part, parts))
    return [concat([tables[j] for tables in got]) for j in range(len(parts[0]))]


@contextmanager
def _snapshot_of(database: str, given: str | None) -> Iterator[str | None]:
    """The snapshot the parts of a read of ``database`` share: ``given``, or one exported for
    them (:func:`exported_snapshot`) on PostgreSQL; None on SQLite."""
    if given is not None or not database.startswith("postgresql://"):
        yield given
        return
    with exported_snapshot(database) as snapshot:
        yield snapshot


def concat(tables: Sequence[Any]) -> Any:
    """``tables`` (the parts of one statement's rows, the same columns) as one table, in order,
    each column one chunk (dictionary columns on one dictionary). A part without rows is left
    out: the driver may give its columns another type (it infers SQLite's from the values)."""
    import pyarrow as pa

    full = [t for t in tables if t.num_rows]
    if not full:
        return tables[0]
    one = full[0] if len(full) == 1 else pa.concat_tables(full, promote_options="permissive")
    return one.unify_dictionaries().combine_chunks()


def in_child(database: str, sqls: Sequence[str], encode: Sequence[bool] = ()) -> list[Any]:
    """The rows of each of ``sqls`` as an Arrow table (:func:`arrow_batches`), read in a child
    process that sends each statement's rows back as an Arrow IPC stream, batch by batch as it
    reads them, taken in here as they come (:func:`collect`, ``encode[j]`` for statement j:
    the work on one batch overlaps the reading of the next). ``database``,
    which may hold a password, goes by standard input, never on the command line. ADBC's SQLite
    driver carries its own copy of the SQLite library, and two copies of SQLite must never open
    one database file in the same process: closing a file in one drops the POSIX locks the other
    holds on it (sqlite.org/howtocorrupt.html, 2.2.1; tried here, it gave "disk I/O error" to
    the server's next query)."""
    import json
    import subprocess
    import sys
    import tempfile

    import pyarrow as pa

    asked = {"database": database, "sqls": list(sqls), "batch_rows": BATCH_ROWS, "batch_bytes": BATCH_BYTES}
    got = []
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: the child never waits on us to write there
        child = subprocess.Popen([sys.executable, "-m", "par_index.server.bulk_read"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)
        assert child.stdin is not None and child.stdout is not None
        try:
            child.stdin.write(json.dumps(asked).encode("utf-8"))
            child.stdin.close()
            for j in range(len(sqls)):
                got.append(collect(pa.ipc.open_stream(child.stdout), j < len(encode) and encode[j]))
        except (OSError, pa.ArrowException):
            pass  # the child stopped early: what went wrong is on its standard error
        finally:
            child.stdout.close()
            child.wait()
        if child.returncode != 0 or len(got) != len(sqls):
            errors.seek(0)
            raise RuntimeError(f"bulk read failed: {errors.read().decode('utf-8', 'replace')[-2000:]}")
    return got


def _child_main() -> None:
    """``python -m par_index.server.bulk_read``: on standard input, JSON ``{"database": …,
    "sqls": […], "batch_rows": …, "batch_bytes": …}`` (an SQLite file's path or a PostgreSQL URI);
    on standard output, for each statement in order, an Arrow IPC stream of its rows, written
    batch by batch as they are read."""
    import json
    import sys

    import pyarrow as pa

    global BATCH_ROWS, BATCH_BYTES
    asked = json.loads(sys.stdin.buffer.read())
    BATCH_ROWS = int(asked.get("batch_rows", BATCH_ROWS))
    BATCH_BYTES = int(asked.get("batch_bytes", BATCH_BYTES))
    out = sys.stdout.buffer
    for _, reader in arrow_batches(asked["database"], asked["sqls"]):
        with pa.ipc.new_stream(out, reader.schema) as stream:
            for batch in reader:
                stream.write_batch(batch)
        out.flush()


def _import_without_numpy() -> None:
    """Import pyarrow in the child without NumPy (optional for pyarrow since 16; nothing here
    needs it): NumPy's import was ~2/3 of the child's start-up (0.2 s of CPU). A pyarrow that
    does need it is imported again with it."""
    import sys

    sys.modules["numpy"] = None  # type: ignore[assignment]  # "import numpy" raises ImportError
    try:
        import pyarrow.ipc
    except ImportError:
        for name in [m for m in sys.modules if m == "numpy" or m.split(".")[0] == "pyarrow"]:
            del sys.modules[name]
        import pyarrow.ipc  # noqa: F401


if __name__ == "__main__":
    _import_without_numpy()
    _child_main()
