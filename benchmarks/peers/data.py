"""The peers' data set: ``benchmarks/generate.py``'s shape (10 areas × 10 leaves, ⅓ huyen, ⅔ so)
with every leaf a manual rule of maximum 1 (step 0.25), values written with a decimal comma,
1 % ``na`` and 2 % above the maximum (capped), only self-assessed rows."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
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


BLOCK = 10_000  # units drawn once; bigger sets repeat the draws with other unit numbers
VALUES = ("na", "1,25", "0,00", "0,25", "0,50", "0,75", "1,00")  # na 1 %, above the maximum 2 %, the steps 97 %
CHANCES = (0.01, 0.02, *([0.97 / 5] * 5))


def write(out: Path, units: int, seed: int = 2024) -> tuple[Path, Path]:
    """Write ``criteria.yaml`` and ``data/`` (units, assessments, maxima); return both paths.

    The values of 10,000 units are drawn once and written from one template of a unit's 100
    rows; bigger sets repeat that block with other unit numbers (10**8 rows in seconds, for
    the 1,000,000-unit run)."""
    rng = np.random.default_rng(seed)
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
    template = "".join(f"dv{{0}}{{1:04d}},{code},{{{k + 2}}},self,,\r\n" for k, (code, _area) in enumerate(codes))
    texts = np.array(['"' + v + '"' if "," in v else v for v in VALUES], dtype=object)  # quoted as csv.writer does
    values = texts[rng.choice(len(VALUES), size=(min(units, BLOCK), len(codes)), p=CHANCES)].tolist()
    block = "".join(template.format("{block}", i, *row) for i, row in enumerate(values))  # one block's rows, its number left open
    with open(data / "assessments.csv", "w", newline="", encoding="utf-8") as f:
        f.write("unit,criterion,value,stage,note,points\r\n")
        for lo in range(0, units, BLOCK):  # the blocks of 10,000 units repeat the first one's values
            n = min(units, lo + BLOCK) - lo
            text = block.replace("{block}", f"{lo // BLOCK:03d}")
            f.write(text if n == BLOCK else text[: _rows_end(text, n * len(codes))])
    return crit, data


def _rows_end(text: str, rows: int) -> int:
    """Where the first ``rows`` lines of ``text`` end."""
    end = -1
    for _ in range(rows):
        end = text.index("\n", end + 1)
    return end + 1


if __name__ == "__main__":
    import sys

    write(Path(sys.argv[1]), int(sys.argv[2]))
