"""Ranks and bands: exact ties, missing indexes and groups, and boundaries."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from par_index.scoring.ranking import band_labels, rank_within

BANDS = [("Tốt", Fraction(90)), ("Khá", Fraction(80)), ("Trung bình", Fraction(50))]


def test_competition_ranks_within_each_group() -> None:
    index = np.array([90.0, 85.0, 90.0, np.nan, 70.0, 85.0, 99.0])
    groups = np.array(["so", "so", "so", "so", "huyen", "so", None], dtype=object)
    ranks = rank_within(index, groups)
    # so: 90, 85, 90, NaN, 85 → 1, 3, 1, NaN, 3; huyen: 70 → 1; no group → no rank
    assert ranks[[0, 1, 2, 4, 5]].tolist() == [1.0, 3.0, 1.0, 1.0, 3.0]
    assert np.isnan(ranks[3]) and np.isnan(ranks[6])


@given(st.lists(st.tuples(st.sampled_from([80.0, 85.5, 90.0, 100.0, float("nan")]), st.sampled_from(["so", "huyen", "xa"])), max_size=40))
def test_ranks_equal_pandas_groupby_rank(rows: list[tuple[float, str]]) -> None:
    index = np.array([r[0] for r in rows], dtype=float)
    groups = np.array([r[1] for r in rows], dtype=object)
    expected = pd.Series(index).groupby(pd.Series(groups, dtype=object)).rank(method="min", ascending=False)
    np.testing.assert_array_equal(rank_within(index, groups), expected.to_numpy(dtype=float))


def test_bands_exact_at_the_boundary() -> None:
    # 9000 of 10000 hundredths is exactly 90: Tốt, however it was summed; 8999 is Khá
    points = np.array([9000.0, 8999.0, 5000.0, 4999.0, 0.0, 100.0])
    maxima = np.array([10000.0, 10000.0, 10000.0, 10000.0, 10000.0, 0.0])
    assert band_labels(points, maxima, BANDS) == ["Tốt", "Khá", "Trung bình", None, None, None]
    assert band_labels(points, maxima, []) == [None] * 6
