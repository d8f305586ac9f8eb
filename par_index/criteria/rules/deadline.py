"""``deadline``: on or before ``due`` → max; until ``late_until`` → ``late_points``; else 0."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar, Literal

import numpy as np

from par_index.common.values import date_to_days, format_date, format_number
from par_index.criteria.rules.base import (
    Date,
    NonNegative,
    Rule,
    ValueIssue,
    ValueType,
    above_max,
    finite,
    pts,
    register,
)
from par_index.messages import SCORED_ZERO

PLAUSIBLE_YEARS = 10  # a completion date more than this many years before the due year is a typo


@register
class Deadline(Rule):
    kind: Literal["deadline"]
    value_type: ClassVar[ValueType] = "date"
    due: Date
    late_until: Date | None = None
    late_points: NonNegative = 0.0

    def check(self, max_points: Decimal | None) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.late_until is not None and self.late_until < self.due:
            out.append(("late_until", f"hạn muộn {format_date(self.late_until)} trước hạn chính {format_date(self.due)}"))
        if max_points is not None and Decimal(str(self.late_points)) > max_points:
            out.append(("late_points", above_max(f"điểm nộp muộn {format_number(self.late_points)}", max_points)))
        if self.late_points and self.late_until is None:
            out.append(("late_until", "có late_points nhưng thiếu late_until (hạn cuối cho nộp muộn)"))
        return out

    def input_kind(self) -> str:
        return "date"

    def point_values(self) -> list[tuple[str, float]]:
        return [("late_points", self.late_points)]

    def earliest(self) -> dt.date:
        """Dates before this (1 January, ``PLAUSIBLE_YEARS`` before the due year) are implausible."""
        return dt.date(self.due.year - PLAUSIBLE_YEARS, 1, 1)

    def prepare(self, x: np.ndarray, max_points: float) -> tuple[np.ndarray, list[ValueIssue]]:
        """A date in year 0024 or 0001 (``04/01/24`` read as year 24) would be "on time": an error,
        scored 0, never full points."""
        with np.errstate(invalid="ignore"):
            early = x < date_to_days(self.earliest())
        if not early.any():
            return x, []
        message = (
            f"{{value}}: năm không hợp lý (sớm hơn hạn {format_date(self.due)} hơn {PLAUSIBLE_YEARS} năm); "
            "hãy ghi ngày dạng dd/mm/yyyy đủ 4 chữ số năm, ví dụ 04/01/2024"
        ) + SCORED_ZERO
        return np.where(early, np.nan, x), [ValueIssue(early, "date_implausible", message, "error")]

    def points(self, x: np.ndarray, max_points: float) -> np.ndarray:
        due = date_to_days(self.due)
        out = np.where(x <= due, max_points, 0.0)
        if self.late_until is not None:
            late = (x > due) & (x <= date_to_days(self.late_until))
            out = np.where(late, self.late_points, out)
        return out

    def points_scalar(self, x: float | None, max_points: float) -> float:
        if not finite(x):
            return 0.0
        assert x is not None
        if x <= date_to_days(self.due):
            return max_points
        if self.late_until is not None and x <= date_to_days(self.late_until):
            return self.late_points
        return 0.0

    def describe(self, max_points: float) -> str:
        text = f"Hoàn thành đến hết ngày {format_date(self.due)}: {pts(max_points)}"
        if self.late_until is not None:
            text += f"; đến hết ngày {format_date(self.late_until)}: {pts(self.late_points)}"
        return text + "; muộn hơn hoặc không có: 0 điểm"
