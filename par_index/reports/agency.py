"""The agency evidence report: for each agency (who supplies the evidence), its criteria and
the units whose evidence is missing or not in order.

When :mod:`par_index.evidence.check` is present its review is used (every expected document,
per unit, with a status: missing, late, bad date, file missing, issuer, ok). Without it, a
simple view: each leaf a unit self-scored above 0 with no row in ``evidence.csv``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from par_index.errors import Problem
from par_index.reports.format import vn_date
from par_index.reports.render import render
from par_index.reports.unit import ReportInputs

if TYPE_CHECKING:
    from par_index.evidence.check import EvidenceReview

NO_AGENCY_NAME = "Chưa giao cơ quan cung cấp tài liệu"


def evidence_review(inp: ReportInputs) -> tuple[list[Any] | None, list[Problem]]:
    """(requirements, problems) from :mod:`par_index.evidence.check`."""
    result = review_self(inp)
    return list(result.requirements), list(result.problems)


def review_self(inp: ReportInputs) -> EvidenceReview:
    """The evidence review of the self scores (``review_evidence(self_, data, always=True)``)."""
    from par_index.evidence.check import review_evidence

    return review_evidence(inp.self_, inp.data, always=True)


def agency_context(inp: ReportInputs, requirements: list[Any] | None) -> dict[str, Any]:
    names: dict[str, str] = {}
    for s in inp.final.sets:
        names.update(s.criteria.agencies)
    agencies: dict[str, dict[str, Any]] = {}

    def leaf_entry(agency: str, key: tuple[str, str], name: str, document: str) -> dict[str, Any]:
        a = agencies.get(agency)
        if a is None:
            a = agencies[agency] = {"id": agency, "name": names.get(agency, agency) or NO_AGENCY_NAME, "items": {}, "lacking": 0, "owed": 0}
        items: dict[tuple[str, str], dict[str, Any]] = a["items"]
        item = items.get(key)
        if item is None:
            item = items[key] = {"code": key[0], "name": name, "document": document, "lacking": [], "ok": 0}
        return item

    if requirements is not None:
        from par_index.evidence.check import STATUS_WORDS

        entry: dict[tuple[str, str, str], tuple[dict[str, Any], dict[str, Any]]] = {}  # (agency, leaf, document) → (agency, item)
        for q in requirements:  # ~70,000 for 1,000 units
            at = entry.get((q.agency, q.leaf, q.document))
            if at is None:
                item = leaf_entry(q.agency, (q.leaf, q.document), q.leaf_name, q.document)
                at = entry[(q.agency, q.leaf, q.document)] = (agencies[q.agency], item)
            a, item = at
            a["owed"] += 1
            if q.status == "ok":
                item["ok"] += 1
            else:
                a["lacking"] += 1
                item["lacking"].append((q.unit, q.unit_name, STATUS_WORDS.get(q.status, q.status)))
    else:
        ev = inp.data.evidence
        have = set(zip(ev["unit"], ev["criterion"], strict=True))
        for s in inp.self_.sets:
            c = s.criteria
            for j, leaf in enumerate(c.leaves):
                if leaf.outside_max:
                    continue
                agency = leaf.agency or ""
                docs = "; ".join(e.document for e in leaf.evidence) or "Tài liệu kiểm chứng"
                for i, unit in enumerate(s.units["unit"]):
                    if s.value_stage[i, j] != "self" or s.leaf_points[i, j] <= 0:
                        continue
                    item = leaf_entry(agency, (leaf.code, docs), leaf.name, docs)
                    agencies[agency]["owed"] += 1
                    if (unit, leaf.code) in have:
                        item["ok"] += 1
                    else:
                        agencies[agency]["lacking"] += 1
                        item["lacking"].append((unit, str(s.units["name"].iat[i]), "thiếu"))
    out = []
    span: dict[tuple[str, str, str], str] = {}  # each unit's text escaped once (~70 entries a unit)
    declared = {k: i for i, k in enumerate(names)}  # agencies.yaml's order (the plan's), not code points
    for a in sorted(agencies.values(), key=lambda a: (a["id"] == "", declared.get(a["id"], len(declared)), a["name"])):
        entries = list(a.pop("items").values())
        for it in entries:  # the units lacking it as HTML (tens of thousands of spans: jinja2 took ~10 µs each)
            spans = []
            for key in it["lacking"]:  # (unit, its name, status)
                text = span.get(key)
                if text is None:
                    text = span[key] = f'<span data-unit="{escape(key[0])}">{escape(key[1])} ({escape(key[2])})</span>'
                spans.append(text)
            it["lacking_html"] = Markup("; ".join(spans) or "—")
        out.append({**a, "entries": entries})
    return {"date": vn_date(inp.date), "agencies": out, "full_review": requirements is not None,
            "criteria": [s.criteria.spec.title for s in inp.final.sets]}


def render_agency_report(inp: ReportInputs, requirements: list[Any] | None) -> str:
    return render("agency_report.html.j2", r=agency_context(inp, requirements), dataset_label=inp.data.label)
