"""Speed targets of issue 5 (planning), as ratios against baselines measured in the same run.

    make bench        # = pytest benchmarks --benchmark-only

Data: ``par_index.testing.synthetic``, seeded — every rule kind, areas of 10 leaves.

1. plans (target index 80) for each of 1,000 units × 100 leaves: at most 2 s of CPU in total
   (the leaves' ladders, built once per criteria set, are timed apart);
2. the exact programme is at least 20× faster than brute force where brute force is feasible
   (20 units × 12 leaves, every combination of every leaf's levels);
3. Monte Carlo, 10,000 draws × 1,000 units × 100 leaves: within 10× the time numpy needs only
   to generate the same random draws (float32, same chunks); peak traced memory under 2 GiB.

Figures are printed and stored in ``extra_info``; docs/planning.md quotes a run.
"""

from __future__ import annotations

import resource
import time
import tracemalloc
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from par_index.planning.headroom import ladders
from par_index.planning.optimise import Goal, StepCosts, brute_force, build_options, need_units, plan_units
from par_index.planning.robustness import CHUNK, Uncertainty, robustness
from par_index.scoring.engine import SetResult, score
from par_index.testing.synthetic import synthetic

GIB = 1 << 30


def _cpu(fn: Any) -> tuple[float, float, Any]:
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


@pytest.fixture(scope="module")
def big() -> SetResult:
    c, data = synthetic(1000, 100, seed=11)
    return score(c, data).sets[0]


def test_plan_1000_units(benchmark: Any, big: SetResult) -> None:
    wall_l, cpu_l, _ = _cpu(lambda: ladders(big.criteria))
    goal = Goal("index", Decimal(80))
    rows = list(range(len(big.units)))
    times: list[tuple[float, float]] = []

    def run() -> None:
        wall, cpu, plans = _cpu(lambda: plan_units(big, rows, goal))
        times.append((wall, cpu))
        assert len(plans) == 1000

    benchmark.pedantic(run, rounds=3, iterations=1)
    best_cpu = min(c for _, c in times)
    best_wall = min(w for w, _ in times)
    benchmark.extra_info.update({"ladders_cpu_s": cpu_l, "plans_cpu_s": best_cpu, "plans_wall_s": best_wall})
    print(f"\nladders (once): {cpu_l:.2f} s CPU ({wall_l:.2f} s wall); 1,000 plans: {best_cpu:.2f} s CPU ({best_wall:.2f} s wall)")
    assert best_cpu <= 2.0


def test_plan_vs_brute_force(benchmark: Any) -> None:
    c, data = synthetic(20, 12, seed=4, kinds=("yes_no", "deadline", "bands", "per_item", "manual", "proportional", "survey"))
    s = score(c, data).sets[0]
    ladders(c)
    rows = list(range(len(s.units)))
    goal = Goal("index", Decimal(90))
    raw = s.leaf_points.sum(axis=1)
    o = build_options(s, rows, StepCosts())

    def brute() -> list[tuple[int, float]]:
        return [brute_force(o, i, need_units(s, i, goal) - raw[i], None) for i in rows]

    _, cpu_b, ref = _cpu(brute)
    times: list[float] = []

    def run() -> None:
        _, cpu, plans = _cpu(lambda: plan_units(s, rows, goal))
        times.append(cpu)
        assert [p.total_cost for p in plans] == [float(r[0]) for r in ref]

    benchmark.pedantic(run, rounds=5, iterations=1)
    dp = min(times)
    ratio = cpu_b / dp
    benchmark.extra_info.update({"brute_cpu_s": cpu_b, "dp_cpu_s": dp, "ratio": ratio})
    print(f"\nbrute force {cpu_b:.2f} s, programme {dp * 1000:.1f} ms: {ratio:.0f}× faster (20 units × 12 leaves)")
    assert ratio >= 20


def test_monte_carlo_10k(benchmark: Any, big: SetResult) -> None:
    draws = 10_000
    n_units, n_leaves = big.leaf_points.shape

    def generate_only() -> None:
        rng = np.random.default_rng(1)
        for start in range(0, draws, CHUNK):
            rng.random((min(CHUNK, draws - start), n_units, n_leaves), dtype=np.float32)

    _, cpu_gen, _ = _cpu(generate_only)
    unc = Uncertainty(0.1, 0.05)
    tracemalloc.start()
    robustness([big], draws=CHUNK * 4, seed=1, uncertainty=unc)  # the peak is per chunk
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    times: list[float] = []

    def run() -> None:
        _, cpu, rb = _cpu(lambda: robustness([big], draws=draws, seed=1, uncertainty=unc))
        times.append(cpu)
        assert rb.draws == draws

    benchmark.pedantic(run, rounds=1, iterations=1)
    cpu_mc = min(times)
    ratio = cpu_mc / cpu_gen
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    benchmark.extra_info.update({"generate_cpu_s": cpu_gen, "mc_cpu_s": cpu_mc, "ratio": ratio, "peak_traced_bytes": peak, "max_rss_bytes": rss})
    print(
        f"\nMonte Carlo 10,000 × 1,000 × 100: {cpu_mc:.1f} s CPU; generating the draws alone {cpu_gen:.1f} s: "
        f"{ratio:.2f}×; peak traced memory {peak / 2**20:.0f} MiB (process max RSS {rss / 2**20:.0f} MiB)"
    )
    assert ratio <= 10
    assert peak < 2 * GIB and rss < 2 * GIB
