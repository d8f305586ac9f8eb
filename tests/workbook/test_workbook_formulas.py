"""Excel formulas of single rules: the translation of `formula` rules and what cannot be translated."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from pydantic import TypeAdapter

from par_index.criteria.compiled import Leaf
from par_index.criteria.formula import parse_formula
from par_index.criteria.rules import AnyRule
from par_index.workbook.formulas import expression_to_excel, leaf_cells, points_formula

EXPRESSIONS = [
    "piecewise((1, x >= 0.9), (x / 0.9, True))",
    "2 * min(1, x / 0.9)",
    "-x**2 + 3",
    "floor(x * 10) / 10",
    "ceil(x * 4) / 4",
    "abs(x - 0.5) * 2",
    "sqrt(x)",
    "piecewise((1, 0.8 <= x < 1), (2, x != 3), (0, True))",
    "max(0, min(x, 1), 0.5 * x)",
    "piecewise((2, x > 5),)",
]
VALUES = [-1.0, 0.0, 0.3, 0.5, 0.8, 0.8925, 0.9, 0.95, 1.0, 1.7, 3.0, 6.0]


def _leaf(rule: dict[str, object], max_points: str = "2") -> Leaf:
    r = TypeAdapter(AnyRule).validate_python(rule)
    m = Decimal(0) if r.sign else Decimal(max_points)
    return Leaf("1.1", "x", r, m, r.upper(float(m)), ("1", "1.1"), None, (), None, None, None, None)


def test_translations_read_like_the_expression() -> None:
    assert expression_to_excel(parse_formula("piecewise((1, x >= 0.9), (x / 0.9, True))"), "N5") == "IF((N5>=(9/10)),1,((10/9)*N5))"
    assert expression_to_excel(parse_formula("2 * min(1, x / 0.9)"), "N5") == "(2*MIN(1,((10/9)*N5)))"
    assert expression_to_excel(parse_formula("-x**2 + 3"), "N5") == "(3-(N5^2))"  # Excel's -x^2 would be (-x)^2
    assert expression_to_excel(parse_formula("ceil(x*4)/4"), "N5") == "((1/4)*(-INT(-(4*N5))))"


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_formula_rule_in_excel_equals_the_engine(expr: str) -> None:
    """The leaf's points formula, run by the `formulas` Excel engine, gives the engine's rounded points."""
    import formulas
    from formulas.functions import Array

    leaf = _leaf({"kind": "formula", "expr": expr})
    fn = formulas.Parser().ast(points_formula(leaf, "Z1", 100))[1].compile()
    engine = _engine_points(leaf, np.array(VALUES, dtype=float))
    for x, want in zip(VALUES, engine, strict=True):
        got = np.asarray(fn(np.array([[x]], dtype=object).view(Array))).ravel()[0]
        assert float(got) == float(want), (expr, x)


@pytest.mark.parametrize("expr", ["x / (x + 1)", "1 / x", "x ** 0.25"])
def test_untranslatable_formula_gets_a_comment_and_no_points_formula(expr: str) -> None:
    cells = leaf_cells(_leaf({"kind": "formula", "expr": expr}), 14, 100, "E", "N")
    assert cells.points is None and cells.helper is None
    assert cells.maximum == '=IF(OR(E14="k/a",E14="không phát sinh",E14="không áp dụng",E14="không đánh giá",E14="kpd",E14="n/a",E14="na"),0,2)'
    assert cells.comment is not None
    assert cells.comment.startswith("Phiếu không tự tính điểm cho tiêu chí này: công thức của quy tắc chấm (")
    assert cells.comment.endswith("không chuyển được sang Excel mà vẫn cho đúng kết quả. Điểm được par-index tính khi chấm (par-index score).")


def test_each_rule_kind_has_its_excel_formula() -> None:
    cases = {
        "yes_no": ({"kind": "yes_no"}, "IF(N7>=1,2,0)"),
        "deadline": ({"kind": "deadline", "due": "2024-01-15", "late_until": "2024-01-31", "late_points": 1}, "IF(N7<=DATE(2024,1,15),2,IF(N7<=DATE(2024,1,31),1,0))"),
        "bands": ({"kind": "bands", "bands": [{"above": 0.9, "points": 2}, {"from": 0.7, "to": 0.9, "points": 1}]}, "IF(N7>0.9,2,IF(AND(N7>=0.7,N7<=0.9),1,0))"),
        "proportional": ({"kind": "proportional", "target": 0.95, "floor": 0.5}, "IF(N7<0.5,0,MIN(MAX(2*N7/0.95,0),2))"),
        "per_item": ({"kind": "per_item", "each": 0.25}, "MIN(MAX(N7*0.25,0),2)"),
        "survey": ({"kind": "survey"}, "2*MIN(MAX(N7,0),1)"),
        "manual": ({"kind": "manual", "step": 0.25}, "MIN(MAX(N7,0),2)"),
    }
    for kind, (rule, raw) in cases.items():
        s = 1000000 if kind == "manual" else 100  # points the unit gives keep 6 decimals
        assert points_formula(_leaf(rule), "N7", 100) == f"=IF(ISNUMBER(N7),INT({raw}*{s}+0.5+0.000000001)/{s},0)", kind
    penalty = points_formula(_leaf({"kind": "penalty", "cap": 1, "each": 0.5}), "N7", 100)
    assert penalty == "=IF(ISNUMBER(N7),-INT(MIN(MAX(N7*0.5,0),1)*100+0.5+0.000000001)/100,0)"
    bonus = points_formula(_leaf({"kind": "bonus", "cap": 1}), "N7", 100)
    assert bonus == "=IF(ISNUMBER(N7),INT(MIN(MAX(N7,0),1)*1000000+0.5+0.000000001)/1000000,0)"


def _engine_points(leaf: Any, xs: np.ndarray) -> np.ndarray:
    """The engine's points for float values (read as the decimals they stand for)."""
    from fractions import Fraction

    from par_index.common.rounding import UNITS_PER_POINT, float_decimal, round_units

    p = leaf.rule.points(xs, float(leaf.max))
    return round_units(p, 2, lambda i: leaf.rule.points_exact(float_decimal(xs[i]), Fraction(leaf.max))) / UNITS_PER_POINT


def test_a_computed_result_just_below_a_half_rounds_down_in_excel_too() -> None:
    """0.58499999985 points (1.5 × 38.99999999 %) is not a half: 0,58 in the workbook and the engine
    (the old ``+ 1E-7`` tolerance gave 0,59)."""
    import formulas
    from formulas.functions import Array

    leaf = _leaf({"kind": "survey"}, "1.5")
    fn = formulas.Parser().ast(points_formula(leaf, "Z1", 100))[1].compile()
    for x, want in ((0.3899999999, 0.58), (0.39, 0.59)):
        got = float(np.asarray(fn(np.array([[x]], dtype=object).view(Array))).ravel()[0])
        assert got == want == _engine_points(leaf, np.array([x]))[0], x


def test_half_hundredths_round_up_like_the_engine() -> None:
    """1.345 points (1.3449999999999999… in binary) is a half: both round it to 1.35 (the engine
    exactly, from the value as written; Excel with its 1E-9 tolerance)."""
    import formulas
    from formulas.functions import Array

    leaf = _leaf({"kind": "proportional", "target": 1.5, "measure": "number"}, "1.5")
    fn = formulas.Parser().ast(points_formula(leaf, "Z1", 100))[1].compile()
    x = 1.345
    engine = _engine_points(leaf, np.array([x]))[0]
    got = float(np.asarray(fn(np.array([[x]], dtype=object).view(Array))).ravel()[0])
    assert got == engine == 1.35
