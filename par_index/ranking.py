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
    """Competition ranks ("1224") of ``index`` (highest first) within each group; NaN stays NaN."""
    s = pd.Series(index)
    ranks = s.groupby(pd.Series(groups, dtype=object)).rank(method="min", ascending=False)
    return ranks.to_numpy(dtype=float)


def band_labels(points: np.ndarray, maxima: np.ndarray, bands: list[tuple[str, Fraction]]) -> list[str | None]:
    """The band label per unit (``bands`` sorted by ``min`` descending), None without an index."""
    out: list[str | None] = [None] * len(points)
    if not bands:
        return out
    assigned = np.zeros(len(points), dtype=bool) | (maxima <= 0)
    for label, threshold in bands:
        reach = points * 100.0 * threshold.denominator >= maxima * threshold.numerator
        hit = reach & ~assigned
        for i in np.flatnonzero(hit):
            out[i] = label
        assigned |= hit
    return out


def exact_index(points_units: int, max_units: int) -> Fraction:
    """The index as an exact fraction (for tests and explanations)."""
    return Fraction(points_units * 100, max_units)
