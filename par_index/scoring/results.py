"""Results as plain data: the JSON document of interfaces.md and one-row-per-unit tables.

Only reads :class:`~par_index.scoring.engine.Results`; computes nothing new beyond unit conversion
(whole units of ``10**-6`` point → points) and ordering for display.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from fractions import Fraction
from json.encoder import encode_basestring
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from par_index.common.arrow_numpy import scalar, texts_or_ints, to_arrow
from par_index.common.arrow_text import join, utf8_text
from par_index.common.codes import factorize
from par_index.common.rounding import round_array
from par_index.errors import Problem, ProblemRows
from par_index.scoring.engine import UNIT_COLUMNS, Results, SetResult, units_table

if TYPE_CHECKING:
    import pandas as pd

Part = bytes | memoryview  # a piece of a document to write (pyarrow's text is handed over without a copy)


@dataclass
class Standing:
    """Where a unit stands: its points, index (``None`` without a maximum), rank among the units
    of its kind (``None`` when unranked) and band label. The what-if comparison and the cheapest
    plan (before and after) both report it."""

    points: float
    index: float | None
    rank: int | None
    band: str | None

    def as_dict(self) -> dict[str, object]:
        return {"index": self.index, "rank": self.rank, "points": self.points, "band": self.band}


def standing(s: SetResult, row: int) -> Standing:
    """The standing of the unit in row ``row`` of ``s``, as scored."""
    return Standing(
        float(s.total_points[row] / s.scale),
        None if np.isnan(s.index[row]) else float(s.index[row]),
        None if np.isnan(s.rank[row]) else int(s.rank[row]),
        s.band[row],
    )


def ranked_order(s: SetResult) -> np.ndarray:
    """Row order for display: kinds in criteria order, then rank, then unit id."""
    kind_order = {k: i for i, k in enumerate(s.criteria.kinds)}
    codes, distinct = factorize(s.unit_column("kind"))  # each distinct kind looked up once (-1: missing)
    kinds = np.array([kind_order.get(k, 99) for k in distinct] + [99])[codes]
    rank = np.where(np.isnan(s.rank), np.inf, s.rank)
    return np.lexsort((s.unit_column("unit"), rank, kinds))


def _num(x: float) -> float | None:
    return None if x != x else float(x)


def to_json_dict(results: Results, include_problems: bool = True, include_units: bool = True) -> dict[str, Any]:
    """The JSON document of interfaces.md; ``include_units=False`` leaves ``units`` an empty list
    (for :func:`json_units_block` to fill, as the writer does)."""
    units: list[dict[str, Any]] = []
    for s in results.sets if include_units else []:
        scale = float(s.scale)
        codes = [n.code for n in s.criteria.nodes]
        with np.errstate(invalid="ignore", divide="ignore"):
            node_index = np.where(s.node_max > 0, s.node_points * 100.0 / s.node_max, np.nan)
        node_pts = (s.node_points / scale).tolist()
        node_max = (s.node_max / scale).tolist()
        node_idx = node_index.tolist()
        pts = (s.total_points / scale).tolist()
        mx = (s.total_max / scale).tolist()
        ids, names, kinds = (s.unit_column(c) for c in ("unit", "name", "kind"))
        for i in ranked_order(s):
            units.append(
                {
                    "unit": ids[i],
                    "name": names[i],
                    "kind": kinds[i],
                    "points": pts[i],
                    "max": mx[i],
                    "index": _num(s.index[i]),
                    "rank": None if np.isnan(s.rank[i]) else int(s.rank[i]),
                    "band": s.band[i],
                    "nodes": {
                        code: {"points": p, "max": m, "index": None if ix != ix else ix}
                        for code, p, m, ix in zip(codes, node_pts[i], node_max[i], node_idx[i], strict=True)
                    },
                }
            )
    doc: dict[str, Any] = {"criteria": results.criteria_id, "stage": results.stage, "units": units}
    if len(results.sets) > 1:
        doc["criteria_sets"] = [s.criteria.id for s in results.sets]
    if results.label:
        doc["dataset"] = results.label
    if include_problems:
        doc["problems"] = [p.as_dict() for p in results.problems]
    return doc


def json_units_block(results: Results, indent: str = "  ") -> Iterator[Part]:
    """The ``units`` of :func:`to_json_dict`, one per line as ``json`` encodes each (lines
    indented by ``indent`` and ended by ``,`` but the last, joined by newlines), in UTF-8, as
    consecutive parts of up to ``_UNITS_PER_CHUNK`` units, made as they are asked for: the
    writer streams them, so the document is never whole in memory (only each node's distinct
    entries, one code per unit and node column, and each unit's fields before its nodes).

    Built fast: every node entry of a unit depends only on its (points, max) pair, and a node
    has few distinct pairs across units, so each distinct entry is encoded once and shared; a
    chunk's lines are gathered and put together by pyarrow's string kernels (no Python object
    per unit and node).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    sets = [s for s in results.sets if len(s.unit_column("unit"))]
    for k, s in enumerate(sets):
        scale = float(s.scale)
        order = ranked_order(s)
        columns: list[tuple[np.ndarray, list[str]]] = []  # (codes per unit in data order, distinct texts)
        for j, node in enumerate(s.criteria.nodes):
            lead = "" if j == 0 else ", "
            codes, texts = _node_entries(lead + _js(node.code), s.node_points[:, j], s.node_max[:, j], scale)
            if columns and len(columns[-1][1]) * len(texts) <= _MERGE_LIMIT:
                columns[-1] = _merged(columns[-1], (codes, texts))  # fewer, longer pieces to join
            else:
                columns.append((codes, texts))
        take = to_arrow(order)
        ids, names, kinds = (s.unit_column(c).tolist() for c in ("unit", "name", "kind"))
        kind = {k: _js(k) for k in set(kinds)}
        band = {b: _js(b) for b in set(s.band)}
        rank = np.isnan(s.rank)
        heads = join(
            f'{indent}{{"unit": ', _json_texts(ids).take(take),
            ', "name": ', _json_texts(names).take(take),
            ', "kind": ', to_arrow([kind[k] for k in kinds]).take(take),
            ', "points": ', _float_texts(s.total_points / scale).take(take),
            ', "max": ', _float_texts(s.total_max / scale).take(take),
            ', "index": ', _float_texts(s.index, nan="null").take(take),  # json writes floats by repr
            ', "rank": ', pc.fill_null(pc.cast(to_arrow(np.where(rank, 0, s.rank).astype(np.int64), rank), pa.string()), scalar("null")).take(take),
            ', "band": ', to_arrow([band[b] for b in s.band]).take(take),
            ', "nodes": {',
            "",
        )
        # every piece of the lines in one array (each unit's head, each column's distinct texts, the
        # line end) and, per unit, its pieces' positions in it in line order: the text of a chunk of
        # lines is the values of the pieces taken in that order, one copy by pyarrow
        pool = pa.concat_arrays([heads, to_arrow([*(t for _, texts in columns for t in texts), "}},\n"])])
        pieces = np.empty((len(order), len(columns) + 2), dtype=np.int32)
        pieces[:, 0] = np.arange(len(order))
        start = len(order)
        for c, (codes, texts) in enumerate(columns):
            pieces[:, c + 1] = codes[order] + start
            start += len(texts)
        pieces[:, -1] = start
        last_set = k == len(sets) - 1
        for lo in range(0, len(order), _UNITS_PER_CHUNK):
            hi = min(lo + _UNITS_PER_CHUNK, len(order))
            text = utf8_text(pool.take(to_arrow(pieces[lo:hi].ravel())))
            yield text[:-2] if last_set and hi == len(order) else text  # the last unit: no comma, and the caller ends the line


def json_problems_block(results: Results, per_part: int = 20_000) -> Iterator[Part]:
    """The ``problems`` of :func:`to_json_dict`, one per line as ``json`` encodes each
    :meth:`~par_index.errors.Problem.as_dict` (indented by two spaces, ``,`` between them), in
    UTF-8 parts of up to ``per_part`` problems, made as they are asked for, for
    :func:`~par_index.scoring.writers.json_parts`.

    Built column by column (:func:`_problem_column`) and put together by pyarrow's string
    kernels (a field as_dict leaves out is a null, skipped): no dict is made and encoded per
    problem and no line is a Python string (200,000 problems on 100,000 units)."""
    import pyarrow as pa

    for lo, part in problem_columns(results, _PROBLEM_FIELDS, per_part):
        columns = [_problem_column(name, part[name]) for name in _PROBLEM_FIELDS]
        body = join(*columns, ", ", null_handling="skip")
        if isinstance(body, pa.Scalar):  # every field one value throughout
            body = pa.repeat(body, len(part["reason"]))
        lines = join(",\n  {", body, "}", "")
        text = utf8_text(lines)
        yield text[2:] if lo == 0 else text  # the first line has no ",\n" before it


def problem_columns(results: Results, names: Sequence[str], per_part: int) -> Iterator[tuple[int, dict[str, list[Any]]]]:
    """The problems' fields ``names``, ``per_part`` problems at a time (the first one's position,
    each field's values): read from the engine's columns (:class:`~par_index.errors.ProblemRows`)
    where the problems were not made, from each :class:`~par_index.errors.Problem` elsewhere."""
    columns: dict[str, list[Any]] = {name: [] for name in names}
    run: list[Problem] = []  # problems one by one, read a field at a time

    def flush() -> None:
        for name in names:
            columns[name].extend(map(attrgetter(name), run))
        run.clear()

    for item in results.problem_parts():
        if isinstance(item, ProblemRows):
            flush()
            for name in names:
                columns[name].extend(item.column(name))
        else:
            run.append(item)
    flush()
    total = len(columns[names[0]]) if names else 0
    for lo in range(0, total, per_part):
        yield lo, {name: values[lo : lo + per_part] for name, values in columns.items()}


def _problem_column(name: str, values: list[Any]) -> Any:
    """``"name": value`` as ``json`` encodes it for each value, as a pyarrow string array or, for
    one value throughout (most fields of a big run), a scalar; null for a field as_dict leaves
    out ('' or None). Texts are escaped by pyarrow (``\\`` and ``"``; the rare one with a control
    character by ``json`` itself), ints written by ``str`` as json does. Each value is touched by
    Python as few times as can be: 200,000 strings scattered in memory take ~10 ms a pass."""
    import pyarrow as pa
    import pyarrow.compute as pc

    key = _js(name) + ": "
    first = values[0]
    if (first is None or type(first) is str) and values[-1] == first and values.count(first) == len(values):
        return scalar(None if first in ("", None) else key + _js(first))
    arr = texts_or_ints(values)  # string for texts (and None), int64 for ints (and None), as pyarrow infers
    if arr is not None and arr.type == pa.string():
        quoted = _quoted(arr, key)
        empty = pc.equal(arr, scalar(""))
        return pc.if_else(empty, scalar(None), quoted) if empty.true_count else quoted
    if arr is not None:  # json writes an int by str
        return join(key, pc.cast(arr, pa.string()), "")
    return to_arrow([None if v is None or v == "" else key + (str(v) if type(v) is int else _js(v)) for v in values])


_PROBLEM_FIELDS = tuple(f.name for f in fields(Problem))


def _json_texts(values: list[Any]) -> Any:
    """Each value as ``json`` encodes it, as a pyarrow string array (texts escaped by pyarrow,
    :func:`_quoted`; anything else by json itself)."""
    import pyarrow as pa

    arr = texts_or_ints(values)
    if arr is not None and arr.type == pa.string() and not arr.null_count:
        return _quoted(arr, "")
    return to_arrow([_js(v) for v in values])


def _quoted(arr: Any, key: str) -> Any:
    """``key`` + each text of the pyarrow string array ``arr`` as ``json`` (``ensure_ascii=False``)
    encodes it: ``\\`` and ``"`` escaped by pyarrow, the rare text with a control character by
    json itself; a null stays null."""
    import pyarrow.compute as pc

    raw = np.frombuffer(utf8_text(arr), dtype=np.uint8)
    if not ((raw < 0x20) | (raw == 0x22) | (raw == 0x5C)).any():  # nothing to escape (a unit's id, a criterion's code)
        return join(key + '"', arr, '"', "")
    quoted = join(key + '"', pc.replace_substring(pc.replace_substring(arr, "\\", "\\\\"), '"', '\\"'), '"', "")
    control = pc.match_substring_regex(arr, r"[\x00-\x1f]")
    if control.true_count:  # \n, \t, \u0001 …: as json writes them
        quoted = pc.replace_with_mask(quoted, control, to_arrow([key + _js(v) for v in arr.filter(control).to_pylist()]))
    return quoted


def _float_texts(values: np.ndarray, nan: str | None = None) -> Any:
    """Each float by ``repr`` (as json writes it; NaN as ``nan`` when given), as a pyarrow string
    array: each distinct value (by its bits: -0.0 is not 0.0) written once."""
    codes, bits = factorize(np.ascontiguousarray(values, dtype=np.float64).view(np.int64))
    texts = [repr(v) for v in bits.view(np.float64).tolist()]
    if nan is not None:
        texts = [nan if t == "nan" else t for t in texts]
    return to_arrow(texts).take(to_arrow(codes))


def _js(value: object) -> str:
    """One JSON value as ``json`` (``ensure_ascii=False``) encodes it."""
    if isinstance(value, str):
        return str(encode_basestring(value))
    return _ENCODE(value)


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


_MERGE_LIMIT = 256  # most pairs of texts of two neighbouring columns combined
_UNITS_PER_CHUNK = 2000  # units whose lines are made at a time (~12 MB; the rest of the document is not made yet)


def _node_entries(code: str, points: np.ndarray, maxima: np.ndarray, scale: float) -> tuple[np.ndarray, list[str]]:
    """``"code": {"points": …, "max": …, "index": …}`` per unit, as codes into the distinct
    texts: one encoding per distinct (points, max) pair, hashed as one whole number
    ``points × width + max`` (as one complex number if that could pass 2**52)."""
    width = float(maxima.max(initial=0.0)) + 1.0  # points and maxima are whole units, maxima ≥ 0
    if float(np.abs(points).max(initial=0.0)) * width < 2.0**52:
        codes, keys = factorize((points * width + maxima).astype(np.int64))  # exact: below 2**53
        pairs = [divmod(k, int(width)) for k in keys.tolist()]
    else:  # each of the two by its bits, then the pair of their codes
        p_codes, p_bits = factorize(np.ascontiguousarray(points, dtype=np.float64).view(np.int64))
        m_codes, m_bits = factorize(np.ascontiguousarray(maxima, dtype=np.float64).view(np.int64))
        codes, keys = factorize(p_codes * len(m_bits) + m_codes)
        p_of, m_of = p_bits.view(np.float64), m_bits.view(np.float64)
        pairs = [(p_of[k // len(m_bits)], m_of[k % len(m_bits)]) for k in keys.tolist()]
    texts = []
    for pu, mu in pairs:
        p, m = float(pu), float(mu)
        index = repr(p * 100.0 / m) if m > 0 else "null"
        texts.append(f'{code}: {{"points": {p / scale!r}, "max": {m / scale!r}, "index": {index}}}')
    return codes, texts


def _merged(left: tuple[np.ndarray, list[str]], right: tuple[np.ndarray, list[str]]) -> tuple[np.ndarray, list[str]]:
    """Two neighbouring columns as one: each unit's pair of texts, concatenated; every pair of
    their texts is made (at most ``_MERGE_LIMIT``), so a unit's code is found without a hash."""
    width = len(right[1])
    return left[0] * width + right[0], [a + b for a in left[1] for b in right[1]]


@dataclass(frozen=True)
class Nullable:
    """A column of values some of whose cells are missing (``missing`` true there): a rank."""

    values: np.ndarray
    missing: np.ndarray


# a column of one row per unit: floats (NaN: missing), texts as an object array (None: missing),
# or values with missing cells (:class:`Nullable`)
Column = np.ndarray | Nullable


def set_units_columns(s: SetResult, decimals: int | None = 2) -> dict[str, Column]:
    """The columns of :func:`units_frame` for the units of ``s``, in ranked order."""
    order = ranked_order(s)
    scale = float(s.scale)
    columns: dict[str, Column] = {name: s.unit_column(name)[order] for name in UNIT_COLUMNS}
    columns["points"] = (s.total_points / scale)[order]
    columns["max"] = (s.total_max / scale)[order]
    idx = s.index[order]
    if decimals is not None:  # half up, from the exact ratio near a half (docs/rounding.md)
        idx = round_array(idx, decimals, _exact_index(s.total_points[order], s.total_max[order]))
    columns["index"] = idx
    rank = s.rank[order]
    no_rank = np.isnan(rank)
    columns["rank"] = Nullable(np.where(no_rank, 0, rank).astype(np.int64), no_rank)
    columns["band"] = np.array(s.band, dtype=object)[order]
    for area in s.criteria.areas():
        j = s.criteria.node_index[area.code]
        columns[f"points_{area.code}"] = (s.node_points[:, j] / scale)[order]
    return columns


def units_columns(results: Results, decimals: int | None = 2) -> dict[str, Column]:
    """The columns of :func:`units_frame`, without pandas: the sets' units one after the other,
    the columns in order of first appearance (as ``pandas.concat``), NaN where a set has no
    such column (an area of another set)."""
    per_set = [set_units_columns(s, decimals) for s in results.sets]
    out: dict[str, Column] = {}
    for name in dict.fromkeys(n for columns in per_set for n in columns):
        parts = [columns.get(name) for columns in per_set]
        if len(parts) == 1 and parts[0] is not None:
            out[name] = parts[0]
        elif all(isinstance(p, Nullable) for p in parts):
            out[name] = Nullable(np.concatenate([p.values for p in parts]), np.concatenate([p.missing for p in parts]))  # type: ignore[union-attr]
        else:
            lengths = [len(s.total_points) for s in results.sets]
            filled = [np.full(n, np.nan) if p is None else p for p, n in zip(parts, lengths, strict=True)]
            if any(isinstance(p, Nullable) for p in filled):  # pragma: no cover - a rank is in every set
                raise TypeError(f"column {name}: a rank missing in a set")
            out[name] = np.concatenate(filled)  # type: ignore[arg-type]
    return out


def units_frame(results: Results, decimals: int | None = 2) -> pd.DataFrame:
    """One row per unit: totals, index, rank, band and each area's points (``points_<code>``)."""
    import pandas as pd

    frames = []
    for s in results.sets:
        columns = set_units_columns(s, decimals)
        df = units_table(columns)  # type: ignore[arg-type]
        for name, column in columns.items():
            if name not in UNIT_COLUMNS:
                df[name] = pd.arrays.IntegerArray(column.values, column.missing) if isinstance(column, Nullable) else column
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _exact_index(points: np.ndarray, maxima: np.ndarray) -> Callable[[int], Fraction | None]:
    return lambda i: Fraction(int(points[i]) * 100, int(maxima[i]))


def problems_frame(results: Results) -> pd.DataFrame:
    import pandas as pd

    cols = ["severity", "reason", "file", "line", "cell", "unit", "criterion", "field", "message"]
    rows = [{c: getattr(p, c) for c in cols} for p in results.problems]
    df = pd.DataFrame(rows, columns=cols)
    df["line"] = df["line"].astype("Int64")
    return df
