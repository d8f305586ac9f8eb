"""Codes of distinct values (``pandas.factorize``'s contract) without pandas.

The score path (``par-index score --out .csv/.json``) does not import pandas (≈ 0.33 s of
start-up against ≈ 0.1 s of use): whole numbers and texts are hashed by pyarrow (already
loaded there; its arrays built from buffers, :mod:`par_index.common.arrow_numpy`), any other
object by a Python dict."""

from __future__ import annotations

from typing import Any

import numpy as np

from par_index.common.arrow_numpy import to_arrow, to_numpy


def factorize(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """``pandas.factorize(values)``: each value's code (``intp``) into its distinct values in
    order of first appearance, and those values; a missing value (None or NaN in an object
    array) gets −1. Integer, bool and text arrays are hashed by pyarrow, anything else (an
    object array of other values) as Python objects (``1``, ``1.0`` and ``True`` are one key,
    as in pandas). Floats are refused: factorize their bits (-0.0 is not 0.0 there)."""
    arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if arr.dtype.kind == "f":
        raise TypeError("factorize: floats are compared by value (0.0 == -0.0); factorize their bits (view as int64)")
    if arr.dtype.kind in "iub":
        encoded = to_arrow(arr).dictionary_encode()
        return to_numpy(encoded.indices).astype(np.intp), to_numpy(encoded.dictionary).astype(arr.dtype, copy=False)
    cells = arr.tolist()
    try:
        encoded = to_arrow(cells).dictionary_encode()  # texts (None: a null); another value refuses the join
    except TypeError:
        return _factorize_objects(cells)
    indices = encoded.indices
    codes = np.frombuffer(indices.buffers()[1], dtype=np.int32, count=len(indices), offset=indices.offset * 4).astype(np.intp)
    if indices.null_count:
        codes[~to_numpy(indices.is_valid())] = -1  # a null's index is undefined
    return codes, np.fromiter(encoded.dictionary.to_pylist(), dtype=object, count=len(encoded.dictionary))


def _factorize_objects(cells: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`factorize` of Python objects by a dict (None and NaN: −1)."""
    seen: dict[Any, int] = {}
    codes = np.fromiter(
        (-1 if v is None or (isinstance(v, float) and v != v) else seen.setdefault(v, len(seen)) for v in cells),
        dtype=np.intp,
        count=len(cells),
    )
    return codes, np.fromiter(seen, dtype=object, count=len(seen))
