"""Issue 15 target 2 (peak memory ≤ 100 bytes an assessment row): a big run's peak is reached at
the node sums (``CompiledCriteria.aggregate``), so no array with one entry per assessment row
may be alive there beside the score matrices. Sizes are allocations traced by ``tracemalloc``
(exact bytes, not resident memory: nothing here depends on the machine)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from par_index.criteria.compiled import CompiledCriteria, load
from par_index.pipeline import read_data
from par_index.scoring import engine

HEAD = "id: t\ntitle: t\nyear: 2024\nunit_kinds: {so: Sở}\nprovenance: illustrative\n"
UNITS, LEAVES = 400, 6


def test_no_per_row_array_of_the_engine_at_the_node_sums(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cell has two rows (self and appraisal1), so a per-row array is twice a leaves ×
    units matrix: the engine's largest allocation alive at the node sums is the points matrix
    itself (8 bytes a cell). Before, the value codes of every row with −1 appended (int64,
    ``np.append``) were alive there: 80 MB at 10**7 rows."""
    leaves = "".join(
        f"      - {{code: '1.{k}', name: L{k}, max: 1, rule: {{kind: proportional, target: 1}}}}\n"
        for k in range(1, LEAVES + 1)
    )
    (tmp_path / "c.yaml").write_text(HEAD + "nodes:\n  - code: '1'\n    name: A\n    children:\n" + leaves, encoding="utf-8")
    data = tmp_path / "d"
    data.mkdir()
    (data / "units.csv").write_text("unit,name,kind\n" + "".join(f"u{i},U {i},so\n" for i in range(UNITS)), encoding="utf-8")
    rows = "".join(f"u{i},1.{k},{(i * k) % 100}%,{st}\n" for i in range(UNITS) for k in range(1, LEAVES + 1) for st in ("self", "appraisal1"))
    (data / "assessments.csv").write_text("unit,criterion,value,stage\n" + rows, encoding="utf-8")
    criteria, units_data = load(tmp_path / "c.yaml"), read_data(data)
    assert len(units_data.assessments) == 2 * UNITS * LEAVES
    seen: list[int] = []
    aggregate = CompiledCriteria.aggregate

    def watched(self: CompiledCriteria, per_leaf: object) -> object:
        if not seen:  # the first node sums: the points
            only_engine = [tracemalloc.Filter(True, engine.__file__, all_frames=True)]
            traces = tracemalloc.take_snapshot().filter_traces(only_engine).traces
            seen.append(max(t.size for t in traces))
        return aggregate(self, per_leaf)  # type: ignore[arg-type]

    monkeypatch.setattr(CompiledCriteria, "aggregate", watched)
    tracemalloc.start(30)
    try:
        results = engine.score(criteria, units_data)
    finally:
        tracemalloc.stop()
    assert results.sets[0].leaf_points.shape == (UNITS, LEAVES)
    assert seen == [UNITS * LEAVES * 8]  # the points (or max) matrix: float64 a cell
