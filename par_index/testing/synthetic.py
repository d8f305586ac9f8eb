"""Seeded synthetic criteria sets and unit data (every rule kind), built in memory.

For tests and benchmarks of planning and robustness at any size: ``synthetic(n_units,
n_leaves, seed)`` returns a compiled criteria set (areas of 10 leaves, one unit kind ``so``,
illustrative provenance) and matching :class:`~par_index.unit_data.reader.UnitData`. The numbers mean
nothing; they only exercise the rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from par_index.criteria.compiled import CompiledCriteria, compile_criteria
from par_index.criteria.loader import check_tree
from par_index.criteria.model import CriteriaSet
from par_index.errors import InputError
from par_index.unit_data.reader import UnitData, finish_table

KINDS = ("yes_no", "deadline", "bands", "proportional", "per_item", "manual", "survey", "formula")


def _rule(kind: str, rng: np.random.Generator, max_points: float) -> dict[str, Any]:
    if kind == "yes_no":
        return {"kind": "yes_no"}
    if kind == "deadline":
        return {"kind": "deadline", "due": dt.date(2024, 1, 15), "late_until": dt.date(2024, 1, 31), "late_points": max_points / 2}
    if kind == "bands":
        return {
            "kind": "bands",
            "bands": [
                {"above": 0.9, "points": max_points},
                {"from": 0.7, "to": 0.9, "points": max_points / 2},
                {"below": 0.7, "points": 0},
            ],
        }
    if kind == "proportional":
        return {"kind": "proportional", "target": 0.95, "floor": 0.5}
    if kind == "per_item":
        return {"kind": "per_item", "each": 0.25}
    if kind == "manual":
        return {"kind": "manual", "step": 0.25}
    if kind == "survey":
        return {"kind": "survey"}
    return {"kind": "formula", "expr": f"{max_points} * min(1, x / 0.9)", "measure": "ratio"}


def _value(kind: str, rng: np.random.Generator, max_points: float) -> str:
    if kind == "yes_no":
        return "có" if rng.random() < 0.7 else "không"
    if kind == "deadline":
        return (dt.date(2024, 1, 1) + dt.timedelta(days=int(rng.integers(0, 40)))).isoformat()
    if kind in ("bands", "proportional", "survey", "formula"):
        return f"{rng.uniform(0.4, 1.0):.4f}"
    if kind == "per_item":
        return str(int(rng.integers(0, int(max_points / 0.25) + 2)))
    return f"{rng.integers(0, int(max_points / 0.25) + 1) * 0.25:.2f}"


def synthetic(n_units: int, n_leaves: int, seed: int = 0, kinds: tuple[str, ...] = KINDS) -> tuple[CompiledCriteria, UnitData]:
    rng = np.random.default_rng(seed)
    leaf_kinds = [kinds[i % len(kinds)] for i in range(n_leaves)]
    maxima = [float(rng.choice([0.5, 1.0, 1.5, 2.0])) for _ in range(n_leaves)]
    areas = []
    for a in range(0, n_leaves, 10):
        children = [
            {"code": f"{a // 10 + 1}.{j - a + 1}", "name": f"Tiêu chí {j + 1}", "max": maxima[j], "rule": _rule(leaf_kinds[j], rng, maxima[j])}
            for j in range(a, min(a + 10, n_leaves))
        ]
        areas.append({"code": str(a // 10 + 1), "name": f"Lĩnh vực {a // 10 + 1}", "children": children})
    raw = {
        "id": f"synthetic-{n_units}x{n_leaves}-{seed}",
        "title": "Bộ tiêu chí tổng hợp giả định",
        "year": 2024,
        "unit_kinds": ["so"],
        "provenance": "illustrative",
        "bands": [{"label": "Xuất sắc", "min": 90}, {"label": "Tốt", "min": 80}, {"label": "Khá", "min": 70}, {"label": "Trung bình", "min": 0}],
        "nodes": areas,
    }
    spec = CriteriaSet.model_validate(raw)
    problems = check_tree(spec, raw, "<synthetic>")
    if problems:  # pragma: no cover - the generator only writes valid sets
        raise InputError(problems)
    c = compile_criteria(spec)
    unit_ids = [f"u{i:05d}" for i in range(n_units)]
    units = pd.DataFrame({"unit": unit_ids, "name": [f"Đơn vị {i}" for i in range(n_units)], "kind": "so"})
    codes = [leaf.code for leaf in c.leaves]
    rows_u, rows_c, rows_v = [], [], []
    for u in unit_ids:
        for code, kind, m in zip(codes, leaf_kinds, maxima, strict=True):
            rows_u.append(u)
            rows_c.append(code)
            rows_v.append(_value(kind, rng, m))
    stages = ["survey" if kind == "survey" else "self" for kind in leaf_kinds]  # Sở Nội vụ fills survey leaves
    assessments = pd.DataFrame({"unit": rows_u, "criterion": rows_c, "value": rows_v, "stage": stages * n_units})
    problems_list: list[Any] = []
    data = UnitData(
        finish_table("units", units, "<synthetic>/units.csv", problems_list),
        finish_table("assessments", assessments, "<synthetic>/assessments.csv", problems_list),
        finish_table("evidence", pd.DataFrame({"unit": [], "criterion": [], "document": []}, dtype=object), "<synthetic>/evidence.csv", problems_list),
        "<synthetic>",
    )
    return c, data
