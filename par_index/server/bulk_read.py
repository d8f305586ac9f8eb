"""Reading many rows at once into Arrow columns with ADBC (Apache Arrow's database connectivity),
without a Python object per cell. Only pyarrow and the ADBC driver manager and drivers are
imported here (their low-level API: the DB-API module of ``adbc_driver_manager`` imports pandas
and ``pyarrow.dataset``, ~3/4 of the child's start-up), so the child process of
:func:`in_child` starts quickly."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

BATCH_ROWS = 65_536  # rows per Arrow batch from SQLite (the driver's default, 1,024, is ~20 % slower)
# Bytes per Arrow batch from PostgreSQL (about: the driver cuts them by size). The driver's
# default, 16 MiB, cut 1 M assessment rows into 4 batches, the first 0.9–1.2 s after the
# query: the server process encoded nothing meanwhile and a quarter of the rows after the last
# one came. 4 MiB: 14 batches, the first after ≈ 0.2 s, at the same CPU.
BATCH_BYTES = 4 << 20

# How a PostgreSQL reading connection plans: statements ``ORDER BY id`` (the primary key) read
# in the key's order from its index, not sorted afterwards (the planner, blind to how many rows
# ``year + 0 = …`` keeps, sorted a million rows on disk: 1.5 CPU-s of the server's against
# 0.95 for the index scan, measured on 10,000 units), and without parallel workers (they only
# added CPU: the machine's cores are taken by the parts and by the readers' decoding).
PG_SETTINGS = ("SET max_parallel_workers_per_gather = 0", "SET enable_sort = off")


def arrow_batches(database: str, sqls: Sequence[str]) -> Iterator[tuple[int, Any]]:
    """(statement number, Arrow record batch reader) for each of ``sqls`` in order, read by ADBC
    on one new connection, in one read transaction: every statement sees the database as the
    first one did (a snapshot: PostgreSQL's repeatable read, SQLite's read transaction in WAL
    mode), so statements that read the same rows' columns apart agree. ``database`` is a libpq
    URI (``postgresql://…``, planned as :data:`PG_SETTINGS` says) or an SQLite file's path.
    Each reader must be read before the next is asked for."""
    import adbc_driver_manager as manager
    import pyarrow as pa

    sqlite = not database.startswith("postgresql://")
    if sqlite:
        import adbc_driver_sqlite as driver
    else:
        import adbc_driver_postgresql as driver  # type: ignore[no-redef]
    db = driver.connect(database)
    try:
        conn = manager.AdbcConnection(db)
        try:
            conn.set_options(**{"adbc.connection.autocommit": "false"})
            if not sqlite:
                conn.set_options(**{"adbc.connection.transaction.isolation_level": "adbc.connection.transaction.isolation.repeatable_read"})
            for sql in () if sqlite else PG_SETTINGS:
                setting = manager.AdbcStatement(conn)
                try:
                    setting.set_sql_query(sql)
                    setting.execute_update()
                finally:
                    setting.close()
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
            conn.rollback()  # it only read
        finally:
            conn.close()
    finally:
        db.close()


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


def in_thread(database: str, sqls: Sequence[str], encode: Sequence[bool] = ()) -> list[Any]:
    """The rows of each of ``sqls`` as an Arrow table (:func:`arrow_batches`), read by another
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
            for _, reader in arrow_batches(database, sqls):
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


def read_parts(database: str, parts: Sequence[Sequence[str]], encode: Sequence[bool] = ()) -> list[Any]:
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
    on the belief, wrong for this driver, that ADBC held the GIL: see :func:`in_thread`)."""
    from concurrent.futures import ThreadPoolExecutor

    read = in_thread if database.startswith("postgresql://") else in_child

    def part(sqls: Sequence[str]) -> list[Any]:
        return read(database, sqls, encode)

    if len(parts) == 1:
        got = [part(parts[0])]
    else:
        with ThreadPoolExecutor(len(parts)) as pool:  # each waits on its reader without the GIL
            got = list(pool.map(part, parts))
    return [concat([tables[j] for tables in got]) for j in range(len(parts[0]))]


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
