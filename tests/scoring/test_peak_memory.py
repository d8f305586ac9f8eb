"""Issue 15 target 2 (peak memory ≤ 100 bytes an assessment row): a big run's peak is reached at
the node sums (``CompiledCriteria.aggregate``) and in the writers, so no array with one entry
per assessment row may be alive at the sums beside the score matrices, the C heap's free pages
are given back before them, and the rows read are gone before ``score`` writes. Sizes are
allocations traced by ``tracemalloc`` (exact bytes, not resident memory: nothing here depends
on the machine)."""

from __future__ import annotations

import platform
import tracemalloc
import weakref
from pathlib import Path

import pytest

from par_index import pipeline
from par_index.cli.main import main
from par_index.common import memory
from par_index.criteria.compiled import CompiledCriteria, load
from par_index.pipeline import read_data
from par_index.scoring import engine, layout, writers
from par_index.unit_data.reader import UnitData

HEAD = "id: t\ntitle: t\nyear: 2024\nunit_kinds: {so: Sở}\nprovenance: illustrative\n"
NUMPY_DOMAIN = 389047  # numpy traces the data of its arrays in this tracemalloc domain
UNITS, LEAVES = 300, 40  # more leaves than bytes a unit of any per-unit array: a cell matrix is the bigger


def _two_stages(tmp_path: Path) -> tuple[CompiledCriteria, UnitData]:
    """UNITS units × LEAVES computed leaves, every cell with a self and an appraisal1 row."""
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
    return load(tmp_path / "c.yaml"), read_data(data)


def test_no_per_row_array_of_the_engine_at_the_node_sums(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cell has two rows (self and appraisal1), so a per-row array is twice a leaves ×
    units matrix: the engine's largest allocation alive at the node sums is the points matrix
    itself (8 bytes a cell). Before, the value codes of every row with −1 appended (int64,
    ``np.append``) were alive there: 80 MB at 10**7 rows."""
    criteria, units_data = _two_stages(tmp_path)
    assert len(units_data.assessments) == 2 * UNITS * LEAVES
    seen: list[int] = []
    matrices: list[list[int]] = []
    aggregate = CompiledCriteria.aggregate

    def watched(self: CompiledCriteria, per_leaf: object) -> object:
        if not seen:  # the first node sums: the points
            snapshot = tracemalloc.take_snapshot()
            traces = snapshot.filter_traces([tracemalloc.Filter(True, engine.__file__, all_frames=True)]).traces
            seen.append(max(t.size for t in traces))
            ours = snapshot.filter_traces([tracemalloc.Filter(True, m.__file__, all_frames=True) for m in (engine, layout)])
            arrays = ours.filter_traces([tracemalloc.DomainFilter(True, NUMPY_DOMAIN)]).traces  # numpy's data, not lists of problems
            matrices.append(sorted(t.size for t in arrays if t.size >= UNITS * LEAVES))
        return aggregate(self, per_leaf)  # type: ignore[arg-type]

    monkeypatch.setattr(CompiledCriteria, "aggregate", watched)
    tracemalloc.start(100)
    try:
        results = engine.score(criteria, units_data)
    finally:
        tracemalloc.stop()
    assert results.sets[0].leaf_points.shape == (UNITS, LEAVES)
    assert seen == [UNITS * LEAVES * 8]  # the points (or max) matrix: float64 a cell
    cells = UNITS * LEAVES
    # what is alive of a byte a cell or more: the points and max matrices (8 bytes a cell), the
    # laid-out row of each cell (4), whether the leaf applies and na (1 each), each row's stage
    # and unreadable flag (1 a row: 2 a cell here). No more: the counted cells (1), nor the
    # value and has-value matrices (8 and 1), dropped but kept alive by views of their last
    # leaf's row (a rule that leaves the values as they are returns the row itself)
    assert matrices == [sorted([8 * cells, 8 * cells, 4 * cells, cells, cells, 2 * cells, 2 * cells])]


def test_the_heap_is_given_back_before_the_sums_and_before_the_writers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big run trims the C heap twice (the freed pages of the layout's per-row temporaries,
    ~60 MB at 10**7 rows, would otherwise be resident at the sums and in the writers): after
    laying out, before any leaf is scored, and after scoring. A small run does not (a few ms
    for a few MB)."""
    criteria, units_data = _two_stages(tmp_path)
    events: list[str] = []
    monkeypatch.setattr(memory, "_malloc_trim", lambda: lambda pad: events.append(f"trim {pad}") or 1)
    aggregate = CompiledCriteria.aggregate
    monkeypatch.setattr(CompiledCriteria, "aggregate", lambda self, per_leaf: events.append("sums") or aggregate(self, per_leaf))
    score_set = engine._score_set
    monkeypatch.setattr(engine, "_score_set", lambda *a, **k: events.append("leaves") or score_set(*a, **k))
    engine.score(criteria, units_data)
    assert events == ["leaves", "sums", "sums"]  # 2,400 cells: below WORTH_TRIMMING
    events.clear()
    monkeypatch.setattr(memory, "WORTH_TRIMMING", UNITS * LEAVES)
    engine.score(criteria, units_data)
    assert events == ["trim 0", "leaves", "sums", "sums"]


def test_give_back_is_nothing_without_malloc_trim(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only Linux's C library is asked; elsewhere giving back does nothing (and fails nowhere)."""
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    memory._malloc_trim.cache_clear()
    try:
        assert memory._malloc_trim() is None
        memory.give_back(memory.WORTH_TRIMMING)
    finally:
        memory._malloc_trim.cache_clear()


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's (outside the repository)")
def test_glibc_has_malloc_trim() -> None:
    """On Linux with glibc (the servers, this machine) the trim is found: give_back is not a no-op."""
    memory._malloc_trim.cache_clear()
    assert memory._malloc_trim() is not None
    memory.give_back(memory.WORTH_TRIMMING)


def test_the_results_do_not_keep_the_rows_read(tmp_path: Path) -> None:
    """Scored, the results hold their matrices but not the assessment rows (on a big run ~100 MB:
    the unit and criterion codes, the line numbers): the text matrices built on access need
    only the layout's arrays, and still come out whole once the rows are gone."""
    criteria, units_data = _two_stages(tmp_path)
    rows = weakref.ref(units_data.assessments)
    results = engine.score(criteria, units_data)
    del units_data
    assert rows() is None
    s = results.sets[0]
    assert s.value_text[3].tolist() == [f"{(3 * k) % 100}%" for k in range(1, LEAVES + 1)]  # appraisal1's row (same text)
    assert set(s.value_stage.ravel().tolist()) == {"appraisal1"} and set(s.status.ravel().tolist()) == {""}


def test_score_writes_after_the_rows_read_are_gone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``par-index score --out`` holds no reference to the data it read while it writes: the
    writers' own memory comes on top of the scores alone."""
    _two_stages(tmp_path)  # the files
    read = pipeline.read_data
    rows: list[weakref.ref[object]] = []

    def reading(path: Path) -> object:
        data = read(path)
        rows.append(weakref.ref(data.assessments))
        return data

    write = writers.write_results
    alive: list[bool] = []

    def watching(results: object, out: Path) -> None:
        alive.append(rows[0]() is not None)
        write(results, out)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "read_data", reading)
    monkeypatch.setattr(writers, "write_results", watching)
    out = tmp_path / "out.csv"
    assert main(["score", "--criteria", str(tmp_path / "c.yaml"), "--data", str(tmp_path / "d"), "--out", str(out)]) == 0
    assert alive == [False] and out.read_text(encoding="utf-8").count("\n") == UNITS + 1
