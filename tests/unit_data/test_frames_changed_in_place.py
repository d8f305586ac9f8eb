"""A DataFrame of :class:`UnitData` changed in place is scored as it is now (Python API).

The tables the score path reads are worked out from a frame once and kept by the frame's
identity (``Table.from_frame``, the value table); what the frame holds is part of the key
(``unit_data.table.Held``), so a frame changed in place is read again. tests/data/mini, stage
``self``: so-a scores 10,02 as read, 0 with every value "0"; its 1.2 (93 %, 2 points) at 50 % scores 8,02.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import par_index as pi
from par_index.unit_data.reader import UnitData
from par_index.unit_data.table import ByIdentity, Held, Table
from par_index.unit_data.value_table import value_table

MINI = Path(__file__).parents[1] / "data" / "mini"


@pytest.fixture(scope="module")
def sets() -> list:
    return pi.load_criteria(MINI / "criteria.yaml")


def points(sets: list, data: UnitData) -> dict[str, float]:
    f = pi.to_frame(pi.score(sets, data, stage="self"))
    return dict(zip(f["unit"], f["points"], strict=True))


def afresh(data: UnitData) -> UnitData:
    """The same cells in new frames: what nothing cached can have seen."""
    out = pi.read_data(MINI / "data")
    out.units, out.assessments, out.evidence = data.units.copy(), data.assessments.copy(), data.evidence.copy()
    return out


@contextmanager
def deprecated_inplace() -> Iterator[None]:
    """pandas 3.1 deprecates ``inplace=`` of some methods; they still change the frame in place."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        yield


def test_the_repro_of_session_7_every_so_a_value_set_to_0_in_place(sets: list) -> None:
    d = pi.read_data(MINI / "data")
    a = d.assessments
    a["value"] = a["value"].astype(object)
    a.loc[a["unit"] == "so-a", "value"] = "0"
    # was 10,02, the rows as read ("5,72" in session 7's note is so-b's, first row once so-a is last)
    assert points(sets, d) == {"so-a": 0.0, "so-b": 5.72, "h-c": 7.9}
    d.assessments = a.copy()
    assert points(sets, d) == {"so-a": 0.0, "so-b": 5.72, "h-c": 7.9}


def _as_object(d: UnitData) -> None:
    a = d.assessments
    a["value"] = a["value"].astype(object)


def _as_str(d: UnitData) -> None:
    a = d.assessments
    a["value"] = a["value"].astype("str")  # pandas 3's own text type (Arrow-backed)


def _as_arrow(d: UnitData) -> None:
    a = d.assessments
    a["value"] = a["value"].astype("string[pyarrow]")  # Arrow-backed on pandas 2 too


def _one_missing(d: UnitData) -> None:
    a = d.assessments
    a["value"] = a["value"].astype(object).where(a.index != 1, None)


def _all_object(d: UnitData) -> None:
    a = d.assessments
    for c in a.columns.drop("at_line"):
        a[c] = a[c].astype(object)


def _nothing(d: UnitData) -> None:
    pass


# (what is done first, what is then changed in place, so-a's points before and after)
CHANGES: dict[str, tuple[Callable[[UnitData], None], Callable[[pd.DataFrame], object], float, float]] = {
    "loc": (_as_object, lambda a: a.loc.__setitem__((a["unit"] == "so-a", "value"), "0"), 10.02, 0.0),
    "loc on the category column as read": (_nothing, lambda a: a.loc.__setitem__((1, "value"), "0,75"), 10.02, 9.02),
    "at": (_as_object, lambda a: a.at.__setitem__((1, "value"), "50%"), 10.02, 8.02),
    "iloc": (_as_object, lambda a: a.iloc.__setitem__((1, 2), "50%"), 10.02, 8.02),
    "iat": (_as_object, lambda a: a.iat.__setitem__((1, 2), "50%"), 10.02, 8.02),
    "a column replaced": (_nothing, lambda a: a.__setitem__("value", a["value"].astype(object).replace({"93%": "50%"})), 10.02, 8.02),
    "replace in place": (_as_object, lambda a: a.replace({"value": {"93%": "50%"}}, inplace=True), 10.02, 8.02),
    "fillna in place": (_one_missing, lambda a: a.fillna({"value": "95%"}, inplace=True), 8.02, 10.02),
    "update": (_as_object, lambda a: a.update(pd.DataFrame({"value": ["50%"]}, index=[1])), 10.02, 8.02),
    "drop in place": (_nothing, lambda a: a.drop(index=1, inplace=True), 10.02, 8.02),
    "a text column's arrow array written": (_as_arrow, lambda a: a["value"].array.__setitem__(1, "50%"), 10.02, 8.02),
    "a text column's values written": (_as_str, lambda a: a["value"].values.__setitem__(1, "50%"), 10.02, 8.02),
    "the category's values written": (_nothing, lambda a: a["value"].values.__setitem__(1, "0,75"), 10.02, 9.02),
}


@pytest.mark.parametrize("kind", list(CHANGES))
def test_assessments_changed_in_place_are_scored_as_they_are(sets: list, kind: str) -> None:
    first, change, before, after = CHANGES[kind]
    d = pi.read_data(MINI / "data")
    first(d)
    assert points(sets, d)["so-a"] == before  # the frame's tables are now worked out and kept
    with deprecated_inplace():
        change(d.assessments)
    assert points(sets, d) == {"so-a": after, "so-b": 5.72, "h-c": 7.9}
    assert points(sets, afresh(d))["so-a"] == after


def test_a_category_column_set_by_the_caller_written_through_its_values(sets: list) -> None:
    d = pi.read_data(MINI / "data")
    a = d.assessments.copy()
    a["value"] = a["value"].astype(object).astype("category")  # the caller's own categories
    d.assessments = a
    assert points(sets, d)["so-a"] == 10.02
    a["value"].values[1] = "0,75"  # into the Categorical's codes, past pandas' Copy-on-Write
    assert points(sets, d)["so-a"] == 9.02


def test_a_row_added_in_place_is_scored(sets: list) -> None:
    d = pi.read_data(MINI / "data")
    _all_object(d)
    assert points(sets, d)["so-b"] == 5.72
    a = d.assessments
    a.loc[len(a)] = ["so-b", "9.1", "1", "self", "", "", 99, "assessments.csv"]
    assert points(sets, d) == {"so-a": 10.02, "so-b": 6.22, "h-c": 7.9}


def test_rows_sorted_in_place_are_read_in_their_new_order(sets: list) -> None:
    d = pi.read_data(MINI / "data")
    assert d.assessments["unit"].tolist()[:2] == ["so-a", "so-a"] and points(sets, d)["so-a"] == 10.02
    with deprecated_inplace():
        d.assessments.sort_values(["unit", "criterion"], ascending=False, inplace=True)
    # categories sort in their order (first seen: so-a, so-b, h-c, h-x; 2.3 is h-c's last)
    assert d.table("assessments").texts("unit").tolist()[:3] == ["h-x", "h-c", "h-c"]
    assert d.table("assessments").texts("criterion").tolist()[:3] == ["1.1", "2.3", "3.1"]
    assert points(sets, d) == {"so-a": 10.02, "so-b": 5.72, "h-c": 7.9}


def test_a_frame_set_by_the_caller_and_changed_after(sets: list) -> None:
    d = pi.read_data(MINI / "data")
    df = d.assessments.copy()
    df["value"] = df["value"].astype(object)
    d.assessments = df
    assert points(sets, d)["so-a"] == 10.02
    df.loc[df["unit"] == "so-a", "value"] = "0"
    assert points(sets, d)["so-a"] == 0.0
    df.at[1, "value"] = "93%"  # one value back: so-a's 1.2 scores 2 again
    assert points(sets, d)["so-a"] == 2.0


def test_units_changed_in_place(sets: list) -> None:
    d = pi.read_data(MINI / "data")
    assert points(sets, d) == {"so-a": 10.02, "so-b": 5.72, "h-c": 7.9}
    u = d.units
    u.loc[u["unit"] == "so-b", "kind"] = "huyen"
    row = pi.to_frame(pi.score(sets, d, stage="self")).set_index("unit").loc["so-b"]
    assert (row["kind"], row["rank"], row["points"]) == ("huyen", 2, 5.72)  # ranked after h-c (7,9)
    with deprecated_inplace():
        u.drop(index=0, inplace=True)
    assert points(sets, d) == {"so-b": 5.72, "h-c": 7.9}


def test_evidence_changed_in_place(sets: list) -> None:
    d = pi.read_data(MINI / "data")
    reasons = [p.reason for p in pi.score(sets, d, stage="self").problems]
    assert not [r for r in reasons if r.startswith("evidence")]  # no register: nothing checked
    ev = d.evidence
    ev.loc[0] = ["so-a", "1.1", "Kế hoạch CCHC năm 2024", "10/01/2024", "UBND", "", "evidence.csv", 2]
    found = [(p.reason, p.unit, p.criterion) for p in pi.score(sets, d, stage="self").problems if p.reason.startswith("evidence")]
    assert len(found) == 16 and ("evidence_issuer", "so-a", "1.1") in found
    assert sum(r == "evidence_missing" for r, _, _ in found) == 15
    ev.loc[0, "issuer"] = "Sở Nội vụ"
    found = [(p.reason, p.unit, p.criterion) for p in pi.score(sets, d, stage="self").problems if p.reason.startswith("evidence")]
    assert ("evidence_issuer", "so-a", "1.1") not in found and len(found) == 15


@pytest.mark.skipif(Held.of(pd.DataFrame()) is None, reason="pandas 2 without Copy-on-Write: no frame is kept (the test below)")
def test_the_tables_of_an_unchanged_frame_are_kept() -> None:
    """Reading a frame changes nothing: its table and value table are worked out once."""
    d = pi.read_data(MINI / "data")
    a = d.assessments
    t, vt = d.table("assessments"), value_table(a)
    a["value"].tolist(), a.loc[a["unit"] == "so-a"], a.to_numpy(), a["value"].str.upper(), a.copy()
    a.groupby("unit", observed=True).size(), a.merge(d.units, on="unit"), a.T, a.isna().sum(), a.to_csv(), a.describe()
    assert d.table("assessments") is t and Table.from_frame(a) is t and value_table(a) is vt
    a.loc[1, "value"] = "0,75"
    assert d.table("assessments") is not t and value_table(a) is not vt
    t2 = d.table("assessments")
    assert t2.texts("value")[1] == "0,75" and d.table("assessments") is t2 and value_table(a) is value_table(a)


def test_without_copy_on_write_a_frame_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """pandas 2 without Copy-on-Write writes into a frame's arrays in place, so a change cannot be
    told: the frame's table is worked out on every call."""
    df = pd.DataFrame({"a": np.array(["x", "y"], dtype=object)})
    monkeypatch.setattr(pd, "__version__", "2.3.3")
    monkeypatch.setattr(pd, "get_option", lambda name: False if name == "mode.copy_on_write" else None)
    assert Held.of(df) is None
    cache: ByIdentity[Table] = ByIdentity()
    cache.put(df, Table.from_frame(df))
    assert cache.get(df) is None
    monkeypatch.setattr(pd, "get_option", lambda name: True)  # pandas 2 with the option on
    assert Held.of(df) is not None


@pytest.mark.skipif(Held.of(pd.DataFrame()) is None, reason="pandas 2 without Copy-on-Write: no frame is kept")
def test_what_is_kept_for_a_frame_goes_with_it() -> None:
    """The shallow copy kept beside a frame's table holds the frame's arrays, not the frame: a
    frame no one holds is forgotten, with what was kept for it."""
    import gc
    import weakref

    from par_index.unit_data import table

    df = pd.DataFrame({"a": np.array(["x", "y"], dtype=object), "n": [1.0, 2.0]})
    key = id(df)
    Table.from_frame(df)
    assert key in table._FROM._items
    gone = weakref.ref(df)
    del df
    gc.collect()
    assert gone() is None and key not in table._FROM._items
