"""A unit's self-assessment report in the official shape (Công văn 383/384/BNV-CCHC style).

Sections: I. the result (total and per area, self-assessed against final), II. explanations for
the items whose evidence or value is not complete, III. difficulties (khó khăn, vướng mắc),
IV. proposals (đề xuất, kiến nghị), and an appendix with every criterion's points.

III and IV come from the unit's notes (``--notes FILE``: CSV ``unit,section,text`` with
``section`` ``kho_khan`` or ``de_xuat``) or, when a unit wrote none, from a generated draft that
names its weakest areas and the items where it lost most points, marked as a draft.

Everything here reads :class:`~par_index.scoring.engine.Results` (self and final) and the unit data;
it builds plain data for the template, which only prints it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from par_index.common.values import nfc
from par_index.errors import InputError, Problem
from par_index.messages import FILE_MISSING, column_missing
from par_index.reports.charts import area_chart
from par_index.reports.format import (
    data_number,
    exact_index,
    point_texts,
    units_to_points,
    vn,
    vn_date,
    vn_int,
)
from par_index.reports.render import render, svg
from par_index.scoring.engine import Results, SetResult
from par_index.scoring.writers import kind_names
from par_index.unit_data.reader import UnitData, read_csv_table

if TYPE_CHECKING:
    from par_index.evidence.check import EvidenceReview

WEAKEST_AREAS = 3
ROWS_KEPT = 200_000  # distinct appendix rows kept for the next reports (a few hundred bytes each)
NOTE_COLUMNS = ("unit", "section", "text")
SECTIONS = {"kho_khan": "kho_khan", "khó khăn": "kho_khan", "de_xuat": "de_xuat", "đề xuất": "de_xuat"}
APPRAISAL_STAGES = ("appraisal1", "appraisal2")
# Where a unit report's big tables go in the rendered template (unit_report_html): "<" never
# comes from user text (escaped) and NUL from no template.
APPENDIX, EXPLANATIONS = "<\x00appendix\x00>", "<\x00explanations\x00>"
# Problems that are not about the unit's evidence or value (kept out of section II).
NOT_EXPLANATIONS = frozenset({"criterion_not_applicable", "row_duplicate"})


@dataclass
class ReportInputs:
    """What every report is made from (all read-only)."""

    final: Results
    self_: Results
    data: UnitData
    date: dt.date
    evidence_problems: list[Problem] = field(default_factory=list)  # from the evidence review, if any
    # True when evidence_problems are the problems of evidence.check.review_evidence(self_, data, always=True)
    evidence_reviewed: bool = False
    evidence_review: EvidenceReview | None = None  # the whole review (write_reports): a round-2 proposal reuses it
    notes: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # unit → section → paragraphs
    # per-unit groupings made once for every unit report (see _by_unit), with the inputs they came from
    cache: dict[str, tuple[tuple[int, ...], dict[str, Any]]] = field(default_factory=dict, repr=False, compare=False)


def read_notes(path: str | Path) -> dict[str, dict[str, list[str]]]:
    """Units' own text for sections III and IV: CSV ``unit,section,text``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem("file_missing", FILE_MISSING.format(what="tệp ghi chú của đơn vị (--notes)"), file=str(path)))
    df = read_csv_table(path)
    df.columns = [nfc(str(c)).strip().lower() for c in df.columns]
    missing = [c for c in NOTE_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(Problem("column_missing", column_missing(missing, "tệp ghi chú", NOTE_COLUMNS), file=str(path), line=1))
    out: dict[str, dict[str, list[str]]] = {}
    problems = []
    for n, r in enumerate(df.itertuples(index=False), start=2):
        section = SECTIONS.get(nfc(str(r.section)).strip().lower())
        if section is None:
            problems.append(Problem("notes_section", f"mục '{r.section}' không hợp lệ; dùng kho_khan (khó khăn, vướng mắc) hoặc de_xuat (đề xuất, kiến nghị)",
                                    file=str(path), line=n, field="section"))
            continue
        text = nfc(str(r.text)).strip()
        if text:
            out.setdefault(nfc(str(r.unit)).strip(), {}).setdefault(section, []).append(text)
    if problems:
        raise InputError(problems)
    return out


def _row_data(s: SetResult, i: int, j_node: int | None, j_leaf: int | None) -> tuple[Decimal | None, Decimal, bool]:
    """(max, points, counted) of a node or leaf for unit row ``i``."""
    if j_leaf is not None:
        m, p = s.leaf_max[i, j_leaf], s.leaf_points[i, j_leaf]
    else:
        assert j_node is not None
        m, p = s.node_max[i, j_node], s.node_points[i, j_node]
    return (units_to_points(m, s.scale) if m > 0 else None), units_to_points(p, s.scale), True


def _set_plan(inp: ReportInputs, s: SetResult) -> dict[str, Any]:
    """Per criteria set, once for every unit report: each node with its leaf column (if a leaf)
    and the range of leaves under it."""
    c = s.criteria

    def build() -> dict[str, Any]:
        nodes = []
        for node in c.nodes:
            j = c.leaf_index.get(node.code) if node.is_leaf else None
            nodes.append((node, j, c.leaves[j] if j is not None else None))
        kinds = [str(x) for x in s.units["kind"]]
        return {
            "names": [str(x) for x in s.units["name"]], "kinds": kinds, "kind_count": Counter(kinds),
            "nodes": nodes, "html": [(str(escape(node.code)), str(escape(node.name))) for node, _, _ in nodes],
            "leaf_html": [(str(escape(leaf.code)), str(escape(leaf.name))) for leaf in c.leaves],
            "area_cells": [(str(escape(a.code)), str(escape(a.name))) for a in c.areas()],  # section I's cells, as plan["areas"]
            "area_labels": [f"{a.code}. {a.name}" for a in c.areas()],  # the chart's
            "areas": [(a, c.node_index[a.code]) for a in c.areas()],  # each area with its node column
            "expected": [f'<div class="note">Tài liệu cần có: {Markup("; ").join([escape(e.document) for e in leaf.evidence])}</div>'
                         if leaf.evidence else "" for leaf in c.leaves],
            "is_leaf": np.array([j is not None for _, j, _ in nodes], dtype=bool),
            "leaf_col": np.array([j or 0 for _, j, _ in nodes], dtype=np.intp),
            "lo": np.asarray(c.leaf_range)[:, 0].astype(np.intp), "hi": np.asarray(c.leaf_range)[:, 1].astype(np.intp),
            "area_leaves": {a.code: np.array([j for j, leaf in enumerate(c.leaves) if leaf.ancestors[0] == a.code and not leaf.outside_max], dtype=np.intp)
                            for a in c.areas()},
        }

    return _by_unit(inp, f"plan {c.id}", (c.nodes, s.units), build)


def _distinct_rows(columns: list[Any]) -> tuple[Any, Any]:
    """One code per distinct combination of the cells' ``columns`` (arrays of one length), given
    column after column so no product overflows, and the first cell of each code."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        codes, distinct = pd.factorize(col)
        key, _ = pd.factorize(key * len(distinct) + codes)
    first = np.zeros(int(key.max()) + 1 if len(key) else 0, dtype=np.intp)
    first[key[::-1]] = np.arange(len(key) - 1, -1, -1)
    return key, first


def _by_unit(inp: ReportInputs, name: str, sources: tuple[Any, ...], build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``build()`` (a dict keyed by unit) made once for all unit reports: filtering the whole
    tables and problem lists once per unit made 1,000 reports quadratic. Rebuilt when one of
    ``sources`` is another object or changed length."""
    key = tuple(id(s) for s in sources) + tuple(len(s) for s in sources)
    cached = inp.cache.get(name)
    if cached is None or cached[0] != key:
        cached = inp.cache[name] = (key, build())
    return cached[1]


def _appraisal_notes(inp: ReportInputs) -> dict[str, dict[str, list[str]]]:
    """Unit → criterion → the appraisal rows' notes ("thẩm định lần 1: …"), for every unit at once."""
    def build() -> dict[str, Any]:
        a = inp.data.assessments
        rows = a[a["stage"].isin(APPRAISAL_STAGES)]
        words = {"appraisal1": "thẩm định lần 1", "appraisal2": "thẩm định lần 2"}
        by_unit: dict[str, dict[str, list[str]]] = {}
        for r in rows.itertuples():
            note = str(r.note).strip()
            out = by_unit.setdefault(str(r.unit), {})
            out.setdefault(str(r.criterion), []).append(f"{words[str(r.stage)]}: {note}" if note else words[str(r.stage)])
        return by_unit

    return _by_unit(inp, "appraisal_notes", (inp.data.assessments,), build)


def _evidence_counts(inp: ReportInputs) -> dict[str, Any]:
    """Unit → criterion → its number of evidence rows."""
    ev = inp.data.evidence
    return {str(u): {str(code): int(n) for code, n in part.value_counts().items()}
            for u, part in ev.groupby("unit", sort=False)["criterion"]}


def _evidence_counts_by_unit(inp: ReportInputs) -> dict[str, dict[str, int]]:
    return _by_unit(inp, "evidence_count", (inp.data.evidence,), lambda: _evidence_counts(inp))


def _unit_problems(inp: ReportInputs) -> dict[str, dict[str, tuple[str, ...]]]:
    """Unit → criterion → the messages of its problems (self, final, evidence review, in that
    order; each text once), grouped for every unit at once."""
    def build() -> dict[str, Any]:
        by_unit: dict[str, dict[str, list[str]]] = {}
        for p in [*inp.self_.problems, *inp.final.problems, *inp.evidence_problems]:
            if p.unit and p.criterion and p.reason not in NOT_EXPLANATIONS:
                said = by_unit.setdefault(p.unit, {}).setdefault(p.criterion, [])
                if p.message not in said:
                    said.append(p.message)
        return {u: {code: tuple(said) for code, said in by_code.items()} for u, by_code in by_unit.items()}

    return _by_unit(inp, "problems", (inp.self_.problems, inp.final.problems, inp.evidence_problems), build)


def _unit_level_problems(inp: ReportInputs, unit: str) -> list[str]:
    """The messages of the final problems about the unit itself (no criterion)."""
    def build() -> dict[str, Any]:
        by_unit: dict[str, list[str]] = {}
        for p in inp.final.problems:
            if p.unit and not p.criterion:
                by_unit.setdefault(p.unit, []).append(p.message)
        return by_unit

    return list(_by_unit(inp, "unit_problems", (inp.final.problems,), build).get(unit, []))


def unit_report_context(inp: ReportInputs, unit: str) -> dict[str, Any]:
    fs, i = inp.final.find(unit)
    ss, k = inp.self_.find(unit)
    c = fs.criteria
    kinds = kind_names(inp.final)

    # the appendix table: every node that applies to this unit, in reading order (see _appendix)
    plan = _set_plan(inp, fs)
    unit_attr = str(escape(unit))
    appendix = _appendix_rows(inp, fs, plan, i, unit_attr.encode("utf-8"))
    has_appraisal = _appendix(inp, fs, plan)["appraised"][i]  # a value of an appraisal row

    # section I: totals and areas (each area's row written here, as the appendix's rows are)
    sp_tot, fp_tot = units_to_points(ss.total_points[k], ss.scale), units_to_points(fs.total_points[i], fs.scale)
    s_idx, f_idx = exact_index(ss.total_points[k], ss.total_max[k]), exact_index(fs.total_points[i], fs.total_max[i])
    area_rows: list[str] = []
    scored: list[tuple[Decimal, str, str, float]] = []  # (sub-index, code, name, units lost) of each area with an index: the draft's
    chart_labels, chart_final, chart_self = [], [], []
    f_max, f_points = fs.node_max[i].tolist(), fs.node_points[i].tolist()  # a row's numbers as floats once, not a numpy scalar each
    s_max, s_points = ss.node_max[k].tolist(), ss.node_points[k].tolist()
    for (area, j), (code, name), label in zip(plan["areas"], plan["area_cells"], plan["area_labels"], strict=True):
        m = f_max[j]
        # (points, vn text, data text) per distinct whole-unit number: as units_to_points, vn and data_number give them
        fpts, f_text, f_data = point_texts(round(f_points[j]), fs.scale)
        spts, s_text, s_data = point_texts(round(s_points[j]), ss.scale)
        if m <= 0 and fpts == 0 and spts == 0:
            continue
        f_sub = exact_index(f_points[j], m)
        s_sub = exact_index(s_points[j], s_max[j])
        _, m_text, m_data = point_texts(round(m), fs.scale) if m > 0 else (None, "—", "")
        final = f'<td class="num" data-field="final" data-points="{f_data}">{f_text}</td>' if has_appraisal else ""
        area_rows.append(f'<tr data-unit="{unit_attr}" data-code="{code}"><td class="c">{code}</td><td>{name}</td>'
                         f'<td class="num" data-field="max" data-points="{m_data}">{m_text}</td>'
                         f'<td class="num" data-field="self" data-points="{s_data}">{s_text}</td>{final}'
                         f'<td class="num" data-field="final-index" data-points="{data_number(f_sub)}">{vn(f_sub)}</td></tr>\n')
        if m > 0:
            assert f_sub is not None
            scored.append((f_sub, area.code, area.name, m - f_points[j]))
            chart_labels.append(label)
            chart_final.append(float(f_sub))
            chart_self.append(float(s_sub) if s_sub is not None else None)
    chart = area_chart(chart_labels, chart_final, chart_self if has_appraisal else None)

    explanations = _explanations(inp, fs, plan, i, unit_attr.encode("utf-8"))
    own = inp.notes.get(unit, {})
    difficulties, proposals, generated = own.get("kho_khan", []), own.get("de_xuat", []), False
    if not difficulties and not proposals:
        difficulties, proposals = _draft_sections(fs, i, scored, _most_lost(inp, fs, plan))
        generated = True
    rank = fs.rank[i]
    kind = plan["kinds"][i]
    return {
        "unit": unit, "name": plan["names"][i], "kind": kind,
        "kind_name": kinds.get(kind, ""),
        "criteria_id": c.id, "criteria_title": c.spec.title, "year": c.spec.year, "date": vn_date(inp.date),
        "has_appraisal": has_appraisal,
        "total": {"max": vn(units_to_points(fs.total_max[i], fs.scale)), "max_data": data_number(units_to_points(fs.total_max[i], fs.scale)),
                  "self": vn(sp_tot), "self_data": data_number(sp_tot), "final": vn(fp_tot), "final_data": data_number(fp_tot),
                  "self_index": vn(s_idx), "self_index_data": data_number(s_idx), "final_index": vn(f_idx), "final_index_data": data_number(f_idx),
                  "rank": vn_int(None if np.isnan(rank) else int(rank)), "band": fs.band[i] or "—",
                  "count": plan["kind_count"][kind]},
        "area_rows": Markup("".join(area_rows)),
        # the two big tables stay UTF-8 (see unit_report_html): in the page, marks where they go
        "appendix": Markup(APPENDIX), "explanations": Markup(EXPLANATIONS if explanations else ""),
        "parts": {APPENDIX: appendix, **({EXPLANATIONS: explanations} if explanations else {})},
        "difficulties": difficulties, "proposals": proposals, "generated": generated, "chart": svg(chart),
        "unit_problems": _unit_level_problems(inp, unit),
    }


def _appendix(inp: ReportInputs, fs: SetResult, plan: dict[str, Any]) -> dict[str, Any]:
    """Per criteria set, once for every unit report: each unit's appendix rows as positions in
    the set's distinct rows. A row differs from unit to unit only by its numbers, note and
    data-unit: its key (node, max, final, self, status, evidence count, appraisal column) is
    worked out for every unit and node at once on the score arrays, and each distinct row is
    written once as HTML (its text before and after the unit id; ~200 rows a page, 1,000 pages:
    jinja2 spent ~15 µs a row on 13 look-ups and escapes; the node texts come escaped once per
    report, the numbers are ours), when a report first needs it; up to ROWS_KEPT are kept."""
    def build() -> dict[str, Any]:
        c = fs.criteria
        is_leaf, jl = plan["is_leaf"], plan["leaf_col"]
        units = [str(u) for u in fs.units["unit"]]
        n_units, n_nodes = len(units), len(plan["nodes"])
        mx = np.where(is_leaf, fs.leaf_max[:, jl], fs.node_max)
        fp = np.where(is_leaf, fs.leaf_points[:, jl], fs.node_points)
        sp = np.empty(fp.shape)
        for u, i in zip(units, range(n_units), strict=True):  # each unit's self row, where Results.find finds it
            ss, k = inp.self_.find(u)
            sp[i] = np.where(is_leaf, ss.leaf_points[k, jl], ss.node_points[k])
        applic = fs.status != "not_applicable"
        cum = np.concatenate((np.zeros((n_units, 1), dtype=np.intp), np.cumsum(applic, axis=1)), axis=1)
        shown = np.where(is_leaf, applic[:, jl], cum[:, plan["hi"]] > cum[:, plan["lo"]])  # a node: any leaf under it applies
        status_code, statuses = pd.factorize(fs.status.ravel())
        status_code = np.where(is_leaf, status_code.reshape(fs.status.shape)[:, jl], -1)
        evidence = np.full((n_units, n_nodes), -1, dtype=np.int64)  # -1: none (or not a leaf)
        row_of = {u: i for i, u in reversed(list(enumerate(units)))}
        node_of = {node.code: n for n, (node, _, _) in enumerate(plan["nodes"]) if node.is_leaf}
        for u, counts in _evidence_counts_by_unit(inp).items():
            row = row_of.get(u)
            if row is not None:
                for code, count in counts.items():
                    if code in node_of:
                        evidence[row, node_of[code]] = count
        has_appraisal = np.asarray(np.isin(fs.value_stage, APPRAISAL_STAGES).any(axis=1))
        ii, nn = np.nonzero(shown)  # by unit, then node
        has_max = np.asarray(mx[ii, nn] > 0)
        columns = [nn, has_max, np.where(has_max, np.rint(mx[ii, nn]).astype(np.int64), 0), np.rint(fp[ii, nn]).astype(np.int64),
                   np.rint(sp[ii, nn]).astype(np.int64), status_code[ii, nn], evidence[ii, nn], has_appraisal[ii]]
        key, first = _distinct_rows(columns)
        return {
            "codes": key, "start": np.searchsorted(ii, np.arange(n_units + 1)),
            "spec": [(int(n), int(m) if h else None, int(f), int(s_), str(statuses[st]) if st >= 0 else None, int(e) if e >= 0 else None, bool(a))
                     for n, h, m, f, s_, st, e, a in zip(*(col[first].tolist() for col in columns), strict=True)],
            "pre": [None] * len(first), "post": [None] * len(first), "kept": 0, "scale": c.scale,
            "appraised": has_appraisal.tolist(),
        }

    return _by_unit(inp, f"appendix {fs.criteria.id}", (fs.criteria.nodes, fs.units, inp.self_.sets, inp.data.evidence), build)


def _appendix_rows(inp: ReportInputs, fs: SetResult, plan: dict[str, Any], i: int, unit_attr: bytes) -> bytes:
    """Unit row ``i``'s appendix as UTF-8 HTML (see :func:`_appendix`)."""
    app = _appendix(inp, fs, plan)

    def make(d: int) -> tuple[str, str]:
        n, m_u, f_u, s_u, status, evidence, has_appraisal = app["spec"][d]
        node, _, leaf = plan["nodes"][n]
        return _appendix_row(plan["html"][n], node.depth, leaf, status, app["scale"], m_u, f_u, s_u, evidence, has_appraisal)

    return _page_rows(app, i, unit_attr, make)


def _page_rows(part: dict[str, Any], i: int, unit_attr: bytes, make: Callable[[int], tuple[str, str]]) -> bytes:
    """Unit row ``i``'s rows of a per-set ``part`` (:func:`_appendix`, :func:`_section_two`) as
    UTF-8: each distinct row ``d`` made by ``make(d)`` (its text before the unit id and after it)
    and encoded once, kept for the next reports up to ROWS_KEPT; a page is its rows' bytes joined
    (~100 rows a page, 1,000 pages: encoding each page's text took longer than making it)."""
    codes = part["codes"][part["start"][i]:part["start"][i + 1]].tolist()
    pre, post = part["pre"], part["post"]
    here: dict[int, tuple[bytes, bytes]] = {}  # rows made for this report beyond ROWS_KEPT
    for d in codes:
        if pre[d] is None and d not in here:
            before, after = make(d)
            row = (before.encode("utf-8"), after.encode("utf-8"))
            if part["kept"] < ROWS_KEPT:
                pre[d], post[d] = row
                part["kept"] += 1
            else:
                here[d] = row
    if here:
        return b"".join([x for d in codes for x in ((pre[d], unit_attr, post[d]) if pre[d] is not None else (here[d][0], unit_attr, here[d][1]))])
    return b"".join(chain.from_iterable(zip(map(pre.__getitem__, codes), repeat(unit_attr), map(post.__getitem__, codes))))


def _appendix_row(code_name: tuple[str, str], depth: int, leaf: Any, status: str | None, scale: int, m_u: int | None, f_u: int, s_u: int,
                  evidence_count: int | None, has_appraisal: bool) -> tuple[str, str]:
    """One appendix row as HTML: its text before the unit id (``data-unit``) and after it."""
    code, name = code_name
    _, m_text, m_data = point_texts(m_u, scale) if m_u is not None else (None, "—", "")
    f_x, f_text, f_data = point_texts(f_u, scale)
    s_x, s_text, s_data = point_texts(s_u, scale)
    note = ""
    if leaf is not None:
        if status == "na":
            note = "không áp dụng (na)"
        elif leaf.outside_max:
            note = "điểm trừ" if leaf.sign < 0 else "điểm thưởng"
        elif status == "missing":
            note = "chưa có giá trị"
    evidence = vn_int(evidence_count, empty="") if leaf is not None else ""
    final = f'<td class="num final" data-field="final" data-points="{f_data}">{f_text}</td>' if has_appraisal else ""
    return (f'<tr class="depth-{depth}{" changed" if s_x != f_x else ""}" data-unit="',
            f'" data-code="{code}"><td>{code}</td><td>{name}</td><td class="num" data-field="max" data-points="{m_data}">{m_text}</td>'
            f'<td class="num" data-field="self" data-points="{s_data}">{s_text}</td>{final}<td class="c">{evidence}</td>'
            f"<td>{escape(note)}</td></tr>\n")


def _section_two(inp: ReportInputs, fs: SetResult, plan: dict[str, Any]) -> dict[str, Any]:
    """Per criteria set, once for every unit report: each unit's section II rows as positions in
    the set's distinct rows, as :func:`_appendix` does for the appendix. A row is a leaf that
    applies to the unit with a problem (its messages, each once: self, final, evidence review),
    whose self and final points differ once shown (the appraisal's notes), or — without an
    evidence review — whose own value gives points with no evidence row. Its key (leaf, self and
    final points, messages, added notes, appraisal column) is worked out on the score arrays; the
    messages are grouped per unit and criterion once (~70 problems a unit, 1,000 pages)."""
    def build() -> dict[str, Any]:
        c = fs.criteria
        units = [str(u) for u in fs.units["unit"]]
        n_units = len(units)
        f_u = np.rint(fs.leaf_points).astype(np.int64)
        s_u = np.empty_like(f_u)
        own = np.empty(f_u.shape, dtype=bool)
        s_scale = []
        for i, u in enumerate(units):  # each unit's self row, where Results.find finds it
            ss, k = inp.self_.find(u)
            s_u[i], own[i] = np.rint(ss.leaf_points[k]), ss.value_stage[k] == "self"  # survey leaves need no evidence from the unit
            s_scale.append(ss.scale)
        said: dict[tuple[str, ...], int] = {}  # messages → code
        found = np.full(f_u.shape, -1, dtype=np.int64)
        problems = _unit_problems(inp)
        at_i: list[int] = []
        at_j: list[int] = []
        said_at: list[int] = []
        leaf_index = c.leaf_index
        for i, u in enumerate(units):
            for code, messages in problems.get(u, {}).items():
                j = leaf_index.get(code)
                if j is not None:
                    at_i.append(i)
                    at_j.append(j)
                    said_at.append(said.setdefault(messages, len(said)))
        found[at_i, at_j] = said_at  # at once (~70,000 cells; a unit is one row of the set: each cell once)
        # the notes a row adds: points that differ once shown, and (no review) points without evidence
        added: dict[tuple[str, ...], int] = {}
        extra = np.full(f_u.shape, -1, dtype=np.int64)
        candidate = s_u != f_u
        if not inp.evidence_reviewed:
            candidate |= own & (s_u > 0) & ~np.array([leaf.outside_max for leaf in c.leaves], dtype=bool)
        notes, counts = _appraisal_notes(inp), _evidence_counts_by_unit(inp)
        ii, jj = np.nonzero(candidate)
        for i, j, s_x, f_x in zip(ii.tolist(), jj.tolist(), s_u[ii, jj].tolist(), f_u[ii, jj].tolist(), strict=True):
            sp, fp = point_texts(s_x, s_scale[i])[0], point_texts(f_x, fs.scale)[0]
            code, texts = c.leaves[j].code, []
            if not inp.evidence_reviewed and own[i, j] and sp > 0 and not counts.get(units[i], {}).get(code) and not c.leaves[j].outside_max:
                texts.append(f"chưa có tài liệu kiểm chứng trong evidence.csv cho {vn(sp)} điểm tự đánh giá")
            if sp != fp:
                why = "; ".join(notes.get(units[i], {}).get(code, [])) or "thẩm định"
                texts.append(f"điểm thay đổi khi thẩm định: {vn(sp)} → {vn(fp)} ({why})")
            if texts:
                extra[i, j] = added.setdefault(tuple(texts), len(added))
        shown = ((found >= 0) | (extra >= 0)) & (fs.status != "not_applicable")
        ii, jj = np.nonzero(shown)  # by unit, then leaf
        appraised = np.asarray(_appendix(inp, fs, plan)["appraised"], dtype=bool)
        scales = np.array(s_scale, dtype=np.int64)
        columns = [jj, s_u[ii, jj], f_u[ii, jj], scales[ii], found[ii, jj], extra[ii, jj], appraised[ii]]
        key, first = _distinct_rows(columns)
        said_list, notes_added = list(said), list(added)
        return {
            "codes": key, "start": np.searchsorted(ii, np.arange(n_units + 1)),
            "spec": [(j, s_x, f_x, scale, (*(said_list[m] if m >= 0 else ()), *(notes_added[e] if e >= 0 else ())), bool(a))
                     for j, s_x, f_x, scale, m, e, a in zip(*(col[first].tolist() for col in columns), strict=True)],
            "pre": [None] * len(first), "post": [None] * len(first), "kept": 0,
        }

    sources = (fs.criteria.nodes, fs.units, inp.self_.sets, inp.self_.problems, inp.final.problems, inp.evidence_problems,
               inp.data.assessments, inp.data.evidence)
    return _by_unit(inp, f"section II {fs.criteria.id} {inp.evidence_reviewed}", sources, build)


def _explanations(inp: ReportInputs, fs: SetResult, plan: dict[str, Any], i: int, unit_attr: bytes) -> bytes:
    """Unit row ``i``'s section II as UTF-8 HTML rows (see :func:`_section_two`)."""
    part = _section_two(inp, fs, plan)

    def make(d: int) -> tuple[str, str]:
        j, s_x, f_x, s_scale, reasons, has_appraisal = part["spec"][d]
        fp = point_texts(f_x, fs.scale)[0]
        return _explanation_row(plan["leaf_html"][j], plan["expected"][j], vn(point_texts(s_x, s_scale)[0]), vn(fp), data_number(fp),
                                reasons, has_appraisal)

    return _page_rows(part, i, unit_attr, make)


def _explanation_row(code_name: tuple[str, str], expected: str, self_: str, final: str, final_data: str,
                     reasons: tuple[str, ...], has_appraisal: bool) -> tuple[str, str]:
    """One row of section II as HTML (the template's row, written here as the appendix is): its
    text before the unit id (``data-unit``) and after it."""
    code, name = code_name
    final_cell = f'<td class="num" data-field="final" data-points="{final_data}">{final}</td>' if has_appraisal else ""
    items = "".join(f"<li>{escape(m)}</li>" for m in reasons)
    return ('<tr data-unit="', f'" data-code="{code}"><td class="c">{code}</td><td>{name}{expected}</td><td class="num">{self_}</td>'
            f"{final_cell}<td><ul>{items}</ul></td></tr>\n")


def _most_lost(inp: ReportInputs, fs: SetResult, plan: dict[str, Any]) -> dict[str, list[list[tuple[float, int]]]]:
    """Per area code, per unit row of the set: the (points lost in whole units, leaf column) of the
    leaves that lost most, at most 3, most first (then by code), among the area's leaves inside
    the maximum that have one and lost any. Worked out for every unit of a set at once."""
    def build() -> dict[str, Any]:
        codes = [leaf.code for leaf in fs.criteria.leaves]
        out: dict[str, list[list[tuple[float, int]]]] = {}
        for area, js in plan["area_leaves"].items():
            m = fs.leaf_max[:, js]
            gap = m - fs.leaf_points[:, js]
            hit = (m > 0) & (gap > 0)
            rank = np.argsort(np.argsort([codes[j] for j in js.tolist()], kind="stable"))  # each leaf's place by code
            order = np.lexsort((np.broadcast_to(rank, gap.shape), np.where(hit, -gap, np.inf)), axis=-1)[:, :3]
            top = np.take_along_axis(gap, order, axis=1).tolist()
            kept = np.take_along_axis(hit, order, axis=1).tolist()
            cols = js[order].tolist()
            out[area] = [[(g, j) for g, j, h in zip(gs, cs, hs, strict=True) if h] for gs, cs, hs in zip(top, cols, kept, strict=True)]
        return out

    return _by_unit(inp, f"most lost {fs.criteria.id}", (fs.criteria.nodes, fs.units), build)


def _draft_sections(fs: SetResult, i: int, scored: list[tuple[Decimal, str, str, float]],
                    most_lost: dict[str, list[list[tuple[float, int]]]]) -> tuple[list[str], list[str]]:
    """A draft of sections III and IV from the result: the weakest areas (``scored``: each area
    with an index as (sub-index, code, name, units lost)) and the items that lost most
    (``most_lost``: see :func:`_most_lost`)."""
    weakest = sorted(scored, key=lambda a: (a[0], a[1]))[:WEAKEST_AREAS]
    leaves = fs.criteria.leaves
    difficulties, proposals = [], []
    for sub, code, name, gap in weakest:
        difficulties.append(f"Lĩnh vực {code}. {name}: chỉ số thành phần {vn(sub)}%, còn thiếu {vn(units_to_points(gap, fs.scale))} điểm so với tối đa.")
        lost = most_lost[code][i] if code in most_lost else []
        items = "; ".join(f"{leaves[j].code} {leaves[j].name} (thiếu {vn(units_to_points(g, fs.scale))} điểm)" for g, j in lost)
        if items:
            proposals.append(f"Tập trung khắc phục lĩnh vực {code}: {items}.")
    return difficulties, proposals


def render_unit_report(inp: ReportInputs, unit: str) -> str:
    return unit_report_html(inp, unit).decode("utf-8")


def unit_report_html(inp: ReportInputs, unit: str) -> bytes:
    """A unit's report page as UTF-8: the template rendered with a mark where each big table goes
    (:data:`APPENDIX`, :data:`EXPLANATIONS`), then the table's bytes put in its place (its rows
    encoded once for all pages: a page's 70 KB of text took ~0.2 ms to encode)."""
    r = unit_report_context(inp, unit)
    text = render("unit_report.html.j2", r=r, dataset_label=inp.data.label)
    parts: dict[str, bytes] = r["parts"]
    out: list[bytes] = []
    for mark in sorted(parts, key=text.find):
        before, found, text = text.partition(mark)
        if not found or mark in text or mark in before:  # once in the page (user text is escaped: it never holds "<")
            raise RuntimeError(f"the unit report's mark {mark!r} is not once in the page")
        out += (before.encode("utf-8"), parts[mark])
    out.append(text.encode("utf-8"))
    return b"".join(out)


def units_in(results: Results) -> list[str]:
    """Every scored unit id, in ranking display order (kinds, then rank)."""
    from par_index.scoring.results import ranked_order

    out: list[str] = []
    for s in results.sets:
        out.extend(str(u) for u in pd.Series(s.units["unit"]).to_numpy()[ranked_order(s)])
    return out
