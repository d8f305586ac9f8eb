"""``survey``: the share of favourable answers (0..1) → max × share.

The value is the share itself (``86%``), or answer counts (``A:120; B:40; C:15``) read through
the ``answers`` table, e.g. ``{A: 1, B: 0.6, C: 0.2, D: 0, E: 0}``.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from typing import Literal, TypeVar

import numpy as np
from pydantic import Field, PrivateAttr

from par_index.criteria.rules.base import Measure, MeasuredRule, ValueIssue, check_measure, finite, pts, register
from par_index.messages import ANSWER_SHARE_RANGE

_PAIR = re.compile(r"\s*([^:=;,\s]+)\s*[:=]\s*(\d+)\s*")
_SEP = re.compile(r"[;,]")
V = TypeVar("V", float, int)


def answer_counts(text: str, table: dict[str, V]) -> list[tuple[int, V]] | None:
    """``A:12; B:5`` → ``[(12, table["A"]), (5, table["B"])]`` in written order (keys in upper case).

    ``[]`` when the text is not answer counts at all (its first part is no known ``answer:count``
    pair, or it has no part), so it may be read as a number; None when it starts as answer counts
    but a later part is not a known pair (broken counts, never read as something else).
    """
    out: list[tuple[int, V]] = []
    for part in _SEP.split(text):
        if not part.strip():
            continue
        m = _PAIR.fullmatch(part)
        share = None if m is None else table.get(m.group(1).upper())
        if m is None or share is None:
            return None if out else []
        out.append((int(m.group(2)), share))
    return out


@register
class Survey(MeasuredRule):
    kind: Literal["survey"]
    measure: Measure = "ratio"
    answers: dict[str, float] | None = Field(default=None, min_length=1)

    _table: dict[str, float] | None = PrivateAttr(default=None)  # answers by upper-case key
    _exact_table: tuple[int, dict[str, int]] | None = PrivateAttr(default=None)  # (denominator, numerators)

    def check(self, max_points: Decimal | None) -> list[tuple[str, str]]:
        out = []
        for key, share in (self.answers or {}).items():
            if not 0 <= share <= 1:
                out.append((f"answers.{key}", ANSWER_SHARE_RANGE.format(answer=key, value=share)))
        if self.measure != "ratio":
            out.append(("measure", "điều tra xã hội học dùng tỷ lệ (measure: ratio)"))
        return out

    def prepare(self, x: np.ndarray, max_points: float) -> tuple[np.ndarray, list[ValueIssue]]:
        return check_measure("ratio", x)

    def parse_text(self, text: str) -> float | None:
        """``A:12; B:5; C:3`` → weighted share, using ``answers``."""
        if not self.answers:
            return None
        if self._table is None:
            self._table = {k.upper(): v for k, v in self.answers.items()}
        counts = answer_counts(text, self._table)
        if not counts:
            return None
        total = 0
        favourable = 0.0
        for n, share in counts:
            total += n
            favourable += n * share
        return favourable / total if total else None

    def exact_value(self, text: str) -> Fraction | None:
        """The share exactly: from answer counts (as :meth:`parse_text`, in integers) or as a number."""
        if self.answers:
            if self._exact_table is None:
                exact = {k.upper(): Fraction(Decimal(repr(v))) for k, v in self.answers.items()}
                den = math.lcm(*(f.denominator for f in exact.values()))
                self._exact_table = (den, {k: f.numerator * (den // f.denominator) for k, f in exact.items()})
            den, table = self._exact_table
            counts = answer_counts(text, table)
            if counts is None:
                return None
            if counts:
                total = sum(n for n, _ in counts)
                return Fraction(sum(n * share for n, share in counts), total * den) if total else None
        return super().exact_value(text)

    def points_exact(self, x: Fraction, max_points: Fraction) -> Fraction | None:
        return max_points * x if 0 <= x <= 1 else (max_points if x > 1 else Fraction(0))

    def points(self, x: np.ndarray, max_points: float) -> np.ndarray:
        return max_points * np.clip(np.nan_to_num(x, nan=0.0), 0.0, 1.0)

    def points_scalar(self, x: float | None, max_points: float) -> float:
        if not finite(x):
            return 0.0
        assert x is not None
        return max_points * min(max(x, 0.0), 1.0)

    def describe(self, max_points: float) -> str:
        text = f"Điều tra xã hội học: tỷ lệ đánh giá tích cực × {pts(max_points)}"
        if self.answers:
            table = ", ".join(f"{k}: {self.fmt(v)}" for k, v in self.answers.items())
            text += f" (quy đổi đáp án {table})"
        return text
