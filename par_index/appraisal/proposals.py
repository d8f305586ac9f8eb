"""What an appraiser should confirm: for each unit, the cuts the data call for.

For round 1 the data are read as the unit left them (self → survey); for round 2 as round 1
left them (self → survey → appraisal1). A leaf is proposed for a cut only while its points
still rest on the unit's own ``self`` row (never a survey leaf: Sở Nội vụ fills those), when:

* the self-score has no evidence, or its evidence is late or dated outside the year (the
  evidence register, :mod:`par_index.evidence.check`, when it is installed; otherwise only
  "no evidence row at all");
* its value does not meet the rule (unreadable, out of range): proposed 0;
* the unit claims more points than its value gives (``claim_above_rule``): proposed = the
  rule's points.

In round 2, a leaf that round 1 changed and that the unit has explained (``explanations``) is
proposed for review: back to what the self value gives under the rule. Several findings on one
leaf make one proposal with the lowest points and every reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from par_index.common.rounding import round_half_up
from par_index.common.values import date_to_days, format_number, parse_date_scalar
from par_index.criteria.compiled import CompiledCriteria
from par_index.errors import Problem, made_at_once
from par_index.scoring.engine import Results, SetResult, score
from par_index.unit_data.reader import UnitData

if TYPE_CHECKING:
    from par_index.evidence.check import EvidenceReview

NO_EVIDENCE = ("evidence_missing",)  # the kinds of a proposal for a self-score with no evidence row at all
INVALID_VALUE = ("value_unreadable", "value_above_100", "value_negative", "points_above_max")
KIND_WORDS = {
    "evidence_missing": "thiếu tài liệu kiểm chứng",
    "evidence_late": "tài liệu kiểm chứng ban hành muộn",
    "evidence_date": "ngày tài liệu kiểm chứng không hợp lệ",
    "value_invalid": "giá trị không đúng quy tắc",
    "claim_above_rule": "tự chấm cao hơn điểm theo quy tắc",
    "explanation": "đơn vị đã giải trình",
}


@dataclass(frozen=True, init=False)
class Proposal:
    """One proposed change on one unit's leaf, with the numbers an appraiser needs."""

    unit: str
    unit_name: str
    criterion: str
    criterion_name: str
    max: float
    self_value: str
    self_points: float  # what the unit claimed (else what its self value gives)
    current_points: float  # the points before this round
    proposed_points: float
    kinds: tuple[str, ...]
    reason: str

    def __init__(self, unit: str, unit_name: str, criterion: str, criterion_name: str, max: float, self_value: str,
                 self_points: float, current_points: float, proposed_points: float, kinds: tuple[str, ...], reason: str) -> None:
        # written out as Problem's is (errors.py): tens of thousands of proposals for 1,000 units
        self.__dict__.update(unit=unit, unit_name=unit_name, criterion=criterion, criterion_name=criterion_name, max=max,
                             self_value=self_value, self_points=self_points, current_points=current_points,
                             proposed_points=proposed_points, kinds=kinds, reason=reason)

    @classmethod
    def rows(cls, rows: Iterable[tuple[str, str, str, str, float, str, float, float, float, tuple[str, ...], str]]) -> list[Proposal]:
        """One proposal per tuple of the fields in order: equal to ``Proposal(*row)`` made one by
        one, without a call of ``__init__`` with arguments each (as :meth:`Problem.rows`). Each
        object's attributes are a dict display (``dict(zip(names, row))`` took twice as long:
        0.35 s against 0.18 s for the 64,586 proposals of 1,000 units)."""
        return made_at_once(cls, ({"unit": unit, "unit_name": unit_name, "criterion": criterion, "criterion_name": criterion_name, "max": max_,
                                   "self_value": self_value, "self_points": self_points, "current_points": current_points,
                                   "proposed_points": proposed_points, "kinds": kinds, "reason": reason}
                                  for (unit, unit_name, criterion, criterion_name, max_, self_value, self_points, current_points, proposed_points,
                                       kinds, reason) in rows))


def found_stages(round_no: int) -> tuple[str, ...]:
    """The stages of the rows the appraiser of ``round_no`` finds (earlier rounds only)."""
    return ("self", "survey") if round_no == 1 else ("self", "survey", "appraisal1")


def base_data(data: UnitData, round_no: int) -> UnitData:
    """The data as the appraiser of ``round_no`` finds them (earlier rounds only)."""
    keep = data.assessments["stage"].isin(found_stages(round_no))
    return replace(data, assessments=data.assessments[keep].reset_index(drop=True))


def propose(
    criteria: Sequence[CompiledCriteria],
    data: UnitData,
    round_no: int = 1,
    *,
    final: Results | None = None,
    self_: Results | None = None,
    evidence: EvidenceReview | None = None,
) -> list[Proposal]:
    """The proposals of one round, in unit and criteria order.

    A caller that has already scored and reviewed the same data may pass what it has: ``final``
    = ``score(criteria, data, "final")``, ``self_`` = ``score(criteria, data, "self")``,
    ``evidence`` = ``review_evidence(self_, data, always=True)`` (the reports do all three).
    ``final`` is used when the round's base data keeps every row of ``data`` (no row of a later
    round), ``self_`` always; ``evidence`` is the ``like`` of this round's own review (of the
    base's final scores), which reuses it where the two agree on the same data object.
    """
    stages = data.assessments["stage"]
    whole = final is not None and bool(stages.isin(found_stages(round_no)).all())
    base = data if whole else base_data(data, round_no)
    now = final if whole and final is not None else score(criteria, base, "final")
    own = (self_ if self_ is not None else score(criteria, data, "self")) if round_no == 2 else now
    review = _evidence_review(now, base, evidence)
    # per set, once: which cells hold the unit's own value on a leaf it may be cut on (as lists:
    # tens of thousands of look-ups, each a numpy scalar otherwise)
    at: dict[str, tuple[SetResult, int, list[list[bool]]]] = {}  # unit → (set, row, cuttable cells) as Results.find: the first wins
    may_cut: list[np.ndarray] = []
    for s in now.sets:
        leaves_cut = np.array([leaf.sign >= 0 and leaf.rule.kind != "survey" for leaf in s.criteria.leaves], dtype=bool)
        may_cut.append((s.value_stage == "self") & leaves_cut[None, :])  # survey leaves are Sở Nội vụ's, never the unit's claim
        cuttable = may_cut[-1].tolist()
        for i, u in enumerate(s.units["unit"].tolist()):
            at.setdefault(str(u), (s, i, cuttable))
    found: dict[tuple[str, str], list[tuple[float, str, str]]] = {}
    for p in [*now.problems, *review.problems]:
        # a self-score with no evidence row at all (an evidence_missing error; most of them): taken
        # by set from the review (``unsupplied``) below
        if (p.reason == "evidence_missing" and p.severity == "error") or not p.unit or not p.criterion or p.unit not in at:
            continue
        s, i, cuttable = at[p.unit]
        j = s.criteria.leaf_index.get(p.criterion)
        if j is None or not cuttable[i][j]:
            continue
        finding = _finding(p, s, i, j, base)
        if finding is not None:
            found.setdefault((p.unit, p.criterion), []).append(finding)
    explained: dict[tuple[str, str], list[tuple[float, str, str]]] = {}
    if round_no == 2:
        _explained(now, own, data, explained)
    out = []
    for s_now, s_own, cut_ok in zip(now.sets, own.sets, may_cut, strict=True):
        c, scale = s_now.criteria, float(s_now.scale)
        maxima = [float(leaf.max) if not leaf.outside_max else leaf.upper for leaf in c.leaves]  # per leaf, not per proposal
        names = [str(n) for n in s_now.units["name"]]  # one column read, not one per proposal
        units = [str(u) for u in s_now.units["unit"]]
        width = len(c.leaves)
        row_of = {u: i for i, u in enumerate(units)}
        # the self-scores with no evidence row at all (most findings: tens of thousands), as the
        # review gives them (its evidence_missing errors, skipped above), on the cells the unit may
        # be cut on (a scored unit is one row of one set: the engine refuses a kind in two sets)
        bare, said = review.unsupplied(c.id)
        keep = cut_ok.ravel()[bare]
        missing = dict(zip(bare[keep].tolist(), [m for m, k in zip(said, keep.tolist(), strict=True) if k], strict=True))
        # the cells with findings, in unit and criteria order (not a look-up per unit × leaf), their numbers read at once
        other = {row_of[u] * width + c.leaf_index[code] for u, code in (*found, *explained) if u in row_of and code in c.leaf_index}
        cells = sorted(other.union(missing))
        if not cells:
            continue
        flat = np.array(cells, dtype=np.intp)
        ii, jj = flat // width, flat % width
        claims = s_own.claimed[ii, jj].tolist()
        owns = (s_own.leaf_points[ii, jj] / scale).tolist()
        currents = (s_now.leaf_points[ii, jj] / scale).tolist()
        values = s_own.value_text[ii, jj].tolist()
        codes, leaf_names = [leaf.code for leaf in c.leaves], [leaf.name for leaf in c.leaves]
        rows: list[tuple[str, str, str, str, float, str, float, float, float, tuple[str, ...], str]] = []
        for cell, i, j, claimed, own_points, current, value in zip(cells, ii.tolist(), jj.tolist(), claims, owns, currents, values, strict=True):
            self_points = claimed if claimed == claimed else own_points
            if cell not in other:  # the usual case: no evidence row at all, the one finding
                if not self_points - 1e-9 <= 0.0:  # else nothing to cut (as below; NaN points are proposed)
                    rows.append((units[i], names[i], codes[j], leaf_names[j], maxima[j], str(value).strip(), self_points, current, 0.0,
                                 NO_EVIDENCE, missing[cell]))
                continue
            key = (units[i], codes[j])
            # in the order found: the scores' and the review's problems, then round 2's explanations
            reason = missing.get(cell)
            items = [*found.get(key, ()), *(((0.0, "evidence_missing", reason),) if reason is not None else ()), *explained.get(key, ())]
            if len(items) == 1:
                proposed, kind, reason = items[0]
                kinds: tuple[str, ...] = (kind,)
            else:
                proposed = min(x[0] for x in items)
                kinds = tuple(dict.fromkeys(x[1] for x in items))
                reason = "; ".join(dict.fromkeys(x[2] for x in items))
            if "explanation" not in kinds and proposed >= self_points - 1e-9:
                continue  # nothing to cut
            rows.append((units[i], names[i], codes[j], leaf_names[j], maxima[j], str(value).strip(), self_points, current, proposed, kinds, reason))
        out.extend(Proposal.rows(rows))
    return out


def _evidence_review(results: Results, data: UnitData, like: EvidenceReview | None) -> EvidenceReview:
    """The evidence register's review (the one owner of "self-score without a document")."""
    from par_index.evidence.check import review_evidence

    return review_evidence(results, data, always=True, like=like)


def _finding(p: Problem, s: SetResult, i: int, j: int, data: UnitData) -> tuple[float, str, str] | None:
    c = s.criteria
    leaf = c.leaves[j]
    current = s.leaf_points[i, j] / s.scale
    if p.reason == "claim_above_rule":
        claimed = s.claimed[i, j]
        return (current, "claim_above_rule", p.message) if claimed > current + 1e-9 else None
    if p.reason in INVALID_VALUE:
        return 0.0, "value_invalid", f"{p.message}; đề xuất 0 điểm đến khi đơn vị bổ sung giá trị đúng"
    if p.reason == "evidence_date" and p.severity == "error":
        return 0.0, "evidence_date", p.message
    if p.reason == "evidence_late":
        issued = _evidence_date(data, p)
        points = 0.0
        if issued is not None:
            points = _round(leaf.rule.points_scalar(date_to_days(issued), float(leaf.max)), c.spec.precision)
        return min(points, current), "evidence_late", p.message
    return None


def _evidence_date(data: UnitData, p: Problem) -> dt.date | None:
    ev = data.evidence
    hit = ev[(ev["at_file"] == p.file) & (ev["at_line"] == p.line)] if p.file else ev.iloc[0:0]
    if not len(hit):
        return None
    return parse_date_scalar(str(hit["issued_on"].iat[0]))


def _round(x: float, precision: int) -> float:
    """A rule's result rounded as the engine rounds it (half up to the set's precision)."""
    return float(round_half_up(Decimal(repr(x)), precision))


def _explained(now: Results, own: Results, data: UnitData, found: dict[tuple[str, str], list[tuple[float, str, str]]]) -> None:
    """Round 2: a leaf round 1 changed and the unit explained → review (back to the self value's points)."""
    from par_index.appraisal.records import show_date

    ex = data.explanations
    if ex is None:
        return
    for r in ex.itertuples():
        try:
            s, i = now.find(str(r.unit))
        except KeyError:
            continue
        j = s.criteria.leaf_index.get(str(r.criterion))
        if j is None or s.value_stage[i, j] != "appraisal1":
            continue
        s_own, i_own = own.find(str(r.unit))
        back = s_own.leaf_points[i_own, j] / s_own.scale
        if back <= s.leaf_points[i, j] / s.scale:
            continue
        when = f" ngày {show_date(str(r.date))}" if str(r.date).strip() else ""
        text = f"đơn vị giải trình{when}: {r.text}; đề xuất xem xét lại theo giá trị tự đánh giá ({format_number(back)} điểm)"
        found.setdefault((str(r.unit), str(r.criterion)), []).append((back, "explanation", text))
