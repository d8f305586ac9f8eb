"""The evidence register: each unit's evidence rows checked against what its criteria expect.

A leaf names the documents it expects (``evidence``: ``{document, issuer}``, ``issuer`` being
``unit`` or an agency id) and, through its area, the agency that supplies them (``agency``).
For every evidence row (``evidence.csv``: unit, criterion, document, issued_on, issuer, file):

* the unit and the leaf exist (``evidence_unknown``);
* ``issued_on`` is a readable date inside the criteria's ``year`` (``evidence_date``), and for a
  ``deadline`` rule on or before its due date (``evidence_late``: after ``due`` but within
  ``late_until`` a warning, later an error);
* ``issuer`` is plausible: the unit itself, the leaf's agency or an issuer the leaf names
  (``evidence_issuer``); ids and Vietnamese names are both accepted, empty means the unit;
* ``file`` exists under the folder of files (``evidence_file_missing``).

Then, for every leaf a unit self-scored (a ``self`` row that gives or claims more than 0 points;
penalties excluded), each expected document must be matched by a row: a document with an
agency ``issuer`` by a row from that agency, the others by any row (the register cannot tell
documents apart by their free-text names). A self-score with no evidence row at all is an
error (``evidence_missing``, "thiếu tài liệu kiểm chứng") and is what an appraiser cuts to 0:
:func:`appraisal_cut` gives the engine's ``cut`` matrices for ``score --preview-appraisal``.

Everything comes out of one pass, :func:`review_evidence`, as plain data: the problems and one
:class:`Requirement` per (unit, leaf, expected document) that is owed — the agency matrix is
only a view of these.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from par_index.common.folders import escape
from par_index.common.values import format_date, format_number, nfc, parse_date_scalar
from par_index.criteria.compiled import CompiledCriteria, Leaf
from par_index.criteria.rules.deadline import Deadline
from par_index.errors import Problem, made_at_once
from par_index.messages import CRITERION_UNKNOWN, DATE_UNREADABLE, UNIT_UNKNOWN
from par_index.scoring.engine import Results, SetResult, Stage, score
from par_index.unit_data.reader import UnitData

if TYPE_CHECKING:  # the frames come from the reader: ``score`` loads no pandas for this module
    import pandas as pd

# Requirement statuses, worst first; Vietnamese labels for reports.
STATUS_ORDER = ("missing", "late", "date", "file", "issuer", "ok")
STATUS_WORDS = {
    "missing": "thiếu",
    "late": "muộn",
    "date": "ngày không hợp lệ",
    "file": "thiếu tệp",
    "issuer": "nơi ban hành không hợp lệ",
    "ok": "đủ",
}
NO_AGENCY = ""
PREVIEW_REASON = "appraisal_preview"
GENERIC_DOCUMENT = "Tài liệu kiểm chứng (bộ tiêu chí không nêu tên tài liệu)"


@dataclass(frozen=True, init=False)
class Requirement:
    """One document owed for one unit's self-scored leaf, and how it stands."""

    agency: str  # the agency that owes it: the document's issuer if an agency, else the leaf's
    criteria: str
    leaf: str
    leaf_name: str
    document: str
    issuer: str | None  # as the criteria name it: 'unit', an agency id, or None (anyone)
    unit: str
    unit_name: str
    status: str  # one of STATUS_ORDER
    supplied: tuple[str, ...] = ()  # the matched evidence rows, described
    notes: tuple[str, ...] = ()  # the problems of those rows

    def __init__(self, agency: str, criteria: str, leaf: str, leaf_name: str, document: str, issuer: str | None, unit: str,
                 unit_name: str, status: str, supplied: tuple[str, ...] = (), notes: tuple[str, ...] = ()) -> None:
        # written out as Problem's is (errors.py): one per owed document, ~70,000 for 1,000 units
        self.__dict__.update(agency=agency, criteria=criteria, leaf=leaf, leaf_name=leaf_name, document=document, issuer=issuer,
                             unit=unit, unit_name=unit_name, status=status, supplied=supplied, notes=notes)

    @classmethod
    def missing(cls, criteria: str, documents: Iterable[tuple[str, str, str, str, str | None]], units: Iterable[str],
                unit_names: Iterable[str]) -> list[Requirement]:
        """Documents owed and supplied by none (status ``missing``), one per position of the
        columns: ``documents`` (agency, leaf, leaf_name, document, issuer), ``units``,
        ``unit_names``. Equal to ``Requirement(agency, criteria, leaf, leaf_name, document, issuer,
        unit, unit_name, "missing")`` made one by one, without a call of ``__init__`` with
        arguments each (as :meth:`Problem.rows`; ~70,000 for 1,000 units)."""
        return made_at_once(cls, ({"agency": agency, "criteria": criteria, "leaf": leaf, "leaf_name": leaf_name, "document": document,
                                   "issuer": issuer, "unit": unit, "unit_name": unit_name, "status": "missing", "supplied": (), "notes": ()}
                                  for (agency, leaf, leaf_name, document, issuer), unit, unit_name in zip(documents, units, unit_names, strict=True)))


@dataclass
class EvidenceReview:
    problems: list[Problem] = field(default_factory=list)
    requirements: list[Requirement] = field(default_factory=list)
    cut: dict[str, np.ndarray] = field(default_factory=dict)  # criteria id → units × leaves
    # what the review was worked out from, for a review of other results on the same data (``like``)
    basis: _Basis | None = field(default=None, repr=False, compare=False)

    def unsupplied(self, criteria_id: str) -> tuple[np.ndarray, list[str]]:
        """The cells of one set owed a document and given no evidence row at all, each cut and
        said by one ``evidence_missing`` error: as flat cells (row × leaves + leaf) in cell
        order, with each error's message (a proposal's reason; no look-up per problem)."""
        base = self.basis
        if base is None or criteria_id not in base.ids:
            return np.zeros(0, dtype=np.intp), []
        part = base.parts[base.ids.index(criteria_id)]
        at = [k for k, p in enumerate(part.problems) if p.reason == "evidence_missing" and p.severity == "error"]
        return part.problem_cells[at], [part.problems[k].message for k in at]


@dataclass
class _SetPart:
    """One criteria set's share of a review: its cut and, in cell order, the problems and
    requirements of its owed cells with the flat cell (row × leaves + leaf) of each."""

    cut: np.ndarray
    problems: list[Problem]
    problem_cells: np.ndarray
    requirements: list[Requirement]
    requirement_cells: np.ndarray


@dataclass
class _Basis:
    data: UnitData
    files_root: Path | None
    always: bool
    ids: list[str]  # per set: criteria id
    units: list[list[str]]  # per set: unit ids in row order
    views: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per set: _self_view
    with_rows: list[np.ndarray]  # per set: cells with an evidence row
    rows_end: int  # problems[:rows_end] are the evidence rows' own
    by_key: dict[tuple[str, str], list[_Row]]
    self_rows: _SelfRows
    parts: list[_SetPart]


@dataclass
class _Row:
    """One evidence row after its own checks."""

    pos: int
    unit: str
    criterion: str
    document: str
    issuer_id: str  # resolved: the unit id, an agency id, or the text as written
    issued: dt.date | None
    file: str
    status: str  # worst own status ('ok' when clean)
    notes: list[str]
    where: Where
    leaf: Leaf | None = None
    claim: float | None = None  # the points the unit gives itself on the leaf (None: no self-score)


def check_evidence(results: Results, data: UnitData, files_root: Path | None = None) -> list[Problem]:
    """The evidence problems of every scored unit (see :func:`review_evidence`)."""
    return review_evidence(results, data, files_root).problems


def review_evidence(
    results: Results, data: UnitData, files_root: Path | None = None, always: bool = False, like: EvidenceReview | None = None
) -> EvidenceReview:
    """Check every evidence row and every self-score's documents in one pass.

    ``files_root``: the folder holding the evidence files (``--files``); when ``None`` the data
    folder is used, and if none of the referenced files is there a single warning says the
    files were not checked instead of one problem per row. When the data has no evidence rows
    at all, nothing is checked (the register is optional) unless ``always`` is true.

    ``like``: a review of other results of the same criteria on the same ``data`` object (the
    reports review the self scores; a round-2 proposal needs the review of the final scores).
    The answer is the same as without it; what it saves: a cell whose self view (is its value a
    ``self`` row, the points the unit gives itself, is a document owed) is the same in both is
    not reviewed again, and the evidence rows are not checked again unless one lies on a cell
    that differs. Ignored when it was worked out from other data, folder, ``always`` or units.
    """
    review = EvidenceReview()
    if not len(data.table("evidence")) and not always:  # the table as read: no frame (pandas) for this
        return review
    ev = data.evidence
    unit_at: dict[str, tuple[int, int]] = {}
    for n, s in enumerate(results.sets):
        for i, u in enumerate(s.units["unit"]):
            unit_at[str(u)] = (n, i)
    views = [_self_view(s) for s in results.sets]
    units = [[str(u) for u in s.units["unit"]] for s in results.sets]
    ids = [s.criteria.id for s in results.sets]
    base = like.basis if like is not None else None
    if base is not None and not (base.data is data and base.files_root == files_root and base.always == always
                                 and base.ids == ids and base.units == units):
        base = None
    changed = [_changed(v, w) for v, w in zip(views, base.views, strict=True)] if base is not None else []
    if base is not None and like is not None and not any((c & w).any() for c, w in zip(changed, base.with_rows, strict=True)):
        # no evidence row lies on a cell whose self view differs: the rows' checks are the same
        review.problems.extend(like.problems[: base.rows_end])
        by_key, self_rows = base.by_key, base.self_rows
    else:
        known_units = set(data.units["unit"])
        explicit_files = files_root is not None
        root = files_root if files_root is not None else data.files_root
        rows = _check_rows(results, ev, unit_at, known_units, review.problems)
        _check_files(rows, root, explicit_files, review.problems, data.trusted_links)
        by_key = {}
        for r in rows:
            by_key.setdefault((r.unit, r.criterion), []).append(r)
        for group in by_key.values():
            _check_deadline(group, review.problems)
        self_rows = _SelfRows(data)
    rows_end = len(review.problems)
    with_rows = [np.zeros(v[2].shape, dtype=bool) for v in views]
    for unit, code in by_key:  # every row kept names a scored unit and one of its set's leaves
        n, i = unit_at[unit]
        with_rows[n][i, results.sets[n].criteria.leaf_index[code]] = True
    parts = []
    for n, s in enumerate(results.sets):
        owed = views[n][2]
        if base is None:
            part = _review_set(s, by_key, self_rows, owed, with_rows[n])
        else:
            old = base.parts[n]
            if not changed[n].any():  # the same cells owed, the same answers (the lists are never changed once made)
                part = _SetPart(old.cut.copy(), old.problems, old.problem_cells, old.requirements, old.requirement_cells)
            else:
                part = _merge(old, changed[n], _review_set(s, by_key, self_rows, owed & changed[n], with_rows[n]))
        parts.append(part)
        review.cut[s.criteria.id] = part.cut
        review.problems.extend(part.problems)
        review.requirements.extend(part.requirements)
    review.basis = _Basis(data, files_root, always, ids, units, views, with_rows, rows_end, by_key, self_rows, parts)
    return review


def _self_view(s: SetResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Units × leaves, all a review reads of the scores: is the value a ``self`` row, the points
    the unit gives itself there (its claim, else what its value scores; :func:`_self_points`),
    is a document owed (:func:`self_scored`)."""
    own = s.value_stage == "self"
    claimed = s.claimed.astype(float)
    gives = np.where(claimed == claimed, claimed, s.leaf_points / float(s.scale))
    return own, np.where(own, gives, 0.0), self_scored(s)


def _changed(a: tuple[np.ndarray, np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """The cells whose self views differ (NaN points equal to NaN)."""
    same_points = (a[1] == b[1]) | ((a[1] != a[1]) & (b[1] != b[1]))
    out: np.ndarray = (a[0] != b[0]) | ~same_points | (a[2] != b[2])
    return out


def _merge(old: _SetPart, changed: np.ndarray, new: _SetPart) -> _SetPart:
    """``old`` on the cells not ``changed``, ``new`` (reviewed on the changed cells only) on the
    others, in cell order as one review gives them."""
    flat = changed.ravel()

    def pick(old_items: list[Any], old_cells: np.ndarray, new_items: list[Any], new_cells: np.ndarray) -> tuple[list[Any], np.ndarray]:
        kept = np.flatnonzero(~flat[old_cells])
        items = [old_items[k] for k in kept.tolist()] + new_items
        cells = np.concatenate([old_cells[kept], new_cells])
        order = np.argsort(cells, kind="stable")
        return [items[k] for k in order.tolist()], cells[order]

    problems, problem_cells = pick(old.problems, old.problem_cells, new.problems, new.problem_cells)
    requirements, requirement_cells = pick(old.requirements, old.requirement_cells, new.requirements, new.requirement_cells)
    return _SetPart(np.where(changed, new.cut, old.cut), problems, problem_cells, requirements, requirement_cells)


_Add = Callable[..., None]


# -- one row at a time -------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """Where a data row is: file, line, cell."""

    file: str = ""
    line: int | None = None
    cell: str = ""

    def problem(self, reason: str, message: str, unit: str, criterion: str, severity: str = "error") -> Problem:
        return Problem(
            reason,
            message,
            file=self.file,
            line=self.line,
            cell=self.cell,
            unit=unit,
            criterion=criterion,
            severity=severity,
        )


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], df.to_dict("records"))


def _where(r: dict[str, Any]) -> Where:
    line = r.get("at_line")
    return Where(
        str(r.get("at_file", "") or ""),
        int(line) if line is not None and line == line and str(line) != "" else None,
        str(r.get("at_cell", "") or ""),
    )


def _check_rows(
    results: Results,
    ev: pd.DataFrame,
    unit_at: dict[str, tuple[int, int]],
    known_units: set[str],
    problems: list[Problem],
) -> list[_Row]:
    out: list[_Row] = []
    names = [(_unit_names(s), _names(s.criteria)) for s in results.sets]
    for pos, r in enumerate(_records(ev)):
        unit, code = str(r["unit"]), str(r["criterion"])
        where = _where(r)

        def add(
            reason: str,
            message: str,
            severity: str = "error",
            unit: str = unit,
            code: str = code,
            where: Where = where,
        ) -> None:
            problems.append(where.problem(reason, message, unit, code, severity))

        if unit not in unit_at:
            if unit not in known_units:  # a unit the engine did not score was reported there
                add(
                    "evidence_unknown",
                    UNIT_UNKNOWN.format(unit=unit, where="units") + "; tài liệu này không được tính",
                )
            continue
        s = results.sets[unit_at[unit][0]]
        c = s.criteria
        if code not in c.leaf_index:
            if code in c.node_index:
                add(
                    "evidence_unknown",
                    f"'{code}' là tiêu chí có tiêu chí con; hãy ghi tài liệu kiểm chứng cho từng tiêu chí thành phần",
                )
            else:
                add(
                    "evidence_unknown",
                    CRITERION_UNKNOWN.format(criterion=code, where=f"bộ tiêu chí {c.id}") + "; tài liệu này không được tính",
                )
            continue
        leaf = c.leaves[c.leaf_index[code]]
        row = _Row(
            pos,
            unit,
            code,
            str(r["document"]).strip(),
            "",
            None,
            str(r["file"]).strip(),
            "ok",
            [],
            where,
            leaf,
            _self_points(s, unit_at[unit][1], leaf),
        )
        if not row.document:
            add(
                "evidence_document_empty",
                "thiếu tên tài liệu (cột document): ghi số, ký hiệu và trích yếu văn bản",
            )
        _check_date(row, str(r["issued_on"]), c, add)
        _check_issuer(row, str(r["issuer"]), leaf, c, names[unit_at[unit][0]], add)
        out.append(row)
    return out


def _self_points(s: SetResult, i: int, leaf: Leaf) -> float | None:
    """Points a unit gives itself on a leaf (its claim, else what its value scores), if any."""
    j = s.criteria.leaf_index[leaf.code]
    if s.value_stage[i, j] != "self":
        return None
    claimed = float(s.claimed[i, j])
    return claimed if claimed == claimed else float(s.leaf_points[i, j]) / s.scale


def _worse(row: _Row, status: str, note: str) -> None:
    row.notes.append(note)
    if STATUS_ORDER.index(status) < STATUS_ORDER.index(row.status):
        row.status = status


def _check_date(row: _Row, text: str, c: CompiledCriteria, add: _Add) -> None:
    """A readable date inside the assessment year."""
    text = text.strip()
    if not text:
        msg = "chưa ghi ngày ban hành (cột issued_on) nên không kiểm tra được thời hạn"
        add("evidence_date", msg, "warning")
        _worse(row, "date", msg)
        return
    issued = parse_date_scalar(text)
    if issued is None:
        msg = DATE_UNREADABLE.format(what="ngày ban hành", text=text)
        add("evidence_date", msg)
        _worse(row, "date", msg)
        return
    row.issued = issued
    year = c.spec.year
    if issued.year != year:
        msg = f"ngày ban hành {format_date(issued)} nằm ngoài năm đánh giá {year}"
        add("evidence_date", msg)
        _worse(row, "date", msg)


def _check_deadline(rows: list[_Row], problems: list[Problem]) -> None:
    """A deadline leaf: the earliest document of the unit's rows must meet the deadline.

    The earliest counts because a leaf's documents include the plan and the letter sending
    it; the plan's date is what the rule measures. After ``late_until`` (or ``due`` when there
    is no late window) it is an error; inside the late window only when the unit claims more
    than the late points (otherwise the self-score already counts the delay).
    """
    leaf = rows[0].leaf
    dated = [r for r in rows if r.issued is not None]
    if leaf is None or not isinstance(leaf.rule, Deadline) or not dated:
        return
    rule = leaf.rule
    first = min(dated, key=lambda r: (r.issued, r.pos))
    assert first.issued is not None
    if first.issued <= rule.due:
        return
    when, due = format_date(first.issued), format_date(rule.due)
    if rule.late_until is None or first.issued > rule.late_until:
        last = format_date(rule.late_until or rule.due)
        msg = f"tài liệu ban hành ngày {when}, sau hạn cuối {last}: theo quy tắc được 0 điểm"
        problems.append(first.where.problem("evidence_late", msg, first.unit, first.criterion))
    else:
        late = format_number(rule.late_points)
        msg = f"tài liệu ban hành ngày {when}, sau hạn {due}: nộp chậm, chỉ được {late} điểm"
        if first.claim is not None and first.claim > rule.late_points + 1e-9:
            text = f"{msg}, nhưng tự chấm {format_number(first.claim)} điểm"
            problems.append(first.where.problem("evidence_late", text, first.unit, first.criterion))
    for r in rows:
        _worse(r, "late", msg)


def _unit_names(s: SetResult) -> dict[str, str]:
    """Unit id → lower-cased name, for reading the issuer column."""
    return {str(u): str(n).strip().lower() for u, n in zip(s.units["unit"], s.units["name"], strict=True)}


def _names(c: CompiledCriteria) -> dict[str, str]:
    """Lower-cased agency id and name → agency id."""
    out: dict[str, str] = {}
    for a in c.spec.agencies or []:
        out[nfc(a.id).lower()] = a.id
        out[nfc(a.name).strip().lower()] = a.id
    return out


def _check_issuer(
    row: _Row, text: str, leaf: Leaf, c: CompiledCriteria, names: tuple[dict[str, str], dict[str, str]], add: _Add
) -> None:
    """``names``: (unit id → lower-cased name, lower-cased agency id or name → agency id)."""
    text = nfc(text).strip()
    low = text.lower()
    unit_name = names[0].get(row.unit, "")
    if low in ("", "unit", row.unit.lower(), unit_name):
        row.issuer_id = row.unit
        return
    row.issuer_id = names[1].get(low, text)
    allowed = plausible_issuers(leaf)
    if row.issuer_id in allowed:
        return
    agencies = c.agencies
    named = ", ".join(agencies.get(a, a) for a in sorted(allowed))
    msg = (
        f"nơi ban hành '{text}' không phải đơn vị {row.unit}"
        + (f" hay cơ quan được chấp nhận cho tiêu chí này ({named})" if named else "")
        + "; kiểm tra lại cột issuer"
    )
    add("evidence_issuer", msg, "warning")
    _worse(row, "issuer", msg)


def plausible_issuers(leaf: Leaf) -> set[str]:
    """Agency ids that may issue a leaf's evidence (besides the unit itself)."""
    out = {leaf.agency} if leaf.agency else set()
    out |= {e.issuer for e in leaf.evidence if e.issuer not in (None, "unit")}
    return out


def inside_folder(root: Path, name: str) -> bool:
    """Whether the path ``name`` stays inside ``root`` as written: not absolute, no ``..``
    leading out, no NUL. Where links lead is checked apart (:func:`common.folders.escape`)."""
    if "\x00" in name or os.path.isabs(name) or Path(name).drive:
        return False
    normal = os.path.normpath(name)
    return normal != ".." and not normal.startswith(".." + os.sep)


def _check_files(rows: list[_Row], root: Path | None, explicit: bool, problems: list[Problem], trusted: tuple[Path, ...] = ()) -> None:
    named = [r for r in rows if r.file]
    if root is None or not named:
        return
    inside = [inside_folder(root, r.file) for r in named]
    for n, (r, ok) in enumerate(zip(named, inside, strict=True)):
        if not ok:
            msg = (
                f"tệp '{r.file}' nằm ngoài thư mục tệp đính kèm {root} (đường dẫn tuyệt đối hoặc '..' "
                "dẫn ra ngoài) — không được tính là có; hãy ghi đường dẫn bên trong thư mục"
            )
        else:  # written inside: it may still be (or pass through) a link leading out, or a loop
            link = escape(root, root / r.file, trusted, name=r.file)
            if link is None:
                continue
            inside[n] = False
            msg = link.message + " — không được tính là có"
        problems.append(r.where.problem("evidence_file_outside", msg, r.unit, r.criterion))
        _worse(r, "file", msg)
    exists = [ok and (root / r.file).is_file() for r, ok in zip(named, inside, strict=True)]
    named = [r for r, ok in zip(named, inside, strict=True) if ok]
    exists = [e for e, ok in zip(exists, inside, strict=True) if ok]
    if not named:
        return
    if not explicit and not any(exists):
        problems.append(
            Problem(
                "evidence_files_absent",
                f"không tìm thấy tệp nào trong {len(named)} tệp đính kèm được ghi ở cột file "
                "(trong thư mục dữ liệu); "
                "chưa kiểm tra tệp đính kèm — dùng --files THƯ_MỤC để chỉ nơi lưu tệp",
                file=named[0].where.file,
                # a CSV: its header line; a workbook: the first cell naming a file (its sheet has no line 1 of this)
                line=1 if named[0].where.line is not None and not named[0].where.cell else None,
                cell=named[0].where.cell,
                field="file",
                severity="warning",
            )
        )
        return
    for r, ok in zip(named, exists, strict=True):
        if not ok:
            msg = f"không tìm thấy tệp '{r.file}' trong thư mục {root}"
            problems.append(r.where.problem("evidence_file_missing", msg, r.unit, r.criterion))
            _worse(r, "file", msg)


# -- self-scores and the documents they need ---------------------------------------------------


class _SelfRows:
    """(unit, criterion) → location of its first ``self`` row; a :class:`Where` is made only
    for the few looked up (a million rows on big data)."""

    def __init__(self, data: UnitData) -> None:
        a = data.assessments
        sel = a[(a["stage"] == "self").to_numpy(dtype=bool)]
        n = len(sel)

        def column(name: str) -> list[Any]:  # column lists, not a dict per row
            return sel[name].astype(object).tolist() if name in sel.columns else [None] * n

        # the first row of a key wins: the dict made in C from the rows in reverse order
        keys = list(zip(map(str, column("unit")), map(str, column("criterion")), strict=True))
        places = list(zip(column("at_file"), column("at_line"), column("at_cell"), strict=True))
        self._at: dict[tuple[str, str], tuple[Any, Any, Any]] = dict(zip(reversed(keys), reversed(places), strict=True))

    def get(self, key: tuple[str, str], default: Where) -> Where:
        at = self._at.get(key)
        if at is None:
            return default
        file, line, cell = at  # as _where reads a row
        return Where(str(file or ""), int(line) if line is not None and line == line and str(line) != "" else None, str(cell or ""))

    def problems(self, reason: str, messages: list[str], units: list[str], criteria: list[str]) -> list[Problem]:
        """``get((unit, criterion), Where()).problem(reason, message, unit, criterion)`` for each
        position of the lists, made at once (:meth:`Problem.rows`; once per owed cell)."""
        none: tuple[Any, Any, Any] = ("", None, "")
        at = [self._at.get(key, none) for key in zip(units, criteria, strict=True)]
        # as get() reads each; a text and a whole number (the usual) as they are
        return Problem.rows(
            reason, messages, [f if type(f) is str else str(f or "") for f, _, _ in at],
            [line if type(line) is int else int(line) if line is not None and line == line and str(line) != "" else None for _, line, _ in at],
            [c if type(c) is str else str(c or "") for _, _, c in at], units, criteria)


def self_scored(s: SetResult) -> np.ndarray:
    """Units × leaves: the value used is a ``self`` row that gives or claims points (no penalty).

    Survey leaves are never the unit's claim (Sở Nội vụ fills them), whatever their row's stage.
    """
    positive = (s.leaf_points > 0) | (np.nan_to_num(s.claimed, nan=0.0) > 0)
    sign = np.array([leaf.sign > 0 and leaf.rule.kind != "survey" for leaf in s.criteria.leaves], dtype=bool)
    out: np.ndarray = (s.value_stage == "self") & positive & sign[None, :] & (s.status != "na")
    return out


def expected_documents(leaf: Leaf) -> list[tuple[str, str | None]]:
    """The documents a leaf expects as (document, issuer); one generic document if it names none."""
    return [(e.document, e.issuer) for e in leaf.evidence] or [(GENERIC_DOCUMENT, None)]


def owing_agency(leaf: Leaf, issuer: str | None) -> str:
    return issuer if issuer not in (None, "unit") else (leaf.agency or NO_AGENCY)


def _matches(row: _Row, issuer: str | None) -> bool:
    if issuer is None:
        return True
    if issuer == "unit":
        return row.issuer_id == row.unit
    return row.issuer_id == issuer


def describe_row(row: _Row) -> str:
    parts = [row.document or "(không tên)"]
    if row.issued is not None:
        parts.append(f"ngày {format_date(row.issued)}")
    if row.file:
        parts.append(f"[{row.file}]")
    return ", ".join(parts)


def _review_set(s: SetResult, by_key: dict[tuple[str, str], list[_Row]], self_rows: _SelfRows, owed: np.ndarray,
                with_rows: np.ndarray) -> _SetPart:
    """The documents owed on the ``owed`` cells (see :func:`self_scored`) and their problems.
    ``with_rows``: the cells with an evidence row (``by_key``)."""
    c = s.criteria
    width = owed.shape[1]
    unit_ids = [str(u) for u in s.units["unit"]]
    unit_names = [str(n) for n in s.units["name"]]
    # per leaf, once: its documents with the agency owing each, and the "cần: …" list
    expected = [[(d, issuer, owing_agency(leaf, issuer)) for d, issuer in expected_documents(leaf)] for leaf in c.leaves]
    cut = owed & ~with_rows  # nothing supplied (the common case): every document is missing, cut to 0
    bare = _missing_everything(s, cut, expected, unit_ids, unit_names, self_rows)
    ii, jj = np.nonzero(owed & with_rows)
    if not len(ii):
        return bare
    agencies = c.agencies
    requirements: list[Requirement] = []
    problems: list[Problem] = []
    requirement_cells: list[int] = []
    problem_cells: list[int] = []
    for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
        unit = unit_ids[i]
        unit_name = unit_names[i]
        leaf = c.leaves[j]
        rows = by_key[(unit, leaf.code)]
        cell = i * width + j
        missing: list[tuple[str, str | None]] = []
        for document, issuer, agency in expected[j]:
            hit = [r for r in rows if _matches(r, issuer)]
            status = min((r.status for r in hit), key=STATUS_ORDER.index) if hit else "missing"
            if not hit:
                missing.append((document, issuer))
            requirements.append(
                Requirement(
                    agency,
                    c.id,
                    leaf.code,
                    leaf.name,
                    document,
                    issuer,
                    unit,
                    unit_name,
                    status,
                    tuple(describe_row(r) for r in hit),
                    tuple(n for r in hit for n in r.notes),
                )
            )
            requirement_cells.append(cell)
        if not missing:
            continue
        where = self_rows.get((unit, leaf.code), Where())
        for document, issuer in missing:
            by = f" do {agencies.get(issuer, issuer)} ban hành" if issuer not in (None, "unit") else " của đơn vị"
            msg = f"thiếu tài liệu kiểm chứng{by}: {document}"
            problems.append(where.problem("evidence_incomplete", msg, unit, leaf.code, "warning"))
            problem_cells.append(cell)
    supplied = _SetPart(np.zeros(owed.shape, dtype=bool), problems, np.array(problem_cells, dtype=np.intp),
                        requirements, np.array(requirement_cells, dtype=np.intp))
    return _merge(bare, with_rows, supplied)  # each owed cell is in one part: in cell order as one loop gives them


def _missing_everything(s: SetResult, bare: np.ndarray, expected: list[list[tuple[str, str | None, str]]], unit_ids: list[str],
                        unit_names: list[str], self_rows: _SelfRows) -> _SetPart:
    """The ``bare`` cells: owed with no evidence row at all (1,000 units: ~70,000). On each, every
    expected document is missing and the cell is cut; one ``evidence_missing`` error says so.
    Made at once in cell order: a message per distinct (leaf, points), the records by column."""
    c = s.criteria
    ii, jj = np.nonzero(bare)  # row-major: cell order
    claimed = s.claimed[ii, jj].astype(float)
    points = np.where(claimed == claimed, claimed, s.leaf_points[ii, jj] / float(s.scale)).tolist()
    needs = ["; ".join(d for d, _, _ in docs) for docs in expected]
    said: dict[tuple[int, float], str] = {}  # (leaf, points) → message
    messages = []
    for j, x in zip(jj.tolist(), points, strict=True):
        msg = said.get((j, x))
        if msg is None:
            msg = said[(j, x)] = (f"tự chấm {format_number(x)} điểm nhưng thiếu tài liệu kiểm chứng (cần: {needs[j]}); "
                                  "khi thẩm định, tiêu chí này bị tính 0 điểm")
        messages.append(msg)
    rows = ii.tolist()
    codes = [leaf.code for leaf in c.leaves]
    problems = self_rows.problems("evidence_missing", messages, [unit_ids[i] for i in rows], [codes[j] for j in jj.tolist()])
    # the owed documents: each cell's expected documents in turn
    count = np.array([len(docs) for docs in expected], dtype=np.intp)
    first = np.concatenate(([0], np.cumsum(count)[:-1])).astype(np.intp)
    reps = count[jj]
    doc = np.repeat(first[jj] - np.cumsum(reps) + reps, reps) + np.arange(int(reps.sum()), dtype=np.intp)  # first[j] + k
    table = [(agency, leaf.code, leaf.name, d, issuer) for leaf, docs in zip(c.leaves, expected, strict=True) for d, issuer, agency in docs]
    at = np.repeat(ii, reps).tolist()
    requirements = Requirement.missing(c.id, [table[k] for k in doc.tolist()], [unit_ids[i] for i in at], [unit_names[i] for i in at])
    cells = ii * bare.shape[1] + jj
    return _SetPart(bare.copy(), problems, cells.astype(np.intp), requirements, np.repeat(cells, reps).astype(np.intp))


# -- the appraiser's preview -------------------------------------------------------------------


def appraisal_cut(results: Results, data: UnitData) -> dict[str, np.ndarray]:
    """criteria id → units × leaves: self-scored leaves without evidence (0 on appraisal)."""
    return review_evidence(results, data, always=True).cut


def preview_appraisal(
    criteria: Sequence[CompiledCriteria],
    data: UnitData,
    stage: Stage = "self",
    files_root: Path | None = None,
) -> tuple[Results, EvidenceReview]:
    """Score as an appraiser would: every self-scored leaf without evidence gets 0.

    Returns the cut results and the review they came from. The results' problems hold the
    evidence problems and, per unit that loses points, one ``appraisal_preview`` warning
    saying how many points and on which leaves.
    """
    plain = score(criteria, data, stage)
    review = review_evidence(plain, data, files_root, always=True)
    cut = score(criteria, data, stage, cut=review.cut)
    cut.problems.extend(review.problems)
    for before, after in zip(plain.sets, cut.sets, strict=True):
        mask = review.cut[before.criteria.id]
        lost = (before.total_points - after.total_points) / before.scale
        for i in (int(k) for k in np.flatnonzero(mask.any(axis=1))):
            codes = ", ".join(before.criteria.leaves[j].code for j in np.flatnonzero(mask[i]))
            msg = (
                f"xem trước thẩm định: mất {format_number(float(lost[i]))} điểm "
                f"vì tự chấm mà không có tài liệu kiểm chứng ở tiêu chí {codes}"
            )
            unit = str(before.units["unit"].iat[i])
            cut.problems.append(Problem(PREVIEW_REASON, msg, unit=unit, severity="warning"))
    return cut, review


def preview_note(results: Results) -> str:
    """One line for the console: how many units lose points in the preview, and how many."""
    hits = [p for p in results.problems if p.reason == PREVIEW_REASON]
    leaves = sum(1 for p in results.problems if p.reason == "evidence_missing" and p.severity == "error")
    if not hits:
        return "Xem trước thẩm định: mọi tiêu chí tự chấm đều có tài liệu kiểm chứng; không đơn vị nào bị trừ điểm."
    return (
        f"Xem trước thẩm định: {leaves} tiêu chí tự chấm không có tài liệu kiểm chứng "
        "được tính 0 điểm; "
        f"{len(hits)} đơn vị bị giảm điểm (chi tiết trong bảng vấn đề, mã appraisal_preview)."
    )
