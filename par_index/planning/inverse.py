"""Inverting a formula leaf: for which inputs ``x`` does the expression give at least ``v``?

Works on the sympy expression built by :func:`par_index.criteria.formula.parse_formula` (the whitelist
parser) — never on the raw text. ``min``/``max`` are rewritten as ``Piecewise`` and folded, then
``sympy.solveset`` solves ``expr >= v`` over the input's domain. When sympy cannot (a
``floor``/``ceil`` step, say) the set is *bounded* numerically: the expression is evaluated on
a fine grid of the domain and each edge is narrowed by bisection.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from par_index.criteria.formula import compile_formula
from par_index.planning.interval import Interval

GRID = 4001
BISECT = 60
SEARCH_SPAN = 1000.0  # numeric fallback on an unbounded domain: [-span, span]


def solve_at_least(expr: Any, v: float, domain: Interval) -> list[Interval]:
    """The inputs in ``domain`` where ``expr >= v``, as a list of intervals."""
    return list(_solve_cached(expr, v, domain))


@lru_cache(maxsize=4096)
def _solve_cached(expr: Any, v: float, domain: Interval) -> tuple[Interval, ...]:
    return tuple(_solve(expr, v, domain))


def _solve(expr: Any, v: float, domain: Interval) -> list[Interval]:
    import sympy as sp

    x = next(iter(expr.free_symbols), None)
    if x is None:  # a constant formula
        return [domain] if float(expr) >= v else []
    dom = sp.Interval(
        -sp.oo if math.isinf(domain.lo) else sp.Rational(repr(domain.lo)),
        sp.oo if math.isinf(domain.hi) else sp.Rational(repr(domain.hi)),
        left_open=not domain.lo_closed,
        right_open=not domain.hi_closed,
    )
    try:
        folded = sp.piecewise_fold(expr.rewrite(sp.Piecewise))
        solved = sp.solveset(folded >= sp.Rational(repr(v)), x, dom)
        out = _to_intervals(solved)
        if out is not None:
            return out
    except (NotImplementedError, TypeError, ValueError, AttributeError):
        pass
    return _numeric(expr, v, domain)


def _to_intervals(s: Any) -> list[Interval] | None:
    import sympy as sp


    if s is sp.S.EmptySet:
        return []
    if isinstance(s, sp.Interval):
        return [Interval(float(s.start), not s.left_open, float(s.end), not s.right_open)]
    if isinstance(s, sp.FiniteSet):
        return [Interval(float(p), True, float(p), True) for p in sorted(s.args)]
    if isinstance(s, sp.Union):
        out: list[Interval] = []
        for part in s.args:
            got = _to_intervals(part)
            if got is None:
                return None
            out.extend(got)
        return sorted(out, key=lambda iv: iv.lo)
    return None  # ConditionSet, ImageSet, …: sympy could not solve it


def _numeric(expr: Any, v: float, domain: Interval) -> list[Interval]:

    fn = compile_formula(expr)
    lo = -SEARCH_SPAN if math.isinf(domain.lo) else domain.lo
    hi = SEARCH_SPAN if math.isinf(domain.hi) else domain.hi
    xs = np.linspace(lo, hi, GRID)
    ok = np.nan_to_num(fn(xs), nan=-math.inf) >= v

    def good(t: float) -> bool:
        val = float(fn(np.array([t]))[0])
        return not math.isnan(val) and val >= v

    def edge(a: float, b: float) -> float:
        """Bisect between a point where ``good`` is ``good(a)`` and one where it is not."""
        ga = good(a)
        for _ in range(BISECT):
            mid = (a + b) / 2
            if good(mid) == ga:
                a = mid
            else:
                b = mid
        return b if not ga else a

    out: list[Interval] = []
    i = 0
    while i < len(xs):
        if not ok[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(xs) and ok[j + 1]:
            j += 1
        start = xs[i] if i == 0 else edge(xs[i - 1], xs[i])
        end = xs[j] if j == len(xs) - 1 else edge(xs[j], xs[j + 1])
        out.append(Interval(float(start), good(float(start)), float(end), good(float(end))))
        i = j + 1
    return out
