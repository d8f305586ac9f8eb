"""Text put together by pyarrow's string kernels, handed to a file without a Python string."""

from __future__ import annotations

from typing import Any

import numpy as np


def utf8_text(arr: Any) -> memoryview:
    """The text of a pyarrow string array without nulls, its values one after the other (UTF-8)."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4)
    return memoryview(arr.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


def join(*parts: Any, null_handling: str = "emit_null") -> Any:
    """``pyarrow.compute.binary_join_element_wise`` of ``parts`` (the last one the separator), a
    Python text among them made an arrow scalar first (given as such, pyarrow would import
    pandas to convert it: :mod:`par_index.common.arrow_numpy`)."""
    import pyarrow.compute as pc

    from par_index.common.arrow_numpy import scalar

    return pc.binary_join_element_wise(*(scalar(p) if isinstance(p, str) else p for p in parts), null_handling=null_handling)
