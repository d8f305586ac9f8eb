"""Text put together by pyarrow's string kernels, handed to a file without a Python string."""

from __future__ import annotations

from typing import Any

import numpy as np


def utf8_text(arr: Any) -> memoryview:
    """The text of a pyarrow string array without nulls, its values one after the other (UTF-8)."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4)
    return memoryview(arr.buffers()[2])[int(offsets[0]) : int(offsets[-1])]
