"""A plain per-unit reference scorer: the engine's semantics, written the slow and obvious way.

:mod:`par_index.scoring.engine` scores every unit at once with numpy. This module scores **one unit at
a time** with plain Python, so the two can be compared (``tests/test_property_engine.py``)
and the engine's speed measured against it (``benchmarks/``). It shares no code path with the
engine's vectorised reading and scoring:

* it walks the criteria tree (:class:`~par_index.criteria.model.CriteriaSet` nodes), not the compiled
  arrays; ``applies_to`` is intersected down the tree;
* it reads each value on its own with the standard library (``re``, ``decimal``,
  ``datetime``): decimal commas, thousands separators, ``93%`` (exactly ``93/100``), dates
  ``yyyy-mm-dd`` / ``dd/mm/yyyy``, yes/no words, ``na``;
* it scores each leaf with the rule's :meth:`~par_index.criteria.rules.base.Rule.points_scalar`, after
  the same range corrections the rules' ``prepare`` makes (ratios above 1 unusable, below 0 as 0, counts whole and
  ≥ 0, manual points into 0..max and down to a multiple of ``step``);
* it keeps every number as a :class:`fractions.Fraction`: points the unit gives (``manual``,
  bonus/penalty in points, a claim alone) exactly as written, to 10**-6 point; a computed result
  exactly from the value as written (:meth:`~par_index.criteria.rules.base.Rule.points_exact`;
  a rule without one gives fixed parameter points: its float result is taken as the decimal it
  stands for, to 9 decimals) and rounded half up to ``precision`` (docs/rounding.md); sums, the
  index, ranks and bands are exact.

Semantics reproduced (see ``docs/criteria-format.md`` and ``docs/architecture.md``):

* units: the first row of a unit id counts; rows with no id or a kind outside ``unit_kinds``
  are not scored;
* assessment rows: rows of unknown units, stages or criteria, of parent nodes and of items that
  do not apply to the unit's kind are dropped; of several rows with the same (unit, criterion,
  stage) the first counts, even when it is blank; a ``self`` row on a survey leaf never counts
  (Sở Nội vụ fills survey leaves); a ``survey`` row on any other leaf is the unit's ``self`` row
  unless the unit wrote its own ``self`` row there;
* stages: ``final`` lays ``self`` → ``survey`` → ``appraisal1`` → ``appraisal2`` over each other,
  ``self`` lays ``self`` → ``survey``; a row takes part when it has a value (readable or not),
  a claim (``points``) or says ``na``; the last such row wins;
* ``na`` removes the leaf from points and maximum; an item outside ``applies_to`` likewise;
  a leaf with no row scores 0 of its maximum; an unreadable value scores 0;
* a row with no value but a claim gives the claimed points, clamped to [0, the rule's upper
  limit] and, on a ``manual`` leaf with a ``step``, floored to the step (as a manual value is); a bonus's or penalty's value and claim are read as their size (``-0,5`` and ``0,5``
  alike);
* bonus and penalty count 0 towards every maximum and are added / subtracted; a unit's total
  is floored at 0 (node sums are not);
* index = total × 100 / max (none when max is 0); rank within kind, highest first, equal
  indexes share the lower rank; band = the highest ``min`` the index reaches.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from par_index.common.rounding import RESOLUTION_DIGITS, round_half_up
from par_index.common.values import NA_WORDS, NO_WORDS, YES_WORDS
from par_index.criteria.model import CriteriaSet, Node
from par_index.criteria.rules.base import Rule
from par_index.unit_data.reader import UnitData

STAGES_IN_ORDER: dict[str, tuple[str, ...]] = {
    "self": ("self", "survey"),
    "final": ("self", "survey", "appraisal1", "appraisal2"),
}
KNOWN_STAGES = frozenset(STAGES_IN_ORDER["final"])
EPOCH = dt.date(1970, 1, 1)
NOISE = Decimal("1e-9")  # a rule's float result is read as the decimal it stands for, to 9 places

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass
class UnitScore:
    """One unit's scores; every number exact, in points."""

    unit: str
    name: str
    kind: str
    leaf_points: dict[str, Fraction] = field(default_factory=dict)  # signed; 0 when na / n.a.
    leaf_max: dict[str, Fraction] = field(default_factory=dict)
    node_points: dict[str, Fraction] = field(default_factory=dict)  # every node, leaves too
    node_max: dict[str, Fraction] = field(default_factory=dict)
    total_points: Fraction = Fraction(0)
    total_max: Fraction = Fraction(0)
    index: Fraction | None = None
    rank: int | None = None
    band: str | None = None


@dataclass(frozen=True)
class Reading:
    """What one row says about a leaf."""

    state: str  # 'blank' | 'na' | 'value'
    x: float | None  # the value read (None: unreadable, or not a value)
    claim: Fraction | None  # points claimed in the ``points`` column
    exact: Fraction | None = None  # the value exactly, when it is a number (or survey answer counts)

    @property
    def takes_part(self) -> bool:
        return self.state in ("value", "na") or self.claim is not None


# -- reading one value ---------------------------------------------------------------------------


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def read_number(text: str) -> Fraction | None:
    """A number as users write it, exactly: ``0,5``, ``93%``, ``1.234,5``, ``1 234``; else None."""
    t = text.strip()
    if _NUMBER.fullmatch(t):
        return _finite(Decimal(t))
    t = t.replace(" ", "").replace("\u00a0", "")
    percent = t.endswith("%")
    t = t.rstrip("%")
    if "." in t and "," in t:  # 1.234,5 and 1,234.5: the last separator is the decimal one
        point = t.rfind(".") > t.rfind(",")
        grouping = r"\d{1,3}(?:,\d{3})+\.\d*" if point else r"\d{1,3}(?:\.\d{3})+,\d*"
        if not re.fullmatch(r"[+-]?" + grouping, t):
            return None
        t = t.replace(",", "") if point else t.replace(".", "")
    t = t.replace(",", ".")
    if not _NUMBER.fullmatch(t):
        return None
    value = _finite(Decimal(t))
    if value is None:
        return None
    return value / 100 if percent else value


def _finite(d: Decimal) -> Fraction | None:
    try:
        value = Fraction(d)
        return value if math.isfinite(float(value)) else None
    except (OverflowError, ValueError, InvalidOperation):
        return None


def read_date(text: str) -> float | None:
    """``yyyy-mm-dd`` or ``dd/mm/yyyy`` → days since 1970-01-01; None if not a real date."""
    t = text.strip()
    m = _ISO.fullmatch(t)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _DMY.fullmatch(t)
        if not m:
            return None
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        return float((dt.date(y, mo, d) - EPOCH).days)
    except ValueError:
        return None


def read_yes_no(text: str) -> float | None:
    word = _nfc(text).strip().lower()
    if word in YES_WORDS:
        return 1.0
    if word in NO_WORDS:
        return 0.0
    return None


def read_row(rule: Rule, value: str, points: str) -> Reading:
    """Read one assessment row for a leaf with ``rule``."""
    claim = read_number(points)
    number = read_number(value)
    stripped = value.strip()
    if number is None:
        if stripped == "":
            return Reading("blank", None, claim)
        if _nfc(stripped).strip().lower() in NA_WORDS:
            return Reading("na", None, claim)
    x: float | None
    if rule.value_type == "date":
        x = read_date(value)
    elif number is not None:
        x = float(number)
    elif rule.value_type == "bool":
        x = read_yes_no(value)
    else:
        x = None
    exact = number
    if x is None:
        x = rule.parse_text(value)
        exact = None if x is None else rule.exact_value(value)
    return Reading("value", x, claim, exact)


# -- scoring one leaf ----------------------------------------------------------------------------


def corrected(rule: Rule, x: float, max_points: float) -> float:
    """The value after the range corrections the rule makes (and reports) before scoring."""
    kind = rule.kind
    measure: str | None = getattr(rule, "measure", None)
    if kind == "survey":
        measure = "ratio"
    if kind in ("bonus", "penalty"):  # magnitudes: −0,5 and 0,5 alike
        x = abs(x)
        measure = "count" if getattr(rule, "each", None) else "non_negative"
    if kind == "deadline":  # more than 10 years before the due year: a typo (year 0024), scored 0
        due = rule.due  # type: ignore[attr-defined]
        return math.nan if x < (dt.date(due.year - 10, 1, 1) - dt.date(1970, 1, 1)).days else x
    if kind == "manual":
        x = min(max(x, 0.0), max_points)
        step = getattr(rule, "step", None)
        if step is not None:
            q = Fraction(repr(x)) / Fraction(repr(step))
            if q.denominator != 1:
                x = float(math.floor(q) * Fraction(repr(step)))
        return x
    if measure == "ratio":  # above 100 % or negative: an error, scored 0
        return math.nan if x > 1 or x < 0 else x
    if measure == "count":  # negative: an error, scored 0
        return math.nan if x < 0 else float(math.floor(x))
    if measure == "non_negative":
        return max(x, 0.0)
    return x


def exact_points(p: float, precision: int) -> Fraction:
    """A rule's float result (fixed parameter points) → exact points, rounded half-up to ``precision``."""
    meant = Decimal(p).quantize(NOISE, rounding=ROUND_HALF_EVEN)
    return round_half_up(meant, precision)


def _exact_value(reading: Reading, x: float) -> Fraction:
    """The value exactly as written, unless the range corrections changed it (then ``x``)."""
    if reading.exact is not None and abs(float(reading.exact) - x) <= 1e-12 * max(1.0, abs(x)):
        return reading.exact
    return Fraction(repr(x))


def leaf_score(node: Node, reading: Reading | None, precision: int) -> tuple[Fraction, Fraction]:
    """(signed points, maximum) of one applicable leaf given the row that counts (or None)."""
    rule = node.rule
    assert rule is not None
    outside = rule.sign != 0
    max_points = Fraction(0) if outside else Fraction(node.max or 0)
    if reading is None:
        return Fraction(0), max_points
    if reading.state == "na":
        return Fraction(0), Fraction(0)
    if reading.state == "value":
        top = float(max_points)
        if reading.x is None:
            points = Fraction(0)
        else:
            x = corrected(rule, reading.x, top)
            p = rule.points_scalar(x, top)
            if rule.gives_points():  # the points themselves, to the resolution
                value = abs(reading.exact) if outside and reading.exact is not None else reading.exact
                exact = Fraction(0) if x != x else _exact_value(Reading("value", None, None, value), x)
                points = round_half_up(min(max(exact, Fraction(0)), Fraction(repr(rule.upper(top)))), RESOLUTION_DIGITS)
            else:
                r = None if x != x else rule.points_exact(_exact_value(reading, x), max_points)
                points = round_half_up(r, precision) if r is not None else exact_points(p, precision)
    else:  # a claim alone, to the resolution
        assert reading.claim is not None
        claim = abs(reading.claim) if rule.sign != 0 else reading.claim  # bonus, penalty: −0,5 or 0,5
        upper = Fraction(repr(rule.upper(float(max_points))))
        given = min(max(claim, Fraction(0)), upper)
        step = getattr(rule, "step", None) if rule.kind == "manual" else None
        if step is not None and (given / Fraction(repr(step))).denominator != 1:  # as a manual value: floored to the step
            given = math.floor(given / Fraction(repr(step))) * Fraction(repr(step))
        points = round_half_up(given, RESOLUTION_DIGITS)
    return (-points if rule.sign < 0 else points), max_points


# -- one unit ------------------------------------------------------------------------------------


def score_unit(
    spec: CriteriaSet,
    unit: str,
    name: str,
    kind: str,
    rows: dict[tuple[str, str], Reading],
    stage: str = "final",
) -> UnitScore:
    """Score one unit. ``rows`` maps (criterion, stage) to the reading of the row that counts."""
    out = UnitScore(unit, name, kind)
    order = STAGES_IN_ORDER[stage]

    def visit(node: Node, applies: frozenset[str] | None) -> tuple[Fraction, Fraction]:
        if node.applies_to is not None:
            here = frozenset(node.applies_to)
            applies = here if applies is None else applies & here
        if node.rule is not None:
            if applies is not None and kind not in applies:
                points, maximum = Fraction(0), Fraction(0)
            else:
                winner = None
                for st in order:
                    reading = rows.get((node.code, st))
                    if reading is not None and reading.takes_part:
                        winner = reading
                points, maximum = leaf_score(node, winner, spec.precision)
            out.leaf_points[node.code], out.leaf_max[node.code] = points, maximum
        else:
            points, maximum = Fraction(0), Fraction(0)
            for child in node.children or []:
                p, m = visit(child, applies)
                points += p
                maximum += m
        out.node_points[node.code], out.node_max[node.code] = points, maximum
        return points, maximum

    total, total_max = Fraction(0), Fraction(0)
    for area in spec.nodes:
        p, m = visit(area, None)
        total += p
        total_max += m
    out.total_points = max(total, Fraction(0))
    out.total_max = total_max
    out.index = out.total_points * 100 / total_max if total_max > 0 else None
    return out


# -- the whole data set --------------------------------------------------------------------------


def leaf_rules(spec: CriteriaSet) -> dict[str, tuple[Rule, frozenset[str] | None]]:
    """Leaf code → (rule, unit kinds it applies to or None for all), by recursion."""
    out: dict[str, tuple[Rule, frozenset[str] | None]] = {}

    def walk(nodes: Iterable[Node], applies: frozenset[str] | None) -> None:
        for node in nodes:
            here = applies
            if node.applies_to is not None:
                own = frozenset(node.applies_to)
                here = own if applies is None else applies & own
            if node.rule is not None:
                out[node.code] = (node.rule, here)
            else:
                walk(node.children or [], here)

    walk(spec.nodes, None)
    return out


def _records(df: Any, columns: list[str]) -> list[tuple[str, ...]]:
    cols = [df[c].tolist() if c in df.columns else [""] * len(df) for c in columns]
    return [tuple("" if v is None else str(v) for v in row) for row in zip(*cols, strict=True)]


def score(spec: CriteriaSet, data: UnitData, stage: str = "final") -> list[UnitScore]:
    """Score every unit of ``data`` that belongs to ``spec``, one at a time; ranks and bands."""
    kinds = spec.kinds()
    units: dict[str, tuple[str, str]] = {}
    seen: set[str] = set()
    for unit, name, kind in _records(data.units, ["unit", "name", "kind"]):
        if unit in seen:
            continue
        seen.add(unit)
        if unit and kind in kinds:
            units[unit] = (name, kind)
    leaves = leaf_rules(spec)
    rows: dict[str, dict[tuple[str, str], Reading]] = {u: {} for u in units}
    columns = ["unit", "criterion", "value", "stage", "points"]
    moved: dict[tuple[str, str], Reading] = {}  # survey rows on leaves that are not survey leaves
    for unit, criterion, value, st, points in _records(data.assessments, columns):
        st = st or "self"
        if unit not in units or st not in KNOWN_STAGES or criterion not in leaves:
            continue
        rule, applies = leaves[criterion]
        if applies is not None and units[unit][1] not in applies:
            continue
        if st == "self" and rule.kind == "survey":
            continue  # Sở Nội vụ fills survey leaves: the unit's own row never counts
        if st == "survey" and rule.kind != "survey":
            moved.setdefault((unit, criterion), read_row(rule, value, points))  # the unit's own value
            continue
        mine = rows[unit]
        if (criterion, st) not in mine:  # the first of duplicate rows counts
            mine[(criterion, st)] = read_row(rule, value, points)
    for (unit, criterion), reading in moved.items():
        rows[unit].setdefault((criterion, "self"), reading)  # unless the unit wrote its own self row
    scored = [score_unit(spec, u, name, kind, rows[u], stage) for u, (name, kind) in units.items()]
    rank_and_band(scored, spec)
    return scored


def rank_and_band(scored: list[UnitScore], spec: CriteriaSet) -> None:
    """Competition ranks within kind (highest index first) and bands, exactly."""
    bands = sorted(((b.label, Fraction(b.min)) for b in spec.bands or []), key=lambda b: -b[1])
    by_kind: dict[str, list[Fraction]] = {}
    for s in scored:
        if s.index is not None:
            by_kind.setdefault(s.kind, []).append(s.index)
    ascending = {kind: sorted(values) for kind, values in by_kind.items()}
    for s in scored:
        if s.index is None:
            continue
        values = ascending[s.kind]
        s.rank = 1 + len(values) - bisect.bisect_right(values, s.index)  # 1 + how many are higher
        s.band = next((label for label, low in bands if s.index >= low), None)


__all__ = ["Reading", "UnitScore", "read_date", "read_number", "read_row", "score", "score_unit"]
