"""The cheapest set of changes that reaches a target index or rank, or the most index a budget
buys — solved exactly.

Each leaf offers a choice of one of its ladder levels above the unit's current points (see
:mod:`par_index.planning.ladder`), or no change. Moving up costs the sum of the step costs on the way
(default 1 per step). That is a multiple-choice knapsack, solved by an exact dynamic programme
over *integer costs*: ``best[c]`` is the most points (whole units of ``10**-precision``, so
exact in float64) any choice costing at most ``c`` gains. Costs are made whole numbers by
scaling (costs may have at most 4 decimals) and dividing by their greatest common divisor;
with the default costs a cost is a number of steps, so the table is short (a plan rarely needs
more than a few dozen steps) and grows by doubling only for units that need more.

The programme runs for many units at once: every array is units × costs, one leaf after the
other, so a thousand units cost about as much Python as one. ``brute_force`` enumerates every
combination; the tests check that both agree.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import reduce
from pathlib import Path
from typing import Literal

import numpy as np

from par_index.common.values import format_number
from par_index.errors import InputError, Problem
from par_index.messages import CRITERION_UNKNOWN, FILE_MISSING, ID_MISSING, NOT_NEGATIVE, POINTS_EXPECTED, not_a_number
from par_index.planning.headroom import ladders, level_need, read_value
from par_index.planning.ladder import Ladder
from par_index.scoring.engine import SetResult
from par_index.scoring.ranking import band_labels
from par_index.scoring.results import Standing

GoalKind = Literal["index", "rank", "budget"]
COST_DECIMALS = 4
START_CAP = 64
CHOICE_BYTES = 64_000_000  # bound on the back-tracking table of one chunk of units


@dataclass(frozen=True)
class Goal:
    kind: GoalKind
    value: Decimal  # the target index, the target rank, or the budget

    def describe(self) -> str:
        if self.kind == "index":
            return f"chỉ số ≥ {format_number(float(self.value))}"
        if self.kind == "rank":
            return f"xếp hạng {int(self.value)} trở lên"
        return f"chi phí tối đa {format_number(float(self.value))}"


@dataclass
class StepCosts:
    """Cost of each step of each leaf: ``default``, or per (unit or '', criterion, level units)."""

    default: Decimal = Decimal(1)
    by_leaf: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (unit|'' , code)
    by_step: dict[tuple[str, str, int], Decimal] = field(default_factory=dict)  # (unit|'', code, units)

    def cost(self, unit: str, code: str, level_units: int) -> Decimal:
        for key in ((unit, code, level_units), ("", code, level_units)):
            if key in self.by_step:
                return self.by_step[key]
        for key2 in ((unit, code), ("", code)):
            if key2 in self.by_leaf:
                return self.by_leaf[key2]
        return self.default

    def all_values(self) -> list[Decimal]:
        return [self.default, *self.by_leaf.values(), *self.by_step.values()]


@dataclass
class Action:
    criterion: str
    name: str
    from_points: float
    to_points: float
    points: float
    cost: float
    need: str  # Vietnamese: the input change

    def as_dict(self) -> dict[str, object]:
        return {
            "criterion": self.criterion,
            "from": self.from_points,
            "to": self.to_points,
            "points": self.points,
            "cost": self.cost,
            "need": self.need,
        }


@dataclass
class Plan:
    unit: str
    name: str
    goal: Goal
    baseline: Standing
    result: Standing
    actions: list[Action]
    total_cost: float
    reachable: bool
    message: str

    def as_dict(self) -> dict[str, object]:
        return {
            "unit": self.unit,
            "goal": {"kind": self.goal.kind, "value": float(self.goal.value)},
            "baseline": self.baseline.as_dict(),
            "actions": [a.as_dict() for a in self.actions],
            "result": self.result.as_dict(),
            "total_cost": self.total_cost,
            "reachable": self.reachable,
            "message": self.message,
        }


# -- the options of every (unit, leaf) ----------------------------------------------------------


@dataclass
class Options:
    """For units × leaves: current level position, level units, and cumulative step costs."""

    rows: np.ndarray  # the units' rows in the SetResult
    p0: np.ndarray  # units × leaves: current points (units)
    open_: np.ndarray  # units × leaves: may the leaf change? (applicable, not na)
    pos: np.ndarray  # units × leaves: index of the highest level ≤ current points
    levels: list[np.ndarray]  # per leaf: level units (ascending)
    cum: list[np.ndarray]  # per leaf: units × levels cumulative integer cost from the bottom
    cost_unit: Fraction  # one integer cost unit in the user's cost


def build_options(s: SetResult, rows: Sequence[int], costs: StepCosts) -> Options:
    c = s.criteria
    lads = ladders(c)
    rows_arr = np.asarray(rows, dtype=np.int64)
    p0 = s.leaf_points[rows_arr]
    status = s.status[rows_arr]
    open_ = (status != "na") & (status != "not_applicable")
    units = [str(u) for u in s.units["unit"].to_numpy()[rows_arr]]
    values = costs.all_values()
    places = max((-v.as_tuple().exponent for v in values if isinstance(v.as_tuple().exponent, int)), default=0)  # type: ignore[operator]
    places = max(0, min(places, COST_DECIMALS))
    ints = [int(v.scaleb(places)) for v in values]
    g = reduce(math.gcd, [i for i in ints if i], 0) or 1
    cost_unit = Fraction(10) ** -places * g
    per_unit_costs = any(k[0] for k in costs.by_leaf) or any(k[0] for k in costs.by_step)
    levels, cum, pos = [], [], np.zeros(p0.shape, dtype=np.int64)
    for j, lad in enumerate(lads):
        lv = np.array([level.units for level in lad.levels], dtype=np.float64)
        levels.append(lv)
        pos[:, j] = np.searchsorted(lv, p0[:, j], side="right") - 1
        who = units if per_unit_costs else [""]
        table = np.array(
            [[0] + [_int_cost(costs.cost(u, lad.code, level.units), cost_unit) for level in lad.levels[1:]] for u in who],
            dtype=np.int64,
        )
        cum.append(np.broadcast_to(np.cumsum(table, axis=1), (len(rows_arr), len(lv))))
    pos = np.maximum(pos, 0)
    return Options(rows_arr, p0, open_, pos, levels, cum, cost_unit)


def _int_cost(v: Decimal, unit: Fraction) -> int:
    q = Fraction(v) / unit
    if q.denominator != 1:  # pragma: no cover - the scale is built from every cost
        raise ValueError(v)
    return int(q)


# -- the dynamic programme -----------------------------------------------------------------------


def _max_cost(o: Options, u: np.ndarray) -> np.ndarray:
    """Cost of taking every open leaf of units ``u`` to its top level."""
    total = np.zeros(len(u), dtype=np.int64)
    for j, cum in enumerate(o.cum):
        top = cum[u, -1] - np.take_along_axis(cum[u], o.pos[u, j : j + 1], axis=1)[:, 0]
        total += np.where(o.open_[u, j], top, 0)
    return total


NEG = np.int32(-(2**30))  # "not possible" in the integer gain tables


def _solve(o: Options, u: np.ndarray, cap: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """best (len(u) × cap+1) and the per-leaf choice tables (level index, −1 = no change).

    Gains are whole units in int32 (exact); every update is in place on slices.
    """
    n = len(u)
    best = np.zeros((n, cap + 1), dtype=np.int32)
    cols = np.arange(cap + 1)
    choices: list[np.ndarray] = []
    for j, lv in enumerate(o.levels):
        k_levels = len(lv)
        pos = o.pos[u, j]
        p0 = o.p0[u, j]
        open_ = o.open_[u, j]
        cum = o.cum[j][u]
        base_cost = np.take_along_axis(cum, pos[:, None], axis=1)[:, 0]
        choice = np.full((n, cap + 1), -1, dtype=np.int16)
        if not open_.any() or (pos >= k_levels - 1).all():
            choices.append(choice)
            continue
        new = best.copy()
        for off in range(1, k_levels):
            k = pos + off
            valid = open_ & (k < k_levels)
            if not valid.any():
                break
            kk = np.minimum(k, k_levels - 1)
            shift = np.take_along_axis(cum, kk[:, None], axis=1)[:, 0] - base_cost
            gain = np.where(valid, lv[kk] - p0, NEG).astype(np.int32)[:, None]
            k16 = kk.astype(np.int16)[:, None]
            if (shift == shift[0]).all():
                sh = int(shift[0])
                if sh > cap:
                    continue
                cand = best[:, : cap + 1 - sh] + gain
                better = cand > new[:, sh:]
                np.copyto(new[:, sh:], cand, where=better)
                np.copyto(choice[:, sh:], k16, where=better)
            else:
                idx = cols[None, :] - shift[:, None]
                cand = np.take_along_axis(best, np.maximum(idx, 0), axis=1) + gain
                better = (cand > new) & (idx >= 0)
                np.copyto(new, cand, where=better)
                np.copyto(choice, k16, where=better)
        best = new
        choices.append(choice)
    return best, choices


def _backtrack(o: Options, u_local: int, u_row: int, choices: list[np.ndarray], c: int) -> list[tuple[int, int, int]]:
    """(leaf, level index, integer cost) of the changes in the plan ending at cost ``c``."""
    out = []
    for j in range(len(o.levels) - 1, -1, -1):
        k = int(choices[j][u_local, c])
        if k >= 0:
            cum = o.cum[j][u_row]
            cost = int(cum[k] - cum[o.pos[u_row, j]])
            out.append((j, k, cost))
            c -= cost
    return out[::-1]


def solve_many(o: Options, need: np.ndarray | None, budget: int | None) -> list[tuple[list[tuple[int, int, int]], bool]]:
    """For each unit of ``o``: the chosen (leaf, level, cost) and whether the target is reached.

    ``need``: gain (units) each unit must reach (target modes); ``budget``: integer budget.
    """
    n = len(o.rows)
    cmax = _max_cost(o, np.arange(n))
    out: list[tuple[list[tuple[int, int, int]], bool] | None] = [None] * n
    todo = np.arange(n)
    cap = START_CAP if budget is None else int(min(budget, cmax.max(initial=0)))
    n_leaves = max(1, len(o.levels))
    while len(todo):
        cap = int(min(cap, cmax[todo].max(initial=0)))
        chunk = max(1, CHOICE_BYTES // (2 * n_leaves * (cap + 1)))
        retry = []
        for start in range(0, len(todo), chunk):
            part = todo[start : start + chunk]
            best, choices = _solve(o, part, cap)
            for li, u in enumerate(part):
                row = best[li]
                if budget is not None:
                    top = row[-1]
                    c = int(np.argmax(row >= top))
                    out[u] = (_backtrack(o, li, u, choices, c), True)
                    continue
                assert need is not None
                hit = row >= need[u]
                if hit.any():
                    out[u] = (_backtrack(o, li, u, choices, int(np.argmax(hit))), True)
                elif cap >= cmax[u]:  # everything bought and still short: the best reachable
                    c = int(np.argmax(row >= row[-1]))
                    out[u] = (_backtrack(o, li, u, choices, c), False)
                else:
                    retry.append(u)
        todo = np.array(retry, dtype=np.int64)
        cap *= 2
    return [x for x in out if x is not None]


# -- goals, standings, the public entry --------------------------------------------------------


def _standing(s: SetResult, row: int, raw_units: float) -> Standing:
    total = max(raw_units, 0.0)
    m = float(s.total_max[row])
    index = total * 100.0 / m if m > 0 else math.nan
    kind = s.units["kind"].to_numpy()
    same = (kind == kind[row]) & (np.arange(len(kind)) != row)
    others = s.index[same]
    rank = None if math.isnan(index) else int(1 + np.count_nonzero(others > index))
    band = band_labels(np.array([total]), np.array([m]), s.criteria.band_fractions)[0]
    return Standing(total / s.scale, None if math.isnan(index) else index, rank, band)


def need_units(s: SetResult, row: int, goal: Goal) -> float:
    """Total points (units) the unit must reach for a target index or rank (inf: impossible)."""
    m = int(s.total_max[row])
    if m <= 0:
        return math.inf
    if goal.kind == "index":
        return float(math.ceil(Fraction(goal.value) * m / 100))
    k = int(goal.value)
    kind = s.units["kind"].to_numpy()
    same = (kind == kind[row]) & (np.arange(len(kind)) != row) & ~np.isnan(s.index)
    others = np.sort(s.index[same])[::-1]
    if k > len(others):
        return 0.0
    t = float(others[k - 1])
    # the fewest points whose index (as the engine computes it) reaches t
    p = math.ceil(Fraction(t) * m / 100)
    while p > 0 and (p - 1) * 100.0 / m >= t:
        p -= 1
    while p * 100.0 / m < t:
        p += 1
    return float(p)


def plan_units(s: SetResult, rows: Sequence[int], goal: Goal, costs: StepCosts | None = None) -> list[Plan]:
    """Plans for the units in ``rows`` of ``s`` (all solved together)."""
    costs = costs or StepCosts()
    o = build_options(s, rows, costs)
    raw = s.leaf_points[o.rows].sum(axis=1)
    if goal.kind == "budget":
        budget = int(Fraction(goal.value) / o.cost_unit)  # whole cost units within the budget
        solved = solve_many(o, None, budget)
        needs = np.zeros(len(o.rows))
    else:
        target = np.array([need_units(s, int(r), goal) for r in o.rows])
        needs = target - raw
        finite = np.where(np.isinf(needs), np.inf, needs)
        solved = solve_many(o, finite, None)
    c = s.criteria
    lads = ladders(c)
    plans = []
    for ui, row in enumerate(o.rows):
        picks, reached = solved[ui]
        row = int(row)
        actions = []
        gain = 0.0
        total_cost = Fraction(0)
        for j, k, icost in picks:
            lad: Ladder = lads[j]
            leaf = c.leaves[j]
            p_from = float(o.p0[ui, j])
            p_to = float(o.levels[j][k])
            gain += p_to - p_from
            cost = icost * o.cost_unit
            total_cost += cost
            x0 = read_value(leaf, str(s.value_text[row, j]))
            actions.append(
                Action(leaf.code, leaf.name, p_from / s.scale, p_to / s.scale, (p_to - p_from) / s.scale, float(cost), level_need(lad, lad.levels[k], x0))
            )
        base = _standing(s, row, float(raw[ui]))
        result = _standing(s, row, float(raw[ui]) + gain)
        if goal.kind == "budget":
            msg = f"Trong {goal.describe()}: chỉ số từ {_ix(base.index)} lên {_ix(result.index)}"
        elif reached:
            msg = f"Đạt mục tiêu {goal.describe()} với chi phí {format_number(float(total_cost))}" if actions else f"Đã đạt mục tiêu {goal.describe()}; không cần thay đổi"
        else:
            msg = f"Không thể đạt mục tiêu {goal.describe()}: tốt nhất có thể là chỉ số {_ix(result.index)}, xếp hạng {result.rank}"
        plans.append(
            Plan(str(s.units["unit"].iat[row]), str(s.units["name"].iat[row]), goal, base, result, actions, float(total_cost), bool(reached), msg)
        )
    return plans


def _ix(x: float | None) -> str:
    return "—" if x is None else format_number(x)


# -- brute force (the reference for tests and benchmarks) --------------------------------------


def brute_force(o: Options, ui: int, need: float | None, budget: int | None) -> tuple[int, float]:
    """(least integer cost, gain) by trying every combination, for unit ``ui`` of ``o``.

    Target mode: least cost with gain ≥ ``need``, then the most gain (or, when unreachable,
    the most gain at least cost). Budget mode: most gain with cost ≤ ``budget``, then least cost.
    """
    choices = []
    for j, lv in enumerate(o.levels):
        opts = [(0, 0.0)]
        if o.open_[ui, j]:
            p = int(o.pos[ui, j])
            cum = o.cum[j][ui]
            opts += [(int(cum[k] - cum[p]), float(lv[k] - o.p0[ui, j])) for k in range(p + 1, len(lv))]
        choices.append(opts)
    best: tuple[int, float] | None = None
    for combo in itertools.product(*choices):
        cost = sum(c for c, _ in combo)
        gain = sum(g for _, g in combo)
        if budget is not None:
            key = (gain, -cost)
            if cost <= budget and (best is None or key > (best[1], -best[0])):
                best = (cost, gain)
        else:
            assert need is not None
            if gain >= need:  # least cost, then most gain
                if best is None or best[1] < need or (cost, -gain) < (best[0], -best[1]):
                    best = (cost, gain)
            elif best is None or (best[1] < need and (gain, -cost) > (best[1], -best[0])):
                best = (cost, gain)
    assert best is not None
    return best


# -- the costs file ------------------------------------------------------------------------------


def read_costs(path: Path) -> StepCosts:
    """``criterion,cost`` with optional ``unit`` and ``points`` (the level a step reaches)."""
    from par_index.common.values import parse_numbers
    from par_index.unit_data.reader import read_csv_table

    name = str(path)
    if not path.is_file():
        raise InputError(Problem("file_missing", FILE_MISSING.format(what="tệp chi phí"), file=name))
    df = read_csv_table(path)
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in ("criterion", "cost") if c not in df.columns]
    extra = [c for c in df.columns if c not in ("criterion", "cost", "unit", "points")]
    if missing or extra:
        raise InputError(
            Problem("costs_columns", "tệp chi phí cần các cột criterion, cost (tùy chọn: unit, points)"
                    + (f"; thiếu {', '.join(missing)}" if missing else "") + (f"; cột không dùng được: {', '.join(extra)}" if extra else ""), file=name, line=1)
        )
    out = StepCosts()
    problems = []
    values, _ = parse_numbers(df["cost"].astype(str))
    pts, _ = parse_numbers(df["points"].astype(str)) if "points" in df.columns else (np.full(len(df), np.nan), None)
    for i, r in enumerate(df.itertuples(index=False)):
        line = i + 2
        v = values[i]
        crit = str(r.criterion).strip()
        unit = str(getattr(r, "unit", "") or "").strip()
        if not crit:
            problems.append(Problem("costs_criterion", ID_MISSING.format(what="tiêu chí", column="criterion"), file=name, line=line))
            continue
        if math.isnan(v) or v < 0:
            problems.append(Problem("costs_value", NOT_NEGATIVE.format(what="chi phí", text=r.cost), file=name, line=line, criterion=crit))
            continue
        cost = Decimal(repr(float(v))).normalize()
        if -int(cost.as_tuple().exponent) > COST_DECIMALS:
            problems.append(Problem("costs_value", f"chi phí '{r.cost}' có quá {COST_DECIMALS} chữ số thập phân", file=name, line=line, criterion=crit))
            continue
        text_pts = str(getattr(r, "points", "") or "").strip()
        if text_pts:
            if math.isnan(pts[i]):
                problems.append(Problem("costs_points", not_a_number("mức điểm", text_pts, POINTS_EXPECTED), file=name, line=line, criterion=crit))
                continue
            out.by_step[(unit, crit, round(pts[i] * 10**COST_DECIMALS))] = cost
        else:
            out.by_leaf[(unit, crit)] = cost
    if problems:
        raise InputError(problems)
    return out


def resolve_step_points(costs: StepCosts, s: SetResult, file: str) -> StepCosts:
    """Map ``points`` columns to level units of the set, refusing unknown criteria or levels."""
    c = s.criteria
    lads = ladders(c)
    problems = []
    by_step: dict[tuple[str, str, int], Decimal] = {}
    for (unit, code, scaled), cost in costs.by_step.items():
        if code not in c.leaf_index:
            problems.append(Problem("costs_criterion", CRITERION_UNKNOWN.format(criterion=code, where=f"bộ tiêu chí {c.id}"), file=file, criterion=code))
            continue
        lad = lads[c.leaf_index[code]]
        units = round(scaled * s.scale / 10**COST_DECIMALS)
        known = [lv.units for lv in lad.levels[1:]]
        if units not in known:
            shown = ", ".join(format_number(k / s.scale) for k in known)
            problems.append(Problem("costs_points", f"tiêu chí {code} không có mức {format_number(units / s.scale)} điểm; các mức: {shown}", file=file, criterion=code))
            continue
        by_step[(unit, code, units)] = cost
    for (_unit, code) in costs.by_leaf:
        if code not in c.leaf_index:
            problems.append(Problem("costs_criterion", CRITERION_UNKNOWN.format(criterion=code, where=f"bộ tiêu chí {c.id}"), file=file, criterion=code))
    if problems:
        raise InputError(problems)
    return StepCosts(costs.default, dict(costs.by_leaf), by_step)
