"""``bands``: a ratio or count against ordered thresholds, with the edges official texts write.

"từ 80% đến dưới 100%" is ``{from: 0.8, below: 1}``: ``from`` ≥, ``above`` >, ``to`` ≤,
``below`` <. Bands are listed in order (either direction), never overlap, and meet exactly:
each edge belongs to exactly one of the two bands beside it. A value in no band scores 0.
"""

from __future__ import annotations

import itertools
import math
from decimal import Decimal
from typing import Literal

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from par_index.common.schema import Strict
from par_index.criteria.rules.base import Measure, MeasuredRule, NonNegative, Number, above_max, finite, pts, register


class Band(Strict):
    model_config = ConfigDict(populate_by_name=True)  # with Strict's: no unknown key, frozen

    from_: Number | None = Field(default=None, alias="from")
    above: Number | None = None
    to: Number | None = None
    below: Number | None = None
    points: NonNegative

    @model_validator(mode="after")
    def _one_edge_each_side(self) -> Band:
        if self.from_ is not None and self.above is not None:
            raise ValueError("một khoảng chỉ có một cận dưới: 'from' (≥) hoặc 'above' (>)")
        if self.to is not None and self.below is not None:
            raise ValueError("một khoảng chỉ có một cận trên: 'to' (≤) hoặc 'below' (<)")
        lo, hi = self.lower(), self.upper()
        if lo is not None and hi is not None and (
            lo[0] > hi[0] or (lo[0] == hi[0] and not (lo[1] and hi[1]))
        ):
            raise ValueError("cận dưới lớn hơn cận trên: khoảng này không chứa giá trị nào")
        return self

    def lower(self) -> tuple[float, bool] | None:
        """(edge, inclusive) or None for −∞."""
        if self.from_ is not None:
            return self.from_, True
        if self.above is not None:
            return self.above, False
        return None

    def upper(self) -> tuple[float, bool] | None:
        if self.to is not None:
            return self.to, True
        if self.below is not None:
            return self.below, False
        return None

    def contains_array(self, x: np.ndarray) -> np.ndarray:
        mask = ~np.isnan(x)
        lo, hi = self.lower(), self.upper()
        if lo is not None:
            mask &= (x >= lo[0]) if lo[1] else (x > lo[0])
        if hi is not None:
            mask &= (x <= hi[0]) if hi[1] else (x < hi[0])
        return mask

    def contains(self, x: float) -> bool:
        lo, hi = self.lower(), self.upper()
        if lo is not None and not (x >= lo[0] if lo[1] else x > lo[0]):
            return False
        return not (hi is not None and not (x <= hi[0] if hi[1] else x < hi[0]))


@register
class Bands(MeasuredRule):
    kind: Literal["bands"]
    measure: Measure = "ratio"
    bands: list[Band] = Field(min_length=1)

    def check(self, max_points: Decimal | None) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for i, band in enumerate(self.bands):
            if max_points is not None and Decimal(str(band.points)) > max_points:
                out.append((f"bands[{i + 1}].points", above_max(pts(band.points), max_points)))
        keys = [_low_key(b) for b in self.bands]
        ascending = sorted(range(len(keys)), key=lambda i: keys[i])
        if ascending != list(range(len(keys))) and ascending != list(reversed(range(len(keys)))):
            out.append(("bands", "các khoảng không theo thứ tự (hãy viết từ cao xuống thấp hoặc từ thấp lên cao)"))
            return out
        ordered = [self.bands[i] for i in ascending]
        for a, b in itertools.pairwise(ordered):
            hi, lo = a.upper(), b.lower()
            where = f"giữa khoảng '{self.edge_text(a)}' và '{self.edge_text(b)}'"
            if hi is None or lo is None:
                out.append(("bands", f"các khoảng chồng lên nhau {where}"))
            elif hi[0] < lo[0]:
                out.append(("bands", f"khoảng trống {where}: giá trị từ {self.fmt(hi[0])} đến {self.fmt(lo[0])} không thuộc khoảng nào"))
            elif hi[0] > lo[0]:
                out.append(("bands", f"các khoảng chồng lên nhau {where}"))
            elif hi[1] and lo[1]:
                out.append(("bands", f"giá trị {self.fmt(hi[0])} thuộc cả hai khoảng {where}"))
            elif not hi[1] and not lo[1]:
                out.append(("bands", f"giá trị {self.fmt(hi[0])} không thuộc khoảng nào {where}"))
        return out

    def point_values(self) -> list[tuple[str, float]]:
        return [(f"bands[{i + 1}].points", b.points) for i, b in enumerate(self.bands)]

    def points(self, x: np.ndarray, max_points: float) -> np.ndarray:
        out = np.zeros(len(x))
        for band in self.bands:
            out = np.where(band.contains_array(x), band.points, out)
        return out

    def points_scalar(self, x: float | None, max_points: float) -> float:
        if not finite(x):
            return 0.0
        assert x is not None
        for band in self.bands:
            if band.contains(x):
                return band.points
        return 0.0

    def edge_text(self, band: Band) -> str:
        lo, hi = band.lower(), band.upper()
        parts = []
        if lo is not None:
            parts.append(("từ " if lo[1] else "trên ") + self.fmt(lo[0]))
        if hi is not None:
            parts.append(("đến " if hi[1] else "dưới ") + self.fmt(hi[0]))
        if lo is not None and hi is None:
            return parts[0] + (" trở lên" if lo[1] else "")
        if lo is None and hi is not None:
            return parts[0] if not hi[1] else f"từ {self.fmt(hi[0])} trở xuống"
        if hi is not None and not hi[1]:
            return f"{parts[0]} đến {parts[1]}"  # "từ 80% đến dưới 100%"
        return " ".join(parts)

    def describe(self, max_points: float) -> str:
        return "; ".join(f"{self.edge_text(b)}: {pts(b.points)}" for b in self.bands)


def _low_key(band: Band) -> tuple[float, int]:
    lo = band.lower()
    if lo is None:
        return (-math.inf, 0)
    return (lo[0], 0 if lo[1] else 1)
