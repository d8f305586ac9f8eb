"""Giving the memory a big run has freed back to the system between its stages.

A big run (10**7 assessment rows) frees many per-row temporaries of a few MB while laying rows
out; glibc's ``malloc`` keeps such blocks in its heap (above its mmap threshold they would be
given back at once), and the holes they leave are resident until ``malloc_trim`` returns their
pages: ~60 MB at 10**7 rows, counted in the peak that follows (issue 15 target 2)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None on another C library or system)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim  # the process's own C library
    except (OSError, AttributeError):  # musl and others have none
        return None
    return trim


# below this many cells (or rows) worked on, the holes are a few MB: not worth a trim (a few ms,
# and the pages given back are faulted in again when the heap reuses them)
WORTH_TRIMMING = 1 << 22


def give_back(size: int) -> None:
    """Return the free pages of the C heap to the system after a stage that worked on ``size``
    cells or rows (nothing below :data:`WORTH_TRIMMING`, and nothing where there is no
    ``malloc_trim``); the blocks in use do not move, so nothing else changes."""
    if size < WORTH_TRIMMING:
        return
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
