"""Each leaf's *ladder*: the point levels its rule can give, and the inputs that reach each.

The ladder is derived from the rule alone (never from a unit), so headroom, planning and the
robustness draws all share one definition of a leaf's *step*:

| rule kind | levels (points) | what reaches a level |
|---|---|---|
| ``yes_no`` | 0, max | value "có" |
| ``deadline`` | 0, ``late_points``, max | a date on or before ``late_until`` / ``due`` |
| ``bands`` | each band's points | a value in a band giving at least those points |
| ``per_item`` | ``each`` × n, capped | a count ≥ n |
| ``manual`` | multiples of ``step`` (else of :data:`GRAIN`), and max | being scored that many points |
| ``proportional``, ``survey`` | multiples of :data:`GRAIN`, and max | a value ≥ the solved threshold |
| ``formula`` | multiples of :data:`GRAIN`, and max | the set where the expression ≥ the level, solved by sympy |
| ``bonus`` / ``penalty`` | ``each`` × n (else :data:`GRAIN` multiples) up to ``cap`` | a count (or points) |

What reaches a level is kept as a union of intervals of input values, so the smallest change
from a unit's current value is the nearest point of that set (above *or* below: a formula may
reward a smaller value). Open edges stay open: "trên 90%" is ``(0.9, …)``, shown as "> 90%".
Levels are in whole *units* of ``10**-6`` point, like the engine's points
(:data:`par_index.common.rounding.UNITS_PER_POINT`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from par_index.common.rounding import points_to_units
from par_index.common.values import date_to_days
from par_index.criteria.compiled import Leaf
from par_index.criteria.rules.bands import Bands
from par_index.criteria.rules.bonus import Bonus, Penalty
from par_index.criteria.rules.deadline import Deadline
from par_index.criteria.rules.formula import Formula
from par_index.criteria.rules.manual import Manual
from par_index.criteria.rules.per_item import PerItem
from par_index.criteria.rules.proportional import Proportional
from par_index.criteria.rules.survey import Survey
from par_index.criteria.rules.yes_no import YesNo
from par_index.planning.interval import Interval

GRAIN = Decimal("0.25")  # points: the step of continuous rules (the customary appraisal grain)
INF = math.inf


@dataclass(frozen=True)
class Need:
    """Where an input must move: ``op`` is one of ``>=``, ``>``, ``<=``, ``<``, ``=``."""

    op: str
    value: float

    def apply(self, measure: str) -> float:
        """A concrete input that satisfies the need (the smallest representable one for ``>``)."""
        if self.op == ">":
            return float(math.floor(self.value) + 1) if measure == "count" else math.nextafter(self.value, INF)
        if self.op == "<":
            return float(math.ceil(self.value) - 1) if measure == "count" else math.nextafter(self.value, -INF)
        return self.value


@dataclass(frozen=True)
class Level:
    units: int  # points of the level, whole units (negative for a penalty)
    region: tuple[Interval, ...]  # inputs giving at least this level; () = any input

    def need_from(self, x0: float | None) -> Need | None:
        """The nearest input to ``x0`` that reaches the level; None if ``x0`` already does."""
        if not self.region:
            return None
        if x0 is not None and not math.isnan(x0) and any(iv.contains(x0) for iv in self.region):
            return None
        best: tuple[float, Need] | None = None
        for iv in self.region:
            for edge, closed, up in ((iv.lo, iv.lo_closed, True), (iv.hi, iv.hi_closed, False)):
                if math.isinf(edge):
                    continue
                if iv.lo == iv.hi:
                    cand = Need("=", edge)
                else:
                    cand = Need((">=" if closed else ">") if up else ("<=" if closed else "<"), edge)
                missing = x0 is None or math.isnan(x0)  # a missing value: prefer "≥ lower edge"
                dist = (0.0 if up or math.isinf(iv.lo) else 1.0) if missing else abs(edge - x0)  # type: ignore[operator]
                if best is None or dist < best[0]:
                    best = (dist, cand)
        return best[1] if best else None


@dataclass(frozen=True)
class Ladder:
    code: str
    kind: str
    measure: str  # ratio | count | number | date | bool | points
    levels: tuple[Level, ...]  # ascending by units; the first is the lowest the leaf can give

    def above(self, units: float) -> list[Level]:
        return [lv for lv in self.levels if lv.units > units]

    def below(self, units: float) -> Level | None:
        lower = [lv for lv in self.levels if lv.units < units]
        return lower[-1] if lower else None


def to_units(points: float, scale: int) -> int:
    """Points of a level (a parameter, read as the decimal it stands for) → whole units."""
    return points_to_units(points, scale)


def measure_of(leaf: Leaf) -> str:
    return leaf.rule.input_kind()


def _domain(measure: str) -> Interval:
    if measure == "ratio":
        return Interval(0.0, True, 1.0, True)
    if measure in ("count", "points"):
        return Interval(0.0, True, INF, False)
    return Interval(-INF, False, INF, False)


def _clip(ivs: list[Interval], measure: str) -> tuple[Interval, ...]:
    dom = _domain(measure)
    out = []
    for iv in ivs:
        lo, lo_c = (iv.lo, iv.lo_closed) if iv.lo > dom.lo or (iv.lo == dom.lo and not iv.lo_closed) else (dom.lo, dom.lo_closed)
        hi, hi_c = (iv.hi, iv.hi_closed) if iv.hi < dom.hi or (iv.hi == dom.hi and not iv.hi_closed) else (dom.hi, dom.hi_closed)
        if measure == "count":  # whole counts: open or fractional edges move inwards
            if not math.isinf(lo):
                lo, lo_c = (math.floor(lo) + 1.0 if not lo_c and lo == math.floor(lo) else float(math.ceil(lo))), True
            if not math.isinf(hi):
                hi, hi_c = (math.ceil(hi) - 1.0 if not hi_c and hi == math.ceil(hi) else float(math.floor(hi))), True
        if lo < hi or (lo == hi and lo_c and hi_c):
            out.append(Interval(lo, lo_c, hi, hi_c))
    return tuple(out)


def _grid(top: Decimal, step: Decimal) -> list[Decimal]:
    """step, 2·step, … below ``top``, then ``top`` itself."""
    out: list[Decimal] = []
    v = step
    while v < top:
        out.append(v)
        v += step
    out.append(top)
    return out


# -- each rule kind's levels: (points, inputs reaching them) before clipping and dedupe ----------
# One entry per kind of the rule registry (criteria.rules.RULES), keyed by the same name;
# tests/criteria/test_rules.py checks that every registered kind has one.

Raw = list[tuple[float, list[Interval]]]


def _yes_no(rule: YesNo, m: Decimal, grain: Decimal) -> Raw:
    return [(float(m), [Interval(1.0, True, 1.0, True)])]


def _deadline(rule: Deadline, m: Decimal, grain: Decimal) -> Raw:
    raw = [(float(m), [Interval(-INF, False, date_to_days(rule.due), True)])]
    if rule.late_until is not None and 0 < rule.late_points < float(m):
        raw.append((rule.late_points, [Interval(-INF, False, date_to_days(rule.late_until), True)]))
    return raw


def _bands(rule: Bands, m: Decimal, grain: Decimal) -> Raw:
    raw: Raw = []
    for p in sorted({b.points for b in rule.bands if b.points > 0}):
        region = []
        for b in rule.bands:
            if b.points >= p:
                low, high = b.lower(), b.upper()
                region.append(Interval(low[0] if low else -INF, low[1] if low else False, high[0] if high else INF, high[1] if high else False))
        raw.append((p, region))
    return raw


def _per_item(rule: PerItem, m: Decimal, grain: Decimal) -> Raw:
    raw: Raw = []
    up = Decimal(repr(rule.upper(float(m))))
    each = Decimal(repr(rule.each))
    n = 1
    while True:
        pts = min(each * n, up)
        raw.append((float(pts), [Interval(float(n), True, INF, False)]))
        if pts >= up:
            return raw
        n += 1


def _manual(rule: Manual, m: Decimal, grain: Decimal) -> Raw:
    step = Decimal(repr(rule.step)) if rule.step is not None else grain
    return [(float(v), [Interval(float(v), True, float(m), True)]) for v in _grid(m, step)]


def _proportional(rule: Proportional, m: Decimal, grain: Decimal) -> Raw:
    raw: Raw = []
    target = Decimal(repr(rule.target))
    for v in _grid(m, grain):
        lo = float(v * target / m)
        if rule.floor is not None and rule.floor > lo:
            lo = rule.floor
        raw.append((float(v), [Interval(lo, True, INF, False)]))
    return raw


def _survey(rule: Survey, m: Decimal, grain: Decimal) -> Raw:
    return [(float(v), [Interval(float(v / m), True, 1.0, True)]) for v in _grid(m, grain)]


def _formula(rule: Formula, m: Decimal, grain: Decimal) -> Raw:
    from par_index.planning.inverse import solve_at_least

    dom = _domain(rule.input_kind())
    return [(float(v), solve_at_least(rule.expression(), float(v), dom)) for v in _grid(m, grain)]


def _outside_magnitudes(rule: Bonus | Penalty, grain: Decimal) -> list[tuple[Decimal, float]]:
    cap = Decimal(repr(rule.cap))
    if rule.each is not None:
        each = Decimal(repr(rule.each))
        return [(min(each * n, cap), float(n)) for n in range(1, math.ceil(cap / each) + 1)]
    return [(v, float(v)) for v in _grid(cap, grain)]


def _bonus(rule: Bonus, m: Decimal, grain: Decimal) -> Raw:
    return [(float(p), [Interval(x, True, INF, False)]) for p, x in _outside_magnitudes(rule, grain)]


def _penalty(rule: Penalty, m: Decimal, grain: Decimal) -> Raw:
    # level −p needs the counted magnitude at most p (0 needs none)
    raw: Raw = [(0.0, [Interval(-INF, False, 0.0, True)])]
    return raw + [(-float(p), [Interval(-INF, False, x, True)]) for p, x in _outside_magnitudes(rule, grain) if p < Decimal(repr(rule.cap))]


@dataclass(frozen=True)
class KindLevels:
    """A rule kind's ladder: ``steps(rule, max, grain)`` lists (points, inputs reaching them);
    ``continuous`` kinds may jump past a grid level, so a level takes the points the rule
    really gives at the edge of its region."""

    steps: Callable[[Any, Decimal, Decimal], Raw]
    continuous: bool = False


LEVELS: dict[str, KindLevels] = {
    "manual": KindLevels(_manual),
    "yes_no": KindLevels(_yes_no),
    "deadline": KindLevels(_deadline),
    "bands": KindLevels(_bands),
    "proportional": KindLevels(_proportional, continuous=True),
    "per_item": KindLevels(_per_item),
    "formula": KindLevels(_formula, continuous=True),
    "survey": KindLevels(_survey, continuous=True),
    "bonus": KindLevels(_bonus),
    "penalty": KindLevels(_penalty),
}


def build_ladder(leaf: Leaf, scale: int, grain: Decimal = GRAIN) -> Ladder:
    """The ladder of one leaf (see the module table)."""
    rule = leaf.rule
    m = leaf.max
    mf = float(m)
    measure = measure_of(leaf)
    kind = LEVELS[rule.kind]
    raw = kind.steps(rule, m, grain)
    bottom = -to_units(rule.upper(mf), scale) if leaf.sign < 0 else 0
    seen: dict[tuple[Interval, ...], int] = {}
    levels_out: dict[int, tuple[Interval, ...]] = {bottom: ()}
    for points, region in sorted(raw, key=lambda r: r[0]):
        units = to_units(points, scale)
        if units == bottom and not region:
            continue
        clipped = _clip(region, measure) if region else ()
        if region and not clipped:
            continue  # the level cannot be reached by any input
        if units <= bottom:
            continue
        if kind.continuous and clipped:
            units = max(units, _actual_units(rule, clipped, mf, scale))
        if clipped in seen:  # the same inputs reach a higher grid level: keep the higher one
            levels_out.pop(seen[clipped], None)
        seen[clipped] = units
        levels_out[units] = clipped
    levels = tuple(Level(u, levels_out[u]) for u in sorted(levels_out))
    return Ladder(leaf.code, rule.kind, measure, levels)


def _actual_units(rule: Any, region: tuple[Interval, ...], mf: float, scale: int) -> int:
    """Points the rule really gives at the first reachable edge of a region (a step may jump)."""
    iv = region[0]
    if not math.isinf(iv.lo):
        x = iv.lo if iv.lo_closed else math.nextafter(iv.lo, INF)
    elif not math.isinf(iv.hi):
        x = iv.hi if iv.hi_closed else math.nextafter(iv.hi, -INF)
    else:
        x = 0.0
    return to_units(float(rule.points_scalar(x, mf)), scale)
