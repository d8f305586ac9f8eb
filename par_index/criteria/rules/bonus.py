"""``bonus`` and ``penalty``: points added or subtracted outside the maximum, each capped.

The value is the points themselves, or a count of occurrences when ``each`` is given; both are
magnitudes (``-0,5`` and ``0,5`` alike), as claims are.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

import numpy as np
from pydantic import PositiveFloat

from par_index.criteria.rules.base import Rule, ValueIssue, check_measure, finite, pts, register


class _Outside(Rule):
    cap: PositiveFloat
    each: PositiveFloat | None = None
    label: ClassVar[str] = ""

    def check(self, max_points: Decimal | None) -> list[tuple[str, str]]:
        if max_points is not None:
            return [("max", f"điểm {self.label.lower()} nằm ngoài điểm tối đa: không ghi 'max', mức trần ghi ở 'cap'")]
        return []

    def point_values(self) -> list[tuple[str, float]]:
        return [("cap", self.cap)] + ([("each", self.each)] if self.each is not None else [])

    def input_kind(self) -> str:
        return "count" if self.each is not None else "points"

    def upper(self, max_points: float) -> float:
        return self.cap

    def prepare(self, x: np.ndarray, max_points: float) -> tuple[np.ndarray, list[ValueIssue]]:
        # values are magnitudes (docs/criteria-format.md): a penalty written −0,5 subtracts 0,5,
        # a count written −2 is 2 occurrences; a sign never drops the points
        x = np.abs(x)
        return check_measure("count", x) if self.each is not None else (x, [])

    def points(self, x: np.ndarray, max_points: float) -> np.ndarray:
        raw = np.nan_to_num(x, nan=0.0) * (self.each or 1.0)
        return np.clip(raw, 0.0, self.cap)

    def points_scalar(self, x: float | None, max_points: float) -> float:
        if not finite(x):
            return 0.0
        assert x is not None
        return min(abs(x) * (self.each or 1.0), self.cap)

    def describe(self, max_points: float) -> str:
        if self.each is not None:
            return f"{self.label}: {pts(self.each)} mỗi lần, tối đa {pts(self.cap)} (ngoài tổng điểm tối đa)"
        return f"{self.label} tối đa {pts(self.cap)} (ngoài tổng điểm tối đa)"


@register
class Bonus(_Outside):
    kind: Literal["bonus"]
    sign: ClassVar[int] = 1
    label: ClassVar[str] = "Điểm thưởng"


@register
class Penalty(_Outside):
    kind: Literal["penalty"]
    sign: ClassVar[int] = -1
    label: ClassVar[str] = "Điểm trừ"
