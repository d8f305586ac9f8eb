"""Ranks within a unit kind and bands, both exact.

``rank``: highest index first, within each kind; equal unrounded indexes share the lower rank
number (1, 2, 2, 4). The index is ``points × 100 / max`` computed with one division of two
whole numbers, so equal ratios give bit-identical floats and a correctly rounded division never
orders two ratios the wrong way; two different ratios closer than a float can tell (possible
with totals in 10**-6 point and different maxima) are told apart by exact integer products, so
ties are never lost or invented.

``band``: the highest band whose ``min`` the index reaches, decided without division:
``points × 100 × q ≥ p × max`` for ``min = p / q`` — a total of exactly 90 is never below 90.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from par_index.common.codes import factorize


def rank_within(
    index: np.ndarray, groups: np.ndarray, points: np.ndarray | None = None, maxima: np.ndarray | None = None
) -> np.ndarray:
    """Competition ranks ("1224") of ``index`` (highest first) within each group; NaN stays NaN.

    A unit's rank is 1 + the number of units of its group with a strictly higher index. With
    ``points`` and ``maxima`` (whole units, ``index = points × 100 / maxima``), units whose float
    indexes are equal are compared exactly.
    """
    index = np.asarray(index, dtype=float)
    ranks = np.full(len(index), np.nan)
    codes, _ = factorize(np.asarray(groups, dtype=object))  # a missing group (−1) gets no rank, as in groupby
    for g in range(int(codes.max()) + 1 if len(codes) else 0):
        members = np.flatnonzero((codes == g) & ~np.isnan(index))
        values = index[members]
        ascending = np.sort(values)
        ranks[members] = len(values) - np.searchsorted(ascending, values, side="right") + 1
        if points is not None and maxima is not None and len(values) > 1:
            _split_false_ties(members, values, ranks, points, maxima)
    return ranks


def _split_false_ties(members: np.ndarray, values: np.ndarray, ranks: np.ndarray, points: np.ndarray, maxima: np.ndarray) -> None:
    """Neighbours (by index) with bit-equal float indexes but different exact ratios (whole
    units, so the int64 cross products are exact) are ranked among themselves exactly."""
    order = np.argsort(values, kind="stable")
    sv = values[order]
    eq = sv[1:] == sv[:-1]
    if not eq.any():
        return
    a, b = members[order[:-1][eq]], members[order[1:][eq]]
    p, m = points.astype(np.int64), maxima.astype(np.int64)
    differ = p[a] * m[b] != p[b] * m[a]
    for v in np.unique(sv[1:][eq][differ]):
        _split_tie(members[values == v], ranks, points, maxima)


def _split_tie(same: np.ndarray, ranks: np.ndarray, points: np.ndarray, maxima: np.ndarray) -> None:
    """Units with bit-equal float indexes: rank them among themselves by the exact ratio."""
    exact = [Fraction(int(points[i]), int(maxima[i])) for i in same]
    for i, e in zip(same, exact, strict=True):
        ranks[i] += sum(other > e for other in exact)


def band_labels(points: np.ndarray, maxima: np.ndarray, bands: list[tuple[str, Fraction]]) -> list[str | None]:
    """The band label per unit (``bands`` sorted by ``min`` descending), None without an index."""
    if not bands:
        return [None] * len(points)
    which = np.full(len(points), len(bands))  # len(bands): no band
    p_int = np.nan_to_num(points).astype(np.int64) * 100  # whole units: exact integer products
    m_int = np.nan_to_num(maxima).astype(np.int64)
    for b in reversed(range(len(bands))):  # the highest band reached wins
        threshold = bands[b][1]
        reach = p_int * threshold.denominator >= m_int * threshold.numerator
        which[reach] = b
    which[maxima <= 0] = len(bands)
    labels = np.array([label for label, _ in bands] + [None], dtype=object)
    return labels[which].tolist()


def exact_index(points_units: int, max_units: int) -> Fraction:
    """The index as an exact fraction (for tests and explanations)."""
    return Fraction(points_units * 100, max_units)
