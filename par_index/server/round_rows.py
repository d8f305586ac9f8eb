"""The round's assessment and evidence rows kept in memory between two ``GET /results``.

Reading a million rows back from the database costs more than scoring them, so each server
process keeps the rows it last read and, on the next request, applies only what the audit
table says changed since (every change writes an audit entry in its own transaction):
``assessment.write`` re-reads that one row, ``evidence.upload`` that one evidence row, a
workbook upload the rows its entries name and all the unit's evidence rows (its own entry: the
unit's evidence without a file is replaced); anything else that touches these tables
(``db import``, an action this module does not know) makes it read everything
again. The rows stay in ``ORDER BY id`` order,
exactly what ``db export`` writes.

A process that starts does not read every row either when the database holds a *rows
snapshot* (``rows_snapshots``, :func:`store_rows`): the rows as a process last held them, as
Arrow IPC, with the audit position they reflect (and the gaps of then). It loads those and
applies the audit entries after that position as above — the same steps as between two
requests of one process. ``db import`` stores one after it commits; the server stores one in
the background after a computation when the rows were read in full since the last one or
``STORE_EVERY`` audit entries came since.

Commit order is not id order on PostgreSQL (a transaction may take audit id 100 and commit
after the one that took 101), so ids not seen yet below the newest one are kept as *gaps* and
asked for again on every sync; a gap older than ``GAP_SECONDS`` is a transaction that rolled
back and is forgotten. The results cache is keyed by (number of audit entries, newest id), which
changes whenever any entry becomes visible.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Select, and_, false, func, literal_column, or_, select, text, true
from sqlalchemy.orm import Session

from par_index.server import bulk_read
from par_index.server.models import Assessment, AuditEntry, Evidence, RowsSnapshot

GAP_SECONDS = 300.0
MAX_DELTA = 5000  # more changed rows than this: read everything again
ROWS_FORMAT = "arrow-ipc-1"  # of a rows snapshot: id and the columns below, by id; another format is not read
MAX_BEHIND = 20_000  # a rows snapshot more audit entries behind than this is not used: everything is read
STORE_EVERY = 500  # audit entries after the stored rows snapshot before the server stores a new one
# Actions that change neither the assessment nor the evidence rows (their tables are re-read
# on every scoring, or they do not hold unit data).
# ``db.init`` replaces criteria files and adds or renames units, never a row of these tables.
NO_ROWS = frozenset({"appraisal.write", "explanation.write", "unit.submit", "unit.withdraw", "unit.advance", "calendar.write", "users.write", "publish", "survey.import", "db.init"})

ASSESSMENT_COLUMNS = ["unit", "criterion", "value", "stage", "note", "points"]
# Assessment columns that hold these texts in most rows (850,000 of 1 M self-assessment rows of
# the benchmark's round; appraisal rows carry a stage and a note): a full read takes them only
# from the rows where one differs, in a second statement of the same read transaction. The
# cost of a bulk read is per field of every row, whatever it holds (10,000 units: the 7-field
# read 2.3–3.7 CPU-s in all processes; 4 fields plus the few rows' 4 fields ≈ 14 % less on both
# databases, measured alternating).
USUAL = {"stage": "self", "note": "", "points": ""}
EVIDENCE_COLUMNS = ["unit", "criterion", "document", "issued_on", "issuer", "file"]


def audit_revision(s: Session) -> tuple[int, int]:
    """(number of audit entries, newest id): changes when any entry becomes visible."""
    count, newest = s.execute(select(func.count(AuditEntry.id), func.max(AuditEntry.id))).one()
    return int(count or 0), int(newest or 0)


def read_frames(conn: Connection, reads: list[tuple[Select[Any], list[str], bool]], parts: int | None = None) -> list[Any]:
    """For each (statement, names, encode) of ``reads``: every committed row of the statement
    (an integer ``id`` first, then text columns; no ``ORDER BY``) as a DataFrame with those
    ``names``, in id order, read in bulk without a Python object per cell.

    The rows are read by an ADBC driver (:mod:`bulk_read`: SQLite's own library in a child
    process, or libpq's binary ``COPY`` on PostgreSQL in a thread) on a connection of its own to the same
    database, straight into Arrow columns: the DB-API cursor made ~7 Python objects per row and
    was the floor of the first ``GET /results`` of a process. The reading connection sees what
    is committed when it starts — at least as new as the caller's transaction (the callers read
    the audit revision first).

    ``encode``: the text columns as the unit-data reader gives a large CSV
    (``read_csv_columnar``): Categoricals of their distinct texts in first-appearance order (of
    the rows in id order); otherwise arrays of ``str`` (object dtype). Every text cell arrives
    as it is stored.

    On SQLite the statement is read ``ORDER BY id``: a plain scan of the table (``_scan``) is
    in rowid order already. On PostgreSQL it is read in the table's heap order, a sequential
    scan with no index (the primary key's index scan cost the database server ≈ 0.1 CPU-s more
    for 1 M rows, and parts cut by id ranges each walk it), and put in id order here only when
    it is not (:func:`_by_id`: after a bulk import the heap is in id order, but a row an
    ``UPDATE`` rewrites moves to a later place in the heap).

    ``parts``: each statement's rows are cut into that many parts read at once by as many
    readers (the bulk read is most of the time of a first ``GET /results`` when nothing is
    stored; the machine's cores read it together) and put together in order — on SQLite ranges
    of equal id width, read in transactions of their own (a row is in one range whatever
    changes meanwhile; a change committed meanwhile may be in one part and not in another, and
    the caller applies the audit entries after its revision either way), on PostgreSQL ranges
    of equal numbers of the table's pages (``ctid``: a TID range scan each, no index), read on
    the snapshot of the caller's transaction (``pg_export_snapshot()``: at least as new as what
    the caller read before, and the same for every part, :func:`bulk_read.read_parts`). The
    statements of one part are read in one transaction: they see the same rows. ``None``: one
    for a table of fewer than :data:`PART_MIN_IDS` ids, else :data:`PARTS` on PostgreSQL and on
    SQLite as many as the machine's idle cores (:func:`idle_cores`), up to :data:`PARTS`."""
    url = conn.engine.url
    pg = conn.dialect.name == "postgresql"
    if pg:
        database = url.set(drivername="postgresql").render_as_string(hide_password=False)
    else:
        if not url.database or url.database == ":memory:":
            raise ValueError("the server's SQLite database must be a file (an in-memory database has no second connection)")
        database = url.database
    cuts: dict[Any, list[Any]] = {}  # statements on one table: cut alike
    cut = []
    for stmt, _, _ in reads:
        table = stmt.selected_columns[0].table
        if table not in cuts:
            cuts[table] = _cuts(conn, stmt, parts)
        cut.append(cuts[table])
    width = max(len(c) for c in cut)
    by_part = [
        [str(_part(stmt, cut_j, i, pg).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})) for (stmt, _, _), cut_j in zip(reads, cut, strict=True)]
        for i in range(width)
    ]
    # the parts on PostgreSQL share the caller's snapshot (its transaction stays open meanwhile;
    # a connection of their own to export one would cost one more connection)
    snapshot = str(conn.scalar(text("SELECT pg_export_snapshot()"))) if pg and width > 1 else None
    tables = bulk_read.read_parts(database, by_part, [encode for _, _, encode in reads], snapshot)
    out = []
    for t, (_, names, encode) in zip(tables, reads, strict=True):
        t, moved = _by_id(t)
        out.append(_frame(t, names, encode, first_seen=not moved))
    return out


def _by_id(table: Any) -> tuple[Any, bool]:
    """``table`` (``id`` first) in id order, and whether its rows had to move: one vectorised
    look at the ids, a sort only when they are not ascending (NumPy's stable sort, a merge of
    the ascending runs: 2–4 ms for 1 M ids a few hundred of which are out of place, against
    16–26 ms for Arrow's ``sort_indices``)."""
    import numpy as np
    import pyarrow as pa

    if table.num_rows < 2:
        return table, False
    ids = table.column(0).to_numpy()
    if bool((ids[1:] > ids[:-1]).all()):
        return table, False
    return table.take(pa.array(np.argsort(ids, kind="stable"))), True


PARTS = max(1, min(4, os.cpu_count() or 1))  # readers of a bulk read at once: one a core, up to 4
PART_MIN_IDS = 200_000  # a table with fewer ids is read by one reader (a reader costs ~0.3 s to start)
# SQLite's parts are child processes, each keeping a core busy: as many as the idle cores
# (:func:`idle_cores`). PostgreSQL's are threads, each reading a TID range on the caller's
# snapshot: one part keeps about one core busy in all (the database server's process and the
# decoding take turns more than they overlap: 1.9 s wall for 2.0 CPU-s), and a second costs no
# more CPU in all (its ADBC connection ≈ 0.02 CPU-s in all, against the scans and decoding it
# shares). So PostgreSQL reads in PARTS parts whatever the load. Measured alternating on
# 10,000 units, the read alone (medians of 6–8): at load 1.5–2, one part 1.92 s wall for 1.99
# CPU-s in all, two 1.54 s for 1.99, three 1.30 s for 1.74; at load 4–5, one 1.92 s for 2.00, two
# 1.73 s for 2.12. (Until session 9 a PostgreSQL part counted two cores: an index scan read by a
# child, 2.7–2.9 CPU-s for two parts against 2.3–2.5 for one.)


def idle_cores() -> int:
    """Cores the other processes leave idle now (at least 1). With none idle, parts read at
    once only share the busy cores: measured at load ≈ 4 on 2 cores, two parts took 0.5–2 s
    longer than one read of 1 M rows (another child to start, two streams to take in), in every
    one of six alternating rounds.

    The others' load is the smaller of the 1-minute load average and the threads runnable at
    this moment besides the one asking (:func:`_runnable_now`): the average counts this process
    too (a benchmark that has kept one core busy for a minute makes it ≈ 1 on an idle machine)
    and lags a burst that is over; the moment alone can catch another process's burst, which
    the average then says is not the usual."""
    load = os.getloadavg()[0]
    now = _runnable_now()
    others = load if now is None else min(load, now - 1)
    return max(1, (os.cpu_count() or 1) - int(others + 0.5))


def _runnable_now() -> int | None:
    """The threads of the machine runnable now (the asking one included): the median of three
    looks at ``/proc/loadavg`` (Linux) a millisecond apart; None elsewhere."""
    seen = []
    try:
        for k in range(3):
            if k:
                time.sleep(0.001)
            with open("/proc/loadavg", encoding="ascii") as f:
                seen.append(int(f.read().split()[3].split("/")[0]))
    except (OSError, ValueError, IndexError):
        return None
    return sorted(seen)[1]


def _cuts(conn: Connection, stmt: Select[Any], parts: int | None) -> list[Any]:
    """How ``stmt``'s rows are cut into parts: a condition for each part (None: all rows, one
    part). The number of parts: ``parts``, or for ``None`` one unless the table of its first
    column spans :data:`PART_MIN_IDS` ids or more (its smallest and largest id: an index lookup
    each, asked apart, as SQLite finds both in one query only by a scan), then :data:`PARTS` on
    PostgreSQL, and on SQLite as many as :func:`idle_cores` (see :data:`PART_MIN_IDS`). SQLite:
    ranges of equal id width; PostgreSQL: ranges of equal numbers of the table's pages (the
    last one open: a page added since is read too), on PostgreSQL 14 or later (before, a
    ``ctid`` range is a filter of a whole scan: one part)."""
    if parts == 1:
        return [None]
    id_column = stmt.selected_columns[0]
    lo, hi = conn.scalar(select(func.min(id_column))), conn.scalar(select(func.max(id_column)))
    if lo is None:
        return [None]
    pg = conn.dialect.name == "postgresql"
    if pg and (conn.dialect.server_version_info or (0,)) < (14,):  # no TID range scan: each part would scan the whole table
        return [None]
    n = parts if parts is not None else (1 if hi - lo + 1 < PART_MIN_IDS else PARTS if pg else max(1, min(PARTS, idle_cores())))
    if n == 1:
        return [None]
    if pg:
        table = conn.dialect.identifier_preparer.format_table(id_column.table)
        pages = int(conn.scalar(text("SELECT pg_relation_size(CAST(:t AS regclass)) / current_setting('block_size')::int"), {"t": table}) or 0)
        ctid: Any = literal_column(f"{table}.ctid")
        return _between(n, [pages * k // n for k in range(1, n)], lambda p: ctid >= literal_column(f"'({p},0)'::tid"), lambda p: ctid < literal_column(f"'({p},0)'::tid"))
    return _between(n, [lo - 1 + (hi - lo + 1) * k // n for k in range(1, n)], lambda i: id_column > i, lambda i: id_column <= i)


def _between(n: int, bounds: list[int], above: Callable[[int], Any], up_to: Callable[[int], Any]) -> list[Any]:
    """The conditions of ``n`` consecutive ranges cut at ``bounds`` (n - 1 of them), the first
    open below and the last open above: ``above(b)`` holds past a bound, ``up_to(b)`` before it."""
    edges: list[int | None] = [None, *bounds, None]
    return [and_(true(), *(() if edges[k] is None else (above(edges[k]),)), *(() if edges[k + 1] is None else (up_to(edges[k + 1]),))) for k in range(n)]  # type: ignore[arg-type]


def _part(stmt: Select[Any], cuts: list[Any], i: int, pg: bool) -> Select[Any]:
    """``stmt`` limited to its i-th part (no row past its last part: another statement of the
    read may have more parts); on SQLite ``ORDER BY id`` (see :func:`read_frames`)."""
    if i >= len(cuts):
        stmt = stmt.where(false())
    elif cuts[i] is not None:
        stmt = stmt.where(cuts[i])
    return stmt if pg else stmt.order_by(stmt.selected_columns[0])


def read_frame(conn: Connection, stmt: Select[Any], names: list[str], encode: bool = False, parts: int | None = None) -> Any:
    """:func:`read_frames` of one statement."""
    return read_frames(conn, [(stmt, names, encode)], parts)[0]


def _frame(table: Any, names: list[str], encode: bool, first_seen: bool = False) -> Any:
    """``table`` (``id``, then text columns) as a DataFrame of ``names``; ``encode``: the text
    columns as Categoricals of their texts in first-appearance order. ``first_seen``: a
    dictionary column's texts are in that order already, each used (as :mod:`bulk_read` gives
    them; not so a stored snapshot's, which may come from anywhere)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    out: dict[str, Any] = {}
    for i, name in enumerate(names):
        column = table.column(i).combine_chunks() if table.num_rows else pa.array([], pa.string())
        if i == 0:
            out[name] = column.to_numpy(zero_copy_only=False).astype("int64") if table.num_rows else pd.Series([], dtype="int64")
        elif encode and pa.types.is_dictionary(column.type) and not column.null_count and first_seen:
            texts = pd.Index(column.dictionary.cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object)
            out[name] = pd.Categorical.from_codes(column.indices.to_numpy(zero_copy_only=False), texts, validate=False)
        elif encode and pa.types.is_dictionary(column.type) and not column.null_count:  # a rows snapshot's column
            out[name] = _categorical(column.indices.to_numpy(zero_copy_only=False), column.dictionary.cast(pa.string()).to_pylist())
        elif encode:
            d = pc.dictionary_encode(column.cast(pa.string()))
            codes = d.indices.to_numpy(zero_copy_only=False)
            out[name] = pd.Categorical.from_codes(codes, pd.Index(d.dictionary.to_pylist(), dtype=object), validate=False)
        else:
            out[name] = pd.Series(column.cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object)  # not pandas' str dtype
    return pd.DataFrame(out, copy=False)


def _with_usual(frame: Any, rows: Any) -> Any:
    """``frame`` (``id`` and columns, by id) with the columns of ``rows`` (``id`` and columns of
    :data:`USUAL`, in any order): each row's text where ``rows`` has its id, else the usual
    text. Categoricals of the texts in first-appearance order, each used (as
    ``dictionary_encode`` of the whole column gives them), built from the few rows' codes
    without a text per row. A row of ``rows`` whose id ``frame`` lacks is an error (both come
    from one snapshot)."""
    import numpy as np
    import pandas as pd

    ids = frame["id"].to_numpy()
    few_ids = rows["id"].to_numpy()
    by_id = None if (few_ids[1:] > few_ids[:-1]).all() else np.argsort(few_ids, kind="stable")  # in id order as a rule
    if by_id is not None:
        few_ids = few_ids[by_id]
    at = np.searchsorted(ids, few_ids)
    if len(at) and (at[-1] >= len(ids) or not np.array_equal(ids[at], few_ids)):
        raise RuntimeError("bulk read: rows of the assessments read apart have ids the rows read lack")
    skipped = np.flatnonzero(at != np.arange(len(at)))
    usual_at = int(skipped[0]) if len(skipped) else len(at)  # the first row not among ``rows``: it has the usual texts
    out = {name: frame[name] for name in frame.columns}
    for name in rows.columns[1:]:
        column = rows[name].array if by_id is None else rows[name].array.take(by_id)
        codes, uniques = pd.factorize(column)  # numbered in first-appearance order, so each first appears after the one before
        texts = list(np.asarray(uniques, dtype=object))
        firsts = at[np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)] if len(codes) else np.zeros(0, dtype=np.int64)
        usual = USUAL[name]
        if usual_at < len(ids):  # some row has the usual text
            if usual in texts:
                k = texts.index(usual)
                firsts[k] = min(int(firsts[k]), usual_at)
            else:
                texts.append(usual)
                firsts = np.append(firsts, usual_at)
        order = np.argsort(firsts, kind="stable")  # the texts by first appearance
        renumber = np.empty(len(order), dtype=np.int64)
        renumber[order] = np.arange(len(order))
        kind: type[np.signedinteger[Any]] = np.int8 if len(order) < 127 else np.int16 if len(order) < 32767 else np.int32
        full = np.full(len(ids), renumber[texts.index(usual)] if usual in texts else 0, dtype=kind)
        full[at] = renumber[codes]
        out[name] = pd.Categorical.from_codes(full, pd.Index(np.array(texts, dtype=object)[order], dtype=object), validate=False)
    return pd.DataFrame(out, copy=False)


def _categorical(codes: Any, texts: list[Any]) -> Any:
    """The Categorical of ``texts[codes]`` with its texts in first-appearance order and none
    unused (as ``dictionary_encode`` of the texts, or ``pd.factorize``, gives it), from the
    codes alone."""
    import numpy as np
    import pandas as pd

    by_first = pd.unique(codes)  # the codes used, in first-appearance order (a hash table, no sort)
    renumber = np.full(len(texts), -1, dtype=np.int32)
    renumber[by_first] = np.arange(len(by_first), dtype=np.int32)
    kept = np.array(texts, dtype=object)[by_first] if len(by_first) else np.array([], dtype=object)
    return pd.Categorical.from_codes(renumber[codes], pd.Index(kept, dtype=object), validate=False)


def _scan(column: Any) -> Any:
    """``column + 0``: on SQLite, a condition the (year, unit, …) index cannot serve, so the rows
    are read in a plain scan of the table, already in id order (the index would be followed by a
    sort of every row by id, a third slower); PostgreSQL plans it the same either way."""
    return column + 0


@dataclass
class _Table:
    """One table's rows as the database held them when read (``frame``: ``id`` and the columns,
    by id, never changed once built) and the rows changed since (id → row), folded into a new
    frame when the table is next asked for."""

    columns: list[str]
    key: list[str] = field(default_factory=list)  # what identifies a row besides its id
    frame: Any = None
    changed: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    encode: bool = False  # hand the rows out dictionary-encoded, as the reader reads assessments.csv
    replaced: set[Any] = field(default_factory=set)  # units whose rows are those of ``changed`` now (the others deleted)
    _out: Any = None

    def put(self, row_id: int, row: tuple[Any, ...]) -> None:
        self.changed[row_id] = row

    def replace_unit(self, unit: Any, rows: list[tuple[int, tuple[Any, ...]]]) -> None:
        """The unit's rows are ``rows`` (id, row) now: any other row of it was deleted."""
        self.replaced.add(unit)
        for row_id, row in rows:
            self.changed[row_id] = row

    def load(self, frame: Any) -> None:
        self.frame, self.changed, self.replaced, self._out = frame, {}, set(), None

    def frame_now(self) -> Any:
        """The rows now, by id: ``id`` and the columns (not to be changed by the caller)."""
        if self.changed or self.replaced:
            self.frame = _fold(self.frame, self.changed, self.columns, self.key, self.replaced)
            self.changed, self.replaced, self._out = {}, set(), None
        return self.frame

    def current(self) -> Any:
        """The rows now, by id: a DataFrame of ``columns`` (not to be changed by the caller)."""
        self.frame_now()
        if self._out is None:
            self._out = _encoded(self.frame, self.columns) if self.encode else self.frame[self.columns]
        return self._out


def _encoded(frame: Any, columns: list[str]) -> Any:
    """The text columns as the unit-data reader gives a large CSV (``read_csv_columnar``): each a
    Categorical of its distinct texts in the order they first appear — the engine then works on
    the distinct texts, not on a string per row. (A frame read encoded is that already.)"""
    import pandas as pd

    out = {}
    for c in columns:
        if isinstance(frame[c].dtype, pd.CategoricalDtype):
            out[c] = frame[c].array
            continue
        codes, uniques = pd.factorize(frame[c].to_numpy(dtype=object))
        out[c] = pd.Categorical.from_codes(codes, pd.Index(uniques, dtype=object), validate=False)
    return pd.DataFrame(out, copy=False)


def _fold(frame: Any, changed: dict[int, tuple[Any, ...]], columns: list[str], key: list[str], units_replaced: set[Any] | None = None) -> Any:
    """A new frame: ``frame`` with the rows of ``changed`` replaced (same id) or added (new id,
    in id order), and the other rows of the units in ``units_replaced`` left out (deleted). An added
    row whose ``key`` the frame holds under another id replaces that row: the old one was
    deleted outside the audit (rows are deleted only by actions that make :class:`RoundRows`
    read everything again or name the unit whose rows they replace, or by hand). A Categorical column stays one, its
    texts in first-appearance order (as :func:`_encoded` gives them), without a Python object
    per row: after one save, turning a million rows into strings and back was most of the GET."""
    import numpy as np
    import pandas as pd

    ids = frame["id"].to_numpy()
    new_ids = np.array(sorted(changed), dtype=np.int64)
    pos = np.searchsorted(ids, new_ids)
    found = pos < len(ids)
    found[found] = ids[pos[found]] == new_ids[found]
    at = pos[found]
    replaced = [changed[int(n)] for n in new_ids[found]]
    cols = {c: _Column(frame[c]) for c in columns}  # copies: the old frame may be in use
    for i, c in enumerate(columns):
        cols[c].put(at, [r[i] for r in replaced])
    added = new_ids[~found]
    rows = [changed[int(n)] for n in added]
    keep = np.ones(len(ids), dtype=bool)
    if units_replaced:
        keep &= ~cols["unit"].isin(set(units_replaced))
        keep[at] = True  # a row of the unit still there (read again, in ``changed``)
    if len(added) and key:
        where = [columns.index(k) for k in key]
        keys = {tuple(r[i] for i in where) for r in rows}
        maybe = np.ones(len(ids), dtype=bool)
        for j, k in enumerate(key):
            maybe &= cols[k].isin({kk[j] for kk in keys})
        for at_row in np.flatnonzero(maybe):
            if tuple(cols[k].text(int(at_row)) for k in key) in keys:
                keep[at_row] = False
    cut = bool(len(added)) or not keep.all()
    all_ids = np.concatenate([ids[keep], added]) if cut else ids
    order = np.argsort(all_ids, kind="stable") if len(added) else None
    out = {c: cols[c].done(keep if cut else None, [r[i] for r in rows], order) for i, c in enumerate(columns)}
    return pd.DataFrame({"id": all_ids if order is None else all_ids[order], **out})


class _Column:
    """One column of a frame being folded: a Categorical as its codes and texts, or an array of
    ``str``."""

    def __init__(self, series: Any) -> None:
        import numpy as np
        import pandas as pd

        self.coded = isinstance(series.dtype, pd.CategoricalDtype)
        if self.coded:
            self.codes = series.cat.codes.to_numpy().astype(np.int64)
            self.texts: list[Any] = series.cat.categories.tolist()
            self._code: dict[Any, int] | None = None
        else:
            self.cells = series.to_numpy(dtype=object, copy=True)

    def code(self, text: Any) -> int:
        if self._code is None:
            self._code = {t: i for i, t in enumerate(self.texts)}
        got = self._code.get(text)
        if got is None:
            got = self._code[text] = len(self.texts)
            self.texts.append(text)
        return got

    def put(self, at: Any, texts: list[Any]) -> None:
        if not len(at):
            return
        if self.coded:
            self.codes[at] = [self.code(t) for t in texts]
        else:
            self.cells[at] = texts

    def isin(self, texts: set[Any]) -> Any:
        import numpy as np
        import pandas as pd

        if self.coded:
            return np.isin(self.codes, [self.code(t) for t in texts])
        return pd.Series(self.cells, dtype=object).isin(texts).to_numpy()

    def text(self, row: int) -> Any:
        return self.texts[self.codes[row]] if self.coded else self.cells[row]

    def done(self, keep: Any, added: list[Any], order: Any) -> Any:
        """The column with the rows of ``keep`` then ``added``, taken in ``order``."""
        import numpy as np

        if not self.coded:
            cells = self.cells if keep is None else np.concatenate([self.cells[keep], np.array(added, dtype=object)])
            return cells if order is None else cells[order]
        codes = self.codes if keep is None else np.concatenate([self.codes[keep], np.array([self.code(t) for t in added], dtype=np.int64)])
        return _categorical(codes if order is None else codes[order], self.texts)


@dataclass
class RoundRows:
    year: int
    seen_max: int = 0
    gaps: dict[int, float] = field(default_factory=dict)  # audit id → when first missed
    assessments: _Table = field(default_factory=lambda: _Table(ASSESSMENT_COLUMNS, ["unit", "criterion", "stage"], encode=True))
    evidence: _Table = field(default_factory=lambda: _Table(EVIDENCE_COLUMNS))
    loaded: bool = False
    stored_at: int = -1  # the position of the rows snapshot in the database; -1: none, or a full read since
    full_reads: int = 0  # times every row was read (tests)

    def sync(self, s: Session) -> None:
        """Bring the rows up to what ``s`` sees."""
        newest = int(s.scalar(select(func.max(AuditEntry.id))) or 0)  # read first: rows are at least this new
        if not self.loaded and not self._load_stored(s, newest):
            self._load_all(s, newest)
            return
        wanted = list(self.gaps)
        cond = AuditEntry.id > self.seen_max
        if wanted:
            cond = or_(cond, AuditEntry.id.in_(wanted))
        entries = s.execute(select(AuditEntry.id, AuditEntry.action, AuditEntry.year, AuditEntry.unit, AuditEntry.criterion, AuditEntry.after).where(cond).order_by(AuditEntry.id)).all()
        keys: set[tuple[str, str]] = set()
        evidence_ids: set[int] = set()
        evidence_units: set[str] = set()
        for e in entries:
            if e.year not in (None, self.year) or e.action in NO_ROWS:
                continue
            if e.action in ("assessment.write", "workbook.upload") and e.unit and e.criterion:
                keys.add((e.unit, e.criterion))
            elif e.action == "evidence.upload" and e.after:
                evidence_ids.add(int(json.loads(e.after)["id"]))
            elif e.action == "workbook.upload" and e.unit:  # the upload's own entry: the unit's evidence rows replaced
                evidence_units.add(e.unit)
            else:
                self._load_all(s, newest)
                return
        if len(keys) + len(evidence_ids) + 100 * len(evidence_units) > MAX_DELTA:
            self._load_all(s, newest)
            return
        a = Assessment.__table__.c
        for unit, criterion in keys:
            for r in s.connection().execute(
                select(a.id, *(a[c] for c in ASSESSMENT_COLUMNS)).where(a.year == self.year, a.unit == unit, a.criterion == criterion)
            ):
                self.assessments.put(r[0], tuple(r[1:]))
        e_t = Evidence.__table__.c
        for unit in sorted(evidence_units):
            got = s.connection().execute(select(e_t.id, *(e_t[c] for c in EVIDENCE_COLUMNS)).where(e_t.year == self.year, e_t.unit == unit))
            self.evidence.replace_unit(unit, [(r[0], tuple(r[1:])) for r in got])
        if evidence_ids:
            for r in s.connection().execute(select(e_t.id, *(e_t[c] for c in EVIDENCE_COLUMNS)).where(e_t.year == self.year, e_t.id.in_(sorted(evidence_ids)))):
                self.evidence.put(r[0], tuple(r[1:]))
        self._advance([e.id for e in entries], newest)

    def _advance(self, seen: list[int], newest: int) -> None:
        now = time.monotonic()
        got = set(seen)
        for i in got:
            self.gaps.pop(i, None)
        for i in range(self.seen_max + 1, newest + 1):
            if i not in got:
                self.gaps.setdefault(i, now)
        self.gaps = {i: t for i, t in self.gaps.items() if now - t < GAP_SECONDS}
        self.seen_max = max(self.seen_max, newest)

    def _load_all(self, s: Session, newest: int) -> None:
        """Read every row of the round: the assessment rows in two statements of one read
        (:func:`read_frames`), their columns of :data:`USUAL` texts only from the rows where
        one differs (:func:`_with_usual`)."""
        a, e = Assessment.__table__.c, Evidence.__table__.c
        year = _scan(a.year) == self.year
        rare = [c for c in self.assessments.columns if c in USUAL]
        common = [c for c in self.assessments.columns if c not in USUAL]
        reads = [
            (select(a.id, *(a[c] for c in common)).where(year), ["id", *common], True),
            (select(a.id, *(a[c] for c in rare)).where(year, or_(*(a[c] != USUAL[c] for c in rare))), ["id", *rare], True),
            (select(e.id, *(e[c] for c in self.evidence.columns)).where(_scan(e.year) == self.year), ["id", *self.evidence.columns], False),
        ]
        main, few, evidence = read_frames(s.connection(), reads)
        self.assessments.load(_with_usual(main, few)[["id", *self.assessments.columns]])
        self.evidence.load(evidence)
        recent = set(s.scalars(select(AuditEntry.id).where(AuditEntry.id > newest - 1000, AuditEntry.id <= newest)))
        self.seen_max = max(0, newest - 1000)
        self.gaps = {}
        self.loaded = True
        self.stored_at = -1
        self.full_reads += 1
        self._advance(sorted(recent), newest)

    def _load_stored(self, s: Session, newest: int) -> bool:
        """Load the round's rows snapshot, if one is stored that this process can use, as the
        rows at its position (the caller then applies the audit entries after it)."""
        snap = s.execute(
            select(RowsSnapshot.position, RowsSnapshot.gaps, RowsSnapshot.format, RowsSnapshot.assessments, RowsSnapshot.evidence).where(
                RowsSnapshot.year == self.year
            )
        ).one_or_none()
        if snap is None or snap.format != ROWS_FORMAT or snap.position > newest or newest - snap.position > MAX_BEHIND:
            return False
        frames = []
        for t, body in ((self.assessments, snap.assessments), (self.evidence, snap.evidence)):
            try:
                got = _from_ipc(body)
            except Exception:  # damaged: a cache, every row is read instead
                return False
            if got.column_names != ["id", *t.columns]:  # another table's rows, or written by hand
                return False
            frames.append(_frame(got, got.column_names, t.encode))
        for table, frame in zip((self.assessments, self.evidence), frames, strict=True):
            table.load(frame)
        now = time.monotonic()
        self.seen_max = snap.position
        self.gaps = dict.fromkeys(json.loads(snap.gaps), now)
        self.loaded = True
        self.stored_at = snap.position
        return True

    def snapshot(self) -> tuple[int, list[int], bytes, bytes]:
        """What :func:`store_rows` stores: (position, gaps, assessments, evidence as Arrow IPC)."""
        bodies = [_to_ipc(t.frame_now(), ["id", *t.columns]) for t in (self.assessments, self.evidence)]
        return self.seen_max, sorted(self.gaps), bodies[0], bodies[1]

    def worth_storing(self) -> bool:
        return self.loaded and (self.stored_at < 0 or self.seen_max - self.stored_at >= STORE_EVERY)


def _to_ipc(frame: Any, names: list[str]) -> bytes:
    """``frame``'s ``names`` as an Arrow IPC stream (zstd): ``id`` int64, the others text
    (a Categorical as a dictionary of its texts)."""
    import pandas as pd
    import pyarrow as pa

    arrays = []
    for name in names:
        col = frame[name]
        if name == "id":
            arrays.append(pa.array(col.to_numpy(dtype="int64"), pa.int64()))
        elif isinstance(col.dtype, pd.CategoricalDtype):
            arrays.append(pa.DictionaryArray.from_arrays(pa.array(col.cat.codes.to_numpy()), pa.array(col.cat.categories.to_numpy(dtype=object), pa.string())))
        else:
            arrays.append(pa.array(col.to_numpy(dtype=object), pa.string()))
    table = pa.table(arrays, names=names)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as out:
        out.write_table(table)
    return bytes(sink.getvalue())


def _from_ipc(body: bytes) -> Any:
    import pyarrow as pa

    return pa.ipc.open_stream(pa.py_buffer(body)).read_all()


def store_rows(engine: Any, rows: RoundRows, lock: threading.Lock) -> None:
    """Store ``rows`` (taken under ``lock``) as the round's rows snapshot, replacing the one
    stored, in a transaction of its own, if they are worth storing
    (:meth:`RoundRows.worth_storing`)."""
    import datetime as dt

    from sqlalchemy import delete, insert

    with lock:
        if not rows.worth_storing():
            return
        position, gaps, assessments, evidence = rows.snapshot()
        reads = rows.full_reads
    writer = engine.execution_options(sqlite_begin="IMMEDIATE") if engine.dialect.name == "sqlite" else engine
    with writer.begin() as conn:
        conn.execute(delete(RowsSnapshot).where(RowsSnapshot.year == rows.year))
        conn.execute(
            insert(RowsSnapshot).values(
                year=rows.year, position=position, gaps=json.dumps(gaps), format=ROWS_FORMAT, assessments=assessments, evidence=evidence,
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    with lock:
        if rows.full_reads == reads:  # else read in full since: worth storing again
            rows.stored_at = position


_ROUNDS: dict[tuple[str, int], RoundRows] = {}
_LOCK = threading.Lock()


def round_rows(url: str, year: int) -> tuple[RoundRows, threading.Lock]:
    with _LOCK:
        key = (url, year)
        if key not in _ROUNDS:
            _ROUNDS[key] = RoundRows(year)
            _LOCKS[key] = threading.Lock()
        return _ROUNDS[key], _LOCKS[key]


_LOCKS: dict[tuple[str, int], threading.Lock] = {}

