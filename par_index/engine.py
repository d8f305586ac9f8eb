"""Scoring every unit of a criteria set at once.

The work is a loop over *leaves* (rules), never over units:

1. match assessment rows to units and leaves; report unknown units and criteria, unknown
   stages, duplicates and rows for items that do not apply to the unit's kind;
2. read every value column-wise (numbers, percentages, dates, yes/no, ``na``);
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
from .unit_data import STAGES, UnitData
from .values import format_number, is_na_text, parse_dates, parse_numbers, parse_yes_no

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
    units = _check_units(data, kind_owner, problems, sets)
    rows = _check_rows(data, units, problems)
    results = []
    for i, c in enumerate(sets):
        set_units = units[units["set_no"] == i].reset_index(drop=True)
        set_rows = rows[rows["set_no"] == i]
        results.append(_score_set(c, set_units, set_rows, stage, problems, None if cut is None else cut.get(c.id)))
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


def _check_rows(data: UnitData, units: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    rows = data.assessments
    pos = pd.Index(units["unit"].to_numpy()).get_indexer(rows["unit"].to_numpy())  # units are unique here
    bad_unit = pos < 0
    known_all = set(data.units["unit"])
    for r in rows[bad_unit].itertuples():
        if r.unit in known_all:
            continue  # its unit was already reported (unknown kind, duplicate)
        problems.append(_row_problem(r, "unit_unknown", f"đơn vị '{r.unit}' không có trong units; dòng này không được chấm"))
    stage_ok = rows["stage"].isin(STAGES).to_numpy()
    for r in rows[~stage_ok & ~bad_unit].itertuples():
        problems.append(_row_problem(r, "stage_unknown", f"giai đoạn '{r.stage}' không hợp lệ; dùng self, appraisal1, appraisal2 hoặc survey"))
    keep = ~bad_unit & stage_ok
    rows = rows[keep]
    out = rows.assign(set_no=units["set_no"].to_numpy(dtype=int)[pos[keep]])
    return out


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
    rows: pd.DataFrame,
    stage: str,
    problems: list[Problem],
    cut: np.ndarray | None,
) -> SetResult:
    n_units, n_leaves = len(units), len(c.leaves)
    unit_pos = pd.Index(units["unit"].to_numpy())
    leaf_pos = pd.Index(list(c.leaf_index))
    u = unit_pos.get_indexer(rows["unit"].to_numpy())
    lcol = leaf_pos.get_indexer(rows["criterion"].to_numpy())
    unknown = lcol < 0
    if unknown.any():
        for r in rows[unknown].itertuples():
            if r.criterion in c.node_index:
                msg = f"'{r.criterion}' là tiêu chí có tiêu chí con; hãy nhập giá trị cho từng tiêu chí thành phần"
                problems.append(_row_problem(r, "criterion_not_leaf", msg))
            else:
                problems.append(_row_problem(r, "criterion_unknown", f"tiêu chí '{r.criterion}' không có trong bộ tiêu chí {c.id}; dòng này không được chấm"))
    keep = ~unknown
    rows, u, lcol = rows[keep], u[keep], lcol[keep]
    # rows for items that do not apply to the unit's kind
    kinds = units["kind"].to_numpy()
    applic = np.vstack([c.applicable(k) for k in kinds]) if n_units else np.zeros((0, n_leaves), dtype=bool)
    off = ~applic[u, lcol] if len(u) else np.zeros(0, dtype=bool)
    if off.any():
        for r in rows[off].itertuples():
            problems.append(_row_problem(r, "criterion_not_applicable", f"tiêu chí '{r.criterion}' không áp dụng cho loại đơn vị '{kinds[unit_pos.get_loc(r.unit)]}'; dòng này bị bỏ qua", "warning"))
        rows, u, lcol = rows[~off], u[~off], lcol[~off]
    # duplicates of (unit, leaf, stage): the first row counts
    stage_arr = rows["stage"].to_numpy()
    stage_no = pd.Index(STAGES).get_indexer(stage_arr)  # rows of unknown stages were dropped
    key = (u.astype(np.int64) * max(n_leaves, 1) + lcol) * len(STAGES) + stage_no
    dup = pd.Series(key).duplicated(keep="first").to_numpy()
    if dup.any():
        for r in rows[dup].itertuples():
            problems.append(_row_problem(r, "row_duplicate", f"dòng trùng (cùng đơn vị, tiêu chí, giai đoạn {r.stage}); chỉ dòng đầu tiên được tính"))
        rows, u, lcol, stage_arr = rows[~dup], u[~dup], lcol[~dup], stage_arr[~dup]

    x, na, blank, unreadable = _read_values(c, rows, lcol)
    claim, _ = parse_numbers(rows["points"])
    bad_claim = np.isnan(claim) & ~_blank(rows["points"])
    for r in rows[bad_claim].itertuples():
        problems.append(_row_problem(r, "points_unreadable", f"điểm tự chấm '{r.points}' không phải là số"))
    for r in rows[unreadable].itertuples():
        vt = c.leaves[c.leaf_index[r.criterion]].rule.value_type
        problems.append(_row_problem(r, "value_unreadable", f"không đọc được giá trị '{r.value}': {EXPECTED[vt]}; được tính 0 điểm"))

    # lay stages over each other
    X = np.full((n_units, n_leaves), np.nan)
    CLAIM = np.full((n_units, n_leaves), np.nan)
    HAS_VALUE = np.zeros((n_units, n_leaves), dtype=bool)
    NA = np.zeros((n_units, n_leaves), dtype=bool)
    PRESENT = np.zeros((n_units, n_leaves), dtype=bool)
    ROW = np.full((n_units, n_leaves), -1, dtype=np.int64)
    row_ids = np.arange(len(rows))
    has_value = ~blank & ~na
    has_claim = ~np.isnan(claim)
    for st in STAGE_ORDER[stage]:
        sel = (stage_arr == st) & (has_value | has_claim | na)
        if not sel.any():
            continue
        uu, ll = u[sel], lcol[sel]
        X[uu, ll] = x[sel]
        CLAIM[uu, ll] = claim[sel]
        HAS_VALUE[uu, ll] = has_value[sel]
        NA[uu, ll] = na[sel]
        PRESENT[uu, ll] = True
        ROW[uu, ll] = row_ids[sel]

    penalty = np.array([leaf.rule.sign < 0 for leaf in c.leaves], dtype=bool)
    CLAIM[:, penalty] = np.abs(CLAIM[:, penalty])  # a penalty claim may be written −0,5 or 0,5
    raw_values = rows["value"].astype(str).to_numpy() if len(rows) else np.zeros(0, dtype=object)
    raw_points = rows["points"].astype(str).to_numpy() if len(rows) else np.zeros(0, dtype=object)

    P = np.zeros((n_units, n_leaves))
    for j, leaf in enumerate(c.leaves):
        col = X[:, j]
        upper = leaf.upper
        fixed, issues = leaf.rule.prepare(col, float(leaf.max))
        for issue in issues:
            hit = issue.mask & HAS_VALUE[:, j]
            for i in np.flatnonzero(hit):
                r = rows.iloc[ROW[i, j]]
                problems.append(
                    _row_problem(r, issue.reason, issue.message.format(value=raw_values[ROW[i, j]].strip(), max=format_number(float(leaf.max))), "warning")
                )
        p = leaf.rule.points(fixed, float(leaf.max))
        only_claim = ~HAS_VALUE[:, j] & PRESENT[:, j] & ~NA[:, j] & ~np.isnan(CLAIM[:, j])
        if only_claim.any():
            given = CLAIM[:, j]
            over = only_claim & (given > upper + 1e-9)
            for i in np.flatnonzero(over):
                r = rows.iloc[ROW[i, j]]
                problems.append(_row_problem(r, "points_above_max", f"{raw_points[ROW[i, j]].strip()} điểm vượt quá điểm tối đa {format_number(upper)}", "warning"))
            p = np.where(only_claim, np.clip(given, 0.0, upper), p)
        p = np.where(HAS_VALUE[:, j] | only_claim, p, 0.0)
        P[:, j] = p
        p_rounded = np.floor(p * c.scale + 0.5 + ROUND_EPS) / c.scale  # compare as the leaf will count
        over_claim = HAS_VALUE[:, j] & (CLAIM[:, j] > p_rounded + 0.5 / c.scale)
        for i in np.flatnonzero(over_claim):
            r = rows.iloc[ROW[i, j]]
            problems.append(
                _row_problem(
                    r,
                    "claim_above_rule",
                    f"tự chấm {raw_points[ROW[i, j]].strip()} điểm nhưng giá trị '{raw_values[ROW[i, j]].strip()}' chỉ được {format_number(p_rounded[i])} điểm theo quy tắc",
                    "warning",
                )
            )

    status = np.full((n_units, n_leaves), "", dtype=object)
    status[NA] = "na"
    missing = applic & ~PRESENT
    status[missing] = "missing"
    outside = np.array([leaf.outside_max for leaf in c.leaves], dtype=bool)
    missing &= ~outside  # no bonus or penalty is the ordinary case, not a gap
    status[~applic] = "not_applicable"
    unread = np.zeros((n_units, n_leaves), dtype=bool)
    if unreadable.any():
        sel = (ROW >= 0)
        unread[sel] = unreadable[ROW[sel]]
        status[unread & PRESENT & ~NA] = "unreadable"
    for i, j in zip(*np.nonzero(missing), strict=True):
        unit = units["unit"].iat[i]
        leaf = c.leaves[j]
        problems.append(
            Problem(
                "value_missing",
                f"chưa có giá trị cho tiêu chí {leaf.code} ({leaf.name}); được tính 0 điểm",
                unit=unit,
                criterion=leaf.code,
            )
        )

    if cut is not None:
        P = np.where(cut, 0.0, P)
    PH = np.floor(P * c.scale + 0.5 + ROUND_EPS) * c.leaf_sign + 0.0  # + 0.0: no "-0"
    MH = np.where(applic & ~NA & ~outside, c.leaf_max_units, 0.0)
    PH = np.where(applic & ~NA, PH, 0.0)
    node_points = PH @ c.membership.T
    node_max = MH @ c.membership.T
    total_points = np.maximum(PH.sum(axis=1), 0.0)
    total_max = MH.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.where(total_max > 0, total_points * 100.0 / total_max, np.nan)
    rank = rank_within(index, kinds)
    bands = band_labels(total_points, total_max, c.band_fractions)

    value_text = np.full((n_units, n_leaves), "", dtype=object)
    value_stage = np.full((n_units, n_leaves), "", dtype=object)
    sel = ROW >= 0
    if sel.any():
        value_text[sel] = raw_values[ROW[sel]]
        value_stage[sel] = stage_arr[ROW[sel]]
    return SetResult(
        c, stage, units[["unit", "name", "kind"]].reset_index(drop=True), PH, MH, node_points, node_max, total_points,
        total_max, index, rank, bands, value_text, value_stage, CLAIM, status,
    )


def _read_values(c: CompiledCriteria, rows: pd.DataFrame, lcol: np.ndarray) -> tuple[np.ndarray, ...]:
    """Values of every row as floats, by the value type of each row's leaf.

    Each distinct text is read once and the results spread back to the rows (a province's
    values repeat a lot: "có", "100%", the same dates).
    """
    n = len(rows)
    vtype = np.array([leaf.rule.value_type for leaf in c.leaves], dtype=object)
    row_type = vtype[lcol] if n else np.zeros(0, dtype=object)
    codes, uniques = pd.factorize(rows["value"].astype(object), use_na_sentinel=False)
    texts = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str)
    u_x, _pct = parse_numbers(texts)
    u_text = np.isnan(u_x)
    stripped = texts.str.strip()
    u_blank = u_text & (stripped == "").to_numpy(dtype=bool)
    u_na = u_text & is_na_text(stripped)
    x = u_x[codes] if n else np.zeros(0)
    text_rows, blank, na = u_text[codes], u_blank[codes], u_na[codes]
    dates = row_type == "date"
    if dates.any():
        x[dates] = _on_distinct(parse_dates, texts, codes[dates])
    bools = (row_type == "bool") & text_rows & ~blank & ~na
    if bools.any():
        x[bools] = _on_distinct(parse_yes_no, texts, codes[bools])
    bad = np.isnan(x) & ~blank & ~na
    if bad.any():
        # rule-specific readers (survey answer counts), once per (leaf, text)
        seen: dict[tuple[int, int], float | None] = {}
        text_list = texts.tolist()
        for i in np.flatnonzero(bad):
            key = (int(lcol[i]), int(codes[i]))
            if key not in seen:
                seen[key] = c.leaves[key[0]].rule.parse_text(text_list[key[1]])
            v = seen[key]
            if v is not None:
                x[i] = v
        bad = np.isnan(x) & ~blank & ~na
    return x, na, blank, bad


def _blank(column: pd.Series) -> np.ndarray:
    """True where the text is empty or spaces (each distinct text looked at once)."""
    codes, uniques = pd.factorize(column.astype(object), use_na_sentinel=False)
    empty = np.array([str(u).strip() == "" for u in uniques], dtype=bool)
    return empty[codes] if len(uniques) else np.zeros(len(column), dtype=bool)


def _on_distinct(read: Callable[[pd.Series], np.ndarray], texts: pd.Series, codes: np.ndarray) -> np.ndarray:
    """``read`` applied to the distinct texts among ``codes``, spread back to them."""
    used, back = np.unique(codes, return_inverse=True)
    return read(texts.iloc[used].reset_index(drop=True))[back]
