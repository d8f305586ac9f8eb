"""YAML scenario files, collected by pytest: a few units, their data, the expected points.

A scenario names a criteria file (``criteria: path``, relative to the scenario) or holds one
inline (``criteria: {id: ..., nodes: [...]}``), lists ``units`` and ``assessments`` (rows as
``[unit, criterion, value]`` with optional ``stage`` and ``points``), and under ``expect`` the
hand-computed results per unit: ``points``, ``max``, ``index`` (to 2 decimals), ``rank``,
``band``, ``leaves`` and ``nodes`` (points), and optionally ``problems`` (reason, unit,
criterion) that must be reported. Written so criteria authors can read and add them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from par_index.criteria.compiled import load
from par_index.scoring.engine import score
from par_index.unit_data.reader import UnitData, empty_table, finish_table


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        doc = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        for i, case in enumerate(doc.get("cases", [doc])):
            yield ScenarioItem.from_parent(self, name=case.get("title", f"case {i + 1}"), case=case)


class ScenarioItem(pytest.Item):
    def __init__(self, *, case: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        run_scenario(self.case, self.path, Path(self.config.rootpath))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.name}"


def _criteria_path(case: dict[str, Any], here: Path, tmp: Path) -> Path:
    crit = case["criteria"]
    if isinstance(crit, str):
        return (here.parent / crit).resolve()
    path = tmp / "criteria.yaml"
    path.write_text(yaml.safe_dump(crit, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def build_data(case: dict[str, Any], name: str) -> UnitData:
    problems: list[Any] = []
    units = pd.DataFrame([{k: str(v) for k, v in u.items()} for u in case["units"]], dtype=object)
    rows = []
    for r in case.get("assessments", []):
        if isinstance(r, list):
            r = dict(zip(["unit", "criterion", "value", "stage", "points"], r, strict=False))
        rows.append({k: "" if v is None else str(v) for k, v in r.items()})
    assessments = pd.DataFrame(rows, dtype=object) if rows else empty_table("assessments")[["unit", "criterion", "value"]]
    ev = case.get("evidence")
    evidence = finish_table("evidence", pd.DataFrame(ev, dtype=object), name, problems) if ev else empty_table("evidence")
    return UnitData(
        finish_table("units", units, name, problems),
        finish_table("assessments", assessments, name, problems),
        evidence,
        name,
        problems,
    )


def run_scenario(case: dict[str, Any], here: Path, root: Path) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        criteria = load(_criteria_path(case, here, Path(tmp)))
    data = build_data(case, here.name)
    results = score(criteria, data, case.get("stage", "final"))
    expect = case["expect"]
    for unit, want in expect.get("units", {}).items():
        s, i = results.find(unit)
        sc = s.scale
        if "points" in want:
            assert s.total_points[i] == round(want["points"] * sc), f"{unit}: tổng điểm {s.total_points[i] / sc} ≠ {want['points']}"
        if "max" in want:
            assert s.total_max[i] == round(want["max"] * sc), f"{unit}: điểm tối đa {s.total_max[i] / sc} ≠ {want['max']}"
        if "index" in want:
            got = None if s.index[i] != s.index[i] else round(float(s.index[i]), 2)
            assert got == want["index"], f"{unit}: chỉ số {got} ≠ {want['index']}"
        if "rank" in want:
            assert s.rank[i] == want["rank"], f"{unit}: hạng {s.rank[i]} ≠ {want['rank']}"
        if "band" in want:
            assert s.band[i] == want["band"], f"{unit}: xếp loại {s.band[i]} ≠ {want['band']}"
        for code, pts in (want.get("leaves") or {}).items():
            j = criteria.leaf_index[str(code)]
            assert s.leaf_points[i, j] == round(pts * sc), f"{unit} {code}: {s.leaf_points[i, j] / sc} ≠ {pts}"
        for code, pts in (want.get("nodes") or {}).items():
            j = criteria.node_index[str(code)]
            assert s.node_points[i, j] == round(pts * sc), f"{unit} nút {code}: {s.node_points[i, j] / sc} ≠ {pts}"
    got_problems = {(p.reason, p.unit, p.criterion) for p in results.problems}
    for p in expect.get("problems", []):
        key = (p["reason"], p.get("unit", ""), str(p.get("criterion", "")))
        assert key in got_problems, f"thiếu vấn đề {key}; có: {sorted(got_problems)}"
    if expect.get("no_other_problems"):
        want_keys = {(p["reason"], p.get("unit", ""), str(p.get("criterion", ""))) for p in expect.get("problems", [])}
        assert got_problems == want_keys, f"vấn đề khác: {sorted(got_problems - want_keys)}"
