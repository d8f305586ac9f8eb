"""Reading many rows at once into Arrow columns with ADBC (Apache Arrow's database connectivity),
without a Python object per cell. Only pyarrow and the ADBC driver manager and drivers are
imported here (their low-level API: the DB-API module of ``adbc_driver_manager`` imports pandas
and ``pyarrow.dataset``, ~3/4 of the child's start-up), so the child process of
:func:`in_child` starts quickly."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

BATCH_ROWS = 65_536  # rows per Arrow batch from SQLite (the driver's default, 1,024, is ~20 % slower)


def arrow_batches(database: str, sqls: Sequence[str]) -> Iterator[tuple[int, Any]]:
    """(statement number, Arrow record batch reader) for each of ``sqls`` in order, read by ADBC
    on one new connection: ``database`` is a libpq URI (``postgresql://…``) or an SQLite file's
    path. Each reader must be read before the next is asked for."""
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
            for i, sql in enumerate(sqls):
                stmt = manager.AdbcStatement(conn)
                try:
                    if sqlite:
                        stmt.set_options(**{"adbc.sqlite.query.batch_rows": str(BATCH_ROWS)})
                    stmt.set_sql_query(sql)
                    stream, _ = stmt.execute_query()
                    yield i, pa.RecordBatchReader.from_stream(stream)
                finally:
                    stmt.close()
        finally:
            conn.close()
    finally:
        db.close()


def arrow_tables(database: str, sqls: Sequence[str]) -> list[Any]:
    """The rows of each of ``sqls`` as an Arrow table (:func:`arrow_batches`)."""
    return [reader.read_all() for _, reader in arrow_batches(database, sqls)]


def in_child(path: str, sqls: Sequence[str]) -> list[Any]:
    """:func:`arrow_tables` of an SQLite file, run in a child process that sends the tables back
    as Arrow IPC streams. ADBC's SQLite driver carries its own copy of the SQLite library, and
    two copies of SQLite must never open one database file in the same process: closing a file
    in one drops the POSIX locks the other holds on it (sqlite.org/howtocorrupt.html, 2.2.1;
    tried here, it gave "disk I/O error" to the server's next query)."""
    import json
    import subprocess
    import sys

    import pyarrow as pa

    done = subprocess.run(
        [sys.executable, "-m", "par_index.server.bulk_read", path],
        input=json.dumps(list(sqls)).encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bulk read of {path} failed: {done.stderr.decode('utf-8', 'replace')[-2000:]}")
    got, at = [], 0
    for _ in sqls:
        size = int.from_bytes(done.stdout[at : at + 8], "little")
        got.append(pa.ipc.open_stream(pa.py_buffer(done.stdout)[at + 8 : at + 8 + size]).read_all())
        at += 8 + size
    return got


def _child_main(path: str) -> None:
    """``python -m par_index.server.bulk_read PATH``: the rows of each SQL statement of the JSON
    list on standard input, read from the SQLite file PATH; on standard output, for each, its
    length (8 bytes, little-endian) and an Arrow IPC stream."""
    import json
    import sys

    import pyarrow as pa

    for _, reader in arrow_batches(path, json.loads(sys.stdin.buffer.read())):
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, reader.schema) as out:
            for batch in reader:
                out.write_batch(batch)
        data = sink.getvalue()
        sys.stdout.buffer.write(len(data).to_bytes(8, "little"))
        sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    import sys

    _child_main(sys.argv[1])
