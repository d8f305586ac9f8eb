"""The tables of unit data as the readers make them: named columns of numpy arrays.

A text column is :class:`Texts`: integer codes into its distinct texts (how the columnar reader
gives it, and how everything after reads it: the value table, the layout). A
:class:`Table` holds such columns and plain numpy arrays (line numbers) of one length.

This is what the score path reads; it imports no pandas. Every other reader of unit data sees
pandas DataFrames (:class:`~par_index.unit_data.reader.UnitData`'s ``units``, ``assessments``
…): :meth:`Table.frame` builds that frame (once, on first access), and :meth:`Table.from_frame`
takes a frame someone built or changed back into a table. Not a general table library: columns
are read whole or at some rows, never computed on here.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from par_index.common.codes import factorize

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")


@dataclass(frozen=True)
class Texts:
    """A text column: ``codes`` (integers, one a row) into ``texts`` (an object array of the
    distinct texts). ``shown``: its column in the table's frame — ``"object"``, an object column
    of the texts; ``"category"``, a :class:`pandas.Categorical` of ``texts`` (the assessment rows
    as the columnar reader gives them); ``"str"``, pandas' own text type."""

    codes: np.ndarray
    texts: np.ndarray
    shown: str = "object"

    def __len__(self) -> int:
        return len(self.codes)

    def values(self) -> np.ndarray:
        """The text of every row (an object array)."""
        return self.texts.take(self.codes) if len(self.texts) else np.full(len(self.codes), "", dtype=object)

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The texts of the rows ``rows``."""
        return self.texts.take(self.codes[rows])

    def rows(self, rows: np.ndarray) -> Texts:
        """This column at ``rows`` (same distinct texts)."""
        return Texts(self.codes[rows], self.texts, self.shown)


Column = Texts | np.ndarray


class Table:
    """Named columns of one length (in order): :class:`Texts` and numpy arrays."""

    __slots__ = ("__weakref__", "columns")

    def __init__(self, columns: Mapping[str, Column]) -> None:
        self.columns: dict[str, Column] = dict(columns)
        lengths = {len(c) for c in self.columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: { {n: len(c) for n, c in self.columns.items()} }")

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> Column:
        return self.columns[name]

    def __repr__(self) -> str:
        return f"Table({len(self)} rows: {', '.join(self.names)})"

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def texts(self, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """Column ``name`` (a text column) as an object array, at ``rows`` or every row."""
        col = self.columns[name]
        if isinstance(col, Texts):
            return col.values() if rows is None else col.take(rows)
        return col if rows is None else col[rows]

    def row(self, i: int) -> dict[str, Any]:
        """Row ``i`` as a dict of its cells (an error path: one row at a time)."""
        return {n: (c.texts[c.codes[i]] if isinstance(c, Texts) else c[i]) for n, c in self.columns.items()}

    def take(self, rows: np.ndarray) -> Table:
        """The rows ``rows`` (positions, or a boolean mask), as a new table."""
        return Table({n: c.rows(rows) if isinstance(c, Texts) else c[rows] for n, c in self.columns.items()})

    def select(self, names: list[str]) -> Table:
        """The columns ``names``, in that order."""
        return Table({n: self.columns[n] for n in names})

    def with_column(self, name: str, column: Column) -> Table:
        return Table({**self.columns, name: column})

    def frame(self) -> pd.DataFrame:
        """The pandas DataFrame of this table, as every reader of unit data sees it: a text
        column as a Categorical of its distinct texts or an object column of its texts; a
        numpy column as it is. Remembered, so :meth:`from_frame` of it gives this table back
        while the frame holds the same arrays (:class:`Held`; changed in place, it is read)."""
        import pandas as pd

        out: dict[str, Any] = {}
        for name, col in self.columns.items():
            if isinstance(col, Texts) and col.shown == "category":
                cat = pd.Categorical.from_codes(col.codes, pd.Index(col.texts, dtype=object), validate=False)
                out[name] = pd.Series(cat, copy=False)
            elif isinstance(col, Texts) and col.shown == "str":
                out[name] = pd.Series(col.texts if len(col.texts) else [""]).array.take(col.codes)
            elif isinstance(col, Texts):
                out[name] = pd.Series(col.values(), dtype=object)
            else:
                out[name] = pd.Series(col, dtype=col.dtype, copy=False)
        df = pd.DataFrame(out, columns=self.names, copy=False) if out else pd.DataFrame()
        _FROM.put(df, self)
        return df

    @staticmethod
    def from_frame(df: pd.DataFrame) -> Table:
        """The table of a DataFrame: the one it was built from (:meth:`frame`) or read from it
        before, while the frame holds the same cells (:class:`Held`), else its columns read — a
        Categorical as its codes and categories, object columns as texts (their distinct values
        as they are), anything else as its numpy array."""
        hit = _FROM.get(df)
        if hit is not None:
            return hit
        import pandas as pd

        columns: dict[str, Column] = {}
        for name in df.columns:
            col = df[name]
            if isinstance(col.dtype, pd.CategoricalDtype) and not (len(col) and col.array.codes.min() < 0):
                columns[str(name)] = Texts(np.asarray(col.array.codes), col.cat.categories.to_numpy(dtype=object), "category")
            elif col.dtype == object or isinstance(col.dtype, pd.StringDtype):
                values = col.to_numpy(dtype=object)
                if len(values) and not all(type(v) is str for v in values.tolist()):
                    columns[str(name)] = values  # not texts alone (numbers, missing cells): as they are
                    continue
                codes, uniques = factorize_runs(values)
                columns[str(name)] = Texts(codes, np.asarray(uniques, dtype=object))
            else:
                columns[str(name)] = col.to_numpy()
        table = Table(columns)
        _FROM.put(df, table)
        return table


class ByIdentity(Generic[T]):
    """What was worked out from objects that cannot be dict keys (a :class:`Table`, a DataFrame),
    kept while each object lives: found by identity (its id and a weak reference to it), with the
    length of what was worked out as a check. A DataFrame is also found only while it holds what
    it held (:class:`Held`): one changed in place since is a miss, worked out again; one whose
    changes cannot be told (pandas without Copy-on-Write) is never kept."""

    def __init__(self) -> None:
        self._items: dict[int, tuple[weakref.ref[Any], T, Held | None]] = {}

    def get(self, obj: Any) -> T | None:
        hit = self._items.get(id(obj))
        if hit is None:
            return None
        ref, value, held = hit
        if ref() is not obj:
            return None
        return value if len(value) == len(obj) and (held is None or held.holds(obj)) else None  # type: ignore[arg-type]

    def put(self, obj: Any, value: T) -> None:
        held = None
        if not isinstance(obj, Table):
            held = Held.of(obj)
            if held is None:
                return  # a frame whose changes cannot be told
        key, items = id(obj), self._items

        def forget(_ref: object) -> None:
            items.pop(key, None)

        items[key] = (weakref.ref(obj, forget), value, held)


class Held:
    """What a DataFrame holds now, cheap to compare: its column labels and, per block of columns
    (pandas' own storage), the array object, the Arrow array inside it (a pandas text column) and
    the columns it stores. A shallow copy of the frame is kept beside it: with the blocks shared,
    pandas' Copy-on-Write copies a block before any write into it (``.loc``, ``.at``, ``.iloc``,
    setting a column, ``fillna``/``replace``/``sort_values``/``drop`` in place, ``update``, a new
    row), so a change gives another array object and is seen, while reading changes nothing. An
    Arrow text column written through its array (``df[c].array[i] = …``) gets a new Arrow array,
    also seen (the old one is held here, so its id is not reused).

    A category column written through its array (``.values[i] = …``) changes its codes in place,
    and the table read from the frame shares them, so that is seen too (tested). Not seen: any
    other write into the numpy buffer of an array pandas hands out — ``.array[i] = …`` of an
    object or number column, ``.values[i] = …`` of a ``string[python]`` or ``Int64`` column:
    pandas 3 lets those through without Copy-on-Write (pandas issue 63099), and telling them
    would mean comparing every cell on every look-up. Set cells with ``.loc``/``.at``/``.iloc``."""

    __slots__ = ("_copy", "_parts")

    def __init__(self, df: pd.DataFrame) -> None:
        self._copy = df.copy(deep=False)
        self._parts = _parts(df)

    @staticmethod
    def of(df: pd.DataFrame) -> Held | None:
        """What ``df`` holds, or None when a change cannot be told: pandas before 3 without
        Copy-on-Write writes into a block in place."""
        import pandas as pd

        cow = int(pd.__version__.split(".", 1)[0]) >= 3 or pd.get_option("mode.copy_on_write") is True
        return Held(df) if cow else None

    def holds(self, df: pd.DataFrame) -> bool:
        parts = _parts(df)
        if parts[0] != self._parts[0] or len(parts[1]) != len(self._parts[1]):
            return False
        return all(a is b and pa is pb and la == lb for (a, pa, la), (b, pb, lb) in zip(parts[1], self._parts[1], strict=True))


def _parts(df: pd.DataFrame) -> tuple[tuple[Any, ...], list[tuple[Any, Any, bytes]]]:
    """The column labels and, per block (pandas' internal ``_mgr.blocks``), its array object, the
    Arrow array inside it (None for a numpy one) and the positions of its columns."""
    return tuple(df.columns), [(b.values, getattr(b.values, "_pa_array", None), b.mgr_locs.as_array.tobytes()) for b in df._mgr.blocks]


_FROM: ByIdentity[Table] = ByIdentity()


def empty_texts(n: int, shown: str = "object") -> Texts:
    """A text column of ``n`` empty texts."""
    return Texts(np.zeros(n, dtype=np.int8), np.array([""], dtype=object), shown)


def factorize_runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~par_index.common.codes.factorize` (``pandas.factorize``'s codes), faster for a
    column that comes in runs of equal texts (the rows of one unit, of one stage): only the
    first text of each run is hashed."""
    n = len(values)
    head = values[: min(n, 4096)]
    if n < 4096 or np.count_nonzero(head[1:] != head[:-1]) * 4 > len(head):
        return factorize(values)
    change = np.empty(n, dtype=bool)
    change[0] = True
    np.not_equal(values[1:], values[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    codes, uniques = factorize(values[starts])
    return np.repeat(codes, np.diff(np.append(starts, n))), uniques


def as_texts(column: Texts | np.ndarray) -> Texts:
    """A column as :class:`Texts` (an array's distinct values in first-appearance order)."""
    if isinstance(column, Texts):
        return column
    codes, uniques = factorize(column)
    if len(codes) and codes.min() < 0:  # a missing cell: a text of its own, as it is
        codes, uniques = _with_missing(column, codes, uniques)
    return Texts(codes, uniques)


def _with_missing(values: np.ndarray, codes: np.ndarray, uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes with the missing cells (−1) given one more code: the first missing value, as it is."""
    first = values[int(np.flatnonzero(codes < 0)[0])]
    return np.where(codes < 0, len(uniques), codes), np.append(uniques, np.array([first], dtype=object))
