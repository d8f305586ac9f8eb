"""Ranks within a unit kind and bands, both exact.

``rank``: highest index first, within each kind; equal unrounded indexes share the lower rank
number (1, 2, 2, 4). The index is ``points × 100 / max`` computed with one division of two
whole numbers, so equal ratios give bit-identical floats and ties are never lost or invented.

``band``: the highest band whose ``min`` the index reaches, decided without division:
``points × 100 × q ≥ p × max`` for ``min = p / q`` — a total of exactly 90 is never below 90.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd


def rank_within(index: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Competition ranks ("1224") of ``index`` (highest first) within each group; NaN stays NaN.

    A unit's rank is 1 + the number of units of its group with a strictly higher index.
    """
    index = np.asarray(index, dtype=float)
    ranks = np.full(len(index), np.nan)
    codes, _ = pd.factorize(pd.Series(groups, dtype=object))  # a missing group (−1) gets no rank, as in groupby
    for g in range(int(codes.max()) + 1 if len(codes) else 0):
        members = np.flatnonzero((codes == g) & ~np.isnan(index))
        values = index[members]
        ascending = np.sort(values)
        ranks[members] = len(values) - np.searchsorted(ascending, values, side="right") + 1
    return ranks


def band_labels(points: np.ndarray, maxima: np.ndarray, bands: list[tuple[str, Fraction]]) -> list[str | None]:
    """The band label per unit (``bands`` sorted by ``min`` descending), None without an index."""
    if not bands:
        return [None] * len(points)
    which = np.full(len(points), len(bands))  # len(bands): no band
    for b in reversed(range(len(bands))):  # the highest band reached wins
        threshold = bands[b][1]
        reach = points * 100.0 * threshold.denominator >= maxima * threshold.numerator
        which[reach] = b
    which[maxima <= 0] = len(bands)
    labels = np.array([label for label, _ in bands] + [None], dtype=object)
    return labels[which].tolist()


def exact_index(points_units: int, max_units: int) -> Fraction:
    """The index as an exact fraction (for tests and explanations)."""
    return Fraction(points_units * 100, max_units)
