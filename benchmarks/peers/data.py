"""The peers' data set: ``benchmarks/generate.py``'s shape (10 areas × 10 leaves, ⅓ huyen, ⅔ so)
with every leaf a manual rule of maximum 1 (step 0.25), values written with a decimal comma,
1 % ``na`` and 2 % above the maximum (capped), only self-assessed rows."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import yaml

from benchmarks.peers import AREAS, BANDS

LEAVES = 10


def criteria() -> dict[str, Any]:
    nodes = [
        {"code": str(a + 1), "name": f"Lĩnh vực {a + 1}",
         "children": [{"code": f"{a + 1}.{k + 1}", "name": f"Tiêu chí {a + 1}.{k + 1}", "max": 1.0,
                       "rule": {"kind": "manual", "step": 0.25}} for k in range(LEAVES)]}
        for a in range(AREAS)
    ]
    return {"id": "peers", "title": "Bộ tiêu chí chấm tay để so sánh tốc độ (minh họa)", "year": 2024,
            "unit_kinds": {"so": "Sở, ban, ngành", "huyen": "UBND huyện"}, "provenance": "illustrative",
            "bands": [{"label": label, "min": edge} for edge, label in BANDS], "nodes": nodes}


def write(out: Path, units: int, seed: int = 2024) -> tuple[Path, Path]:
    """Write ``criteria.yaml`` and ``data/`` (units, assessments, maxima); return both paths."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    crit = out / "criteria.yaml"
    crit.write_text(yaml.safe_dump(criteria(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    data = out / "data"
    data.mkdir(exist_ok=True)
    codes = [(f"{a + 1}.{k + 1}", str(a + 1)) for a in range(AREAS) for k in range(LEAVES)]
    with open(out / "maxima.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["criterion", "area", "max"])
        w.writerows([code, area, "1"] for code, area in codes)
    with open(data / "units.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["unit", "name", "kind"])
        w.writerows([f"dv{i:07d}", f"Đơn vị {i}", "so" if i % 3 else "huyen"] for i in range(units))
    with open(data / "assessments.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["unit", "criterion", "value", "stage", "note", "points"])
        for i in range(units):
            unit = f"dv{i:07d}"
            for code, _area in codes:
                r = rng.random()
                value = "na" if r < 0.01 else ("1,25" if r < 0.03 else f"{rng.randint(0, 4) * 0.25:.2f}".replace(".", ","))
                w.writerow([unit, code, value, "self", "", ""])
    return crit, data


if __name__ == "__main__":
    import sys

    write(Path(sys.argv[1]), int(sys.argv[2]))
