"""``yes_no``: done / not done (có / không) → full points or 0."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np

from par_index.criteria.rules.base import Rule, ValueIssue, ValueType, finite, pts, register
from par_index.messages import SCORED_ZERO


@register
class YesNo(Rule):
    kind: Literal["yes_no"]
    value_type: ClassVar[ValueType] = "bool"

    def input_kind(self) -> str:
        return "bool"

    def points(self, x: np.ndarray, max_points: float) -> np.ndarray:
        return np.where(x == 1.0, max_points, 0.0)

    def prepare(self, x: np.ndarray, max_points: float) -> tuple[np.ndarray, list[ValueIssue]]:
        with np.errstate(invalid="ignore"):
            other = ~np.isnan(x) & (x != 0.0) & (x != 1.0)
        if other.any():
            return x, [ValueIssue(other, "value_not_yes_no", "{value} không phải có/không (1/0)" + SCORED_ZERO)]
        return x, []

    def points_scalar(self, x: float | None, max_points: float) -> float:
        return max_points if finite(x) and x == 1.0 else 0.0

    def describe(self, max_points: float) -> str:
        return f"Có: {pts(max_points)}; không: 0 điểm"
