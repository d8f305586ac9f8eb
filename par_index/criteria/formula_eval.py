"""Formulas checked and evaluated without sympy: the whitelisted syntax tree compiled to numpy.

:mod:`par_index.criteria.formula` reads a formula into a sympy expression (exact rationals) for
the work that needs algebra: solving it (the inverse planner), printing it as an Excel formula,
the reference scorer. Scoring needs none of that, and importing sympy costs more than pandas
(issue 9, start-up). This module walks the same ``ast`` tree with the same whitelist, limits
and messages — constant parts folded exactly with :class:`fractions.Fraction`, as sympy's
rationals are — and builds one closure per node over numpy arrays. Nothing of the text is
executed: only nodes the whitelist allows become closures, and numbers become floats.

Not mirrored: sympy's automatic simplification of expressions in ``x`` (``x - x`` is 0 for
sympy, an expression here), which only changes the outcome for formulas that divide by or raise
to such a contrived zero. The vectorised result equals sympy's lambdified one up to float
rounding (``x / 0.9`` here, ``(10/9) * x`` there), which the engine's half-up rounding absorbs.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from par_index.criteria.formula import (
    _BINOPS,
    _FUNCS_N,
    MAX_CONSTANT_DIGITS,
    MAX_EXPONENT,
    MAX_RATIONAL_DIGITS,
    FormulaError,
    _digits,
    _too_big,
    call_name,
    parse_tree,
)
from par_index.messages import (
    FORMULA_COMPARISON_AS_VALUE,
    FORMULA_COMPARISON_NOT_ALLOWED,
    FORMULA_CONDITION,
    FORMULA_DIVISION_BY_ZERO,
    FORMULA_EXPONENT_NOT_NUMBER,
    FORMULA_EXPONENT_TOO_BIG,
    FORMULA_NAME,
    FORMULA_NOT_ALLOWED,
    FORMULA_NOT_REAL,
    FORMULA_ONLY_NUMBERS,
    FORMULA_PIECEWISE_EMPTY,
    FORMULA_PIECEWISE_PAIR,
)

Fn = Callable[[np.ndarray], np.ndarray]
Const = Fraction | float | complex  # exact when rational, else an approximation
_LIMIT = 10**MAX_CONSTANT_DIGITS


class _Part:
    """A compiled subtree: its function of the values and, when it has no ``x``, its value."""

    __slots__ = ("const", "fn")

    def __init__(self, fn: Fn, const: Const | None = None) -> None:
        self.fn = fn
        self.const = const


def _constant(value: Const) -> _Part:
    real = float(value) if not isinstance(value, complex) else math.nan  # a complex constant is no usable value
    return _Part(lambda v: np.full(v.shape, real), value)


def compile_numeric(text: str) -> Fn:
    """The vectorised function of ``x`` for a formula, or :class:`FormulaError` (the messages
    of :func:`par_index.criteria.formula.parse_formula`)."""
    fn = _Compiler(text.strip()).expr(parse_tree(text)).fn

    def run(values: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = np.asarray(fn(values), dtype=float)
        return np.broadcast_to(out, values.shape).astype(float, copy=True)

    return run


class _Compiler:
    def __init__(self, text: str) -> None:
        self.text = text

    def source(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ast.unparse(node)

    def bounded(self, value: Const | None, node: ast.AST) -> Const | None:
        """``value`` when it is not a constant, or a constant within the bounds."""
        if value is None:
            return None
        if isinstance(value, Fraction):
            p, q = value.numerator, value.denominator
            if _digits(p) > MAX_RATIONAL_DIGITS or _digits(q) > MAX_RATIONAL_DIGITS or abs(p) > _LIMIT * q:
                raise _too_big(self.source(node))
            return value
        if isinstance(value, complex) and value.imag != 0:  # as formula.py: no usable value
            raise FormulaError(FORMULA_NOT_REAL.format(text=self.source(node)))
        if not abs(value) <= _LIMIT:
            raise _too_big(self.source(node))
        return value

    def expr(self, node: ast.AST) -> _Part:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise FormulaError(FORMULA_ONLY_NUMBERS.format(value=repr(node.value)))
            value = node.value
            if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
                raise _too_big(ast.get_source_segment(self.text, node) or repr(value))
            if isinstance(value, int) and _digits(value) > MAX_CONSTANT_DIGITS + 1:
                raise _too_big(ast.get_source_segment(self.text, node) or "số nguyên rất dài")
            number = Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
            self.bounded(number, node)
            return _constant(number)
        if isinstance(node, ast.Name):
            if node.id != "x":
                raise FormulaError(FORMULA_NAME.format(name=node.id))
            return _Part(lambda v: v)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self.expr(node.operand)
            if isinstance(node.op, ast.UAdd):
                return inner
            if inner.const is not None:
                return _constant(-inner.const)
            f = inner.fn
            return _Part(lambda v: np.negative(f(v)))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return self.binop(node)
        if isinstance(node, ast.Compare | ast.BoolOp):
            raise FormulaError(
                FORMULA_COMPARISON_AS_VALUE.format(text=self.source(node))
            )
        if isinstance(node, ast.Call):
            return self.call(node)
        raise FormulaError(FORMULA_NOT_ALLOWED.format(text=ast.unparse(node)))

    def binop(self, node: ast.BinOp) -> _Part:
        left, right = self.expr(node.left), self.expr(node.right)
        a, b = left.const, right.const
        lf, rf = left.fn, right.fn
        if isinstance(node.op, ast.Add):
            return self.combine(node, a + b if a is not None and b is not None else None, lambda v: np.add(lf(v), rf(v)))
        if isinstance(node.op, ast.Sub):
            return self.combine(node, a - b if a is not None and b is not None else None, lambda v: np.subtract(lf(v), rf(v)))
        if isinstance(node.op, ast.Mult):
            return self.combine(node, a * b if a is not None and b is not None else None, lambda v: np.multiply(lf(v), rf(v)))
        if isinstance(node.op, ast.Div):
            if b is not None and b == 0:
                raise FormulaError(FORMULA_DIVISION_BY_ZERO)
            return self.combine(node, a / b if a is not None and b is not None else None, lambda v: np.divide(lf(v), rf(v)))
        # power
        if b is not None and not isinstance(b, complex) and abs(float(b)) > MAX_EXPONENT:
            raise FormulaError(FORMULA_EXPONENT_TOO_BIG.format(max=MAX_EXPONENT))
        if b is None and a is not None:
            raise FormulaError(FORMULA_EXPONENT_NOT_NUMBER)
        if a is not None and b is not None:
            return self.combine(node, self.power(a, b, node), lf)
        if b is None:  # x ** x: allowed, as before
            return _Part(lambda v: np.power(lf(v), rf(v)))
        if b == Fraction(1, 2):
            return _Part(lambda v: np.sqrt(lf(v)))  # as sympy writes x ** 0.5: sqrt(x)
        exponent = float(b) if not isinstance(b, complex) else math.nan
        return _Part(lambda v: np.power(lf(v), exponent))

    def combine(self, node: ast.AST, const: Const | None, fn: Fn) -> _Part:
        if const is None:
            return _Part(fn)
        return _constant(self.bounded(const, node))  # type: ignore[arg-type]

    def power(self, a: Const, b: Const, node: ast.AST) -> Const:
        """``a ** b`` for constants, its size estimated from logarithms first (as formula.py)."""
        base = abs(complex(a))
        exponent = abs(complex(b))
        if base != 0 and base != 1:
            if exponent * abs(math.log10(base)) > MAX_CONSTANT_DIGITS:
                raise _too_big(self.source(node))
            if isinstance(a, Fraction):
                size = max(_digits(a.numerator), _digits(a.denominator))
                if exponent * size > MAX_RATIONAL_DIGITS:
                    raise _too_big(self.source(node))
        try:
            if isinstance(a, Fraction) and isinstance(b, Fraction) and b.denominator == 1:
                return a ** int(b)  # exact
            if isinstance(a, Fraction) and isinstance(b, Fraction) and b == Fraction(1, 2):
                return _sqrt(a)
            out: Const = complex(a) ** complex(b)
        except (ZeroDivisionError, OverflowError):
            raise _too_big(self.source(node)) from None
        return out.real if isinstance(out, complex) and out.imag == 0 else out

    def condition(self, node: ast.AST) -> Fn:
        if isinstance(node, ast.Constant) and node.value is True:
            return lambda v: np.ones(v.shape, dtype=bool)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        raise FormulaError(FORMULA_CONDITION.format(text=ast.unparse(node)))

    def compare(self, node: ast.Compare) -> Fn:
        ops: dict[type[ast.cmpop], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
            ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal,
            ast.Eq: np.equal, ast.NotEq: np.not_equal,
        }
        parts: list[Fn] = []
        left = self.expr(node.left)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if type(op) not in ops:
                raise FormulaError(FORMULA_COMPARISON_NOT_ALLOWED.format(text=ast.unparse(node)))
            right = self.expr(comp)
            parts.append(_relation(ops[type(op)], left.fn, right.fn))
            left = right
        if len(parts) == 1:
            return parts[0]
        return lambda v: np.logical_and.reduce([p(v) for p in parts])

    def call(self, node: ast.Call) -> _Part:
        name = call_name(node)
        if name == "piecewise":
            return self.piecewise(node)
        if name in _FUNCS_N:
            args = [self.expr(a) for a in node.args]
            fns = [a.fn for a in args]
            reduce = np.minimum.reduce if name == "min" else np.maximum.reduce
            reals = [a.const for a in args if isinstance(a.const, Fraction | float)]
            if len(reals) == len(args):
                return _constant(min(reals) if name == "min" else max(reals))
            return _Part(lambda v: reduce([np.broadcast_to(f(v), v.shape) for f in fns]))
        arg = self.expr(node.args[0])
        f = arg.fn
        c = arg.const
        if name == "abs":
            return _constant(_abs(c)) if c is not None else _Part(lambda v: np.abs(f(v)))
        if name == "sqrt":
            if c is None:
                return _Part(lambda v: np.sqrt(f(v)))
            root = _sqrt(c)
            self.bounded(root, node)  # refuses a non-real root (sqrt(-4)) as formula.py does
            return _constant(root)
        if c is not None and not isinstance(c, complex):
            return _constant(Fraction(math.floor(c) if name == "floor" else math.ceil(c)))
        return _Part(lambda v: np.floor(f(v))) if name == "floor" else _Part(lambda v: np.ceil(f(v)))

    def piecewise(self, node: ast.Call) -> _Part:
        if not node.args:
            raise FormulaError(FORMULA_PIECEWISE_EMPTY)
        values: list[Fn] = []
        conditions: list[Fn] = []
        for arg in node.args:
            if not (isinstance(arg, ast.Tuple) and len(arg.elts) == 2):
                raise FormulaError(FORMULA_PIECEWISE_PAIR)
            values.append(self.expr(arg.elts[0]).fn)
            conditions.append(self.condition(arg.elts[1]))

        def run(v: np.ndarray) -> np.ndarray:
            conds = [np.broadcast_to(c(v), v.shape) for c in conditions]
            return np.select(conds, [np.broadcast_to(f(v), v.shape) for f in values], default=np.nan)

        return _Part(run)


def _relation(op: Callable[[np.ndarray, np.ndarray], np.ndarray], left: Fn, right: Fn) -> Fn:
    return lambda v: op(left(v), right(v))


def _abs(c: Const) -> Const:
    if isinstance(c, Fraction):
        return -c if c < 0 else c
    return abs(c)


def _sqrt(c: Const) -> Const:
    """The square root of a constant: exact for a rational square, else approximate."""
    if isinstance(c, Fraction) and c >= 0:
        p, q = math.isqrt(c.numerator), math.isqrt(c.denominator)
        if p * p == c.numerator and q * q == c.denominator:
            return Fraction(p, q)
        return math.sqrt(c)
    if isinstance(c, complex):
        return complex(c) ** 0.5
    return math.sqrt(c) if c >= 0 else complex(float(c)) ** 0.5
