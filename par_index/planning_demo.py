"""Demo steps for planning: a plan, headroom and a robustness summary on the example data."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np

from .demo import DemoContext, demo_step
from .headroom import headroom
from .planning import Goal, plan_units
from .planning_report import headroom_section, plan_section, robustness_section, write_html
from .robustness import robustness


@demo_step(60, "plan")
def _plan_outputs(ctx: DemoContext) -> list[tuple[str, Path]]:
    s = ctx.results.sets[0]
    ranked = np.flatnonzero(~np.isnan(s.rank))
    if not len(ranked):
        return []
    i = int(ranked[np.argmax(s.rank[ranked])])  # the last-ranked unit of the first set
    [plan] = plan_units(s, [i], Goal("rank", Decimal(1)))
    unit = plan.unit
    js = ctx.out / f"ke-hoach-{unit}.json"
    js.write_text(json.dumps(plan.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    html = ctx.out / f"ke-hoach-{unit}.html"
    write_html(html, f"Kế hoạch tăng điểm — {plan.name}", [headroom_section(headroom(s, i)), plan_section(plan)])
    return [(f"kế hoạch lên hạng 1 cho {plan.name} (JSON)", js), (f"dư địa và kế hoạch của {plan.name} (HTML)", html)]


@demo_step(70, "robustness")
def _robustness_outputs(ctx: DemoContext) -> list[tuple[str, Path]]:
    rb = robustness(ctx.results.sets, draws=2000, seed=2024)
    js = ctx.out / "do-vung-xep-hang.json"
    js.write_text(json.dumps(rb.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    html = ctx.out / "do-vung-xep-hang.html"
    write_html(html, "Độ vững của xếp hạng", [robustness_section(rb)])
    return [("độ vững của xếp hạng, 2000 lần mô phỏng (JSON)", js), ("độ vững của xếp hạng (HTML)", html)]


def register() -> None:
    """Importing this module registers the steps; commands import this name to make sure."""
