"""Speed targets of issue 2, as ratios against baselines measured in the same run.

    make bench        # = pytest benchmarks --benchmark-only

Data: benchmarks/generate.py, seeded — 10,000 units × 100 leaves of mixed rule kinds (about a
million assessment rows), written to a temporary folder once per session.

1. the engine is at least 100× faster per unit than the plain per-unit reference
   (par_index/reference.py), timed on a sample of 200 units and scaled to 10,000;
2. the scoring step after loading (``engine.score_layout``: the rules, rounding, aggregation,
   rank and band, with every rule-level problem) is within 10× of a bare numpy pass (clip and
   a matrix product) over the same units × leaves. Loading is ``read_data`` (CSV, codes, each
   distinct value text read once, see par_index/value_table.py) and ``layout.lay_out`` (rows
   matched to units and leaves and laid onto the units × leaves matrices the bare pass starts
   from); it is timed and printed too;
3. the whole ``par-index score`` from CSV (in-process, ``--out`` .csv and .json) is within 3×
   the time pandas alone needs to read the two CSV files (``dtype=str``).

Each test prints its figures and stores them in the benchmark's ``extra_info`` (saved with
``--benchmark-json FILE`` or ``--benchmark-autosave``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from generate import write_dataset

from par_index.cli.main import main
from par_index.criteria.compiled import CompiledCriteria, load
from par_index.pipeline import read_data
from par_index.scoring import engine
from par_index.scoring.layout import lay_out
from par_index.testing import reference
from par_index.unit_data.reader import UnitData

UNITS = 10_000
SAMPLE = 200


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    yield write_dataset(tmp_path_factory.mktemp("bench10k"), UNITS)


@pytest.fixture(scope="session")
def loaded(dataset: tuple[Path, Path]) -> tuple[CompiledCriteria, UnitData]:
    crit, data = dataset
    return load(crit), read_data(data)  # loading: CSV, NFC, provenance, codes, distinct-text readings


def best_of(fn: Callable[[], Any], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def report(benchmark: Any, **figures: float) -> None:
    benchmark.extra_info.update(figures)
    print("\n" + ", ".join(f"{k} = {v:.4g}" for k, v in figures.items()))


def test_engine_vs_reference(benchmark: Any, loaded: tuple[CompiledCriteria, UnitData]) -> None:
    c, data = loaded
    assert len(c.leaves) >= 100 and len(data.units) == UNITS
    sample_units = data.units.iloc[:SAMPLE]
    keep = data.assessments["unit"].isin(set(sample_units["unit"]))
    sample = UnitData(sample_units, data.assessments[keep], data.evidence, data.source)
    ref_sample = best_of(lambda: reference.score(c.spec, sample), rounds=1)
    ref_per_unit = ref_sample / SAMPLE
    result = benchmark.pedantic(engine.score, args=(c, data), rounds=3, iterations=1)
    assert len(result.sets[0].units) == UNITS
    eng_per_unit = benchmark.stats.stats.min / UNITS
    ratio = ref_per_unit / eng_per_unit
    report(
        benchmark,
        reference_seconds_per_unit=ref_per_unit,
        engine_seconds_per_unit=eng_per_unit,
        reference_sample_units=SAMPLE,
        speedup=ratio,
    )
    assert ratio >= 100


def test_scoring_vs_bare_numpy(benchmark: Any, loaded: tuple[CompiledCriteria, UnitData]) -> None:
    c, data = loaded
    rng = np.random.default_rng(7)
    values = rng.random((UNITS, len(c.leaves)))
    maxima = c.leaf_max_units / c.scale
    membership_t = np.zeros((len(c.leaves), len(c.nodes)))  # the dense form, for the bare baseline only
    for n in range(len(c.nodes)):
        membership_t[c.under(n), n] = 1.0

    def bare() -> np.ndarray:
        return np.clip(values, 0.0, maxima) @ membership_t

    numpy_seconds = best_of(bare, rounds=5)
    layout_seconds = best_of(lambda: lay_out(c, data), rounds=3)
    whole_seconds = best_of(lambda: engine.score(c, data), rounds=3)  # lay_out + score_layout, reported
    laid = lay_out(c, data)
    result = benchmark.pedantic(engine.score_layout, args=(laid,), rounds=5, iterations=1)
    assert len(result.sets[0].units) == UNITS
    ratio = benchmark.stats.stats.min / numpy_seconds
    report(
        benchmark,
        numpy_seconds=numpy_seconds,
        layout_seconds=layout_seconds,
        engine_seconds=benchmark.stats.stats.min,
        ratio=ratio,
        engine_score_seconds=whole_seconds,
        engine_score_ratio=whole_seconds / numpy_seconds,
    )
    assert ratio <= 10


def pandas_read(data: Path) -> None:
    pd.read_csv(data / "units.csv", dtype=str)
    pd.read_csv(data / "assessments.csv", dtype=str)


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_cli_vs_pandas_read(benchmark: Any, dataset: tuple[Path, Path], tmp_path: Path, suffix: str) -> None:
    crit, data = dataset
    out = tmp_path / f"scores{suffix}"
    argv = ["score", "--criteria", str(crit), "--data", str(data), "--out", str(out)]
    assert main(argv) == 0  # warm up: imports (sympy) and file cache, as pandas gets below
    pandas_seconds = best_of(lambda: pandas_read(data))
    code = benchmark.pedantic(main, args=(argv,), rounds=3, iterations=1)
    assert code == 0 and out.stat().st_size > 0
    ratio = benchmark.stats.stats.min / pandas_seconds
    report(benchmark, pandas_read_seconds=pandas_seconds, cli_seconds=benchmark.stats.stats.min, ratio=ratio)
    assert ratio <= 3
