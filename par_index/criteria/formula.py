"""Formulas from criteria files, read safely.

A formula such as ``2 * min(1, x / 0.9)`` is parsed by Python's ``ast`` module *only as a
syntax tree* — it is never compiled or run as Python, and sympy never sees the raw text
(no ``sympify``). Each node of the tree must be on a whitelist; the tree is then rebuilt as a
sympy expression (numbers become exact rationals) and turned once into a numpy function by
``lambdify``, which prints code from that validated expression, not from the user's text.

Allowed: numbers, ``x``, ``+ - * / **``, comparisons (chained too), ``min``, ``max``, ``abs``,
``floor``, ``ceil``, ``sqrt`` and ``piecewise((value, condition), ..., (value, True))``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

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

MAX_LENGTH = 2000
MAX_EXPONENT = 64
MAX_DEPTH = 50  # nesting of operations and calls; `x+x+…+x` ×1000 is 1000 deep
MAX_CONSTANT_DIGITS = 15  # any constant subexpression lies within ±10**15
MAX_RATIONAL_DIGITS = 60  # and, as an exact fraction, has at most 60 digits above and below

_FUNCS_N = {"min": 2, "max": 2}  # at least two arguments
_FUNCS_1 = {"abs", "floor", "ceil", "sqrt"}


def call_name(node: ast.Call) -> str:
    """The name of an allowed function call with the right number of arguments (the one check
    of a call's shape, for the sympy builder and for formula_eval)."""
    if not isinstance(node.func, ast.Name):
        raise FormulaError(FORMULA_NOT_ALLOWED.format(text=ast.unparse(node.func)))
    name = node.func.id
    if node.keywords:
        raise FormulaError(f"hàm {name} không nhận tham số có tên")
    if name in _FUNCS_N and len(node.args) < 2:
        raise FormulaError(f"hàm {name} cần ít nhất hai giá trị")
    if name in _FUNCS_1 and len(node.args) != 1:
        raise FormulaError(f"hàm {name} nhận đúng một giá trị")
    if name != "piecewise" and name not in _FUNCS_N and name not in _FUNCS_1:
        raise FormulaError(f"hàm '{name}' không được phép; chỉ dùng min, max, abs, floor, ceil, sqrt, piecewise")
    return name
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


class FormulaError(ValueError):
    """The formula uses something outside the whitelist, or is not a formula at all."""


def _sympy() -> Any:
    import sympy  # imported lazily: only criteria with formulas pay for it

    return sympy


def parse_tree(text: str) -> ast.expr:
    """The checked syntax tree of a formula (length, syntax, depth), or :class:`FormulaError`;
    shared by the sympy builder here and the numeric compiler of :mod:`.formula_eval`."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("công thức trống")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"công thức dài quá {MAX_LENGTH} ký tự")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"công thức sai cú pháp ở ký tự {exc.offset}: {text!r}") from None
    except (RecursionError, MemoryError):
        raise FormulaError(f"công thức lồng nhau quá sâu (tối đa {MAX_DEPTH} cấp)") from None
    _check_depth(tree.body)
    return tree.body


def parse_formula(text: str) -> Any:
    """The sympy expression for ``text`` (in the variable ``x``), or :class:`FormulaError`."""
    body = parse_tree(text)
    builder = _Builder(_sympy(), text.strip())
    try:
        return builder.expr(body)
    except FormulaError:
        raise
    except (TypeError, ValueError, ArithmeticError, RecursionError):  # sympy's own, in English: never shown
        raise FormulaError(f"công thức '{text.strip()}' không tính được: có phép toán không xác định với các số này (số ảo, so sánh không được)") from None


def _check_depth(root: ast.AST) -> None:
    """Refuse a tree nested deeper than MAX_DEPTH, measured without recursion (the builder
    recurses; ``x+x+…+x`` ×1000 would otherwise end in a RecursionError)."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FormulaError(
                f"công thức lồng nhau quá {MAX_DEPTH} cấp (ví dụ một chuỗi x + x + … quá dài); hãy viết gọn lại, chẳng hạn 1000 * x"
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _digits(n: int) -> int:
    """Decimal digits of ``abs(n)`` from its bit length (no conversion of a huge int)."""
    return int(abs(n).bit_length() * 0.30103) + 1


def _too_big(text: str) -> FormulaError:
    return FormulaError(
        f"hằng số '{text}' quá lớn hoặc quá chi tiết (trị tuyệt đối tối đa 10^{MAX_CONSTANT_DIGITS}, "
        f"phân số tối đa {MAX_RATIONAL_DIGITS} chữ số); hãy dùng số nhỏ hơn"
    )


class _Builder:
    def __init__(self, sp: Any, text: str) -> None:
        self.sp = sp
        self.text = text
        self.x = sp.Symbol("x", real=True)

    def bounded(self, value: Any, node: ast.AST) -> Any:
        """``value`` when it is not a constant, or a constant within the bounds."""
        if not value.is_number:
            return value
        if value.is_extended_real is False:
            raise FormulaError(
                FORMULA_NOT_REAL.format(text=ast.get_source_segment(self.text, node) or ast.unparse(node))
            )
        if value.is_Rational:
            p, q = int(value.p), int(value.q)
            if _digits(p) > MAX_RATIONAL_DIGITS or _digits(q) > MAX_RATIONAL_DIGITS or abs(p) > 10**MAX_CONSTANT_DIGITS * q:
                raise _too_big(ast.get_source_segment(self.text, node) or ast.unparse(node))
            return value
        try:
            magnitude = abs(complex(value.evalf(20)))
        except (TypeError, ValueError, OverflowError):
            raise _too_big(ast.get_source_segment(self.text, node) or ast.unparse(node)) from None
        if not magnitude <= 10**MAX_CONSTANT_DIGITS:
            raise _too_big(ast.get_source_segment(self.text, node) or ast.unparse(node))
        return value

    def power(self, left: Any, right: Any, node: ast.AST) -> Any:
        """``left ** right`` after estimating a constant result's size from logarithms, before
        sympy computes it exactly (``((2**64)**64)**64`` would take minutes and gigabytes)."""
        if left.is_number and right.is_number:
            import math

            base = abs(complex(left.evalf(20)))
            exponent = float(abs(complex(right.evalf(20))))
            if base != 0 and base != 1:
                if exponent * abs(math.log10(base)) > MAX_CONSTANT_DIGITS:
                    raise _too_big(ast.get_source_segment(self.text, node) or ast.unparse(node))
                if left.is_Rational:
                    size = max(_digits(int(left.p)), _digits(int(left.q)))
                    if exponent * size > MAX_RATIONAL_DIGITS:
                        raise _too_big(ast.get_source_segment(self.text, node) or ast.unparse(node))
        return self.bounded(left**right, node)

    def expr(self, node: ast.AST) -> Any:
        sp = self.sp
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise FormulaError(FORMULA_ONLY_NUMBERS.format(value=repr(node.value)))
            value = node.value
            if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
                raise _too_big(ast.get_source_segment(self.text, node) or repr(value))
            if isinstance(value, int) and _digits(value) > MAX_CONSTANT_DIGITS + 1:
                raise _too_big(ast.get_source_segment(self.text, node) or "số nguyên rất dài")
            number = sp.Rational(repr(value)) if isinstance(value, float) else sp.Integer(value)
            return self.bounded(number, node)
        if isinstance(node, ast.Name):
            if node.id != "x":
                raise FormulaError(FORMULA_NAME.format(name=node.id))
            return self.x
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self.expr(node.operand)  # bounded already: negation keeps the size
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = self.expr(node.left), self.expr(node.right)
            if isinstance(node.op, ast.Add):
                return self.bounded(left + right, node)
            if isinstance(node.op, ast.Sub):
                return self.bounded(left - right, node)
            if isinstance(node.op, ast.Mult):
                return self.bounded(left * right, node)
            if isinstance(node.op, ast.Div):
                if right == 0:
                    raise FormulaError(FORMULA_DIVISION_BY_ZERO)
                return self.bounded(left / right, node)
            if right.is_number and abs(float(right)) > MAX_EXPONENT:
                raise FormulaError(FORMULA_EXPONENT_TOO_BIG.format(max=MAX_EXPONENT))
            if not right.is_number and left.is_number:
                raise FormulaError(FORMULA_EXPONENT_NOT_NUMBER)
            return self.power(left, right, node)
        if isinstance(node, ast.Compare | ast.BoolOp):
            raise FormulaError(
                FORMULA_COMPARISON_AS_VALUE.format(text=ast.get_source_segment(self.text, node) or ast.unparse(node))
            )
        if isinstance(node, ast.Call):
            return self.call(node)
        raise FormulaError(FORMULA_NOT_ALLOWED.format(text=ast.unparse(node)))

    def condition(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and node.value is True:
            return self.sp.true
        if isinstance(node, ast.Compare):
            return self.compare(node)
        raise FormulaError(FORMULA_CONDITION.format(text=ast.unparse(node)))

    def compare(self, node: ast.Compare) -> Any:
        sp = self.sp
        ops = {
            ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt, ast.GtE: sp.Ge, ast.Eq: sp.Eq, ast.NotEq: sp.Ne,
        }
        parts = []
        left = self.expr(node.left)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            if type(op) not in ops:
                raise FormulaError(FORMULA_COMPARISON_NOT_ALLOWED.format(text=ast.unparse(node)))
            right = self.expr(comp)
            parts.append(ops[type(op)](left, right))
            left = right
        return parts[0] if len(parts) == 1 else sp.And(*parts)

    def call(self, node: ast.Call) -> Any:
        sp = self.sp
        name = call_name(node)
        if name == "piecewise":
            return self.piecewise(node)
        if name in _FUNCS_N:
            args = [self.expr(a) for a in node.args]
            return sp.Min(*args) if name == "min" else sp.Max(*args)
        arg = self.expr(node.args[0])
        fn = {"abs": sp.Abs, "floor": sp.floor, "ceil": sp.ceiling, "sqrt": sp.sqrt}[name]
        return self.bounded(fn(arg), node)

    def piecewise(self, node: ast.Call) -> Any:
        if not node.args:
            raise FormulaError(FORMULA_PIECEWISE_EMPTY)
        pairs = []
        for arg in node.args:
            if not (isinstance(arg, ast.Tuple) and len(arg.elts) == 2):
                raise FormulaError(FORMULA_PIECEWISE_PAIR)
            pairs.append((self.expr(arg.elts[0]), self.condition(arg.elts[1])))
        return self.sp.Piecewise(*pairs)


def compile_formula(expr: Any) -> Callable[[np.ndarray], np.ndarray]:
    """A vectorised numpy function of ``x`` for a parsed expression."""
    sp = _sympy()
    x = next(iter(expr.free_symbols), sp.Symbol("x", real=True))
    fn = sp.lambdify(x, expr, modules="numpy")

    def run(values: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = np.asarray(fn(values), dtype=float)
        return np.broadcast_to(out, values.shape).astype(float, copy=True)

    return run


def evaluate_scalar(expr: Any, value: float) -> float:
    """One value through sympy itself (no numpy): the independent reference path."""
    sp = _sympy()
    symbols = list(expr.free_symbols)
    result = expr.subs(symbols[0], sp.Rational(repr(value))) if symbols else expr
    try:
        return float(result)
    except (TypeError, ValueError):
        return float("nan")


def evaluate_exact(expr: Any, value: Fraction) -> Fraction | None:
    """One exact value through sympy: the exact result when it is rational, else None."""
    sp = _sympy()
    symbols = list(expr.free_symbols)
    result = expr.subs(symbols[0], sp.Rational(value.numerator, value.denominator)) if symbols else expr
    if not getattr(result, "is_Rational", False):
        return None
    return Fraction(int(result.p), int(result.q))


_COMPARE_VI = {ast.Gt: "trên", ast.GtE: "từ", ast.Lt: "dưới", ast.LtE: "đến", ast.Eq: "bằng", ast.NotEq: "khác"}
_FLIPPED = {ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}
_BINOP_VI = {ast.Add: "+", ast.Sub: "−", ast.Mult: "×", ast.Div: "/", ast.Pow: "^"}
_CALL_VI = {"min": "nhỏ hơn trong", "max": "lớn hơn trong", "abs": "trị tuyệt đối của", "floor": "làm tròn xuống",
            "ceil": "làm tròn lên", "sqrt": "căn bậc hai của"}


def describe_formula(text: str, ratio: bool = False) -> str:
    """A whitelisted formula as Vietnamese text, from its syntax as written (not sympy's
    rewriting): ``piecewise((2, x > 0.95), (1.5 * x / 0.95, True))`` with ``ratio`` →
    ``x trên 95%: 2 điểm; còn lại: 1,5 × x / 0,95 điểm``. Numbers with a decimal comma; the
    thresholds a ratio is compared with as percentages."""
    from par_index.common.values import format_number

    def number(node: ast.AST, percent: bool) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            return f"{format_number(float(node.value) * 100, 4)}%" if percent else format_number(float(node.value), 6)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = number(node.operand, percent)
            return None if inner is None else f"−{inner}"
        return None

    def expr(node: ast.AST) -> str:
        num = number(node, False)
        if num is not None:
            return num
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.BinOp):
            left, right = expr(node.left), expr(node.right)
            if isinstance(node.right, ast.BinOp) and type(node.op) in (ast.Sub, ast.Div, ast.Mult, ast.Pow):
                right = f"({right})"
            if isinstance(node.left, ast.BinOp) and type(node.op) in (ast.Mult, ast.Div, ast.Pow) and type(node.left.op) in (ast.Add, ast.Sub):
                left = f"({left})"
            return f"{left} {_BINOP_VI[type(node.op)]} {right}"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return f"−{expr(node.operand)}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _CALL_VI:
            return f"{_CALL_VI[node.func.id]} ({'; '.join(expr(a) for a in node.args)})"
        if isinstance(node, ast.Compare | ast.BoolOp):
            return condition(node)
        return ast.unparse(node)

    def condition(node: ast.AST) -> str:
        if isinstance(node, ast.BoolOp):
            word = " và " if isinstance(node.op, ast.And) else " hoặc "
            return word.join(condition(v) for v in node.values)
        if isinstance(node, ast.Compare):
            parts, left = [], node.left
            for op, right in zip(node.ops, node.comparators, strict=True):
                kind = type(op)
                if number(left, False) is not None and number(right, False) is None:  # 0.95 < x → x trên 95%
                    left, right, kind = right, left, _FLIPPED[kind]
                rhs = number(right, ratio and isinstance(left, ast.Name)) or expr(right)
                parts.append(f"{expr(left)} {_COMPARE_VI[kind]} {rhs}")
                left = right
            return " và ".join(parts)
        return expr(node)

    def points(node: ast.AST) -> str:
        return f"{expr(node)} điểm"

    tree = ast.parse(text.strip(), mode="eval").body
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "piecewise":
        cases = []
        for arg in tree.args:
            if isinstance(arg, ast.Tuple) and len(arg.elts) == 2:
                value, cond = arg.elts
                if isinstance(cond, ast.Constant) and cond.value is True:
                    cases.append(f"còn lại: {points(value)}")
                else:
                    cases.append(f"{condition(cond)}: {points(value)}")
        return "; ".join(cases)
    return points(tree)
