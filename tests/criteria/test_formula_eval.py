"""Formulas scored without sympy (criteria/formula_eval.py) agree with the sympy path
(criteria/formula.py: parse_formula + lambdify): the same values on the formulas criteria
sets use, and the same refusal, with the same message, for what the whitelist forbids."""

from __future__ import annotations

import numpy as np
import pytest

from par_index.criteria.formula import FormulaError, compile_formula, parse_formula
from par_index.criteria.formula_eval import compile_numeric

VALUES = np.array([-1, 0, 1e-9, 0.1, 0.3333, 0.5, 0.8145, 0.85, 0.855, 0.9, 0.95, 0.9501, 1, 1.2, 3, 7, 100])  # NaN (no value) never reaches a formula: it scores 0

FORMULAS = [
    "piecewise((2, x > 0.95), (1.5 * x / 0.95, True))",  # criteria/bac-giang/2024/so.yaml
    "piecewise((3, x > 0.85), (2.5 * x / 0.85, True))",  # criteria/bac-giang/2024/huyen.yaml
    "piecewise((1, x >= 0.9), (x / 0.9, True))",  # benchmarks/generate.py
    "2 * min(1, x / 0.9)",
    "max(0, 1 - x / 0.1) * 2",
    "-x**2 + 3",
    "ceil(x*4)/4",
    "floor(x * 4) / 4",
    "abs(x - 0.5) * 2",
    "sqrt(x)",
    "x ** 0.5 + 1",
    "x ** -1",
    "piecewise((0, x < 0.5), (1, 0.5 <= x < 0.8), (2, x >= 0.8))",
    "piecewise((1, x >= 0.9))",  # no default branch: NaN below, scored 0
    "min(x, 2, 3 - x)",
    "3",
    "2 ** 10 / 1000 * x",
    "+x - -1",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_same_values_as_sympy(text: str) -> None:
    old = compile_formula(parse_formula(text))(VALUES.copy())
    new = compile_numeric(text)(VALUES.copy())
    assert new.shape == VALUES.shape and new.dtype == float
    np.testing.assert_allclose(new, old, rtol=1e-12, atol=0, equal_nan=True)


REFUSED = [
    "", " ", "x +", "y * 2", "x.real", "'1' + x", "__import__('os').system('echo pwned')", "True + x",
    "x ** 100", "2 ** x", "x / 0", "x / (1 - 1)", "(x > 1) + 2", "x > 1", "min(x)", "abs(x, 1)", "log(x)",
    "piecewise()", "piecewise((1, x > 1), 2)", "piecewise((1, x))", "min(x, key=1)", "x[0]", "lambda: 1",
    "((((((2**64)**64)**64)**64)**64)**64)", "9 ** 9 ** 9", "2**64", "1e309", "1e-300", "10**16 * x", "x" + "+x" * 1000,
    "x" * 2001, "1 if x else 2", "[x]", "x < 1 < 2 < y",
]


@pytest.mark.parametrize("text", REFUSED)
def test_same_refusals_and_messages(text: str) -> None:
    with pytest.raises(FormulaError) as old:
        parse_formula(text)
    with pytest.raises(FormulaError) as new:
        compile_numeric(text)
    assert str(new.value) == str(old.value)
