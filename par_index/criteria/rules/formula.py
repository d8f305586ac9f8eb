"""``formula``: points from an arithmetic expression in ``x``, clamped to [0, max].

The expression is checked by a whitelist when the criteria file is loaded — an expression outside
it makes the file fail to load — and compiled once to numpy closures
(:mod:`par_index.criteria.formula_eval`, no sympy). The sympy expression
(:meth:`Formula.expression`, :mod:`par_index.criteria.formula`) is built only for the work that
needs algebra: the reference scorer, the inverse planner and the Excel formula.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any, Literal

import numpy as np
from pydantic import PrivateAttr, field_validator

from par_index.criteria.formula import FormulaError, describe_formula, evaluate_exact, evaluate_scalar, parse_formula
from par_index.criteria.formula_eval import compile_numeric
from par_index.criteria.rules.base import Measure, MeasuredRule, finite, pts, register


@register
class Formula(MeasuredRule):
    kind: Literal["formula"]
    measure: Measure = "number"
    expr: str

    _sympy: Any = PrivateAttr(default=None)
    _fn: Callable[[np.ndarray], np.ndarray] | None = PrivateAttr(default=None)

    @field_validator("expr")
    @classmethod
    def _whitelisted(cls, v: str) -> str:
        try:
            compile_numeric(v)
        except FormulaError as exc:
            raise ValueError(str(exc)) from None
        return v

    def expression(self) -> Any:
        if self._sympy is None:
            self._sympy = parse_formula(self.expr)
        return self._sympy

    def points(self, x: np.ndarray, max_points: float) -> np.ndarray:
        if self._fn is None:
            self._fn = compile_numeric(self.expr)
        out = np.where(np.isnan(x), 0.0, self._fn(x))  # no usable value: 0, even for a constant
        return np.clip(np.nan_to_num(out, nan=0.0, posinf=max_points, neginf=0.0), 0.0, max_points)

    def points_scalar(self, x: float | None, max_points: float) -> float:
        if not finite(x):
            return 0.0
        assert x is not None
        v = evaluate_scalar(self.expression(), x)
        if v != v:  # NaN
            return 0.0
        return min(max(v, 0.0), max_points)

    def points_exact(self, x: Fraction, max_points: Fraction) -> Fraction | None:
        v = evaluate_exact(self.expression(), x)
        return None if v is None else min(max(v, Fraction(0)), max_points)

    def describe(self, max_points: float) -> str:
        x = "tỷ lệ" if self.measure == "ratio" else "giá trị"
        text = describe_formula(self.expr, ratio=self.measure == "ratio")
        return f"Theo công thức (x là {x}): {text}; trong khoảng 0 đến {pts(max_points)}"
