"""Scoring every unit of a criteria set at once.

:func:`score` lays the data rows onto units × leaves matrices (:mod:`.layout`: matching,
value readings, stage overlay and every problem about the data), then :func:`score_layout`
scores them. The work is a loop over *leaves* (rules), never over units:

1. score each leaf's row of values with its rule (range corrections and over-claims reported)
   and keep the points as whole *units* of ``10**-6`` point in float64 (exact sums): points
   the unit gives (``manual``, bonus/penalty in points, a claim alone) as given, a computed
   result rounded half up to the set's ``precision`` — both by :mod:`par_index.common.rounding`
   (docs/rounding.md);
2. aggregate every level with one matrix product; index, rank and band with exact integer
   comparisons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal, TypeGuard

import numpy as np

from par_index.common.memory import give_back
from par_index.common.rounding import RESOLUTION_DIGITS, float_decimal, given_units, round_half_up, round_units
from par_index.common.values import exact_number, format_number
from par_index.criteria.compiled import CompiledCriteria
from par_index.criteria.rules.base import ratio_message
from par_index.criteria.rules.manual import Manual
from par_index.criteria.rules.survey import Survey
from par_index.errors import Problem, ProblemRows
from par_index.messages import RATIO_ABOVE_100
from par_index.scoring.layout import Layout, SetLayout, lay_out, row_problem
from par_index.scoring.ranking import band_labels, rank_within
from par_index.unit_data.reader import STAGES, UnitData
from par_index.unit_data.value_table import answer_fractions

if TYPE_CHECKING:
    import pandas as pd

Stage = Literal["self", "final"]  # self: the self-assessment only; final: the last appraisal round there is
SCORING_STAGES: tuple[Stage, ...] = ("self", "final")


def is_stage(text: str) -> TypeGuard[Stage]:
    """Whether ``text`` names a stage to score (``self`` or ``final``)."""
    return text in SCORING_STAGES


STAGE_WORDS = {"self": "tự đánh giá", "survey": "điều tra", "appraisal1": "thẩm định lần 1", "appraisal2": "thẩm định lần 2"}
STATUS_WORDS = np.array(["", "na", "missing", "not_applicable", "unreadable"], dtype=object)


@dataclass
class SetResult:
    """Scores of the units of one criteria set."""

    criteria: CompiledCriteria
    stage: str
    units: pd.DataFrame  # unit, name, kind (one row per scored unit, in data order)
    leaf_points: np.ndarray  # units × leaves, whole units of 10**-6 point (``scale`` units a point), signed
    leaf_max: np.ndarray  # units × leaves, whole units (0 where not applicable / na / bonus)
    node_points: np.ndarray  # units × nodes, whole units
    node_max: np.ndarray  # units × nodes
    total_points: np.ndarray  # units, whole units, floored at 0
    total_max: np.ndarray
    index: np.ndarray  # unrounded, NaN when nothing applies
    rank: np.ndarray  # float (NaN when no index)
    band: list[str | None]
    value_text: np.ndarray  # units × leaves, object: the value as written ('' when none)
    value_stage: np.ndarray  # units × leaves, object: stage of the row used ('' when none)
    claimed: np.ndarray  # units × leaves: points the unit claimed (NaN when none)
    status: np.ndarray  # units × leaves, object: '', 'na', 'missing', 'not_applicable', 'unreadable'
    problems: list[Problem] = field(default_factory=list)
    # the "unit", "name" and "kind" of ``units`` as object arrays, which the writers read without
    # building the frame (pandas is not imported by ``score --out .csv/.json``); empty: read ``units``
    unit_columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def scale(self) -> int:
        return self.criteria.scale

    def unit_column(self, name: str) -> np.ndarray:
        """A column of :attr:`units` ("unit", "name" or "kind") as an object array, without
        building the frame."""
        column = self.unit_columns.get(name)
        return column if column is not None else self.units[name].to_numpy(dtype=object)

    def unit_row(self, unit: str) -> int:
        rows = self.__dict__.get("_unit_rows")
        if rows is None:  # built once: reports and proposals look units up tens of thousands of times
            rows = {}
            for i, u in enumerate(self.unit_column("unit").tolist()):
                rows.setdefault(u, i)
            self.__dict__["_unit_rows"] = rows
        if unit not in rows:
            raise KeyError(unit)
        return int(rows[unit])

    def points(self) -> np.ndarray:
        return self.total_points / self.scale

    def max(self) -> np.ndarray:
        return self.total_max / self.scale


class Lazy:
    """A text matrix of :class:`SetResult`, or its units frame, built on first access (most runs
    never read them)."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[], Any]) -> None:
        self.build = build


def _built_on_access(name: str) -> property:
    key = "_" + name

    def get(self: Any) -> Any:
        value = self.__dict__[key]
        if isinstance(value, Lazy):
            value = self.__dict__[key] = value.build()
        return value

    def set_(self: Any, value: Any) -> None:
        self.__dict__[key] = value

    return property(get, set_)


UNIT_COLUMNS = ("unit", "name", "kind")


def units_table(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """:attr:`SetResult.units` from its columns (object arrays): object dtype, a range index."""
    import pandas as pd

    return pd.DataFrame({name: columns[name] for name in UNIT_COLUMNS}, dtype=object)


for _name in ("units", "value_text", "value_stage", "status"):  # the dataclass fields stay as they are
    setattr(SetResult, _name, _built_on_access(_name))


class Pending(Lazy):
    """:attr:`Results.problems` before anyone reads them: problems and :class:`ProblemRows` (the
    engine's range corrections, ~20,000 at 10,000 units, kept as columns) in order; built on
    first access like the text matrices (:func:`_built_on_access`)."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[Problem | ProblemRows]) -> None:
        super().__init__(self.problems)
        self.parts = parts

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        for part in self.parts:
            if isinstance(part, ProblemRows):
                out.extend(part.problems())
            else:
                out.append(part)
        return out


@dataclass
class Results:
    """Scores of every unit, one :class:`SetResult` per criteria set, and all problems.

    ``problems`` is a list of :class:`Problem` for every reader; the engine's bulk problems are
    made on its first access (:class:`Pending`). ``score --out`` writes them without that
    (:meth:`problem_parts`, :meth:`problem_count`, :meth:`add_problems`)."""

    sets: list[SetResult]
    stage: str
    problems: list[Problem]
    label: str | None = None  # the data set's label (e.g. synthetic example data)

    @property
    def criteria_id(self) -> str:
        return "+".join(s.criteria.id for s in self.sets)

    def problem_parts(self) -> Sequence[Problem | ProblemRows]:
        """The problems in order, the engine's bulk ones as :class:`ProblemRows` until
        :attr:`problems` has been read (then the list itself)."""
        value = self.__dict__["_problems"]
        return value.parts if isinstance(value, Pending) else value

    def problem_count(self) -> int:
        """``len(self.problems)``, without making the problems."""
        return sum(len(p) if isinstance(p, ProblemRows) else 1 for p in self.problem_parts())

    def add_problems(self, problems: Iterable[Problem]) -> None:
        """``self.problems.extend(problems)``, without making the problems before them."""
        value = self.__dict__["_problems"]
        (value.parts if isinstance(value, Pending) else value).extend(problems)

    def find(self, unit: str) -> tuple[SetResult, int]:
        for s in self.sets:
            try:
                return s, s.unit_row(unit)
            except KeyError:
                continue
        raise KeyError(unit)


Results.problems = _built_on_access("problems")  # type: ignore[assignment]  # the dataclass field stays as it is


def score(
    criteria: CompiledCriteria | Sequence[CompiledCriteria],
    data: UnitData,
    stage: Stage = "final",
    cut: dict[str, np.ndarray] | None = None,
) -> Results:
    """Score every unit in ``data``: lay its rows out (:func:`.layout.lay_out`), then score them.

    ``cut`` optionally maps a criteria id to a units × leaves bool matrix (in that set's unit
    order) of leaves to score 0 — the appraiser's preview (no evidence → 0).
    """
    layout = lay_out(criteria, data, stage)
    give_back(sum(lay.row_t.size for lay in layout.sets))  # the layout's per-row temporaries, freed: their pages before the score matrices
    return score_layout(layout, cut, consume=True)


def score_layout(layout: Layout, cut: dict[str, np.ndarray] | None = None, consume: bool = False) -> Results:
    """Score matrices already laid out: the rules, rounding, aggregation, rank and band.

    ``consume``: the layout is not used again, so each set's value matrices are dropped once
    its leaves are scored (before the node sums: on a big run that is the peak of memory)."""
    problems: list[Problem | ProblemRows] = list(layout.problems)
    results = []
    for lay in layout.sets:
        problems.extend(lay.problems)
        results.append(_score_set(lay, layout.stage, problems, None if cut is None else cut.get(lay.criteria.id), consume))
        problems.extend(lay.missing)
    return Results(results, layout.stage, Pending(problems), layout.label)  # type: ignore[arg-type]


def _issue_messages(template: str, texts: list[str], leaf_max: float) -> list[str]:
    """The message of a range correction for each value text (each distinct text formatted once)."""
    made: dict[str, str] = {}
    shown_max = format_number(leaf_max)
    for text in set(texts):
        t = text.strip()
        made[text] = ratio_message(t) if template == RATIO_ABOVE_100 else template.format(value=t, max=shown_max)
    return [made[t] for t in texts]


def _score_set(lay: SetLayout, stage: str, problems: list[Problem | ProblemRows], cut: np.ndarray | None, consume: bool = False) -> SetResult:
    c = lay.criteria
    n_leaves, n_units = lay.row_t.shape
    scale = float(c.scale)
    ph_t = np.empty((n_leaves, n_units))  # whole units, signed; leaves × units
    mh_t = np.empty((n_leaves, n_units))
    shares: dict[tuple[tuple[str, float], ...], tuple[np.ndarray, np.ndarray] | None] = {}  # exact, by answer table
    readings: dict[tuple[int, object], Fraction | None] = {}  # exact reading of a text, by (code, answer table)
    for j, leaf in enumerate(c.leaves):
        rule = leaf.rule
        leaf_max = float(leaf.max)
        has_j = lay.has_value_t[j]
        fixed, issues = rule.prepare(lay.x_t[j], leaf_max)
        for issue in issues:
            ks = lay.row_t[j, np.flatnonzero(issue.mask & has_j)]
            if len(ks):
                problems.append(lay.problems_at(ks, issue.reason, _issue_messages(issue.message, lay.raw_values(ks), leaf_max), issue.severity))
        p = np.where(has_j, rule.points(fixed, leaf_max), 0.0)
        given = rule.gives_points()
        if given:  # the points themselves: kept to the resolution
            ph, finer = given_units(p)
            finer &= has_j
        else:  # a computed result: half up to the set's precision, exactly near a half
            codes = _value_codes(lay, j)  # the value's text: one exact result each
            known = _survey_counts_exactly(lay, j, codes, has_j, shares) if isinstance(rule, Survey) and rule.answers else None
            ph = round_units(p, c.precision, _exact_result(lay, j, fixed, readings), keys=codes, known=known)
            finer = np.zeros(n_units, dtype=bool)
        for i in np.flatnonzero(finer):
            ph[i] = _given_exactly(lay, j, int(i), lay.raw_value(lay.row_t[j, i]), float(leaf.upper), problems)
        claim_j = lay.claim_t[j]
        if lay.only_claim[j]:
            upper = leaf.upper
            only_claim = ~has_j & (lay.row_t[j] >= 0) & ~lay.na_t[j] & ~np.isnan(claim_j)
            # points given without a value: the checks of points given as a value (manual): range,
            # sign and the rule's step, each reported
            step = rule.step if isinstance(rule, Manual) else None
            given_claim, claim_issues = Manual(kind="manual", step=step).prepare(np.where(only_claim, claim_j, 0.0), upper)
            for issue in claim_issues:
                for i in np.flatnonzero(issue.mask & only_claim):
                    k = lay.row_t[j, i]
                    message = issue.message.format(value=lay.raw_points(k).strip(), max=format_number(upper))
                    problems.append(row_problem(lay.row(k), issue.reason, message, issue.severity))
            claimed, finer = given_units(np.where(only_claim, given_claim, 0.0))
            for i in np.flatnonzero(finer & only_claim):
                claimed[i] = _given_exactly(lay, j, int(i), lay.raw_points(lay.row_t[j, i]), upper, problems)
            ph = np.where(only_claim, claimed, ph)
        # a claim above what the rule gives, by more than the rounding of the rule's result
        slack = 0.5 / (scale if given else 10**c.precision)
        with np.errstate(invalid="ignore"):
            over_claim = has_j & (claim_j > ph / scale + slack)
        for i in np.flatnonzero(over_claim):
            k = lay.row_t[j, i]
            message = (
                f"tự chấm {format_number(float(claim_j[i]), RESOLUTION_DIGITS)} điểm nhưng giá trị '{lay.raw_value(k).strip()}' "
                f"chỉ được {format_number(ph[i] / scale, RESOLUTION_DIGITS)} điểm theo quy tắc"
            )
            problems.append(row_problem(lay.row(k), "claim_above_rule", message, "warning"))
        counts_j = lay.applicable_t[j] & ~lay.na_t[j]  # leaf by leaf: no leaves × units matrix alive at the node sums
        counts_pts = counts_j if cut is None else counts_j & ~cut[:, j]
        if leaf.sign < 0:
            np.negative(ph, out=ph)
        np.copyto(ph_t[j], np.where(counts_pts, ph, 0.0) + 0.0)  # + 0.0: no "-0"
        if leaf.outside_max:
            mh_t[j] = 0.0
        else:
            np.multiply(counts_j, c.leaf_max_units[j], out=mh_t[j])

    if consume:
        lay.drop_values()
        if n_leaves:  # nor the last leaf's rows of them: a view keeps its whole matrix alive
            del has_j, fixed
    node_points_t = c.aggregate(ph_t)
    node_max_t = c.aggregate(mh_t)
    total_points = np.maximum(ph_t.sum(axis=0), 0.0)
    total_max = mh_t.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.where(total_max > 0, total_points * 100.0 / total_max, np.nan)
    rank = rank_within(index, lay.kinds, total_points, total_max)
    bands = band_labels(total_points, total_max, c.band_fractions)

    # the text matrices, built on access from the arrays they need: never from ``lay`` itself,
    # which holds the assessment rows (on a big run ~100 MB that can go once scored)
    row_t, na_t, applicable_t, unreadable = lay.row_t, lay.na_t, lay.applicable_t, lay.unreadable
    values, vc, stage_no = lay.vt.values, lay.vc, lay.stage_no

    def status() -> np.ndarray:
        code = np.zeros((n_leaves, n_units), dtype=np.int8)  # index into STATUS_WORDS
        code[na_t] = 1
        code[applicable_t & (row_t < 0)] = 2
        code[~applicable_t] = 3
        if unreadable.any():
            code[np.append(unreadable, False)[row_t] & ~na_t] = 4  # row −1: the appended False
        return STATUS_WORDS[code].T

    def value_text() -> np.ndarray:
        return np.append(values, "")[np.append(vc, len(values))[row_t]].T

    def value_stage() -> np.ndarray:
        return np.array([*STAGES, ""], dtype=object)[np.append(stage_no, len(STAGES))[row_t]].T

    units = {name: lay.units.texts(name) for name in UNIT_COLUMNS}  # object arrays of the layout's unit table
    return SetResult(
        c, stage, Lazy(lambda: units_table(units)), ph_t.T, mh_t.T, node_points_t.T, node_max_t.T, total_points,  # type: ignore[arg-type]
        total_max, index, rank, bands, Lazy(value_text), Lazy(value_stage), lay.claim_t.T, Lazy(status),  # type: ignore[arg-type]
        unit_columns=units,
    )


def _value_codes(lay: SetLayout, j: int) -> np.ndarray:
    """The value code (into ``lay.vt.values``) of each unit's cell of leaf ``j``, −1 where no row
    is laid out: taken per leaf, never as a per-row copy of ``lay.vc`` with −1 appended (an int64
    array of every row, 80 MB at 10**7 rows, alive at the node sums: the peak of a big run)."""
    rows = lay.row_t[j]
    if not len(lay.vc):
        return np.full(len(rows), -1, dtype=np.int64)
    codes = lay.vc.take(rows).astype(np.int64)  # row −1 takes the last row's code: set below
    codes[rows < 0] = -1
    return codes


def _exact_result(lay: SetLayout, j: int, fixed: np.ndarray, readings: dict[tuple[int, object], Fraction | None]) -> Callable[[int], Fraction | None]:
    """For :func:`round_units`: the rule's exact result for unit ``i`` of leaf ``j``, from the
    value as written (a float result near a half is decided by it, never by binary noise).
    ``readings`` keeps each text's exact reading for the other leaves of the set."""
    leaf = lay.criteria.leaves[j]
    top = Fraction(leaf.max)
    answers = tuple(leaf.rule.answers.items()) if isinstance(leaf.rule, Survey) and leaf.rule.answers else None

    def exact(i: int) -> Fraction | None:
        k = lay.row_t[j, i]
        x = float(fixed[i])
        if k < 0 or x != x:
            return None
        key = (int(lay.vc[k]), answers)
        if key not in readings:
            readings[key] = leaf.rule.exact_value(lay.raw_value(k))
        value = readings[key]
        if value is None or abs(float(value) - x) > 1e-12 * max(1.0, abs(x)):  # corrected by prepare
            value = float_decimal(x)
        return leaf.rule.points_exact(value, top)

    return exact


def _survey_counts_exactly(
    lay: SetLayout, j: int, codes: np.ndarray, has_j: np.ndarray, shares: dict[tuple[tuple[str, float], ...], tuple[np.ndarray, np.ndarray] | None]
) -> np.ndarray | None:
    """Survey leaf ``j``: for the cells whose value is answer counts, max × share rounded half up
    to the set's precision in exact integers (units of ``10**-precision``; NaN elsewhere)."""
    rule = lay.criteria.leaves[j].rule
    assert isinstance(rule, Survey) and rule.answers
    key = tuple(rule.answers.items())
    if key not in shares:
        shares[key] = answer_fractions(lay.vt.counts, rule.answers)
    exact = shares[key]
    if exact is None:
        return None
    num, den = exact
    at = codes >= 0
    if not at.any():  # no value on this leaf (e.g. one unit's rows in the server's checks)
        return np.full(codes.shape, np.nan)
    if len(num) <= int(codes.max()):  # pragma: no cover - a table that does not cover the codes
        return None  # each text exactly, one by one
    cnum = np.where(at, num[np.maximum(codes, 0)], 0)
    cden = np.where(at & has_j, den[np.maximum(codes, 0)], 0)
    top = Fraction(lay.criteria.leaves[j].max)
    a, b = top.numerator * 10**lay.criteria.precision, top.denominator
    if float(cnum.max(initial=0)) * a * 2 + float(cden.max(initial=0)) * b > 2.0**62:
        return None  # beyond int64: each text exactly, one by one
    d = np.maximum(b * cden, 1)
    n = (2 * a * cnum + d) // (2 * d)  # floor(max × share × 10^precision + 1/2)
    return np.where(cden > 0, n.astype(float), np.nan)


def _given_exactly(lay: SetLayout, j: int, i: int, text: str, upper: float, problems: list[Problem | ProblemRows]) -> float:
    """Units of a given figure with more decimals than the resolution: half up from its text,
    with a warning (a change is never silent)."""
    leaf = lay.criteria.leaves[j]
    value = exact_number(text)
    if value is None:  # pragma: no cover - the figure was read as a number
        return 0.0
    if leaf.rule.sign:
        value = abs(value)  # bonus, penalty: magnitudes
    value = min(max(value, Fraction(0)), float_decimal(upper))
    kept = round_half_up(value, RESOLUTION_DIGITS)
    message = (
        f"{text.strip()} điểm có nhiều hơn {RESOLUTION_DIGITS} chữ số thập phân; "
        f"được tính {format_number(float(kept), RESOLUTION_DIGITS)} điểm (làm tròn nửa lên đến 0,000001 điểm)"
    )
    problems.append(row_problem(lay.row(lay.row_t[j, i]), "points_too_fine", message, "warning"))
    return float(kept * lay.criteria.scale)
