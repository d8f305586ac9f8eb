"""Server-side time of the two heaviest pages, as ratios to jinja2 alone on the same data (issue 14).

    make bench        # or: pytest benchmarks/test_bench_web.py --benchmark-only -s

1. the unit form (Phiếu tự đánh giá) of a unit with 100 leaves: the page's view of the criteria
   tree (widget per rule kind, scoring method in Vietnamese, evidence, points) and its template
   with the layout, against a bare jinja2 template that prints the same 100 leaves (code, name,
   value, points) in a table;
2. the ranking page with 1,000 units: the rows (rank, exact 2-decimal index, band, self against
   final) and the template, against a bare jinja2 table of the same 1,000 units.

Data: ``par_index.synthetic`` (seeded), scored once by the engine; the scoring itself is not timed
here (the server caches it per change of the round; see benchmarks/test_speed.py for the engine).
The figures are printed and stored in ``extra_info``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
from jinja2 import Environment

from par_index.scoring.engine import score
from par_index.server.web.pages_appraiser import ranking_kinds
from par_index.server.web.render import render_text
from par_index.server.web.unit_form import unit_form
from par_index.testing.synthetic import synthetic

LAYOUT = {"me": {"login": "so-noi-vu", "role": "unit", "unit_name": "Đơn vị 0", "agency_name": None}, "csrf": "x" * 32,
          "nav": [{"href": "/units/u00000", "label": "Phiếu tự đánh giá", "active": True}], "flashes": [],
          "head": {"year": 2024, "deadlines": []}, "now": dt.datetime(2025, 1, 15, tzinfo=dt.UTC), "dataset_label": ""}

BARE_FORM = Environment(autoescape=True).from_string(
    "<table>{% for l in leaves %}<tr><td>{{ l.code }}</td><td>{{ l.name }}</td><td>{{ l.value }}</td><td>{{ l.points }}</td></tr>{% endfor %}</table>"
)
BARE_RANKING = Environment(autoescape=True).from_string(
    "<table>{% for u in units %}<tr><td>{{ u.rank }}</td><td>{{ u.name }}</td><td>{{ u.points }}</td><td>{{ u.index }}</td>"
    "<td>{{ u.band }}</td></tr>{% endfor %}</table>"
)


def best_of(fn: Callable[[], Any], rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def test_unit_form_100_leaves(benchmark: Any) -> None:
    crit, data = synthetic(1, 100, seed=14)
    results = score(crit, data, "self")
    s = results.sets[0]
    nodes = {n.code: {"points": float(s.node_points[0, j]) / s.scale, "max": float(s.node_max[0, j]) / s.scale} for j, n in enumerate(crit.nodes)}
    a = data.assessments
    rows = {c: {"value": v, "note": "", "version": 1} for c, v in zip(a["criterion"], a["value"], strict=True)}

    def page() -> str:
        areas = unit_form(crit, "so", rows, nodes, [], {})
        return render_text("unit_form.html.j2", title="Phiếu tự đánh giá", unit={"unit": "u00000", "name": "Đơn vị 0", "state": "draft", "kind": "so"},
                           areas=areas, total={"points": 80.0, "max": 100.0, "index": 80.0}, cut_total=None, cuts=[], editable=True, can_upload=True,
                           can_submit=True, can_withdraw=False, can_explain=False, base="/units/u00000", **LAYOUT)

    leaves = [{"code": leaf.code, "name": leaf.name, "value": rows[leaf.code]["value"], "points": nodes[leaf.code]["points"]} for leaf in crit.leaves]
    html = benchmark(page)
    ours = best_of(page)
    bare = best_of(lambda: BARE_FORM.render(leaves=leaves))
    ratio = ours / bare
    benchmark.extra_info.update(page_s=ours, jinja2_s=bare, ratio=ratio, leaves=len(crit.leaves))
    print(f"\nunit form, 100 leaves: page {ours * 1000:.1f} ms, jinja2 alone {bare * 1000:.2f} ms, ratio {ratio:.0f}×, {len(html) // 1024} KiB")
    assert html.count('class="leaf') == 100


@pytest.mark.parametrize("n_units", [1000])
def test_ranking_1000_units(benchmark: Any, n_units: int) -> None:
    crit, data = synthetic(n_units, 20, seed=14)
    final = score(crit, data, "final")
    own = score(crit, data, "self")

    def page() -> str:
        kinds = ranking_kinds(final, own, data, None)
        return render_text("ranking.html.j2", title="Xếp hạng", year=2024, kinds=kinds, published=None, has_previous=False, **LAYOUT)

    html = benchmark(page)
    kinds = ranking_kinds(final, own, data, None)
    units = kinds[0]["rows"]
    ours = best_of(page)
    bare = best_of(lambda: BARE_RANKING.render(units=units))
    ratio = ours / bare
    benchmark.extra_info.update(page_s=ours, jinja2_s=bare, ratio=ratio, units=n_units)
    print(f"\nranking, {n_units} units: page {ours * 1000:.1f} ms, jinja2 alone {bare * 1000:.2f} ms, ratio {ratio:.1f}×, {len(html) // 1024} KiB")
    assert html.count("<tr data-unit=") == n_units
