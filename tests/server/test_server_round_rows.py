"""The rows a server process keeps between two GET /results (round_rows): folding changes into
the frame read from the database, the bulk read on SQLite (on PostgreSQL, test_server_cli's
export equality reads through it) and the warm-up of a server process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from par_index.server.round_rows import ASSESSMENT_COLUMNS, _encoded, _Table, read_frame


def table(rows: list[tuple[object, ...]]) -> _Table:
    t = _Table(ASSESSMENT_COLUMNS, ["unit", "criterion", "stage"])
    t.frame = pd.DataFrame(rows, columns=["id", *ASSESSMENT_COLUMNS], dtype=object).astype({"id": "int64"})
    return t


def _plain_and_coded(rows: list[tuple[object, ...]]) -> tuple[_Table, _Table]:
    """The same rows held as strings and held dictionary-encoded (as the reader encodes them),
    both folding encoded."""
    plain, coded = table(rows), table(rows)
    coded.frame = pd.concat([coded.frame[["id"]], _encoded(coded.frame, ASSESSMENT_COLUMNS)], axis=1)
    coded.encode = plain.encode = True
    return plain, coded


def test_fold_replaces_adds_in_id_order_and_drops_a_key_held_under_an_old_id() -> None:
    t = table([(1, "a", "1.1", "x", "self", "", ""), (3, "a", "1.2", "y", "self", "", ""), (5, "b", "1.1", "z", "self", "n", "")])
    before = t.current()
    t.put(3, ("a", "1.2", "y2", "self", "", ""))  # changed in place
    t.put(4, ("c", "1.1", "new", "self", "", ""))  # added between two ids (a later commit of a lower id)
    t.put(9, ("b", "1.1", "again", "self", "", ""))  # b/1.1 deleted by hand and added again: id 5 goes
    now = t.current()
    assert now.values.tolist() == [
        ["a", "1.1", "x", "self", "", ""],
        ["a", "1.2", "y2", "self", "", ""],
        ["c", "1.1", "new", "self", "", ""],
        ["b", "1.1", "again", "self", "", ""],
    ]
    assert t.frame["id"].tolist() == [1, 3, 4, 9]
    assert before["value"].tolist() == ["x", "y", "z"]  # a frame given out earlier is not changed
    assert t.changed == {}


def test_fold_of_dictionary_encoded_rows_keeps_the_readers_categoricals() -> None:
    """Assessment rows are held dictionary-encoded (``encode``): folding keeps them Categoricals
    whose texts are in first-appearance order with no text left unused — exactly
    ``_encoded`` of the same rows as strings (what the reader gives the engine)."""
    rows = [(1, "a", "1.1", "x", "self", "", ""), (3, "a", "1.2", "y", "self", "", ""), (5, "b", "1.1", "z", "self", "n", ""), (6, "b", "1.2", "x", "self", "", "")]
    plain, coded = _plain_and_coded(rows)
    for t in (plain, coded):
        t.put(1, ("a", "1.1", "w", "self", "", ""))  # x no longer first: w (new) is, x moves after z
        t.put(3, ("a", "1.2", "x", "self", "", ""))  # y used nowhere now
        t.put(9, ("b", "1.1", "again", "survey", "", "1"))  # b/1.1 "survey" is another key than b/1.1 "self": added
        t.put(10, ("b", "1.2", "v", "self", "", ""))  # b/1.2 self held under id 6: that row goes
    got, want = coded.current(), plain.current()
    assert coded.frame["id"].tolist() == plain.frame["id"].tolist() == [1, 3, 5, 9, 10]
    assert got.values.tolist() == want.values.tolist() == [
        ["a", "1.1", "w", "self", "", ""],
        ["a", "1.2", "x", "self", "", ""],
        ["b", "1.1", "z", "self", "n", ""],
        ["b", "1.1", "again", "survey", "", "1"],
        ["b", "1.2", "v", "self", "", ""],
    ]
    for c in ASSESSMENT_COLUMNS:
        assert isinstance(coded.frame[c].dtype, pd.CategoricalDtype), c
        assert list(got[c].cat.categories) == list(want[c].cat.categories), c
        assert got[c].cat.codes.tolist() == want[c].cat.codes.tolist(), c
    assert list(got["value"].cat.categories) == ["w", "x", "z", "again", "v"]


def test_a_stored_dictionary_column_reads_as_the_texts_would() -> None:
    """A rows snapshot's dictionary column is taken by its codes, renumbered in first-appearance
    order without unused texts: the same Categorical as reading the texts themselves."""
    import pyarrow as pa

    from par_index.server.round_rows import _frame

    texts = pa.array(["a", "b", "a", "c", "b"])
    stored = pa.DictionaryArray.from_arrays(pa.array([1, 0, 1, 3, 0], pa.int32()), pa.array(["b", "a", "unused", "c"]))
    ids = pa.array([1, 2, 3, 4, 5], pa.int64())
    want = _frame(pa.table([ids, texts], names=["id", "x"]), ["id", "x"], True)["x"]
    got = _frame(pa.table([ids, stored], names=["id", "x"]), ["id", "x"], True)["x"]
    assert list(got.cat.categories) == list(want.cat.categories) == ["a", "b", "c"]
    assert got.cat.codes.tolist() == want.cat.codes.tolist() == [0, 1, 0, 2, 1]


def test_fold_of_a_unit_replaced_drops_its_rows_not_read_again() -> None:
    """A workbook upload replaces the unit's evidence rows: the rows of the unit read again are
    its rows now (same id: in place; new id: added in id order), any other row of it is gone,
    other units' rows stay — plain or dictionary-encoded."""
    rows = [(1, "a", "1.1", "x", "self", "", ""), (3, "a", "1.2", "y", "self", "", ""), (5, "b", "1.1", "z", "self", "", ""), (7, "a", "1.3", "w", "self", "", "")]
    plain, coded = _plain_and_coded(rows)
    for t in (plain, coded):
        t.replace_unit("a", [(3, ("a", "1.2", "y2", "self", "", "")), (9, ("a", "1.4", "v", "self", "", ""))])
        t.replace_unit("c", [])  # a unit with no row left, none held
    for t in (plain, coded):
        assert t.frame_now()["id"].tolist() == [3, 5, 9]
        assert t.current().values.tolist() == [["a", "1.2", "y2", "self", "", ""], ["b", "1.1", "z", "self", "", ""], ["a", "1.4", "v", "self", "", ""]]
        assert t.replaced == set() and t.changed == {}
    assert list(coded.current()["value"].cat.categories) == ["y2", "z", "v"]
    only = table(rows)
    only.replace_unit("b", [])  # deleted rows alone still fold
    assert only.frame_now()["id"].tolist() == [1, 3, 7]


def test_fold_of_evidence_rows_has_no_key() -> None:
    t = _Table(["unit", "document"])
    t.frame = pd.DataFrame({"id": pd.Series([2], dtype="int64"), "unit": ["a"], "document": ["QĐ 1"]})
    t.put(7, ("a", "QĐ 1"))  # the same text under a new id is a second document
    assert t.current().values.tolist() == [["a", "QĐ 1"], ["a", "QĐ 1"]]


def test_read_frame_gives_committed_text_cells_in_id_order_on_both_databases(env: Any) -> None:
    """The bulk read (ADBC, a connection of its own): 120,001 rows, Vietnamese text, quotes and
    line breaks as stored, in id order although they were inserted from the highest id down (on
    PostgreSQL the table's heap holds them in that order, which a statement without ``ORDER BY``
    gives); ``encode`` gives the reader's Categoricals (first-appearance order in id order)."""
    from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, insert, select

    from par_index.server.db import normal_url

    engine = create_engine(normal_url(env.url))
    t = Table("t_read", MetaData(), Column("id", Integer, primary_key=True), Column("a", Text), Column("b", Text))
    t.metadata.create_all(engine)
    rows = [{"id": i, "a": f"đơn vị {i}", "b": "" if i % 2 else "1,5\n\"x\""} for i in range(120_001, 0, -1)]
    with engine.begin() as conn:
        empty = read_frame(conn, select(t.c.id, t.c.a, t.c.b).where(t.c.id < 0), ["id", "a", "b"])
        empty_encoded = read_frame(conn, select(t.c.id, t.c.a, t.c.b).where(t.c.id < 0), ["id", "a", "b"], encode=True)
        conn.execute(insert(t), rows)
        unseen = read_frame(conn, select(t.c.id, t.c.a, t.c.b), ["id", "a", "b"])  # not committed yet
    with engine.connect() as conn:
        got = read_frame(conn, select(t.c.id, t.c.a, t.c.b), ["id", "a", "b"])
        enc = read_frame(conn, select(t.c.id, t.c.a, t.c.b).where(t.c.id > 119_998), ["id", "a", "b"], encode=True)
        if env.kind == "postgresql":  # the heap order the read put right
            assert [r[0] for r in conn.execute(select(t.c.id).where(t.c.id > 119_998))] == [120_001, 120_000, 119_999]
    assert empty.columns.tolist() == ["id", "a", "b"] and len(empty) == 0 and len(empty_encoded) == 0 and len(unseen) == 0
    assert len(got) == 120_001 and got["id"].dtype == "int64" and got["a"].dtype == object
    assert got.iloc[0].tolist() == [1, "đơn vị 1", ""]
    assert got.iloc[-1].tolist() == [120_001, "đơn vị 120001", ""]
    assert got.iloc[1].tolist() == [2, "đơn vị 2", "1,5\n\"x\""]
    assert enc["id"].tolist() == [119_999, 120_000, 120_001]
    assert list(enc["b"].cat.categories) == ["", "1,5\n\"x\""] and enc["b"].tolist() == ["", "1,5\n\"x\"", ""]
    assert list(enc["a"].cat.categories) == ["đơn vị 119999", "đơn vị 120000", "đơn vị 120001"]
    assert enc["a"].cat.codes.tolist() == [0, 1, 2]
    engine.dispose()


def test_a_read_in_parts_equals_one_read_on_both_databases(env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bulk read cut into parts read at once (SQLite: id ranges, a child process each;
    PostgreSQL: ranges of the table's pages, a connection each) gives exactly the rows, order,
    dtypes and Categoricals (texts in first-appearance order) of one read: rows of another year
    interleaved, a gap in the ids, a part with no row of the year and a part past the last row,
    rows an ``UPDATE`` moved to later pages; by default a large table is read in ``PARTS``
    parts."""
    from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, insert, select, update

    from par_index.server import bulk_read, round_rows
    from par_index.server.db import normal_url

    engine = create_engine(normal_url(env.url))
    t = Table("t_parts", MetaData(), Column("id", Integer, primary_key=True), Column("year", Integer), Column("a", Text), Column("b", Text))
    t.metadata.create_all(engine)
    ids = [*range(1, 3001), *range(5001, 6001), *range(9001, 9101)]  # gaps: 3001–5000, 6001–9000
    rows = [{"id": i, "year": 2023 if i % 7 == 0 or 5001 <= i <= 6000 else 2024, "a": f"đơn vị {i % 13}", "b": ["", "1,5\n\"x\"", "Có"][i % 3]} for i in ids]
    with engine.begin() as conn:
        conn.execute(insert(t), rows)
    with engine.begin() as conn:  # PostgreSQL writes the new versions of these rows at the heap's end
        for row in rows[:40:3]:
            row["a"] = f"sửa {row['id']}"
            conn.execute(update(t).where(t.c.id == row["id"]).values(a=row["a"]))
    if env.kind == "postgresql":
        with engine.connect() as conn:
            heap = [r[0] for r in conn.execute(select(t.c.id))]
        assert heap != sorted(heap)  # what the read must put right
    stmt = select(t.c.id, t.c.a, t.c.b).where(t.c.year + 0 == 2024)
    sizes: list[int] = []
    read_parts = bulk_read.read_parts

    def counting(database: str, parts: Any, encode: Any, snapshot: str | None = None) -> Any:
        sizes.append(len(parts))
        return read_parts(database, parts, encode, snapshot)

    monkeypatch.setattr(bulk_read, "read_parts", counting)
    with engine.connect() as conn:
        for encode in (False, True):
            one = round_rows.read_frame(conn, stmt, ["id", "a", "b"], encode, parts=1)
            assert one["id"].tolist() == [r["id"] for r in rows if r["year"] == 2024]
            for c in ("a", "b"):
                texts = [r[c] for r in rows if r["year"] == 2024]
                assert one[c].tolist() == texts
                if encode:  # each text once, in the order of first appearance
                    assert list(one[c].cat.categories) == list(dict.fromkeys(texts)), c
            for parts in (2, 3, 4, 9):  # 4: 5001–6000 holds no row of 2024; 9: parts without any row
                got = round_rows.read_frame(conn, stmt, ["id", "a", "b"], encode, parts=parts)
                pd.testing.assert_frame_equal(got, one)
                for c in ("a", "b"):
                    if encode:
                        assert list(got[c].cat.categories) == list(one[c].cat.categories), (parts, c)
                        assert got[c].cat.codes.tolist() == one[c].cat.codes.tolist(), (parts, c)
                    else:
                        assert got[c].dtype == object and got[c].tolist() == one[c].tolist()
        assert sizes == [1, 2, 3, 4, 9] * 2
        plain = round_rows.read_frame(conn, stmt, ["id", "a", "b"], False, parts=1)
        chunks: list[int] = []
        collect = bulk_read.collect

        def counting_batches(batches: Any, encode: bool = False) -> Any:
            got = collect(batches, encode)
            chunks.append(got.column(0).num_chunks)
            return got

        monkeypatch.setattr(bulk_read, "collect", counting_batches)
        monkeypatch.setattr(bulk_read, "BATCH_ROWS", 7)  # the rows come in many batches, each encoded as it comes
        monkeypatch.setattr(bulk_read, "BATCH_BYTES", 100)  # (PostgreSQL's driver cuts them by size: ≈ 4 rows)
        for parts in (1, 2, 3):
            pd.testing.assert_frame_equal(round_rows.read_frame(conn, stmt, ["id", "a", "b"], False, parts=parts), plain)
            got = round_rows.read_frame(conn, stmt, ["id", "a", "b"], True, parts=parts)
            pd.testing.assert_frame_equal(got, one)
            for c in ("a", "b"):
                assert list(got[c].cat.categories) == list(one[c].cat.categories), (parts, c)
                assert got[c].cat.codes.tolist() == one[c].cat.codes.tolist(), (parts, c)
        assert max(chunks) > 100, chunks
        monkeypatch.undo()
        sizes.clear()
        monkeypatch.setattr(bulk_read, "read_parts", counting)
        monkeypatch.setattr(round_rows, "PART_MIN_IDS", 9100)  # the ids of the table span 9,100
        monkeypatch.setattr(round_rows, "PARTS", 2)
        monkeypatch.setattr(round_rows.os, "cpu_count", lambda: 2)
        monkeypatch.setattr(round_rows, "_runnable_now", lambda: None)  # not Linux: the load average alone
        for load in (0.2, 0.7, 1.2):  # SQLite: 2, 1 (0.7 rounds to 1 busy core), 1 idle core
            monkeypatch.setattr(round_rows.os, "getloadavg", lambda load=load: (load, load, load))
            pd.testing.assert_frame_equal(round_rows.read_frame(conn, stmt, ["id", "a", "b"], True), one)
        monkeypatch.setattr(round_rows.os, "getloadavg", lambda: (4.0, 4.0, 4.0))  # no idle core
        round_rows.read_frame(conn, stmt, ["id", "a", "b"], True)
        # (load average, threads runnable now with the asking one): the average counting this
        # process itself, nothing else running now → 2 parts on SQLite; busy both ways → 1; a burst now
        # that the average says is not the usual → 2
        for load, now in ((1.2, 1), (4.0, 3), (0.2, 5)):
            monkeypatch.setattr(round_rows.os, "getloadavg", lambda load=load: (load, load, load))
            monkeypatch.setattr(round_rows, "_runnable_now", lambda now=now: now)
            pd.testing.assert_frame_equal(round_rows.read_frame(conn, stmt, ["id", "a", "b"], True), one)
        monkeypatch.setattr(round_rows.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
        monkeypatch.setattr(round_rows.os, "cpu_count", lambda: 2)  # an idle machine of two cores
        pd.testing.assert_frame_equal(round_rows.read_frame(conn, stmt, ["id", "a", "b"], True), one)
        if env.kind == "postgresql":  # a server without TID range scans (before 14): one part
            monkeypatch.setattr(conn.dialect, "server_version_info", (13, 9))
            pd.testing.assert_frame_equal(round_rows.read_frame(conn, stmt, ["id", "a", "b"], True), one)
        monkeypatch.setattr(round_rows, "PART_MIN_IDS", 9101)
        round_rows.read_frame(conn, stmt, ["id", "a", "b"], True)
    assert sizes == ([2, 1, 1, 1, 2, 1, 2, 2, 1] if env.kind == "sqlite" else [2, 2, 2, 2, 2, 2, 2, 2, 1, 1])  # PostgreSQL: whatever the load
    monkeypatch.undo()
    now = round_rows._runnable_now()  # on Linux: at least the thread asking
    assert now is None or now >= 1
    engine.dispose()


def test_the_columns_of_usual_texts_read_apart_give_the_rows_read_whole() -> None:
    """``_with_usual``: stage, note and points taken only from the rows where one is not the
    usual text (in any order) give exactly ``_encoded`` of the whole rows: the same texts, the
    Categoricals' texts in first-appearance order with none unused, the same codes — with the
    usual text also among those rows, first or not, on every row or on none, and no row."""
    import random

    from par_index.server.round_rows import USUAL, _with_usual

    rng = random.Random(8)
    stages, notes = ["self", "survey", "appraisal1", "", "appraisal2"], ["", "", "ghi chú", "x\n\"y\"", ""]
    cases = [
        [(i, f"u{i // 5}", f"1.{i % 5}", str(i % 4), rng.choice(stages), rng.choice(notes), rng.choice(["", "", "1,5"])) for i in range(1, 400)],
        [(1, "a", "1.1", "x", "survey", "", ""), (2, "a", "1.2", "y", "self", "", "")],  # the usual stage first seen after another
        [(1, "a", "1.1", "x", "self", "n", ""), (3, "a", "1.2", "y", "survey", "", "2")],  # every row read apart, usual texts among them
        [(2, "a", "1.1", "x", "self", "", ""), (7, "b", "1.1", "", "self", "", "")],  # no row read apart
        [],
    ]
    for rows in cases:
        whole = pd.DataFrame(rows, columns=["id", *ASSESSMENT_COLUMNS]).astype({"id": "int64"}) if rows else pd.DataFrame({c: pd.Series([], dtype="int64" if c == "id" else object) for c in ["id", *ASSESSMENT_COLUMNS]})
        want = pd.concat([whole[["id"]], _encoded(whole, ASSESSMENT_COLUMNS)], axis=1)
        usual = [c for c in ASSESSMENT_COLUMNS if c in USUAL]
        apart = whole[(whole[usual] != pd.Series(USUAL)).any(axis=1)][["id", *usual]].sample(frac=1, random_state=3)  # any order
        apart = apart.reset_index(drop=True)
        for given in (apart, pd.concat([apart[["id"]], _encoded(apart, usual)], axis=1)):  # as strings, as the bulk read encodes them
            got = _with_usual(want[["id", "unit", "criterion", "value"]], given)[["id", *ASSESSMENT_COLUMNS]]
            pd.testing.assert_frame_equal(got, want)
            for c in ASSESSMENT_COLUMNS:
                assert list(got[c].cat.categories) == list(want[c].cat.categories), (rows[:2], c)
                assert got[c].cat.codes.tolist() == want[c].cat.codes.tolist(), (rows[:2], c)
    with pytest.raises(RuntimeError, match="ids the rows read lack"):
        _with_usual(want[["id", "unit", "criterion", "value"]], pd.DataFrame({"id": [5], "stage": ["survey"], "note": [""], "points": [""]}))


def test_every_row_read_in_bulk_equals_the_rows_as_stored_on_both_databases(env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``RoundRows`` reading every row (the assessment rows in two statements of one read, in
    one part and in several) holds exactly the rows a plain query gives, encoded as the reader
    encodes them: rows of other stages, notes, points and an empty stage, of another year too."""
    from sqlalchemy import insert, select, update

    from par_index.server import round_rows
    from par_index.server.db import Database
    from par_index.server.models import Assessment, AuditEntry

    db = Database(env.url)
    with db.session(write=True) as s:
        a = Assessment.__table__
        first = s.execute(select(a.c.unit, a.c.criterion).where(a.c.year == 2024).order_by(a.c.id).limit(3)).all()
        s.execute(update(a).where(a.c.year == 2024, a.c.unit == first[0].unit, a.c.criterion == first[0].criterion).values(note="ghi chú\n\"x\"", points="1,5"))
        s.execute(update(a).where(a.c.year == 2024, a.c.unit == first[1].unit, a.c.criterion == first[1].criterion).values(stage=""))
        now = s.scalar(select(a.c.updated_at).limit(1))
        s.execute(insert(a), [{"year": 2024, "unit": first[2].unit, "criterion": first[2].criterion, "stage": "appraisal2", "value": "đạt", "note": "lần 2", "points": "", "updated_at": now}])
    with db.session() as s:
        c = Assessment.__table__.c
        stored = pd.DataFrame(s.execute(select(c.id, *(c[n] for n in ASSESSMENT_COLUMNS)).where(c.year == 2024).order_by(c.id)).all(), columns=["id", *ASSESSMENT_COLUMNS])
        want = pd.concat([stored[["id"]].astype("int64"), _encoded(stored, ASSESSMENT_COLUMNS)], axis=1)
        assert set(stored["stage"]) >= {"self", "", "appraisal2"} and (stored["note"] != "").any()
        newest = int(s.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0)
        real = round_rows.read_frames
        for parts in (1, 2, 3):
            rows = round_rows.RoundRows(2024)
            monkeypatch.setattr(round_rows, "read_frames", lambda conn, reads, _=None, parts=parts: real(conn, reads, parts))
            rows._load_all(s, newest)
            got = rows.assessments.frame
            pd.testing.assert_frame_equal(got.reset_index(drop=True), want)
            for name in ASSESSMENT_COLUMNS:
                assert list(got[name].cat.categories) == list(want[name].cat.categories), (parts, name)
                assert got[name].cat.codes.tolist() == want[name].cat.codes.tolist(), (parts, name)
    db.dispose()


def test_the_statements_of_one_bulk_read_see_one_snapshot_on_both_databases(env: Any) -> None:
    """The statements of one read (``bulk_read.arrow_batches``: the assessment rows' two
    statements, the evidence rows) are read in one transaction: a row committed after the
    first statement was read is not in the next (it would pair one row's columns of two
    moments)."""
    from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, insert

    from par_index.server import bulk_read
    from par_index.server.db import normal_url

    engine = create_engine(normal_url(env.url))
    t = Table("t_snap", MetaData(), Column("id", Integer, primary_key=True), Column("a", Text))
    t.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t), [{"id": 1, "a": "x"}])
    url = engine.url
    database = url.set(drivername="postgresql").render_as_string(hide_password=False) if env.kind == "postgresql" else str(url.database)
    seen = []
    for i, reader in bulk_read.arrow_batches(database, ["SELECT id, a FROM t_snap", "SELECT id, a FROM t_snap"]):
        seen.append(reader.read_all().num_rows)
        if i == 0:
            with engine.begin() as conn:  # committed between the two statements
                conn.execute(insert(t), [{"id": 2, "a": "y"}])
    assert seen == [1, 1]
    for _, reader in bulk_read.arrow_batches(database, ["SELECT id, a FROM t_snap"]):
        assert reader.read_all().num_rows == 2  # a new read sees it
    engine.dispose()


def test_a_bulk_read_on_postgresql_reads_in_threads_on_one_snapshot_without_parallel_workers(pg_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL every reader of a bulk read, of one part or of several, plans without
    parallel workers and reads in a thread of this process (:func:`bulk_read.in_thread`: the
    driver decodes without the GIL), never a child process; the parts of one read take one
    exported snapshot (a row committed after the read began is in no part, even one whose
    connection opens after that commit; before, each part had its own); a statement that
    fails there raises its error here (the threads end; nothing waits forever); a snapshot id
    that is not one is refused before anything is sent."""
    import threading

    import adbc_driver_manager
    import psycopg

    from par_index.server import bulk_read

    uri = pg_server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(uri, autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS t_one_snapshot")
        c.execute("CREATE TABLE t_one_snapshot (id integer PRIMARY KEY)")
        c.execute("INSERT INTO t_one_snapshot VALUES (1)")
    sql = "SELECT 1 AS id, current_setting('max_parallel_workers_per_gather') AS w, (SELECT count(*) FROM t_one_snapshot)::text AS n"
    readers: list[str] = []
    in_thread = bulk_read.in_thread
    later = threading.Lock()

    def counted(database: str, sqls: Any, encode: Any = (), snapshot: str | None = None) -> Any:
        readers.append(threading.current_thread().name)
        with later:  # the parts open their connections one after the other, a row committed in between
            with psycopg.connect(uri, autocommit=True) as c:
                c.execute("INSERT INTO t_one_snapshot SELECT max(id) + 1 FROM t_one_snapshot")
            return in_thread(database, sqls, encode, snapshot)

    def no_child(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a child process read PostgreSQL")

    monkeypatch.setattr(bulk_read, "in_thread", counted)
    monkeypatch.setattr(bulk_read, "in_child", no_child)
    two = bulk_read.read_parts(uri, [[sql], [sql], [sql]])[0]
    assert two.column(1).to_pylist() == ["0", "0", "0"]
    assert two.column(2).to_pylist() == ["1", "1", "1"]  # as when the read began: none of the 3 rows added since
    one = bulk_read.read_parts(uri, [[sql]])[0]
    assert one.column(1).to_pylist() == ["0"]  # the server's default: 2
    assert one.column(2).to_pylist() == ["5"]  # a new read: the 4 rows added so far and its own
    assert len(readers) == 4
    before = {t.name for t in threading.enumerate()}
    with pytest.raises(adbc_driver_manager.ProgrammingError, match="no_such_table"):
        bulk_read.read_parts(uri, [[sql, "SELECT id FROM no_such_table"], [sql, "SELECT 1"]])
    assert "par-index-bulk-read" not in {t.name for t in threading.enumerate()} - before
    with pytest.raises(ValueError, match="not a PostgreSQL snapshot"):
        next(bulk_read.arrow_batches(uri, ["SELECT 1"], snapshot="1'; DROP TABLE t_one_snapshot; --"))
    with psycopg.connect(uri, autocommit=True) as c:
        c.execute("DROP TABLE t_one_snapshot")


def test_the_reading_child_gets_the_database_by_standard_input_never_on_its_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A PostgreSQL URI holds the password: a command line is visible to every user of the
    machine (``ps``), standard input is not."""
    import io
    import subprocess

    from par_index.server import bulk_read

    seen: dict[str, Any] = {}

    class Input(io.BytesIO):
        def close(self) -> None:
            seen["input"] = self.getvalue()
            super().close()

    class Child:  # stops at once, saying so on its standard error
        returncode = 1

        def __init__(self, args: list[str], stdin: Any, stdout: Any, stderr: Any) -> None:
            seen["args"] = args
            self.stdin, self.stdout = Input(), io.BytesIO()
            stderr.write(b"stopped here")

        def wait(self) -> int:
            return self.returncode

    monkeypatch.setattr(subprocess, "Popen", Child)
    with pytest.raises(RuntimeError, match="bulk read failed: stopped here"):
        bulk_read.in_child("postgresql://par:mat-khau-bi-mat@db.example/par", ["SELECT 1"])
    assert not any("mat-khau-bi-mat" in a for a in seen["args"])
    asked = {"database": "postgresql://par:mat-khau-bi-mat@db.example/par", "sqls": ["SELECT 1"], "batch_rows": bulk_read.BATCH_ROWS, "batch_bytes": bulk_read.BATCH_BYTES}
    assert json.loads(seen["input"]) == asked


def test_the_reading_child_imports_pyarrow_without_numpy_or_with_it_when_pyarrow_needs_it(tmp_path: Path) -> None:
    """The reading child blocks NumPy's import (~2/3 of its start-up); a pyarrow that cannot do
    without it (one that imports it unconditionally, as pyarrow < 16 does) is imported again
    with it."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from par_index.server.bulk_read import _import_without_numpy\n"
        "_import_without_numpy()\n"
        "import pyarrow\n"
        "print(getattr(pyarrow, 'NEEDS', '-'), sys.modules.get('numpy') is not None)\n"
    )
    real = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert real.stdout.split() == ["-", "False"]
    fake = tmp_path / "pyarrow"
    fake.mkdir()
    (fake / "__init__.py").write_text("import numpy\nNEEDS = 'numpy'\n", encoding="utf-8")
    (fake / "ipc.py").write_text("", encoding="utf-8")
    old = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + probe], capture_output=True, text=True, check=True)
    assert old.stdout.split() == ["numpy", "True"]


def test_warm_up_scores_the_newest_round_once_and_the_first_get_finds_it(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """``serve`` warms each process up (factory.start_warm_up): the rows read and the final
    results computed, so the first GET /results of the process is the cached answer."""
    from fastapi.testclient import TestClient
    from support.server_env import auth

    from par_index.server import services
    from par_index.server.factory import create_app, start_warm_up
    from par_index.server.settings import Settings

    app = create_app(Settings(db_url=env.url, files_dir=env.files))
    start_warm_up(app).join(timeout=120)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "warm-up" and line["year"] == 2024 and line["ms"] > 0
    cached = [k for k in services._RESULTS if k[0] == env.url]
    assert [(k[1], k[2]) for k in cached] == [(2024, "final")]
    with TestClient(app) as c:
        got = c.get("/api/v1/results", headers=auth(env, "appraiser"))
        assert got.status_code == 200
        assert got.content == services._RESULTS[cached[0]][0]
        assert c.get("/api/v1/results?stage=self", headers=auth(env, "appraiser")).status_code == 200
    app.state.db.dispose()


def test_results_are_computed_with_the_collector_paused_then_it_runs_again(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``services.collector_paused``: Python's cyclic collector is off while a round's results
    are computed (its full passes over the ~10⁶ objects of an answer cost 0.2–0.4 s each) and on
    again afterwards — after an answer, after a computation that failed (422), and only once the
    last of two computations at once has ended; a collector the caller had turned off stays off."""
    import gc

    from support.server_env import auth

    from par_index.server import scoring, services

    seen: list[bool] = []
    score_folder = scoring.score_folder

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return score_folder(*args, **kwargs)

    monkeypatch.setattr(scoring, "score_folder", watched)
    assert gc.isenabled()
    assert client.get("/api/v1/results", headers=auth(client.env, "appraiser")).status_code == 200
    assert seen == [False] and gc.isenabled()

    def unreadable(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        raise scoring.InputError([])

    monkeypatch.setattr(scoring, "score_folder", unreadable)
    assert client.get("/api/v1/results?stage=self", headers=auth(client.env, "appraiser")).status_code == 422
    assert seen == [False, False] and gc.isenabled()
    with services.collector_paused():
        with services.collector_paused():  # another computation at once
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with services.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_warm_up_of_an_empty_database_says_it_skipped(tmp_path: Path) -> None:
    from par_index.server import services
    from par_index.server.db import Database, migrate
    from par_index.server.settings import Settings

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    db = Database(url)
    migrate(db)
    got = services.warm_up(db, Settings(db_url=url))
    assert got["event"] == "warm-up" and "chưa có kỳ đánh giá" in got["skipped"]
    db.dispose()


def test_copy_text_of_db_import_keeps_empty_texts_quotes_and_line_breaks() -> None:
    """PostgreSQL's ``db import`` sends CSV text written by pyarrow (db._csv_text): an empty text
    is a quoted "" (not NULL), None an unquoted empty field (NULL), constants as str() gives."""
    import datetime as dt

    from par_index.server.db import _csv_text

    made = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    columns = [["dv-1", "dv-2"], ["", "1,5"], ['có "ngoặc"\nvà, dấu phẩy', "x"], [None, "y"]]
    assert bytes(_csv_text(columns, [2024, made], 2)).decode() == (
        '"dv-1","","có ""ngoặc""\nvà, dấu phẩy",,"2024","2024-01-02 03:04:05+00:00"\n'
        '"dv-2","1,5","x","y","2024","2024-01-02 03:04:05+00:00"\n'
    )
    assert bytes(_csv_text([[1, None]], [None], 2)).decode() == '"1",\n,\n'  # not text: str(); None: NULL


def test_the_servers_rows_reach_the_engine_as_the_reader_reads_a_folder(tmp_path: Path) -> None:
    """``scoring.read_folder_rows`` (the rows of ``round_rows``: Categoricals) gives the engine
    what ``read_data`` gives for the same files: the same texts, and the assessment rows
    Categoricals as the reader keeps those it reads columnar — not a million texts as objects
    built and dropped (~0.1–0.3 CPU-s of the first GET of a process, after the read)."""
    from par_index.pipeline import read_data
    from par_index.server import scoring
    from par_index.server.round_rows import EVIDENCE_COLUMNS

    units = [("dv1", "Sở A", "so"), ("dv2", "Sở B", "so")]
    rows = [("dv1", "1.1", "1,5", "self", "", ""), ("dv1", "1.2", "x", "survey", "ghi chú", ""), ("dv2", "1.1", "", "self", "", "2")]
    folder = tmp_path / "data"
    folder.mkdir()
    scoring.write_csv(folder / "units.csv", scoring.UNIT_COLUMNS[:3], units)
    scoring.write_csv(folder / "assessments.csv", ASSESSMENT_COLUMNS, rows)
    scoring.write_csv(folder / "evidence.csv", EVIDENCE_COLUMNS, [])
    plain = pd.DataFrame(rows, columns=ASSESSMENT_COLUMNS, dtype=object)
    tables = {"units": (scoring.UNIT_COLUMNS[:3], units), "assessments": _encoded(plain, ASSESSMENT_COLUMNS), "evidence": (EVIDENCE_COLUMNS, [])}
    server, reader = scoring.read_folder_rows(folder, tables), read_data(folder)
    for name in ("units", "assessments"):
        got, want = server.table(name), reader.table(name)
        assert got.names == want.names
        for column in ASSESSMENT_COLUMNS if name == "assessments" else scoring.UNIT_COLUMNS[:3]:
            assert got.texts(column).tolist() == want.texts(column).tolist()
    assert {c: str(t) for c, t in server.assessments.dtypes.items()} == {c: str(t) for c, t in reader.assessments.dtypes.items()}
    assert str(server.assessments["value"].dtype) == "category"
