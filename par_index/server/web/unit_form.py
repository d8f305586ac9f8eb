"""The unit's self-assessment form as plain data for its template.

Areas (collapsible) hold, in reading order, the intermediate nodes and the leaves; each leaf
carries its scoring method in Vietnamese (``Rule.describe``), the widget for its rule kind,
the value as saved, the evidence expected and attached, and the points the server scored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from par_index.appraisal.records import show_date
from par_index.criteria.compiled import CompiledCriteria
from par_index.server.web.widgets import fits_number_input, read_only_value, shown_value, widget_for


def anchor(code: str) -> str:
    """An id-safe form of a criterion code (``1.2.3`` → ``1-2-3``)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", code)


def unit_form(
    crit: CompiledCriteria,
    kind: str,
    rows: Mapping[str, Mapping[str, Any]],
    nodes: Mapping[str, Mapping[str, Any]],
    evidence: Sequence[Mapping[str, Any]],
    agencies: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
    typed: Mapping[str, str] | None = None,
    survey: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The areas of the form: ``[{code, name, points, max, anchor, items: [...]}]``.

    ``rows``: criterion → {value, note, version} (the unit's own ``self`` rows);
    ``nodes``: code → {points, max} from the server's self-stage scores; ``typed``: what the
    user typed when a save was refused (shown again beside the message in ``errors``).
    """
    errors = errors or {}
    typed = typed or {}
    survey = survey or {}
    files: dict[str, list[Mapping[str, Any]]] = {}
    for e in evidence:
        files.setdefault(str(e["criterion"]), []).append({**e, "issued_on": show_date(str(e.get("issued_on") or ""))})  # dd/mm/yyyy
    leaves = {leaf.code: leaf for leaf in crit.leaves}
    applicable = crit.applicable(kind)
    applies = {leaf.code for leaf, ok in zip(crit.leaves, applicable, strict=True) if ok}
    areas: list[dict[str, Any]] = []
    for node in crit.nodes:
        if not _applies(node.code, crit, applies):
            continue
        score = nodes.get(node.code, {})
        if node.depth == 1:
            areas.append({"code": node.code, "name": node.name, "anchor": anchor(node.code),
                          "points": score.get("points"), "max": score.get("max", node.max), "items": []})
            if not node.is_leaf:
                continue
        if not areas:
            continue
        if not node.is_leaf:
            areas[-1]["items"].append({"is_leaf": False, "code": node.code, "name": node.name, "depth": node.depth,
                                       "points": score.get("points"), "max": score.get("max", node.max)})
            continue
        leaf = leaves[node.code]
        widget = widget_for(leaf)
        row = rows.get(leaf.code, {})
        stored = str(survey.get(leaf.code, "")) if widget.kind == "survey" else str(row.get("value", "") or "")
        shown = typed[leaf.code] if leaf.code in typed else shown_value(widget, stored)
        areas[-1]["items"].append({
            "is_leaf": True,
            "code": leaf.code,
            "anchor": anchor(leaf.code),
            "name": leaf.name,
            "depth": node.depth,
            "max": leaf.max if leaf.max > 0 else leaf.upper,
            "method": leaf.rule.describe(float(leaf.max)),
            "widget": widget,
            "shown": shown,
            "read_only": read_only_value(widget, stored),
            "number_input": fits_number_input(widget, shown),
            "note": str(row.get("note", "") or ""),
            "version": row.get("version", ""),
            "points": score.get("points"),
            "expected": [str(getattr(e, "document", e)) for e in leaf.evidence],
            "agency": agencies.get(leaf.agency or "", leaf.agency or ""),
            "files": files.get(leaf.code, []),
            "error": errors.get(leaf.code, ""),
        })
    return areas


def _applies(code: str, crit: CompiledCriteria, applies: set[str]) -> bool:
    """A node is shown when at least one leaf under it applies to the unit's kind."""
    return any(leaf.code in applies for leaf in crit.leaves[crit.under(crit.node_index[code])])
