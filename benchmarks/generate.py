"""Write the synthetic benchmark data set: 10,000 units × 100 leaves of mixed rule kinds.

    python benchmarks/generate.py OUTDIR [--units N] [--seed S]

writes ``OUTDIR/criteria.yaml`` and ``OUTDIR/data/{units,assessments}.csv``; then e.g.
``par-index score --criteria OUTDIR/criteria.yaml --data OUTDIR/data --out scores.csv``.
The numbers are random (seeded) and illustrative only.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from pathlib import Path
from typing import Any

import yaml

AREAS = 10
LEAVES_PER_AREA = 10
DUE = dt.date(2024, 3, 31)
# one rule per position in an area: every kind, twice for the common ones
RULES: list[tuple[str, float, dict[str, Any]]] = [
    ("manual", 1.0, {"step": 0.25}),
    ("yes_no", 1.0, {}),
    ("deadline", 1.0, {"due": DUE.isoformat(), "late_until": "2024-04-15", "late_points": 0.5}),
    ("bands", 1.5, {"bands": [{"from": 0.9, "points": 1.5}, {"from": 0.7, "below": 0.9, "points": 1}, {"below": 0.7, "points": 0}]}),
    ("proportional", 1.0, {"target": 0.95, "floor": 0.5}),
    ("per_item", 1.0, {"each": 0.25}),
    ("formula", 1.0, {"expr": "piecewise((1, x >= 0.9), (x / 0.9, True))", "measure": "ratio"}),
    ("survey", 1.5, {"answers": {"A": 1, "B": 0.6, "C": 0.2, "D": 0, "E": 0}}),
    ("bands", 1.0, {"measure": "count", "bands": [{"from": 3, "points": 1}, {"from": 1, "below": 3, "points": 0.5}, {"below": 1, "points": 0}]}),
    ("bonus", 0.0, {"cap": 0.5, "each": 0.25}),
]
PENALTY_AREA = AREAS - 1  # the last area's bonus is a penalty instead


def criteria(leaves_per_area: int = LEAVES_PER_AREA) -> dict[str, Any]:
    nodes = []
    for a in range(AREAS):
        children = []
        for k in range(leaves_per_area):
            kind, top, params = RULES[k % len(RULES)]
            if kind == "bonus" and a == PENALTY_AREA:
                kind = "penalty"
            node: dict[str, Any] = {"code": f"{a + 1}.{k + 1}", "name": f"Tiêu chí {a + 1}.{k + 1}"}
            if top:
                node["max"] = top
            node["rule"] = {"kind": kind, **params}
            if k == 3:
                node["applies_to"] = ["so"] if a % 2 else ["huyen"]
            children.append(node)
        nodes.append({"code": str(a + 1), "name": f"Lĩnh vực {a + 1}", "children": children})
    return {
        "id": "benchmark-10k",
        "title": "Bộ tiêu chí tổng hợp để đo tốc độ (minh họa)",
        "year": 2024,
        "unit_kinds": {"so": "Sở, ban, ngành", "huyen": "UBND huyện"},
        "provenance": "illustrative",
        "bands": [{"label": "Xuất sắc", "min": 90}, {"label": "Tốt", "min": 80}, {"label": "Khá", "min": 70}, {"label": "Trung bình", "min": 0}],
        "nodes": nodes,
    }


def value(kind: str, rng: random.Random, measure: str = "ratio") -> str:
    """A value as users write it (decimal commas, percentages, both date forms, words)."""
    r = rng.random()
    if r < 0.01:
        return "na"
    if kind == "manual":
        return f"{rng.randint(0, 4) * 0.25:.2f}".replace(".", ",")
    if kind == "yes_no":
        return rng.choice(["có", "không", "Có", "x", "1"])
    if kind == "deadline":
        d = DUE + dt.timedelta(days=rng.randint(-20, 25))
        return d.strftime("%d/%m/%Y") if r < 0.5 else d.isoformat()
    if kind in ("bands", "proportional", "formula") and measure == "ratio":
        share = rng.randint(400, 1000) / 10
        return f"{share:g}%".replace(".", ",") if r < 0.6 else f"{share / 100:g}"
    if kind == "survey":
        if r < 0.3:
            return "; ".join(f"{a}:{rng.randint(0, 40)}" for a in "ABCDE")
        return f"{rng.randint(50, 100)}%"
    return str(rng.randint(0, 5))  # per_item, count bands, bonus, penalty


class _NoAliases(yaml.SafeDumper):
    """Shared band lists written out in full: criteria files may not use YAML aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_dataset(out: Path, units: int = 10_000, leaves_per_area: int = LEAVES_PER_AREA, seed: int = 2024) -> tuple[Path, Path]:
    """Write criteria and data; return (criteria file, data folder)."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    spec = criteria(leaves_per_area)
    crit = out / "criteria.yaml"
    crit.write_text(yaml.dump(spec, Dumper=_NoAliases, allow_unicode=True, sort_keys=False), encoding="utf-8")
    data = out / "data"
    data.mkdir(exist_ok=True)
    kinds = []
    with open(data / "units.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["unit", "name", "kind"])
        for i in range(units):
            kind = "so" if i % 3 else "huyen"
            kinds.append(kind)
            w.writerow([f"dv{i:05d}", f"Đơn vị {i}", kind])
    leaves = [
        (child["code"], child["rule"]["kind"], child["rule"].get("measure", "ratio"), child.get("applies_to"))
        for area in spec["nodes"]
        for child in area["children"]
    ]
    with open(data / "assessments.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["unit", "criterion", "value", "stage", "note", "points"])
        for i, kind in enumerate(kinds):
            unit = f"dv{i:05d}"
            for code, rule, measure, applies in leaves:
                if applies is not None and kind not in applies:
                    continue
                stage = "survey" if rule == "survey" else "self"  # Sở Nội vụ fills survey leaves (a unit's own row never counts)
                w.writerow([unit, code, value(rule, rng, measure), stage, "", ""])
                if rng.random() < 0.05:  # an appraisal round changed some values
                    w.writerow([unit, code, value(rule, rng, measure), "appraisal1", "Điều chỉnh theo hồ sơ minh chứng", ""])
    return crit, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    crit, data = write_dataset(args.outdir, args.units, seed=args.seed)
    print(f"criteria: {crit}\ndata: {data}")


if __name__ == "__main__":
    main()
