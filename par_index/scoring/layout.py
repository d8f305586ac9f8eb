"""Laying the assessment rows of every unit onto units × leaves matrices: the last step of loading.

:func:`lay_out` does everything that turns rows into the matrices the rules score, and finds
every problem that is about the data rather than about a rule:

1. match assessment rows to units and leaves; report unknown units and criteria, unknown
   stages, duplicates and rows for items that do not apply to the unit's kind;
2. give each row the reading of its value its leaf needs (number, percentage, date, yes/no,
   ``na``): every distinct text was read once when the data was read (:mod:`.value_table`);
   survey answer counts become shares here, by each leaf's answer table;
3. lay the rows of each stage into matrices and overlay them in stage order (``self`` →
   ``survey`` → ``appraisal1`` → ``appraisal2`` for the final score); a unit's own ``self`` row
   on a survey leaf never counts (Sở Nội vụ fills survey leaves; ``survey_value_from_unit``),
   and a ``survey`` row on any other leaf is the unit's own ``self`` row
   (``survey_stage_on_unit_leaf``);
   report leaves with no value for a unit.

The matrices are stored leaves × units (each leaf's column contiguous for its rule). Scoring
them — rules, rounding, aggregation, rank and band — is :mod:`.engine`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import SimpleNamespace
from typing import Any, NamedTuple

import numpy as np

from par_index.common.values import is_na_text, magnitude_problem, parse_dates, parse_numbers, parse_yes_no
from par_index.criteria.compiled import CompiledCriteria
from par_index.criteria.rules.base import Rule, ratio_message
from par_index.criteria.rules.survey import Survey
from par_index.errors import InputError, Problem, ProblemRows
from par_index.messages import (
    CRITERION_UNKNOWN,
    DATE_EXPECTED,
    ID_MISSING,
    NUMBER_EXPECTED,
    POINTS_EXPECTED,
    RATIO_ABOVE_100,
    SCORED_ZERO,
    STAGE_UNKNOWN,
    SURVEY_NOT_BY_UNIT,
    SURVEY_STAGE_ON_UNIT_LEAF,
    UNIT_KIND_UNKNOWN,
    UNIT_UNKNOWN,
    VALUE_UNREADABLE,
    YES_NO_EXPECTED,
    not_a_number,
)
from par_index.unit_data.reader import STAGES, UnitData
from par_index.unit_data.table import Table, Texts, as_texts
from par_index.unit_data.value_table import ValueTable, answer_shares, value_table

STAGE_ORDER: dict[str, tuple[str, ...]] = {
    "self": ("self", "survey"),
    "final": ("self", "survey", "appraisal1", "appraisal2"),
}
EXPECTED = {
    "number": NUMBER_EXPECTED,
    "points": POINTS_EXPECTED,
    "date": DATE_EXPECTED,
    "bool": YES_NO_EXPECTED,
}


@dataclass
class SetLayout:
    """The rows of one criteria set's units laid onto leaves × units matrices."""

    criteria: CompiledCriteria
    units: Table  # unit, name, kind (one row per scored unit, in data order); ``units.frame()``: as a DataFrame
    kinds: np.ndarray  # the units' kinds
    applicable_t: np.ndarray  # leaves × units bool: the item applies to the unit's kind
    row_t: np.ndarray  # leaves × units: the row (index into ``ids``) of each cell, −1 when none
    x_t: np.ndarray  # leaves × units float: the value read for its leaf (NaN when none)
    claim_t: np.ndarray  # leaves × units float: points the unit claimed (NaN when none)
    has_value_t: np.ndarray  # leaves × units bool
    na_t: np.ndarray  # leaves × units bool
    only_claim: np.ndarray  # leaves: some unit gave points without a value for this leaf
    frame: Table  # the assessment rows (for messages)
    vt: ValueTable
    ids: np.ndarray | None  # the rows laid out: positions in ``frame`` (None: every row, in order — 4 bytes a row less)
    vc: np.ndarray  # their value codes
    pc: np.ndarray  # their points codes
    stage_no: np.ndarray  # their stage (index into STAGES)
    unreadable: np.ndarray  # per laid-out row: the value could not be read
    problems: list[Problem] = field(default_factory=list)  # rows that were not laid out or not read
    missing: list[Problem] = field(default_factory=list)  # leaves with no value for a unit
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def drop_values(self) -> None:
        """Forget the value matrices (``x_t``, ``has_value_t``) once the leaves are scored: the
        engine's last use of them (:func:`.engine.score_layout` with ``consume``)."""
        self.x_t = self.has_value_t = np.zeros((0, self.x_t.shape[1]))

    def raw_value(self, k: int) -> str:
        """The value text of laid-out row ``k`` as written."""
        return str(self.vt.values[self.vc[k]])

    def raw_points(self, k: int) -> str:
        return str(self.vt.points[self.pc[k]])

    def row(self, k: int) -> RowRef:
        """Where laid-out row ``k`` comes from (for :func:`row_problem`), without building a
        pandas row."""
        return RowRef(*(col[0] for col in self._where_at(self._frame_rows(np.array([k])))))

    def raw_values(self, ks: np.ndarray) -> list[str]:
        """The value texts of laid-out rows ``ks`` as written."""
        return [str(v) for v in self.vt.values[self.vc[ks]].tolist()]

    def problems_at(self, ks: np.ndarray, reason: str, messages: Sequence[str], severity: str = "error") -> ProblemRows:
        """One problem per laid-out row of ``ks`` (with its message), as :func:`row_problem`
        makes them, kept as columns: the engine reports every value it corrects (thousands on big
        data) and ``score --out`` writes them without making each (``ProblemRows.problems``)."""
        f, line, cell, unit, crit = self._where_at(self._frame_rows(ks), normal=True)
        return ProblemRows(reason, messages, f, line, cell, unit, crit, severity)

    def _frame_rows(self, ks: np.ndarray) -> np.ndarray:
        """Positions in ``frame`` of the laid-out rows ``ks``."""
        return ks if self.ids is None else self.ids[ks]

    def _where_at(self, ids: np.ndarray, normal: bool = False) -> list[list[Any]]:
        """The columns :class:`RowRef` names for the frame rows ``ids`` (only those rows are taken:
        a column of a million Python objects would be most of a big run's memory).

        ``normal``: as a :class:`Problem` takes them (texts, '' for none; the line an int or None)."""
        return [take(ids) for take in self._takers(normal)]

    def _takers(self, normal: bool) -> list[Callable[[np.ndarray], list[Any]]]:
        """For each :class:`RowRef` column, a function giving its cells of some frame rows; each
        column's array and distinct texts are looked up once per layout (the engine asks per leaf)."""
        key = f"takers{normal}"
        if key not in self._cache:
            self._cache[key] = [_taker(self.frame, name, normal) for name in RowRef._fields]
        takers: list[Callable[[np.ndarray], list[Any]]] = self._cache[key]
        return takers


def _taker(frame: Table, name: str, normal: bool) -> Callable[[np.ndarray], list[Any]]:
    norm = _NORMAL[name]
    if name not in frame:
        return partial(_take_none, norm(None) if normal else None)
    col = frame[name]
    if isinstance(col, Texts):  # the distinct texts, once
        texts = col.texts
        if normal:
            texts = np.array([norm(t) for t in texts.tolist()], dtype=object)
        return partial(_take_coded, texts, col.codes)
    if normal and not (name == "at_line" and col.dtype.kind in "iu"):
        return partial(_take_normal, col, norm)
    return partial(_take_values, col)


def _take_none(none: object, ids: np.ndarray) -> list[Any]:
    return [none] * len(ids)


def _take_coded(texts: np.ndarray, codes: np.ndarray, ids: np.ndarray) -> list[Any]:
    return texts[codes[ids]].tolist()


def _take_values(values: np.ndarray, ids: np.ndarray) -> list[Any]:
    return values[ids].tolist()


def _take_normal(values: np.ndarray, norm: Callable[[Any], Any], ids: np.ndarray) -> list[Any]:
    return [norm(v) for v in values[ids].tolist()]


def _or_empty(v: object) -> str:
    return str(v or "")


def _none_empty(v: object) -> str:
    return "" if v is None else str(v)


def _normal_line(v: object) -> int | None:
    return int(v) if v is not None and v == v else None  # type: ignore[call-overload]


# how a Problem takes each RowRef column (as row_problem does)
_NORMAL: dict[str, Callable[[Any], Any]] = {
    "at_file": _or_empty, "at_line": _normal_line, "at_cell": _or_empty, "unit": _none_empty, "criterion": _none_empty,
}


class RowRef(NamedTuple):
    """The columns of one assessment row that a :class:`Problem` names."""

    at_file: object
    at_line: object
    at_cell: object
    unit: object
    criterion: object


@dataclass
class Layout:
    """Every criteria set's matrices, the stage they were laid out for, and the problems so far."""

    sets: list[SetLayout]
    stage: str
    problems: list[Problem]  # about the data as a whole: units, stages, tables beside the rows
    label: str | None = None


def lay_out(criteria: CompiledCriteria | Sequence[CompiledCriteria], data: UnitData, stage: str = "final") -> Layout:
    """Lay the rows of ``data`` onto each criteria set's matrices for ``stage`` (self or final)."""
    sets = [criteria] if isinstance(criteria, CompiledCriteria) else list(criteria)
    if stage not in STAGE_ORDER:
        raise InputError(Problem("stage_unknown", STAGE_UNKNOWN.format(stage=stage)))
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
    rows = data.table("assessments")
    vt = value_table(rows)  # codes and readings of every distinct text, built once per table
    units, set_of_unit = _check_units(data, kind_owner, problems)
    ids, pos = _check_rows(data, vt, units, problems)
    set_no = set_of_unit[pos] if len(sets) > 1 else None
    layouts = []
    for i, c in enumerate(sets):
        in_set = set_of_unit == i
        set_units = units.take(np.flatnonzero(in_set)) if len(sets) > 1 else units
        if set_no is None:
            set_ids, set_pos = ids, pos
        else:
            local = (np.cumsum(in_set) - 1).astype(pos.dtype)  # a unit's row within its set
            sel = set_no == i
            set_ids, set_pos = ids[sel], local[pos[sel]]
        layouts.append(_lay_out_set(c, set_units, rows, vt, set_ids, set_pos, stage))
    return Layout(layouts, stage, problems, data.label)


def records(table: Table, ids: np.ndarray) -> Iterator[SimpleNamespace]:
    """The rows ``ids`` of ``table``, each with its cells as attributes (as ``itertuples`` gives
    them): for problems, a row at a time."""
    names = table.names
    columns = [table.texts(n, ids).tolist() for n in names]
    for cells in zip(*columns, strict=True):
        yield SimpleNamespace(**dict(zip(names, cells, strict=True)))


def _first_of_each(texts: Texts) -> np.ndarray:
    """True on the rows whose text was not on a row before."""
    first = np.zeros(len(texts), dtype=bool)
    if len(texts):
        _, at = np.unique(texts.codes, return_index=True)
        first[at] = True
    return first


def _check_units(data: UnitData, kind_owner: dict[str, int], problems: list[Problem]) -> tuple[Table, np.ndarray]:
    """The units to score (a table: unit, name, kind and the other unit columns) and each one's criteria set."""
    units = data.table("units")
    unit = as_texts(units["unit"])
    dup = ~_first_of_each(unit)
    # unit ids are normal texts: two rows of one id share its code (the reader made the codes)
    for r in records(units, np.flatnonzero(dup)):
        problems.append(row_problem(r, "unit_duplicate", "mã đơn vị đã có ở dòng trước; dòng này bị bỏ qua"))
    empty = (unit.texts == "")[unit.codes] if len(unit.texts) else np.zeros(len(unit), dtype=bool)
    for r in records(units, np.flatnonzero(empty & ~dup)):
        problems.append(row_problem(r, "unit_id_empty", ID_MISSING.format(what="đơn vị", column="unit") + "; dòng này bị bỏ qua"))
    keep = np.flatnonzero(~dup & ~empty)
    kinds = units.texts("kind", keep)
    owner = np.array([kind_owner.get(k, -1) for k in kinds.tolist()], dtype=np.int64)
    unknown = owner < 0
    known_kinds = ", ".join(sorted(kind_owner))
    for r in records(units, keep[unknown]):
        problems.append(
            row_problem(r, "unit_kind_unknown", UNIT_KIND_UNKNOWN.format(kind=r.kind, where=f"bộ tiêu chí ({known_kinds})") + "; đơn vị không được chấm")
        )
    return units.take(keep[~unknown]), owner[~unknown]


def _check_rows(data: UnitData, vt: ValueTable, units: Table, problems: list[Problem]) -> tuple[np.ndarray, np.ndarray]:
    """Positions (in the assessment rows) of the rows to score, and each one's row in ``units``."""
    rows = data.table("assessments")
    itype = index_type(len(rows))
    # units are unique here; ``take`` (fancy indexing first widens small codes to intp)
    pos = _positions(units.texts("unit"), vt.units).astype(itype).take(vt.unit_codes)
    bad_unit = pos < 0
    if bad_unit.any():
        known_all = set(data.table("units").texts("unit").tolist())
        for r in records(rows, np.flatnonzero(bad_unit)):
            if r.unit in known_all:
                continue  # its unit was already reported (unknown kind, duplicate)
            problems.append(row_problem(r, "unit_unknown", UNIT_UNKNOWN.format(unit=r.unit, where="units") + "; dòng này không được chấm"))
    known_stage = np.array([s in STAGES for s in vt.stages], dtype=bool)
    if known_stage.all() and not bad_unit.any():
        return np.arange(len(pos), dtype=itype), pos  # every row (the usual case)
    stage_ok = known_stage[vt.stage_codes]
    if not stage_ok.all():
        for r in records(rows, np.flatnonzero(~stage_ok & ~bad_unit)):
            problems.append(row_problem(r, "stage_unknown", f"giai đoạn '{r.stage}' không hợp lệ; dùng self, appraisal1, appraisal2 hoặc survey"))
    ids = np.flatnonzero(~bad_unit & stage_ok).astype(itype)
    return ids, pos[ids]


def _positions(keys: Sequence[Any] | np.ndarray, wanted: Sequence[Any] | np.ndarray) -> np.ndarray:
    """The position of each of ``wanted`` among the distinct ``keys`` (−1: not there)."""
    at = {k: i for i, k in enumerate(keys.tolist() if isinstance(keys, np.ndarray) else keys)}
    items = wanted.tolist() if isinstance(wanted, np.ndarray) else list(wanted)
    return np.fromiter((at.get(k, -1) for k in items), dtype=np.int64, count=len(items))


def value_problem(rule: Rule, max_points: float, text: str) -> str | None:
    """Why one value text cannot be scored by ``rule`` the way the engine reads it (None: it can).

    For values typed outside a data file (``whatif --set``): unreadable text, and the values the
    engine refuses as errors (a ratio above 100 %), are refused before anything is scored.
    """
    t = text.strip()
    one = [t]
    if t == "" or bool(is_na_text(one)[0]):
        return None
    vtype = rule.value_type
    if vtype == "date":
        x = float(parse_dates(one)[0])
    else:
        # the one magnitude check (|x| ≤ 10^12, judged on the text): "1e309", "inf", "nan" are
        # too large or no finite number, not merely unreadable
        too_big = magnitude_problem(t.removesuffix("%").replace(" ", "").replace("\u00a0", ""))
        if too_big is not None:
            return too_big
        x = float(parse_numbers(one)[0][0])
        if vtype == "bool" and np.isnan(x):
            x = float(parse_yes_no(one)[0])
    if np.isnan(x):
        parsed = rule.parse_text(t)
        x = np.nan if parsed is None else parsed
    if np.isnan(x):
        return VALUE_UNREADABLE.format(text=t, expected=EXPECTED[vtype])
    _, issues = rule.prepare(np.array([x]), max_points)
    for issue in issues:
        if issue.severity == "error":
            return ratio_message(t) if issue.message == RATIO_ABOVE_100 else issue.message.format(value=t, max=max_points)
    return None


def row_problem(r: object, reason: str, message: str, severity: str = "error") -> Problem:
    """A problem about one data row (a row of :func:`records`, a namedtuple from ``itertuples``
    or a Series)."""
    if type(r) is RowRef:  # the engine's many range corrections: no pandas, no getattr
        line = r.at_line
        return Problem(
            reason,
            message,
            file=str(r.at_file or ""),
            line=int(line) if line is not None and line == line else None,  # type: ignore[call-overload]
            cell=str(r.at_cell or ""),
            unit="" if r.unit is None else str(r.unit),
            criterion="" if r.criterion is None else str(r.criterion),
            severity=severity,
        )
    get = r.get if callable(getattr(r, "get", None)) else (lambda k, d=None: getattr(r, k, d))  # type: ignore[attr-defined]
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


def index_type(n: int) -> type[np.signedinteger[Any]]:
    """The integer type for positions below ``n`` (int32 up to 2**31: half the memory of int64)."""
    return np.int32 if n < 2**31 else np.int64


def _lay_out_set(
    c: CompiledCriteria,
    units: Table,
    frame: Table,
    vt: ValueTable,
    ids: np.ndarray,
    u: np.ndarray,
    stage: str,
) -> SetLayout:
    """Lay out one set: ``ids`` are this set's rows in ``frame`` (= ``vt``'s rows), ``u`` their unit rows.

    Per-row arrays are the smallest integers that hold them and are dropped once used: on a
    big data set (10**8 rows) they, not the matrices, would set the peak memory."""
    problems: list[Problem] = []
    n_units, n_leaves = len(units), len(c.leaves)
    unit_ids = units.texts("unit")

    def of_rows(codes: np.ndarray) -> np.ndarray:  # a per-row array of ``vt`` for the rows ``ids``
        return codes if len(ids) == len(vt) else codes[ids]  # ids are increasing: all rows → arange

    leaf_type = np.int16 if n_leaves < 2**15 else np.int32
    if len(vt.criteria):
        lcol = np.take(_positions(list(c.leaf_index), vt.criteria).astype(leaf_type), of_rows(vt.criterion_codes))
    else:
        lcol = np.zeros(0, dtype=leaf_type)
    unknown = lcol < 0
    if unknown.any():
        for r in records(frame, ids[unknown]):
            if r.criterion in c.node_index:
                msg = f"'{r.criterion!s}' là tiêu chí có tiêu chí con; hãy nhập giá trị cho từng tiêu chí thành phần"
                problems.append(row_problem(r, "criterion_not_leaf", msg))
            else:
                problems.append(row_problem(r, "criterion_unknown", CRITERION_UNKNOWN.format(criterion=r.criterion, where=f"bộ tiêu chí {c.id}") + "; dòng này không được chấm"))
        keep = ~unknown
        ids, u, lcol = ids[keep], u[keep], lcol[keep]
    del unknown
    # rows for items that do not apply to the unit's kind
    kinds = units.texts("kind")
    kind_column = as_texts(kinds)
    kind_codes, kind_names = kind_column.codes, kind_column.texts
    kind_applic = np.vstack([c.applicable(k) for k in kind_names]) if len(kind_names) else np.zeros((0, n_leaves), dtype=bool)
    applic_t = np.ascontiguousarray(kind_applic.T[:, kind_codes]) if n_units else np.zeros((n_leaves, 0), dtype=bool)
    off = ~applic_t[lcol, u] if len(u) and not kind_applic.all() else np.zeros(0, dtype=bool)
    if off.any():
        unit_pos = {u: i for i, u in enumerate(unit_ids.tolist())}
        for r in records(frame, ids[off]):
            problems.append(row_problem(r, "criterion_not_applicable", f"tiêu chí '{r.criterion}' không áp dụng cho loại đơn vị '{kinds[unit_pos[r.unit]]}'; dòng này bị bỏ qua", "warning"))
        ids, u, lcol = ids[~off], u[~off], lcol[~off]
    del off
    stage_no = _positions(STAGES, vt.stages).astype(np.int8).take(of_rows(vt.stage_codes))  # rows of unknown stages were dropped
    # a unit's own row on a survey leaf: Sở Nội vụ fills it from the survey, so it never counts,
    # whatever the stage scored and whether or not a survey row exists
    survey_leaf = np.array([leaf.is_survey for leaf in c.leaves], dtype=bool)
    own = survey_leaf[lcol] & (stage_no == STAGES.index("self")) if survey_leaf.any() and len(lcol) else np.zeros(len(lcol), dtype=bool)
    if own.any():
        for r in records(frame, ids[own]):
            msg = SURVEY_NOT_BY_UNIT.format(criterion=r.criterion) + "; dòng tự đánh giá này không được tính"
            problems.append(row_problem(r, "survey_value_from_unit", msg, "warning"))
        ids, u, lcol, stage_no = ids[~own], u[~own], lcol[~own], stage_no[~own]
    del own
    # the opposite: a survey-stage row on a leaf that is not a survey leaf (a workbook whose hidden
    # sheet marks an ordinary cell as Sở Nội vụ's, a survey row written by hand) is the unit's own
    # value: read as its ``self`` row, so appraisal treats it as a claim; where the unit has its own
    # ``self`` row for the leaf, that row counts and this one is dropped
    ids, u, lcol, stage_no = _survey_stage_as_own(c, frame, ids, u, lcol, stage_no, survey_leaf, problems)
    # duplicates of (unit, leaf, stage): the first row counts
    space = max(n_units * max(n_leaves, 1) * len(STAGES), 1)
    key = u.astype(index_type(space))
    key *= max(n_leaves, 1)
    key += lcol
    key *= len(STAGES)
    key += stage_no
    increasing = len(key) < 2 or bool((key[1:] > key[:-1]).all())  # rows in unit, leaf, stage order
    if not increasing and np.bincount(key, minlength=space).max() > 1:
        order = np.arange(len(key))
        first = np.full(space, len(key), dtype=np.int64)
        np.minimum.at(first, key, order)
        dup = first[key] != order
    else:
        dup = np.zeros(0, dtype=bool)
    del key
    if dup.any():
        for r in records(frame, ids[dup]):
            problems.append(row_problem(r, "row_duplicate", f"dòng trùng (cùng đơn vị, tiêu chí, giai đoạn {r.stage}); chỉ dòng đầu tiên được tính"))
        ids, u, lcol, stage_no = ids[~dup], u[~dup], lcol[~dup], stage_no[~dup]
    del dup

    vc = of_rows(vt.value_codes)
    pc = of_rows(vt.points_codes)
    x, na, blank, unreadable = _read_values(c, vt, vc, lcol)
    no_claims = bool(vt.claim_blank.all())  # no points column, or every cell of it empty: no per-row claims
    claim = None if no_claims else vt.claim[pc]
    bad_claim = np.zeros(0, dtype=bool) if no_claims else (np.isnan(vt.claim) & ~vt.claim_blank)[pc]
    if bad_claim.any():
        for r in records(frame, ids[bad_claim]):
            problems.append(row_problem(r, "points_unreadable", not_a_number("điểm tự chấm", r.points, POINTS_EXPECTED)))
    if unreadable.any():
        for r in records(frame, ids[unreadable]):
            vtype = c.leaves[c.leaf_index[r.criterion]].rule.value_type
            problems.append(row_problem(r, "value_unreadable", VALUE_UNREADABLE.format(text=r.value, expected=EXPECTED[vtype]) + SCORED_ZERO))
    # lay stages over each other: the row of the last stage present wins each cell (a stage has
    # at most one row per cell after the duplicate check): ``row_t``, leaves × units, holds the
    # laid-out row of each cell (−1: none), and every matrix is one gather through it (−1 takes
    # the appended "nothing").
    has_value = ~blank & ~na
    del blank
    has_claim = np.zeros(len(has_value), dtype=bool) if claim is None else ~np.isnan(claim)
    counted = has_value | has_claim | na
    itype = index_type(max(n_units * n_leaves, len(ids) + 1))
    cell = lcol.astype(itype)
    cell *= n_units
    cell += u
    row_t = np.full((n_leaves, n_units), -1, dtype=itype)
    flat = row_t.reshape(-1)
    present = np.bincount(stage_no, minlength=len(STAGES)) > 0
    for st in STAGE_ORDER[stage]:
        no = STAGES.index(st)
        if not present[no]:
            continue
        sel = counted if present.sum() == 1 else (stage_no == no) & counted
        if sel.all():
            flat[cell] = np.arange(len(cell), dtype=itype)
        elif sel.any():
            flat[cell[sel]] = np.flatnonzero(sel).astype(itype)
    del cell, counted

    absent = row_t < 0

    def gather(per_row: np.ndarray, nothing: float | bool) -> np.ndarray:
        if not len(per_row):
            return np.full(row_t.shape, nothing, dtype=per_row.dtype)
        out = per_row.take(row_t)  # −1 takes the last row's: set to ``nothing`` below (no copy of ``per_row``)
        out[absent] = nothing
        return out

    x_t = gather(x, np.nan)
    del x
    has_value_t = gather(has_value, False)
    na_t = gather(na, False)
    if claim is not None and has_claim.any():
        claim_t = gather(claim, np.nan)
        outside = np.flatnonzero([leaf.rule.sign != 0 for leaf in c.leaves])
        claim_t[outside] = np.abs(claim_t[outside])  # bonus and penalty claims are magnitudes: −0,5 or 0,5
    else:  # no claims (the usual case): one NaN seen as the whole matrix (read-only, no memory)
        claim_t = np.broadcast_to(np.float64(np.nan), (n_leaves, n_units))
    only_claim_rows = ~has_value & ~na & has_claim  # points given without a value
    only_claim = np.zeros(n_leaves, dtype=bool)
    if only_claim_rows.any():
        laid = np.zeros(len(ids) + 1, dtype=bool)
        laid[row_t.ravel()] = True  # −1 marks the appended last
        only_claim[np.unique(lcol[only_claim_rows & laid[:-1]])] = True
    del has_value, has_claim, only_claim_rows

    missing: list[Problem] = []
    outside_b = np.array([leaf.rule.sign != 0 for leaf in c.leaves], dtype=bool)
    absent_t = applic_t & absent & ~outside_b[:, None]  # no bonus or penalty is the ordinary case, not a gap
    if absent_t.any():
        for i, j in zip(*np.nonzero(absent_t.T), strict=True):  # unit by unit, leaves in order
            leaf = c.leaves[j]
            missing.append(
                Problem("value_missing", f"chưa có giá trị cho tiêu chí {leaf.code} ({leaf.name})" + SCORED_ZERO, unit=unit_ids[i], criterion=leaf.code)
            )
    del absent_t
    every_row = len(ids) == len(frame)  # increasing positions, as many as the frame's rows: 0, 1, 2 …
    return SetLayout(
        c, units.select(["unit", "name", "kind"]), kinds, applic_t, row_t, x_t, claim_t, has_value_t,
        na_t, only_claim, frame, vt, None if every_row else ids, vc, pc, stage_no, unreadable, problems, missing,
    )


def _survey_stage_as_own(
    c: CompiledCriteria,
    frame: Table,
    ids: np.ndarray,
    u: np.ndarray,
    lcol: np.ndarray,
    stage_no: np.ndarray,
    survey_leaf: np.ndarray,
    problems: list[Problem],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``survey`` rows on leaves that are not survey leaves become ``self`` rows (a warning each);
    those whose unit already has a ``self`` row on the leaf are dropped (the unit's own row counts)."""
    self_no, survey_no = STAGES.index("self"), STAGES.index("survey")
    moved = np.flatnonzero(stage_no == survey_no)  # per-row work only on the survey rows (few, or none)
    moved = moved[~survey_leaf[lcol[moved]]]
    if not len(moved):
        return ids, u, lcol, stage_no
    n_leaves = max(len(c.leaves), 1)
    selfs = np.flatnonzero((stage_no == self_no) & np.isin(lcol, np.unique(lcol[moved])))
    dropped = np.isin(u[moved].astype(np.int64) * n_leaves + lcol[moved], u[selfs].astype(np.int64) * n_leaves + lcol[selfs])
    for r, drop in zip(records(frame, ids[moved]), dropped.tolist(), strict=True):
        then = "; đơn vị đã có dòng tự đánh giá cho tiêu chí này nên dòng này không được tính" if drop else "; được tính là giá trị đơn vị tự đánh giá (self)"
        problems.append(row_problem(r, "survey_stage_on_unit_leaf", SURVEY_STAGE_ON_UNIT_LEAF.format(criterion=r.criterion) + then, "warning"))
    stage_no[moved] = self_no
    if not dropped.any():
        return ids, u, lcol, stage_no
    keep = np.ones(len(ids), dtype=bool)
    keep[moved[dropped]] = False
    return ids[keep], u[keep], lcol[keep], stage_no[keep]


def _read_values(c: CompiledCriteria, vt: ValueTable, vc: np.ndarray, lcol: np.ndarray) -> tuple[np.ndarray, ...]:
    """Values of the rows (``vc``: their distinct value codes) as floats, by each row's leaf value type.

    Every distinct text was read once in every way when the data was read (:mod:`.value_table`);
    here each row picks the reading its leaf needs.
    """
    kinds = ("number", "date", "bool")
    leaf_kind = np.array([kinds.index(k) if k in kinds else 0 for k in (leaf.rule.value_type for leaf in c.leaves)], dtype=np.int8)
    as_bool = np.where(np.isnan(vt.number) & ~vt.blank & ~vt.na, vt.yes_no, vt.number)
    reading = np.vstack([vt.number, vt.date, as_bool])  # per value type × distinct text
    if len(leaf_kind) and (leaf_kind == leaf_kind[0]).all():  # every leaf reads values one way
        used = leaf_kind[:1]
    else:  # the value types of the rows' leaves
        used = np.unique(leaf_kind[np.bincount(lcol, minlength=len(leaf_kind))[: len(leaf_kind)] > 0])
    if len(used) == 1:  # one value type for every row (no per-row type needed)
        x = reading[int(used[0])][vc]
    elif len(vc):
        x = reading[leaf_kind[lcol], vc]
    else:
        x = np.zeros(0)
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
