"""Robustness: seeded reproducibility and hand-checkable cases."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from support.paths import TESTS

from par_index.cli.main import main
from par_index.criteria.compiled import load
from par_index.pipeline import read_data
from par_index.planning.robustness import Uncertainty, competition_ranks, robustness, steps_of
from par_index.scoring.engine import score

HERE = TESTS / "data"


@pytest.fixture(scope="module")
def mini():  # type: ignore[no-untyped-def]
    return score(load(HERE / "mini" / "criteria.yaml"), read_data(HERE / "mini" / "data"))


@pytest.fixture(scope="module")
def two():  # type: ignore[no-untyped-def]
    return score(load(HERE / "planning" / "two_units.yaml"), read_data(HERE / "planning" / "two_units_data"))


def _rows(rb):  # type: ignore[no-untyped-def]
    return {r.unit: r for g in rb.groups for r in g.rows}


def test_zero_uncertainty_keeps_baseline(mini) -> None:  # type: ignore[no-untyped-def]
    rb = robustness(mini.sets, draws=300, seed=5, uncertainty=Uncertainty(0.0, 0.0))
    rows = _rows(rb)
    for unit, rank, band in (("so-a", 1, "Xuất sắc"), ("so-b", 2, "Trung bình"), ("h-c", 1, "Trung bình")):
        r = rows[unit]
        assert (r.rank, r.median_rank, r.rank_low, r.rank_high) == (rank, rank, rank, rank)
        labels = rb.groups[0].band_labels
        assert dict(zip(labels, r.band_probability, strict=True))[band] == 1.0
        assert sum(r.band_probability) == 1.0


def test_seeded_reproducible(mini) -> None:  # type: ignore[no-untyped-def]
    a = robustness(mini.sets, draws=500, seed=7).as_dict()
    b = robustness(mini.sets, draws=500, seed=7).as_dict()
    c = robustness(mini.sets, draws=500, seed=8).as_dict()
    assert a == b
    assert a != c


def test_certain_drop_ties_the_units(two) -> None:  # type: ignore[no-untyped-def]
    """A always loses its only point (down = 1): both units score 0 and share rank 1."""
    rows = _rows(robustness(two.sets, draws=50, seed=1, uncertainty=Uncertainty(1.0, 0.0)))
    assert (rows["a"].rank, rows["a"].median_rank, rows["a"].rank_high) == (1, 1.0, 1)
    assert (rows["b"].rank, rows["b"].median_rank, rows["b"].rank_low) == (2, 1.0, 1)
    assert rows["a"].band_probability == [0.0, 1.0]


def test_half_drop(two) -> None:  # type: ignore[no-untyped-def]
    """down = 0.5: B shares rank 1 in about half the draws; A keeps Xuất sắc in about half."""
    rows = _rows(robustness(two.sets, draws=4000, seed=3, uncertainty=Uncertainty(0.5, 0.0)))
    p = rows["a"].band_probability[0]
    assert abs(p - 0.5) < 0.03  # 4000 draws: sd 0.008
    assert (rows["b"].rank_low, rows["b"].rank_high) == (1, 2)
    assert rows["a"].rank_high == 1  # a tie never pushes A below 1


def test_steps_per_rule(mini) -> None:  # type: ignore[no-untyped-def]
    s = mini.sets[0]
    st = steps_of(s)
    i = s.unit_row("so-b")
    j = {leaf.code: k for k, leaf in enumerate(s.criteria.leaves)}
    # deadline late (1 of 2): down to 0, up to 2; bands 60% (0): no down, up 1; survey 1.72 → 1.5 / 1.75
    assert (st.down[i, j["1.1"]], st.up[i, j["1.1"]]) == (-100, 100)
    assert (st.down[i, j["1.2"]], st.up[i, j["1.2"]]) == (0, 100)
    assert (st.down[i, j["3.1"]], st.up[i, j["3.1"]]) == (-22, 3)
    assert (st.down[i, j["1.4"]], st.up[i, j["1.4"]]) == (0, 0)  # na: never moves


def test_competition_ranks() -> None:
    got = competition_ranks(np.array([[90.0, 80.0, 90.0, 70.0], [1.0, 2.0, 3.0, 3.0]]))
    assert got.tolist() == [[1, 3, 1, 4], [4, 3, 1, 1]]


def test_band_sets_and_alternatives(tmp_path: Path, mini) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "rb.yaml"
    cfg.write_text(
        "down: 0\nup: 0\nbaseline_weight: 0\n"
        "band_sets:\n  - {weight: 1, bands: [{label: A, min: 95}, {label: B, min: 0}]}\n"
        "alternatives:\n  - {name: 'chỉ tiêu 50%', overrides: [{criterion: '2.1', rule: {target: 0.5}}]}\n",
        encoding="utf-8",
    )
    out = tmp_path / "rb.json"
    args = ["robustness", "--criteria", str(HERE / "mini" / "criteria.yaml"), "--data", str(HERE / "mini" / "data"), "--config", str(cfg), "--draws", "20", "--out", str(out)]
    assert main(args) == 0
    doc = json.loads(out.read_text("utf-8"))
    units = {u["unit"]: u for u in doc["units"]}
    assert doc["alternatives"] == ["chỉ tiêu 50%"]
    # so-a's 2.1 (90%) is full marks under a 50% target: 10.02 + 0.11 = 10.13 of 11 = 92.09 → B
    assert units["so-a"]["band_probability"] == {"A": 0.0, "B": 1.0}
    assert Decimal(str(units["so-a"]["median_rank"])) == 1


def test_config_names_a_leaf_the_criteria_lack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "rb.yaml"
    cfg.write_text("leaves:\n  '9.9': {down: 0.1, up: 0}\n", encoding="utf-8")
    args = ["robustness", "--criteria", str(HERE / "mini" / "criteria.yaml"), "--data", str(HERE / "mini" / "data"), "--config", str(cfg)]
    assert main(args) == 2
    assert "tiêu chí thành phần '9.9' không có trong bộ tiêu chí" in " ".join(capsys.readouterr().err.split())


def test_an_unknown_key_names_the_robustness_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "rb.yaml"
    cfg.write_text("down: 0.1\nbogus: 1\n", encoding="utf-8")
    args = ["robustness", "--criteria", str(HERE / "mini" / "criteria.yaml"), "--data", str(HERE / "mini" / "data"), "--config", str(cfg)]
    assert main(args) == 2
    # was "… định dạng tiêu chí (xem docs/criteria-format.md)": the criteria format's message
    assert "dòng 2, trường 'bogus': khóa này không có trong định dạng cấu hình độ vững (xem docs/planning.md); hãy xóa hoặc sửa chính tả" in " ".join(capsys.readouterr().err.split())


def test_cli_csv_and_html(tmp_path: Path) -> None:
    base = ["robustness", "--criteria", str(HERE / "mini" / "criteria.yaml"), "--data", str(HERE / "mini" / "data"), "--draws", "100", "--seed", "4"]
    assert main([*base, "--out", str(tmp_path / "r.csv")]) == 0
    lines = (tmp_path / "r.csv").read_text("utf-8-sig").splitlines()
    assert lines[0] == (
        "Mã đơn vị,Tên đơn vị,Nhóm,Chỉ số,Xếp hạng,Xếp hạng trung vị,Xếp hạng (phân vị 5%),Xếp hạng (phân vị 95%),Xếp loại,"
        "Xác suất xếp loại Xuất sắc,Xác suất xếp loại Tốt,Xác suất xếp loại Khá,Xác suất xếp loại Trung bình"
    )
    import csv

    first = next(csv.reader(lines[1:]))
    assert "." not in first[3] and first[3].count(",") <= 1  # the index with a decimal comma
    assert main([*base, "--out", str(tmp_path / "r.html")]) == 0
    assert "Độ vững của xếp hạng" in (tmp_path / "r.html").read_text("utf-8")
