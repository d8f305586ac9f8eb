"""The rows a server process keeps between two GET /results (round_rows): folding changes into
the frame read from the database, and the bulk read on SQLite (PostgreSQL: test_server_cli's
export equality runs through COPY)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from par_index.server.round_rows import ASSESSMENT_COLUMNS, _Table, read_frame


def table(rows: list[tuple[object, ...]]) -> _Table:
    t = _Table(ASSESSMENT_COLUMNS, ["unit", "criterion", "stage"])
    t.frame = pd.DataFrame(rows, columns=["id", *ASSESSMENT_COLUMNS], dtype=object).astype({"id": "int64"})
    return t


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


def test_fold_of_evidence_rows_has_no_key() -> None:
    t = _Table(["unit", "document"])
    t.frame = pd.DataFrame({"id": pd.Series([2], dtype="int64"), "unit": ["a"], "document": ["QĐ 1"]})
    t.put(7, ("a", "QĐ 1"))  # the same text under a new id is a second document
    assert t.current().values.tolist() == [["a", "QĐ 1"], ["a", "QĐ 1"]]


def test_read_frame_on_sqlite_gives_text_cells_in_id_order(tmp_path: Path) -> None:
    from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, insert, select

    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    t = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("a", Text), Column("b", Text))
    t.metadata.create_all(engine)
    rows = [{"id": i, "a": f"đơn vị {i}", "b": "" if i % 2 else "1,5\n\"x\""} for i in range(120_001, 0, -1)]
    with engine.begin() as conn:
        conn.execute(insert(t), rows[:3])
        empty = read_frame(conn, select(t.c.id, t.c.a, t.c.b).where(t.c.id < 0), ["id", "a", "b"])
        conn.execute(insert(t), rows[3:])
        got = read_frame(conn, select(t.c.id, t.c.a, t.c.b).order_by(t.c.id), ["id", "a", "b"])
    assert empty.columns.tolist() == ["id", "a", "b"] and len(empty) == 0
    assert len(got) == 120_001 and got["id"].dtype == "int64" and got["a"].dtype == object
    assert got.iloc[0].tolist() == [1, "đơn vị 1", ""]
    assert got.iloc[-1].tolist() == [120_001, "đơn vị 120001", ""]
    assert got.iloc[1].tolist() == [2, "đơn vị 2", "1,5\n\"x\""]
    engine.dispose()
