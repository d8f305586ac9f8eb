"""Headroom: the exact Vietnamese line for every rule kind, and that each level's input really
gives the level's points when scored by the rule."""

from __future__ import annotations

import math

import pytest
from support.paths import TESTS

from par_index.criteria.compiled import load
from par_index.pipeline import read_data
from par_index.planning.headroom import headroom, ladders
from par_index.planning.ladder import Level, to_units
from par_index.scoring.engine import score
from par_index.testing.synthetic import synthetic

MINI = TESTS / "data" / "mini"


@pytest.fixture(scope="module")
def mini_set():  # type: ignore[no-untyped-def]
    c = load(MINI / "criteria.yaml")
    return score(c, read_data(MINI / "data")).sets[0]


def _messages(s, unit):  # type: ignore[no-untyped-def]
    return [line.message for line in headroom(s, s.unit_row(unit)).lines]


def test_messages_so_a(mini_set) -> None:  # type: ignore[no-untyped-def]
    assert _messages(mini_set, "so-a") == [
        "1.1: đã đạt tối đa 2 điểm",
        "1.2: đã đạt tối đa 2 điểm",
        "1.3: đã đạt tối đa 1 điểm",
        "1.4: được chấm 0,75 điểm → cần được chấm 1 điểm để được thêm 0,25 điểm",
        "2.1: tỷ lệ 90% → cần ≥ 95% để được thêm 0,11 điểm",
        "2.2: số lượng 3 → cần ≥ 4 để được thêm 0,25 điểm",
        "3.1: tỷ lệ 81,67% → cần ≥ 87,5% để được thêm 0,12 điểm",
        "9.1: số lượng 1 → cần ≥ 2 để được thêm 0,5 điểm",
        "9.2: bị trừ 0,5 điểm → cần giảm điểm trừ xuống ≤ 0,25 điểm để được thêm 0,25 điểm",
    ]


def test_messages_so_b(mini_set) -> None:  # type: ignore[no-untyped-def]
    assert _messages(mini_set, "so-b") == [
        "1.1: ngày 20/01/2024 → cần hoàn thành trước hoặc đúng ngày 14/01/2024 để được thêm 1 điểm",
        "1.2: tỷ lệ 60% → cần ≥ 70% để được thêm 1 điểm",
        "1.3: chưa đạt → cần có (đạt) để được thêm 1 điểm",
        "2.1: đã đạt tối đa 2 điểm",
        "2.2: chưa có giá trị → cần ≥ 1 để được thêm 0,25 điểm",
        "3.1: tỷ lệ 86% → cần ≥ 87,5% để được thêm 0,03 điểm",
        "9.1: chưa có giá trị → cần ≥ 1 để được thêm 0,5 điểm",
        "9.2: không bị trừ điểm",
    ]


def test_messages_h_c_exclusive_edge_and_formula(mini_set) -> None:  # type: ignore[no-untyped-def]
    msgs = _messages(mini_set, "h-c")
    assert msgs[0] == "1.1: ngày 01/02/2024 → cần hoàn thành trước hoặc đúng ngày 31/01/2024 để được thêm 1 điểm"
    # "trên 90%": 90% itself is not enough
    assert msgs[1] == "1.2: tỷ lệ 90% → cần > 90% để được thêm 1 điểm"
    assert msgs[6] == "2.3: giá trị 0,81 → cần ≥ 0,9 để được thêm 0,1 điểm"
    assert msgs[7] == "3.1: tỷ lệ 50% → cần ≥ 62,5% để được thêm 0,25 điểm"


def test_points_lost(mini_set) -> None:  # type: ignore[no-untyped-def]
    h = headroom(mini_set, mini_set.unit_row("so-b"))
    lost = {line.code: line.lost for line in h.lines}
    assert lost == {"1.1": 1.0, "1.2": 2.0, "1.3": 1.0, "2.1": 0.0, "2.2": 1.0, "3.1": 0.28, "9.1": 1.0, "9.2": 0.0}
    # the steps of 1.2 from 60%: 1 point at ≥ 70%, 2 points above 90%
    steps = next(line.steps for line in h.lines if line.code == "1.2")
    assert [(st.points, st.gain, st.need) for st in steps] == [(1.0, 1.0, "cần ≥ 70%"), (2.0, 2.0, "cần > 90%")]


def test_formula_inverse_decreasing_and_step() -> None:
    """sympy solves a decreasing formula (fewer errors is better) and bounds a floor step."""
    from par_index.criteria.formula import parse_formula
    from par_index.planning.interval import Interval
    from par_index.planning.inverse import solve_at_least

    dom = Interval(0.0, True, 1.0, True)
    assert solve_at_least(parse_formula("2 * max(0, 1 - x / 0.1)"), 1.0, dom) == [Interval(0.0, True, 0.05, True)]
    got = solve_at_least(parse_formula("floor(x * 4) / 4"), 0.5, dom)
    assert len(got) == 1 and got[0].hi == 1.0 and got[0].lo == pytest.approx(0.5, abs=1e-9)


def _check_levels(c) -> int:  # type: ignore[no-untyped-def]
    """Every level's nearest input, scored by the rule, gives at least the level's points."""
    checked = 0
    for leaf, lad in zip(c.leaves, ladders(c), strict=True):
        for lv in lad.levels:
            if not lv.region:
                continue
            for x0 in (None, -5.0, 0.0, 0.3, 0.95, 3.0, 20000.0):
                need = Level.need_from(lv, x0)
                if need is None:
                    assert x0 is not None and any(iv.contains(x0) for iv in lv.region)
                    continue
                x = need.apply(lad.measure)
                got = to_units(leaf.rule.points_scalar(x, float(leaf.max)), c.scale) * leaf.sign
                assert got >= lv.units, (leaf.code, lv, x0, x, got)
                checked += 1
    return checked


def test_level_inputs_reach_their_points(mini_set) -> None:  # type: ignore[no-untyped-def]
    assert _check_levels(mini_set.criteria) == 192


def test_level_inputs_reach_their_points_synthetic() -> None:
    c, _ = synthetic(1, 16, seed=3)
    assert _check_levels(c) > 100
    assert not math.isnan(float(c.leaf_max_units.sum()))


def test_counts_that_are_multiples_of_ten(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Issue 10 item 9: a count of 10 was printed "1" (trailing zeros stripped from integers)."""
    (tmp_path / "c.yaml").write_text(
        "id: t\ntitle: t\nyear: 2024\nunit_kinds: {so: Sở}\nprovenance: illustrative\nnodes:\n"
        "  - {code: '1', name: A, max: 2, children: [{code: '1.1', name: B, max: 2, rule: {kind: per_item, each: 0.1}}]}\n",
        encoding="utf-8",
    )
    data = tmp_path / "d"
    data.mkdir()
    (data / "units.csv").write_text("unit,name,kind\nu,U,so\n", encoding="utf-8")
    (data / "assessments.csv").write_text("unit,criterion,value\nu,1.1,10\n", encoding="utf-8")
    s = score(load(tmp_path / "c.yaml"), read_data(data)).sets[0]
    assert _messages(s, "u") == ["1.1: số lượng 10 → cần ≥ 11 để được thêm 0,1 điểm"]
