"""``per_item``: points per occurrence, capped."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import numpy as np
from pydantic import PositiveFloat

from par_index.criteria.rules.base import Measure, MeasuredRule, above_max, finite, pts, register


@register
class PerItem(MeasuredRule):
    kind: Literal["per_item"]
    measure: Measure = "count"
    each: PositiveFloat
    cap: PositiveFloat | None = None

    def check(self, max_points: Decimal | None) -> list[tuple[str, str]]:
        if self.cap is not None and max_points is not None and Decimal(str(self.cap)) > max_points:
            return [("cap", above_max(f"mức trần {pts(self.cap)}", max_points))]
        return []

    def point_values(self) -> list[tuple[str, float]]:
        return [("each", self.each)] + ([("cap", self.cap)] if self.cap is not None else [])

    def upper(self, max_points: float) -> float:
        return min(self.cap, max_points) if self.cap is not None else max_points

    def points(self, x: np.ndarray, max_points: float) -> np.ndarray:
        return np.clip(np.nan_to_num(x, nan=0.0) * self.each, 0.0, self.upper(max_points))

    def points_scalar(self, x: float | None, max_points: float) -> float:
        if not finite(x):
            return 0.0
        assert x is not None
        return min(max(x * self.each, 0.0), self.upper(max_points))

    def describe(self, max_points: float) -> str:
        return f"{pts(self.each)} cho mỗi lần, tối đa {pts(self.upper(max_points))}"
