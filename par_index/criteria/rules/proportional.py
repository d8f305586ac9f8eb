"""``proportional``: max × value / target, clamped to [0, max]; below ``floor`` → 0."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Literal

import numpy as np
from pydantic import PositiveFloat

from par_index.criteria.rules.base import Measure, MeasuredRule, finite, pts, register


@register
class Proportional(MeasuredRule):
    kind: Literal["proportional"]
    measure: Measure = "ratio"
    target: PositiveFloat
    floor: float | None = None

    def points(self, x: np.ndarray, max_points: float) -> np.ndarray:
        out = np.clip(max_points * np.nan_to_num(x, nan=0.0) / self.target, 0.0, max_points)
        if self.floor is not None:
            out = np.where(x < self.floor, 0.0, out)
        return out

    def points_scalar(self, x: float | None, max_points: float) -> float:
        if not finite(x):
            return 0.0
        assert x is not None
        if self.floor is not None and x < self.floor:
            return 0.0
        return min(max(max_points * x / self.target, 0.0), max_points)

    def points_exact(self, x: Fraction, max_points: Fraction) -> Fraction | None:
        if self.floor is not None and x < Fraction(Decimal(repr(self.floor))):
            return Fraction(0)
        return min(max(max_points * x / Fraction(Decimal(repr(self.target))), Fraction(0)), max_points)

    def describe(self, max_points: float) -> str:
        text = (
            f"Tỷ lệ với chỉ tiêu {self.fmt(self.target)}: đạt chỉ tiêu được {pts(max_points)}, "
            "thấp hơn được tính theo tỷ lệ"
        )
        if self.floor is not None:
            text += f"; dưới {self.fmt(self.floor)}: 0 điểm"
        return text
