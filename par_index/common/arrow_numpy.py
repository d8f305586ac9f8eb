"""numpy arrays to pyarrow arrays and back without pandas.

pyarrow's own ``pa.array(...)`` and ``Array.to_numpy()`` look for pandas first (pyarrow's pandas
shim imports it: ~0.3 s of CPU), though neither needs it for plain numbers and texts; so does
``pa.scalar`` and therefore every kernel of ``pyarrow.compute`` given a Python value (``pc.equal(a,
"")``). The score path builds its arrow arrays from buffers here (:func:`to_arrow`, :func:`scalar`)
and reads them back with :func:`numpy.frombuffer` (:func:`to_numpy`); the kernels given arrow
values only, ``to_pylist``, ``take`` and ``dictionary_encode`` import nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np


def to_arrow(values: np.ndarray | Sequence[Any], missing: np.ndarray | None = None) -> Any:
    """A pyarrow array of ``values``: numbers and booleans as their type, texts (an object array
    or a list of ``str``) as a string array (int64 offsets past 2 GiB of text). A null where
    ``missing`` is true, and for a text None. Texts are encoded in one piece, joined by NULs,
    and cut there by ``split_pattern`` (2.5× faster than ``pa.array``, which also imports
    pandas); a value that is not a text raises TypeError."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, np.ndarray) and values.dtype != object:
        n = len(values)
        if values.dtype == bool:
            data = pa.py_buffer(np.packbits(values, bitorder="little"))
            arrow_type = pa.bool_()
        else:
            arr = np.ascontiguousarray(values)
            data, arrow_type = pa.py_buffer(arr), pa.from_numpy_dtype(arr.dtype)
        return pa.Array.from_buffers(arrow_type, n, [_validity(missing), data], null_count=-1 if missing is not None else 0)
    texts = values.tolist() if isinstance(values, np.ndarray) else list(values)
    n = len(texts)
    if None in texts:
        none = np.fromiter((t is None for t in texts), dtype=bool, count=n)
        missing = none if missing is None else none | missing
    if missing is not None and missing.any():
        texts = ["" if m else t for t, m in zip(texts, missing.tolist(), strict=True)]
    validity = _validity(missing)
    data = "\x00".join(texts).encode("utf-8") if n >= _CUT_FROM else b""  # one encoding, cut at the NULs by pyarrow
    if n >= _CUT_FROM and data.count(0) == n - 1:
        whole = pa.LargeStringArray if len(data) >= 2**31 else pa.StringArray
        one = whole.from_buffers(1, pa.py_buffer(np.array([0, len(data)], dtype=np.int64 if whole is pa.LargeStringArray else np.int32)), pa.py_buffer(data))
        cut = pc.split_pattern(one, "\x00").flatten()
        if validity is None:
            return cut
        if cut.offset == 0:  # (the null bitmap counts from the array's offset)
            return type(cut).from_buffers(n, cut.buffers()[1], cut.buffers()[2], validity, -1)
    encoded = [str.encode(t, "utf-8") for t in texts]  # a few texts, or one holding a NUL (not a text: TypeError)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=n), out=offsets[1:])
    data = b"".join(encoded)
    if offsets[-1] < 2**31:
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data), validity, -1 if validity else 0)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data), validity, -1 if validity else 0)


_CUT_FROM = 64  # texts: fewer are encoded one by one (a kernel call costs as much as ~100 encodings)


def _validity(missing: np.ndarray | None) -> Any:
    """The validity bitmap of ``missing`` (None: no nulls)."""
    import pyarrow as pa

    if missing is None or not missing.any():
        return None
    return pa.py_buffer(np.packbits(~np.asarray(missing, dtype=bool), bitorder="little"))


@lru_cache(maxsize=1024)
def scalar(value: str | None) -> Any:
    """A pyarrow string scalar (None: the null string), for a kernel's argument (kept: the same
    separators and keys are given to the kernels again and again)."""
    return to_arrow([value])[0]


def to_numpy(arr: Any) -> np.ndarray:
    """A pyarrow array of numbers or booleans without nulls as a numpy array (a view of its
    buffer for numbers; booleans unpacked)."""
    import pyarrow as pa

    if arr.null_count:
        raise ValueError("nulls have no numpy value here")
    n, buf = len(arr), arr.buffers()[1]
    if pa.types.is_boolean(arr.type):
        if buf is None:
            return np.zeros(0, dtype=bool)
        bits = np.unpackbits(np.frombuffer(buf, dtype=np.uint8), bitorder="little")
        return bits[arr.offset : arr.offset + n].astype(bool)
    dtype = np.dtype(arr.type.to_pandas_dtype())
    if buf is None:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(buf, dtype=dtype, count=n, offset=arr.offset * dtype.itemsize)


def texts_or_ints(values: list[Any]) -> Any | None:
    """``pa.array(values)`` where pyarrow infers a string array (texts and None) or an int64 array
    (whole numbers within int64, and None), built without pandas; None for any other list (all
    None, bools, floats, a mix, an int past int64)."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds == {str}:
        return to_arrow(values)
    if kinds == {int}:
        cells = np.array(values, dtype=object)
        missing = cells == None  # noqa: E711 (elementwise)
        cells[missing] = 0
        try:
            return to_arrow(cells.astype(np.int64), missing)
        except OverflowError:  # past int64
            return None
    return None
