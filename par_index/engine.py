"""Scoring every unit of a criteria set at once.

The work is a loop over *leaves* (rules), never over units:

1. match assessment rows to units and leaves; report unknown units and criteria, unknown
   stages, duplicates and rows for items that do not apply to the unit's kind;
2. give each row the reading of its value its leaf needs (number, percentage, date, yes/no,
   ``na``): every distinct text was read once when the data was loaded (:mod:`.value_table`);
3. lay the rows of each stage into units × leaves matrices and overlay them in stage order
   (``self`` → ``survey`` → ``appraisal1`` → ``appraisal2`` for the final score);
4. score each leaf's column with its rule, round to ``10**-precision`` points and keep whole
   *units* of that size in float64 (exact sums);
5. aggregate every level with one matrix product; index, rank and band with exact integer
   comparisons.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from .compiled import CompiledCriteria
from .problems import InputError, Problem
from .ranking import band_labels, rank_within
from .rules.base import Rule
from .rules.survey import Survey
from .unit_data import STAGES, UnitData
from .value_table import ValueTable, answer_shares, value_table
from .values import format_number

Stage = Literal["self", "final"]
STAGE_ORDER: dict[str, tuple[str, ...]] = {
    "self": ("self", "survey"),
    "final": ("self", "survey", "appraisal1", "appraisal2"),
}
EXPECTED = {
    "number": "cần một số (ví dụ 0,5 hoặc 93%)",
    "points": "cần số điểm (ví dụ 0,75)",
    "date": "cần một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd",
    "bool": "cần có/không",
}
STAGE_WORDS = {"self": "tự đánh giá", "survey": "điều tra", "appraisal1": "thẩm định lần 1", "appraisal2": "thẩm định lần 2"}
ROUND_EPS = 1e-7
STATUS_WORDS = np.array(["", "na", "missing", "not_applicable", "unreadable"], dtype=object)


@dataclass
class SetResult:
    """Scores of the units of one criteria set."""

    criteria: CompiledCriteria
    stage: str
    units: pd.DataFrame  # unit, name, kind (one row per scored unit, in data order)
    leaf_points: np.ndarray  # units × leaves, whole units of 10**-precision, signed
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

    @property
    def scale(self) -> int:
        return self.criteria.scale

    def unit_row(self, unit: str) -> int:
        hits = np.flatnonzero(self.units["unit"].to_numpy() == unit)
        if not len(hits):
            raise KeyError(unit)
        return int(hits[0])

    def points(self) -> np.ndarray:
        return self.total_points / self.scale

    def max(self) -> np.ndarray:
        return self.total_max / self.scale


class Lazy:
    """A text matrix of :class:`SetResult` built on first access (most runs never read them)."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[], np.ndarray]) -> None:
        self.build = build


def _built_on_access(name: str) -> property:
    key = "_" + name

    def get(self: SetResult) -> np.ndarray:
        value = self.__dict__[key]
        if isinstance(value, Lazy):
            value = self.__dict__[key] = value.build()
        return value

    def set_(self: SetResult, value: np.ndarray | Lazy) -> None:
        self.__dict__[key] = value

    return property(get, set_)


for _name in ("value_text", "value_stage", "status"):  # the dataclass fields stay as they are
    setattr(SetResult, _name, _built_on_access(_name))


@dataclass
class Results:
    """Scores of every unit, one :class:`SetResult` per criteria set, and all problems."""

    sets: list[SetResult]
    stage: str
    problems: list[Problem]
    label: str | None = None  # the data set's label (e.g. synthetic example data)

    @property
    def criteria_id(self) -> str:
        return "+".join(s.criteria.id for s in self.sets)

    def find(self, unit: str) -> tuple[SetResult, int]:
        for s in self.sets:
            try:
                return s, s.unit_row(unit)
            except KeyError:
                continue
        raise KeyError(unit)


def score(
    criteria: CompiledCriteria | Sequence[CompiledCriteria],
    data: UnitData,
    stage: Stage = "final",
    cut: dict[str, np.ndarray] | None = None,
) -> Results:
    """Score every unit in ``data``.

    ``cut`` optionally maps a criteria id to a units × leaves bool matrix (in that set's unit
    order) of leaves to score 0 — the appraiser's preview (no evidence → 0).
    """
    sets = [criteria] if isinstance(criteria, CompiledCriteria) else list(criteria)
    if stage not in STAGE_ORDER:
        raise InputError(Problem("stage_unknown", f"giai đoạn '{stage}' không hợp lệ; chọn self hoặc final"))
    data = data.for_criteria(sets)  # rows that need the criteria (survey answer counts)
    problems: list[Problem] = list(data.problems)
    kind_owner: dict[str, int] = {}
    for i, c in enumerate(sets):
        for kind in c.kinds:
            if kind in kind_owner:
                raise InputError(
                    Problem("kind_in_two_sets", f"loại đơn vị '{kind}' có trong cả hai bộ tiêu chí {sets[kind_owner[kind]].id} và {c.id}")
                )
            kind_owner[kind] = i
    vt = value_table(data.assessments)  # codes and readings of every distinct text, built once per frame
    units = _check_units(data, kind_owner, problems, sets)
    ids, pos = _check_rows(data, vt, units, problems)
    set_of_unit = units["set_no"].to_numpy(dtype=int)
    set_no = set_of_unit[pos]
    results = []
    for i, c in enumerate(sets):
        in_set = set_of_unit == i
        set_units = units[in_set].reset_index(drop=True)
        local = np.cumsum(in_set) - 1  # a unit's row within its set
        sel = set_no == i
        set_ids, set_pos = (ids[sel], local[pos[sel]]) if len(sets) > 1 else (ids, pos)
        results.append(_score_set(c, set_units, data.assessments, vt, set_ids, set_pos, stage, problems, None if cut is None else cut.get(c.id)))
    return Results(results, stage, problems, data.label)


def _check_units(data: UnitData, kind_owner: dict[str, int], problems: list[Problem], sets: list[CompiledCriteria]) -> pd.DataFrame:
    units = data.units
    dup = units.duplicated("unit", keep="first").to_numpy()
    for r in units[dup].itertuples():
        problems.append(Problem("unit_duplicate", "mã đơn vị đã có ở dòng trước; dòng này bị bỏ qua", file=r.at_file, line=r.at_line, unit=r.unit))
    empty = (units["unit"] == "").to_numpy()
    for r in units[empty & ~dup].itertuples():
        problems.append(Problem("unit_id_empty", "thiếu mã đơn vị (cột unit); dòng này bị bỏ qua", file=r.at_file, line=r.at_line))
    units = units[~dup & ~empty].copy()
    owner = units["kind"].map(kind_owner)
    unknown = owner.isna().to_numpy()
    known_kinds = ", ".join(sorted(kind_owner))
    for r in units[unknown].itertuples():
        problems.append(
            Problem("unit_kind_unknown", f"loại đơn vị '{r.kind}' không có trong bộ tiêu chí ({known_kinds}); đơn vị không được chấm", file=r.at_file, line=r.at_line, unit=r.unit)
        )
    units = units[~unknown].copy()
    units["set_no"] = owner[~unknown].astype(int).to_numpy()
    return units.reset_index(drop=True)


def _check_rows(data: UnitData, vt: ValueTable, units: pd.DataFrame, problems: list[Problem]) -> tuple[np.ndarray, np.ndarray]:
    """Positions (in ``data.assessments``) of the rows to score, and each one's row in ``units``."""
    rows = data.assessments
    pos = pd.Index(units["unit"].to_numpy()).get_indexer(vt.units)[vt.unit_codes]  # units are unique here
    bad_unit = pos < 0
    if bad_unit.any():
        known_all = set(data.units["unit"])
        for r in rows[bad_unit].itertuples():
            if r.unit in known_all:
                continue  # its unit was already reported (unknown kind, duplicate)
            problems.append(_row_problem(r, "unit_unknown", f"đơn vị '{r.unit}' không có trong units; dòng này không được chấm"))
    stage_ok = np.array([s in STAGES for s in vt.stages], dtype=bool)[vt.stage_codes]
    if not stage_ok.all():
        for r in rows[~stage_ok & ~bad_unit].itertuples():
            problems.append(_row_problem(r, "stage_unknown", f"giai đoạn '{r.stage}' không hợp lệ; dùng self, appraisal1, appraisal2 hoặc survey"))
    ids = np.flatnonzero(~bad_unit & stage_ok)
    return ids, pos[ids]


def _row_problem(r: object, reason: str, message: str, severity: str = "error") -> Problem:
    """A problem about one data row (a namedtuple from ``itertuples`` or a Series)."""
    get = r.get if isinstance(r, pd.Series) else (lambda k, d=None: getattr(r, k, d))
    line = get("at_line", None)
    return Problem(
        reason,
        message,
        file=str(get("at_file", "") or ""),
        line=int(line) if line is not None and line == line else None,
        cell=str(get("at_cell", "") or ""),
        unit=str(get("unit", "")),
        criterion=str(get("criterion", "")),
        severity=severity,
    )


def _score_set(
    c: CompiledCriteria,
    units: pd.DataFrame,
    frame: pd.DataFrame,
    vt: ValueTable,
    ids: np.ndarray,
    u: np.ndarray,
    stage: str,
    problems: list[Problem],
    cut: np.ndarray | None,
) -> SetResult:
    """Score one set: ``ids`` are this set's rows in ``frame`` (= ``vt``'s rows), ``u`` their unit rows."""
    n_units, n_leaves = len(units), len(c.leaves)
    unit_pos = pd.Index(units["unit"].to_numpy())
    leaf_pos = pd.Index(list(c.leaf_index))
    lcol = leaf_pos.get_indexer(vt.criteria)[vt.criterion_codes[ids]] if len(vt.criteria) else np.zeros(0, dtype=np.int64)
    unknown = lcol < 0
    if unknown.any():
        for r in frame.iloc[ids[unknown]].itertuples():
            if r.criterion in c.node_index:
                msg = f"'{r.criterion}' là tiêu chí có tiêu chí con; hãy nhập giá trị cho từng tiêu chí thành phần"
                problems.append(_row_problem(r, "criterion_not_leaf", msg))
            else:
                problems.append(_row_problem(r, "criterion_unknown", f"tiêu chí '{r.criterion}' không có trong bộ tiêu chí {c.id}; dòng này không được chấm"))
        keep = ~unknown
        ids, u, lcol = ids[keep], u[keep], lcol[keep]
    # rows for items that do not apply to the unit's kind
    kinds = units["kind"].to_numpy()
    kind_codes, kind_names = pd.factorize(kinds)
    kind_applic = np.vstack([c.applicable(k) for k in kind_names]) if len(kind_names) else np.zeros((0, n_leaves), dtype=bool)
    applic = kind_applic[kind_codes]
    off = ~applic[u, lcol] if len(u) else np.zeros(0, dtype=bool)
    if off.any():
        for r in frame.iloc[ids[off]].itertuples():
            problems.append(_row_problem(r, "criterion_not_applicable", f"tiêu chí '{r.criterion}' không áp dụng cho loại đơn vị '{kinds[unit_pos.get_loc(r.unit)]}'; dòng này bị bỏ qua", "warning"))
        ids, u, lcol = ids[~off], u[~off], lcol[~off]
    # duplicates of (unit, leaf, stage): the first row counts
    stage_no = pd.Index(STAGES).get_indexer(vt.stages)[vt.stage_codes[ids]]  # rows of unknown stages were dropped
    key = (u.astype(np.int64) * max(n_leaves, 1) + lcol) * len(STAGES) + stage_no
    space = max(n_units * max(n_leaves, 1) * len(STAGES), 1)
    increasing = len(key) < 2 or bool((key[1:] > key[:-1]).all())  # rows in unit, leaf, stage order
    if not increasing and np.bincount(key, minlength=space).max() > 1:
        order = np.arange(len(key))
        first = np.full(space, len(key), dtype=np.int64)
        np.minimum.at(first, key, order)
        dup = first[key] != order
    else:
        dup = np.zeros(len(key), dtype=bool)
    if dup.any():
        for r in frame.iloc[ids[dup]].itertuples():
            problems.append(_row_problem(r, "row_duplicate", f"dòng trùng (cùng đơn vị, tiêu chí, giai đoạn {r.stage}); chỉ dòng đầu tiên được tính"))
        ids, u, lcol, stage_no = ids[~dup], u[~dup], lcol[~dup], stage_no[~dup]

    every_row = len(ids) == len(vt)  # ids are increasing positions: then ids == arange
    vc = vt.value_codes if every_row else vt.value_codes[ids]
    pc = vt.points_codes if every_row else vt.points_codes[ids]
    x, na, blank, unreadable = _read_values(c, vt, vc, lcol)
    claim = vt.claim[pc]
    bad_claim = (np.isnan(vt.claim) & ~vt.claim_blank)[pc]
    if bad_claim.any():
        for r in frame.iloc[ids[bad_claim]].itertuples():
            problems.append(_row_problem(r, "points_unreadable", f"điểm tự chấm '{r.points}' không phải là số"))
    if unreadable.any():
        for r in frame.iloc[ids[unreadable]].itertuples():
            vtype = c.leaves[c.leaf_index[r.criterion]].rule.value_type
            problems.append(_row_problem(r, "value_unreadable", f"không đọc được giá trị '{r.value}': {EXPECTED[vtype]}; được tính 0 điểm"))

    # lay stages over each other: the row of the last stage present wins each cell (a stage has
    # at most one row per cell after the duplicate check), then every matrix is one gather.
    # Matrices are laid out leaves × units here (each leaf's column contiguous for its rule).
    has_value = ~blank & ~na
    has_claim = ~np.isnan(claim)
    counted = has_value | has_claim | na
    cell = lcol.astype(np.int64) * n_units + u
    flat_rows = np.full(n_leaves * n_units, -1, dtype=np.int64)
    for st in STAGE_ORDER[stage]:
        sel = (stage_no == STAGES.index(st)) & counted
        if sel.any():
            flat_rows[cell[sel]] = np.flatnonzero(sel)
    ROWT = flat_rows.reshape(n_leaves, n_units)
    PRESENT_T = ROWT >= 0
    RT = np.where(PRESENT_T, ROWT, len(ids))  # len(ids): a sentinel row with nothing in it
    XT = np.append(x, np.nan)[RT]
    CLAIM_T = np.append(claim, np.nan)[RT]
    HAS_VALUE_T = np.append(has_value, False)[RT]
    NA_T = np.append(na, False)[RT]

    leaf_rules = [leaf.rule for leaf in c.leaves]
    penalty = np.array([rule.sign < 0 for rule in leaf_rules], dtype=bool)
    CLAIM_T[penalty] = np.abs(CLAIM_T[penalty])  # a penalty claim may be written −0,5 or 0,5

    def raw_value(k: int) -> str:
        return str(vt.values[vc[k]])

    def raw_points(k: int) -> str:
        return str(vt.points[pc[k]])

    PT = np.zeros((n_leaves, n_units))
    for j, leaf in enumerate(c.leaves):
        rule = leaf_rules[j]
        leaf_max = float(leaf.max)
        upper = leaf.upper
        has_j = HAS_VALUE_T[j]
        row_j = ROWT[j]
        fixed, issues = rule.prepare(XT[j], leaf_max)
        for issue in issues:
            hit = issue.mask & has_j
            for i in np.flatnonzero(hit):
                r = frame.iloc[ids[row_j[i]]]
                problems.append(
                    _row_problem(r, issue.reason, issue.message.format(value=raw_value(row_j[i]).strip(), max=format_number(leaf_max)), "warning")
                )
        p = rule.points(fixed, leaf_max)
        claim_j = CLAIM_T[j]
        only_claim = ~has_j & PRESENT_T[j] & ~NA_T[j] & ~np.isnan(claim_j)
        if only_claim.any():
            over = only_claim & (claim_j > upper + 1e-9)
            for i in np.flatnonzero(over):
                r = frame.iloc[ids[row_j[i]]]
                problems.append(_row_problem(r, "points_above_max", f"{raw_points(row_j[i]).strip()} điểm vượt quá điểm tối đa {format_number(upper)}", "warning"))
            p = np.where(only_claim, np.clip(claim_j, 0.0, upper), p)
            p = np.where(has_j | only_claim, p, 0.0)
        else:
            p = np.where(has_j, p, 0.0)
        PT[j] = p
        with np.errstate(invalid="ignore"):
            p_rounded = np.floor(p * c.scale + 0.5 + ROUND_EPS) / c.scale  # compare as the leaf will count
            over_claim = has_j & (claim_j > p_rounded + 0.5 / c.scale)
        for i in np.flatnonzero(over_claim):
            r = frame.iloc[ids[row_j[i]]]
            problems.append(
                _row_problem(
                    r,
                    "claim_above_rule",
                    f"tự chấm {raw_points(row_j[i]).strip()} điểm nhưng giá trị '{raw_value(row_j[i]).strip()}' chỉ được {format_number(p_rounded[i])} điểm theo quy tắc",
                    "warning",
                )
            )
    # back to units × leaves
    R = np.ascontiguousarray(RT.T)
    PRESENT = np.ascontiguousarray(PRESENT_T.T)
    NA = np.ascontiguousarray(NA_T.T)
    CLAIM = np.ascontiguousarray(CLAIM_T.T)
    P = np.ascontiguousarray(PT.T)

    absent = applic & ~PRESENT
    outside = np.array([rule.sign != 0 for rule in leaf_rules], dtype=bool)
    missing = absent & ~outside  # no bonus or penalty is the ordinary case, not a gap

    def status() -> np.ndarray:
        code = np.zeros((n_units, n_leaves), dtype=np.int8)  # index into STATUS_WORDS
        code[NA] = 1
        code[absent] = 2
        code[~applic] = 3
        if unreadable.any():
            code[np.append(unreadable, False)[R] & ~NA] = 4
        return STATUS_WORDS[code]

    if missing.any():
        unit_ids = units["unit"].to_numpy()
        for i, j in zip(*np.nonzero(missing), strict=True):
            leaf = c.leaves[j]
            problems.append(
                Problem(
                    "value_missing",
                    f"chưa có giá trị cho tiêu chí {leaf.code} ({leaf.name}); được tính 0 điểm",
                    unit=unit_ids[i],
                    criterion=leaf.code,
                )
            )

    if cut is not None:
        P = np.where(cut, 0.0, P)
    PH = np.floor(P * c.scale + 0.5 + ROUND_EPS) * c.leaf_sign + 0.0  # + 0.0: no "-0"
    counts = applic & ~NA
    MH = np.where(counts & ~outside, c.leaf_max_units, 0.0)
    PH = np.where(counts, PH, 0.0)
    node_points = PH @ c.membership.T
    node_max = MH @ c.membership.T
    total_points = np.maximum(PH.sum(axis=1), 0.0)
    total_max = MH.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.where(total_max > 0, total_points * 100.0 / total_max, np.nan)
    rank = rank_within(index, kinds)
    bands = band_labels(total_points, total_max, c.band_fractions)

    def value_text() -> np.ndarray:
        return np.append(vt.values, "")[np.append(vc, len(vt.values))[R]]

    def value_stage() -> np.ndarray:
        return np.array([*STAGES, ""], dtype=object)[np.append(stage_no, len(STAGES))[R]]

    return SetResult(
        c, stage, units[["unit", "name", "kind"]].reset_index(drop=True), PH, MH, node_points, node_max, total_points,
        total_max, index, rank, bands, Lazy(value_text), Lazy(value_stage), CLAIM, Lazy(status),  # type: ignore[arg-type]
    )


def _read_values(c: CompiledCriteria, vt: ValueTable, vc: np.ndarray, lcol: np.ndarray) -> tuple[np.ndarray, ...]:
    """Values of the rows (``vc``: their distinct value codes) as floats, by each row's leaf value type.

    Every distinct text was read once in every way when the data was read (:mod:`.value_table`);
    here each row picks the reading its leaf needs.
    """
    kinds = ("number", "date", "bool")
    leaf_kind = np.array([kinds.index(k) if k in kinds else 0 for k in (leaf.rule.value_type for leaf in c.leaves)], dtype=np.int64)
    as_bool = np.where(np.isnan(vt.number) & ~vt.blank & ~vt.na, vt.yes_no, vt.number)
    reading = np.vstack([vt.number, vt.date, as_bool])  # per value type × distinct text
    x = reading[leaf_kind[lcol], vc] if len(vc) else np.zeros(0)
    blank, na = vt.blank[vc], vt.na[vc]
    bad = np.isnan(x) & ~blank & ~na
    if bad.any():
        # rule-specific readers (survey answer counts), once per (leaf, distinct text)
        bad_rows = np.flatnonzero(bad)
        shares: dict[tuple[tuple[str, float], ...], np.ndarray] = {}  # leaves with the same answer table
        for j in np.unique(lcol[bad_rows]):
            rule = c.leaves[j].rule
            if type(rule).parse_text is Rule.parse_text:
                continue  # the rule reads nothing more
            at = bad_rows[lcol[bad_rows] == j]
            codes = vc[at]
            rest = at
            if type(rule).parse_text is Survey.parse_text and isinstance(rule, Survey):
                if not rule.answers:
                    continue
                answers = tuple(rule.answers.items())
                if answers not in shares:
                    shares[answers] = answer_shares(vt.counts, rule.answers)
                x[at] = shares[answers][codes]
                rest = at[vt.counts.slow[codes]]
            seen: dict[int, float | None] = {}
            for i in rest:
                code = int(vc[i])
                if code not in seen:
                    seen[code] = rule.parse_text(str(vt.values[code]))
                v = seen[code]
                if v is not None:
                    x[i] = v
        bad = np.isnan(x) & ~blank & ~na
    return x, na, blank, bad
