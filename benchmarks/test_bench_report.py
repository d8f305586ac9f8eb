"""``par-index report`` beside ``par-index score --out .html`` of the same data (issue 15, target 3:
≤ 5×), each a separate process, CPU (user + system) and wall, median of paired rounds.

    make bench                                        # 1,000 units (minutes on a busy machine)
    PAR_BENCH_REPORT_UNITS=200 make bench             # another size

The data: ``benchmarks/generate.py --units N`` (mixed rule kinds, no evidence register, so every
self-score lacks evidence: ~78 rows a unit in the evidence sheet and the agency report).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from timing import child_seconds

REPO = Path(__file__).resolve().parents[1]
UNITS = int(os.environ.get("PAR_BENCH_REPORT_UNITS", "1000"))
REPS = 3


def test_report_beside_score_html(benchmark: object, tmp_path: Path) -> None:
    benchmark.pedantic(lambda: None, rounds=1)  # type: ignore[attr-defined]  # timed below, per process
    root = tmp_path / "data"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate.py"), "--units", str(UNITS), str(root)], check=True, stdout=subprocess.DEVNULL)
    base = [sys.executable, "-m", "par_index"]
    inputs = ["--criteria", str(root / "criteria.yaml"), "--data", str(root / "data")]
    html = [*base, "score", *inputs, "--out", str(tmp_path / "s.html")]
    out = tmp_path / "report"
    report = [*base, "report", *inputs, "--date", "01/12/2026", "--out", str(out)]
    rounds = []
    for _ in range(REPS):
        shutil.rmtree(out, ignore_errors=True)
        rounds.append((child_seconds(html), child_seconds(report)))
    cpu_h = statistics.median(h[0] for h, _ in rounds)
    cpu_r = statistics.median(r[0] for _, r in rounds)
    wall_h = statistics.median(h[1] for h, _ in rounds)
    wall_r = statistics.median(r[1] for _, r in rounds)
    r_cpu = statistics.median(r[0] / h[0] for h, r in rounds)
    r_wall = statistics.median(r[1] / h[1] for h, r in rounds)
    print(f"\npar-index report vs score --out .html, {UNITS:,} units, median of {REPS} rounds\n"
          f"score --out .html  CPU {cpu_h:.2f} s  wall {wall_h:.2f} s\n"
          f"report             CPU {cpu_r:.2f} s  wall {wall_r:.2f} s\n"
          f"ratio              CPU {r_cpu:.1f}×  wall {r_wall:.1f}×  (target ≤ 5×)")
    benchmark.extra_info.update({"score_html_cpu_s": cpu_h, "report_cpu_s": cpu_r, "ratio_cpu": r_cpu, "ratio_wall": r_wall})  # type: ignore[attr-defined]
