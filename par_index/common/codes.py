"""Codes of distinct values (``pandas.factorize``'s contract) without pandas.

The score path (``par-index score --out .csv/.json``) does not import pandas (≈ 0.33 s of
start-up against ≈ 0.1 s of use): whole numbers and texts are hashed by pyarrow (already
loaded there), any other object by a Python dict."""

from __future__ import annotations

from typing import Any

import numpy as np


def factorize(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """``pandas.factorize(values)``: each value's code (``intp``) into its distinct values in
    order of first appearance, and those values; a missing value (None or NaN in an object
    array) gets −1. Integer, bool and text arrays are hashed by pyarrow, anything else (an
    object array of other values) as Python objects (``1``, ``1.0`` and ``True`` are one key,
    as in pandas). Floats are refused: factorize their bits (-0.0 is not 0.0 there)."""
    import pyarrow as pa

    arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if arr.dtype.kind == "f":
        raise TypeError("factorize: floats are compared by value (0.0 == -0.0); factorize their bits (view as int64)")
    try:
        if arr.dtype.kind in "iub":
            encoded = pa.array(arr).dictionary_encode()
            uniques = encoded.dictionary.to_numpy(zero_copy_only=False).astype(arr.dtype, copy=False)
        else:  # texts (None and NaN: null); another value refuses the string type
            encoded = pa.array(arr, type=pa.string(), from_pandas=True).dictionary_encode()
            uniques = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object, copy=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        seen: dict[Any, int] = {}
        codes = np.fromiter(
            (-1 if v is None or (isinstance(v, float) and v != v) else seen.setdefault(v, len(seen)) for v in arr.tolist()),
            dtype=np.intp,
            count=len(arr),
        )
        return codes, np.fromiter(seen, dtype=object, count=len(seen))
    indices = encoded.indices
    codes = indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp) if indices.null_count else indices.to_numpy().astype(np.intp)
    return codes, uniques
