"""HTML sections for headroom, plans, what-ifs and robustness (``templates/planning.html.j2``).

Each ``*_section`` turns a result object into plain strings (numbers already formatted with a
decimal comma); the template only lays them out.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from par_index.common import html
from par_index.common.text_files import write_text
from par_index.common.values import format_fixed, format_number
from par_index.planning.headroom import Headroom
from par_index.planning.optimise import Plan
from par_index.scoring.results import Standing

if TYPE_CHECKING:
    from par_index.planning.robustness import Robustness
    from par_index.planning.scenario import WhatIf


def headroom_section(h: Headroom) -> dict[str, Any]:
    return {
        "kind": "headroom",
        "unit": h.unit,
        "name": h.name,
        "points": format_number(h.points),
        "max": format_number(h.max),
        "index": format_fixed(h.index),
        "lost": format_number(h.lost),
        "lines": [
            {
                "code": ln.code,
                "name": ln.name,
                "value": ln.value,
                "points": format_number(ln.points),
                "max": format_number(ln.max),
                "lost": format_number(ln.lost),
                "message": ln.message,
            }
            for ln in h.lines
        ],
    }


def _standing(st: Standing) -> dict[str, str]:
    return {
        "points": format_number(st.points),
        "index": format_fixed(st.index),
        "rank": "" if st.rank is None else str(st.rank),
        "band": st.band or "",
    }


def plan_section(p: Plan) -> dict[str, Any]:
    return {
        "kind": "plan",
        "unit": p.unit,
        "name": p.name,
        "goal": p.goal.describe(),
        "message": p.message,
        "baseline": _standing(p.baseline),
        "result": _standing(p.result),
        "actions": [
            {
                "criterion": a.criterion,
                "name": a.name,
                "need": a.need,
                "from": format_number(a.from_points),
                "to": format_number(a.to_points),
                "points": format_number(a.points),
                "cost": format_number(a.cost, 4),
            }
            for a in p.actions
        ],
        "total_cost": format_number(p.total_cost, 4),
    }


def whatif_section(w: WhatIf, recipe: str = "") -> dict[str, Any]:
    groups = []
    for g in w.groups():
        rows = []
        for r in g.rows:
            move = r.rank_move
            rows.append(
                {
                    "unit": r.unit,
                    "name": r.name,
                    "points": f"{format_fixed(r.base.points)} → {format_fixed(r.new.points)}",
                    "index": f"{format_fixed(r.base.index)} → {format_fixed(r.new.index)}",
                    "rank": f"{r.base.rank or '—'} → {r.new.rank or '—'}",
                    "move": "" if not move else (f"▲ {move}" if move > 0 else f"▼ {-move}"),
                    "move_class": "" if not move else ("up" if move > 0 else "down"),
                    "band": r.base.band or "—" if r.base.band == r.new.band else f"{r.base.band or '—'} → {r.new.band or '—'}",
                    "areas": [f"{format_fixed(a)} → {format_fixed(b)}" if a != b else format_fixed(a) for a, b in r.areas],
                    "changed": r.changed,
                }
            )
        groups.append({"label": g.label, "areas": g.area_labels, "rows": rows})
    return {"kind": "whatif", "name": w.name, "overrides": w.override_texts, "notes": w.notes, "groups": groups, "recipe": recipe}


def robustness_section(rb: Robustness) -> dict[str, Any]:
    groups = []
    for g in rb.groups:
        groups.append(
            {
                "label": g.label,
                "bands": g.band_labels,
                "rows": [
                    {
                        "unit": r.unit,
                        "name": r.name,
                        "index": format_fixed(r.index),
                        "rank": "" if r.rank is None else str(r.rank),
                        "median": format_number(r.median_rank, 1),
                        "interval": f"{r.rank_low}–{r.rank_high}",
                        "bands": [format_number(p * 100, 1) + "%" for p in r.band_probability],
                    }
                    for r in g.rows
                ],
            }
        )
    return {"kind": "robustness", "name": rb.criteria, "summary": rb.summary(), "groups": groups}


def render(title: str, sections: list[dict[str, Any]]) -> str:
    return html.render("planning.html.j2", title=title, sections=sections)


def write_html(path: Path, title: str, sections: list[dict[str, Any]]) -> None:
    write_text(path, render(title, sections))
