"""``manual``: the unit (or the appraiser) gives the points directly, 0..max, in steps."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import numpy as np
from pydantic import PositiveFloat

from par_index.common.values import format_number
from par_index.criteria.rules.base import Rule, ValueIssue, finite, pts, register


@register
class Manual(Rule):
    kind: Literal["manual"]
    step: PositiveFloat | None = None

    def check(self, max_points: Decimal | None) -> list[tuple[str, str]]:
        if self.step is not None and max_points is not None:
            ratio = max_points / Decimal(str(self.step))
            if ratio != ratio.to_integral_value():
                return [("step", f"điểm tối đa {max_points} không phải bội số của bước {self.step}")]
        return []

    def input_kind(self) -> str:
        return "points"

    def prepare(self, x: np.ndarray, max_points: float) -> tuple[np.ndarray, list[ValueIssue]]:
        issues: list[ValueIssue] = []
        with np.errstate(invalid="ignore"):
            high = x > max_points + 1e-9
            low = x < 0
            if high.any():
                issues.append(
                    ValueIssue(high, "points_above_max", "{value} điểm vượt quá điểm tối đa {max}")
                )
            if low.any():
                issues.append(ValueIssue(low, "value_negative", "{value} điểm là số âm"))
            x = np.clip(x, 0.0, max_points)
            if self.step is not None:
                q = x / self.step
                off = np.abs(q - np.round(q)) > 1e-9
                if off.any():
                    issues.append(
                        ValueIssue(
                            off,
                            "points_not_on_step",
                            "{value} điểm không phải bội số của "
                            f"{format_number(self.step)}; được làm tròn xuống",
                        )
                    )
                    x = np.where(off, np.floor(q + 1e-9) * self.step, x)
        return x, issues

    def points(self, x: np.ndarray, max_points: float) -> np.ndarray:
        return np.clip(np.nan_to_num(x, nan=0.0), 0.0, max_points)

    def points_scalar(self, x: float | None, max_points: float) -> float:
        if not finite(x):
            return 0.0
        assert x is not None
        return min(max(x, 0.0), max_points)

    def describe(self, max_points: float) -> str:
        text = f"Chấm điểm trực tiếp từ 0 đến {pts(max_points)}"
        if self.step is not None:
            text += f", bước {format_number(self.step)}"
        return text
