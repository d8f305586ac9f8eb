"""Excel formulas that score a leaf exactly as the engine does.

Every leaf row has an input cell (``E``), a helper cell (``N``: the value after the rule's
range checks, or ``""`` when there is no usable number) and a points cell (``F``). The formulas
mirror the engine's arithmetic operation by operation, so the same IEEE double operations happen
in Excel as in numpy:

* values are cleaned like :meth:`Rule.prepare` (ratios below 0 read as 0, above 1 unusable, counts floored, manual
  points clipped to 0..max and floored to the step);
* points are computed like :meth:`Rule.points`, in the same order of operations;
* leaf points are rounded like the engine (docs/rounding.md): a computed result half up to the
  set's ``precision``, points the unit gives to the resolution (6 decimals), as
  ``INT(p*g + 0.5 + 1E-9)/g`` — not with ``ROUND``, whose behaviour near a half differs between
  Excel and other formula engines. ``1E-9`` (of the last place kept) absorbs the binary error of
  a true half (``0.585`` computed as 0.58499999999999996 gives 0,59) and nothing else: the
  engine decides such values exactly; the two differ only for a value within 10**-9 of a half
  of the last place, which needs an input of more than 9 significant digits;
* sums use ``ROUND(SUM(...)*scale, 0)/scale`` — the sum of whole units of 10**-6 point, exactly;
* the index is ``ROUND(F*scale,0)*100/ROUND(L*scale,0)`` — the engine's one division of whole
  numbers.

A ``formula`` rule is translated from the code sympy's numpy printer writes for the validated
expression (the same code ``lambdify`` runs), read back as a syntax tree — never executed.
Constructs whose Excel result could differ (a power with a negative or fractional exponent,
i.e. a division by an expression in ``x``) are not translated: that leaf gets no Excel formula
and a cell comment says so.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from par_index.common.rounding import UNITS_PER_POINT
from par_index.common.values import NA_WORDS, NO_WORDS, YES_WORDS
from par_index.criteria.compiled import Leaf
from par_index.criteria.rules.bands import Band, Bands
from par_index.criteria.rules.base import MeasuredRule
from par_index.criteria.rules.bonus import _Outside
from par_index.criteria.rules.deadline import Deadline
from par_index.criteria.rules.formula import Formula
from par_index.criteria.rules.manual import Manual
from par_index.criteria.rules.per_item import PerItem
from par_index.criteria.rules.proportional import Proportional
from par_index.criteria.rules.survey import Survey
from par_index.criteria.rules.yes_no import YesNo

HALF_EPS = "0.000000001"  # of the last place kept: a true half computed in binary still rounds up
STEP_EPS = "0.000000001"  # rules.manual: 1e-9


class Untranslatable(ValueError):
    """A formula construct with no faithful Excel equivalent."""


def num(v: float | Decimal | int) -> str:
    """A number literal Excel reads back as the same double (plain decimal, no exponent)."""
    d = Decimal(repr(float(v))) if not isinstance(v, Decimal) else v
    text = format(d.normalize(), "f")
    return text if text != "-0" else "0"


def text_lit(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def na_test(cell: str) -> str:
    """TRUE when the input cell says "not applicable" (Excel's ``=`` ignores case)."""
    return "OR(" + ",".join(f"{cell}={text_lit(w)}" for w in sorted(NA_WORDS)) + ")"


def value_kind(leaf: Leaf) -> str:
    """What the input cell holds: bool, date, points, ratio, count or number."""
    return leaf.rule.input_kind()


def _clean_measure(measure: str, v: str) -> str:
    if measure == "ratio":  # above 100 % or negative: an error the engine scores 0 (no usable number)
        return f'IF(OR({v}>1,{v}<0),"",{v})'
    if measure == "count":  # negative: an error the engine scores 0
        return f'IF({v}<0,"",INT({v}))'
    return v


# -- each rule kind as Excel: the helper cell and the points before rounding ------------------
# One entry per kind of the rule registry (criteria.rules.RULES), keyed by the same name;
# tests/criteria/test_rules.py checks that every registered kind has one.


def _yes_no_helper(rule: YesNo, leaf: Leaf, e: str) -> str:
    yes = ",".join([*(f"{e}={text_lit(w)}" for w in sorted(YES_WORDS)), f"{e}=TRUE"])
    no = ",".join([*(f"{e}={text_lit(w)}" for w in sorted(NO_WORDS)), f"{e}=FALSE"])
    return f'=IF(ISNUMBER({e}),{e},IF({e}="","",IF(OR({yes}),1,IF(OR({no}),0,""))))'


def _yes_no_points(rule: YesNo, leaf: Leaf, x: str) -> str:
    return f"IF({x}>=1,{num(float(leaf.max))},0)"


def _deadline_helper(rule: Deadline, leaf: Leaf, e: str) -> str:
    d = rule.earliest()  # an implausibly early date is an error scored 0, as in the engine
    return f'=IF(ISNUMBER({e}),IF({e}<DATE({d.year},{d.month},{d.day}),"",INT({e})),"")'


def _deadline_points(rule: Deadline, leaf: Leaf, x: str) -> str:
    out = "0"
    if rule.late_until is not None:
        d = rule.late_until
        out = f"IF({x}<=DATE({d.year},{d.month},{d.day}),{num(rule.late_points)},0)"
    d = rule.due
    return f"IF({x}<=DATE({d.year},{d.month},{d.day}),{num(float(leaf.max))},{out})"


def _manual_helper(rule: Manual, leaf: Leaf, e: str) -> str:
    c = f"MIN(MAX({e},0),{num(float(leaf.max))})"
    if rule.step is not None:
        q = f"{c}/{num(rule.step)}"
        c = f"IF(ABS({q}-ROUND({q},0))>{STEP_EPS},INT({q}+{STEP_EPS})*{num(rule.step)},{c})"
    return f'=IF(ISNUMBER({e}),{c},"")'


def _manual_points(rule: Manual, leaf: Leaf, x: str) -> str:
    return f"MIN(MAX({x},0),{num(float(leaf.max))})"


def _outside_helper(rule: _Outside, leaf: Leaf, e: str) -> str:
    clean = f"INT(ABS({e}))" if rule.each is not None else f"ABS({e})"  # magnitudes, as the rule reads them
    return f'=IF(ISNUMBER({e}),{clean},"")'


def _outside_points(rule: _Outside, leaf: Leaf, x: str) -> str:
    each = f"*{num(rule.each)}" if rule.each is not None else ""
    return f"MIN(MAX({x}{each},0),{num(rule.cap)})"


def _survey_helper(rule: Survey, leaf: Leaf, e: str) -> str:
    return f'=IF(ISNUMBER({e}),{_clean_measure("ratio", e)},"")'


def _survey_points(rule: Survey, leaf: Leaf, x: str) -> str:
    return f"{num(float(leaf.max))}*MIN(MAX({x},0),1)"


def _measured_helper(rule: MeasuredRule, leaf: Leaf, e: str) -> str:
    return f'=IF(ISNUMBER({e}),{_clean_measure(rule.measure, e)},"")'


def _band_condition(band: Band, x: str) -> str:
    parts = []
    lo, hi = band.lower(), band.upper()
    if lo is not None:
        parts.append(f"{x}{'>=' if lo[1] else '>'}{num(lo[0])}")
    if hi is not None:
        parts.append(f"{x}{'<=' if hi[1] else '<'}{num(hi[0])}")
    if not parts:
        return "TRUE"
    return parts[0] if len(parts) == 1 else f"AND({','.join(parts)})"


def _bands_points(rule: Bands, leaf: Leaf, x: str) -> str:
    out = "0"
    for band in reversed(rule.bands):
        out = f"IF({_band_condition(band, x)},{num(band.points)},{out})"
    return out


def _proportional_points(rule: Proportional, leaf: Leaf, x: str) -> str:
    mx = num(float(leaf.max))
    core = f"MIN(MAX({mx}*{x}/{num(rule.target)},0),{mx})"
    return core if rule.floor is None else f"IF({x}<{num(rule.floor)},0,{core})"


def _per_item_points(rule: PerItem, leaf: Leaf, x: str) -> str:
    return f"MIN(MAX({x}*{num(rule.each)},0),{num(rule.upper(float(leaf.max)))})"


def _formula_points(rule: Formula, leaf: Leaf, x: str) -> str:
    return f"IFERROR(MIN(MAX({expression_to_excel(rule.expression(), x)},0),{num(float(leaf.max))}),0)"


@dataclass(frozen=True)
class KindExcel:
    """A rule kind in Excel: ``helper(rule, leaf, e)`` is the ``N`` cell from the input cell
    ``e``; ``points(rule, leaf, x)`` the points before rounding from the helper cell ``x``."""

    helper: Callable[[Any, Leaf, str], str]
    points: Callable[[Any, Leaf, str], str]


EXCEL: dict[str, KindExcel] = {
    "manual": KindExcel(_manual_helper, _manual_points),
    "yes_no": KindExcel(_yes_no_helper, _yes_no_points),
    "deadline": KindExcel(_deadline_helper, _deadline_points),
    "bands": KindExcel(_measured_helper, _bands_points),
    "proportional": KindExcel(_measured_helper, _proportional_points),
    "per_item": KindExcel(_measured_helper, _per_item_points),
    "formula": KindExcel(_measured_helper, _formula_points),
    "survey": KindExcel(_survey_helper, _survey_points),
    "bonus": KindExcel(_outside_helper, _outside_points),
    "penalty": KindExcel(_outside_helper, _outside_points),
}


def _kind(leaf: Leaf) -> KindExcel:
    kind = EXCEL.get(leaf.rule.kind)
    if kind is None:
        raise Untranslatable(f"quy tắc {leaf.rule.kind}")
    return kind


def helper_formula(leaf: Leaf, e: str) -> str:
    """The ``N`` cell: the value the rule scores after its range checks, or ""."""
    return _kind(leaf).helper(leaf.rule, leaf, e)


def raw_points(leaf: Leaf, x: str) -> str:
    """Points before rounding, from the helper cell ``x`` (which holds a number)."""
    return _kind(leaf).points(leaf.rule, leaf, x)


def points_formula(leaf: Leaf, x: str, scale: int) -> str:
    """The ``F`` cell of a leaf: rounded like the engine, signed for a penalty. ``scale`` is
    ``10**precision``, the rounding of a computed result; points the unit gives keep 6 decimals."""
    sign = "-" if leaf.sign < 0 else ""
    s = num(UNITS_PER_POINT if leaf.rule.gives_points() else scale)
    return f"=IF(ISNUMBER({x}),{sign}INT({raw_points(leaf, x)}*{s}+0.5+{HALF_EPS})/{s},0)"


def max_formula(leaf: Leaf, e: str) -> str | float:
    """The ``L`` cell of a leaf: its maximum, or 0 when marked not applicable."""
    if leaf.outside_max:
        return 0
    return f"=IF({na_test(e)},0,{num(float(leaf.max))})"


def sum_formula(cells: list[str], scale: int, floor_zero: bool = False) -> str:
    s = num(scale)
    inner = f"ROUND(SUM({','.join(cells)})*{s},0)/{s}" if cells else "0"
    return f"=MAX(0,{inner})" if floor_zero else f"={inner}"


def index_formula(points: str, maximum: str, scale: int) -> str:
    s = num(scale)
    return f'=IF({maximum}>0,ROUND({points}*{s},0)*100/ROUND({maximum}*{s},0),"")'


def band_formula(points: str, maximum: str, scale: int, bands: list[tuple[str, Any]]) -> str:
    """The band label, by the engine's exact test ``points*100*q >= max*p`` on whole units."""
    s = num(scale)
    p_units, m_units = f"ROUND({points}*{s},0)", f"ROUND({maximum}*{s},0)"
    out = '""'
    for label, frac in reversed(bands):
        out = f"IF({p_units}*100*{frac.denominator}>={m_units}*{frac.numerator},{text_lit(label)},{out})"
    return f'=IF({maximum}>0,{out},"")'


@dataclass(frozen=True)
class LeafCells:
    helper: str | None
    points: str | None
    maximum: str | float
    comment: str | None


def leaf_cells(leaf: Leaf, row: int, scale: int, value_col: str, helper_col: str) -> LeafCells:
    """All formulas of one leaf row (``scale``: ``10**precision``), or a comment saying why there
    is no points formula."""
    e, x = f"{value_col}{row}", f"{helper_col}{row}"
    try:
        return LeafCells(helper_formula(leaf, e), points_formula(leaf, x, scale), max_formula(leaf, e), None)
    except Untranslatable as exc:
        comment = (
            "Phiếu không tự tính điểm cho tiêu chí này: công thức của quy tắc chấm "
            f"({exc}) không chuyển được sang Excel mà vẫn cho đúng kết quả. "
            "Điểm được par-index tính khi chấm (par-index score)."
        )
        return LeafCells(None, None, max_formula(leaf, e), comment)


# -- formula rules: sympy -> the numpy code lambdify runs -> Excel ----------------------------

_COMPARE = {
    "greater_equal": ">=", "greater": ">", "less_equal": "<=", "less": "<", "equal": "=", "not_equal": "<>",
}
_BIN = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def expression_to_excel(expr: Any, x: str) -> str:
    """Excel text for a parsed (whitelisted) sympy expression, with ``x`` the cell of the value."""
    from sympy.printing.numpy import NumPyPrinter

    code = NumPyPrinter().doprint(expr)
    tree = ast.parse(code, mode="eval")  # printer output from a validated expression; only read
    return _Excel(x).expr(tree.body)


def _has_x(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "x" for n in ast.walk(node))


class _Excel:
    def __init__(self, x: str) -> None:
        self.x = x

    def expr(self, node: ast.AST) -> str:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return "TRUE" if node.value else "FALSE"
            if isinstance(node.value, int | float):
                return num(node.value)
            raise Untranslatable(f"hằng số {node.value!r}")
        if isinstance(node, ast.Name):
            if node.id == "x":
                return self.x
            raise Untranslatable(f"tên {node.id}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return f"(-{self.expr(node.operand)})"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
            return self.expr(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
            if isinstance(node.op, ast.Div) and _has_x(node.right):
                raise Untranslatable(f"phép chia cho biểu thức của x: {ast.unparse(node)}")
            return f"({self.expr(node.left)}{_BIN[type(node.op)]}{self.expr(node.right)})"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exp = node.right
            if isinstance(exp, ast.Constant) and isinstance(exp.value, int) and not isinstance(exp.value, bool) and exp.value >= 0:
                return f"({self.expr(node.left)}^{exp.value})"
            raise Untranslatable(f"lũy thừa {ast.unparse(node)}")
        if isinstance(node, ast.Call):
            return self.call(node)
        raise Untranslatable(ast.unparse(node))

    def call(self, node: ast.Call) -> str:
        name = ast.unparse(node.func).removeprefix("numpy.")
        args = node.args
        if name in _COMPARE and len(args) == 2:
            return f"({self.expr(args[0])}{_COMPARE[name]}{self.expr(args[1])})"
        if name in ("logical_and.reduce", "logical_or.reduce") and len(args) == 1 and isinstance(args[0], ast.Tuple | ast.List):
            fn = "AND" if name.startswith("logical_and") else "OR"
            return f"{fn}({','.join(self.expr(a) for a in args[0].elts)})"
        if name == "logical_not" and len(args) == 1:
            return f"NOT({self.expr(args[0])})"
        if name == "functools.reduce" and len(args) == 2 and isinstance(args[1], ast.List):
            agg = {"numpy.minimum": "MIN", "numpy.maximum": "MAX"}.get(ast.unparse(args[0]))
            if agg is None:
                raise Untranslatable(ast.unparse(node))
            return f"{agg}({','.join(self.expr(a) for a in args[1].elts)})"
        one = {"sqrt": "SQRT", "floor": "INT", "abs": "ABS", "absolute": "ABS"}
        if name in one and len(args) == 1:
            return f"{one[name]}({self.expr(args[0])})"
        if name == "ceil" and len(args) == 1:
            return f"(-INT(-{self.expr(args[0])}))"
        if name == "select" and len(args) == 2:
            return self.select(node)
        raise Untranslatable(ast.unparse(node))

    def select(self, node: ast.Call) -> str:
        conds, values = node.args
        if not (isinstance(conds, ast.List) and isinstance(values, ast.List)):
            raise Untranslatable(ast.unparse(node))
        out = "NA()"  # no branch holds: NaN in numpy, an error here; both score 0
        for cond, value in reversed(list(zip(conds.elts, values.elts, strict=True))):
            c = self.expr(cond)
            v = self.expr(value)
            out = v if c == "TRUE" else f"IF({c},{v},{out})"
        return out
