"""Planning: the exact programme equals brute force on seeded random cases; goals, JSON."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from support.paths import TESTS

from par_index.criteria.compiled import load
from par_index.errors import InputError
from par_index.pipeline import read_data
from par_index.planning.optimise import (
    Goal,
    StepCosts,
    brute_force,
    build_options,
    need_units,
    plan_units,
    read_costs,
    resolve_step_points,
)
from par_index.scoring.engine import score
from par_index.testing.synthetic import KINDS, synthetic

MINI = TESTS / "data" / "mini"


@pytest.fixture(scope="module")
def mini_set():  # type: ignore[no-untyped-def]
    c = load(MINI / "criteria.yaml")
    return score(c, read_data(MINI / "data")).sets[0]


def _random_costs(rng: np.random.Generator, s) -> StepCosts:  # type: ignore[no-untyped-def]
    costs = StepCosts()
    for leaf in s.criteria.leaves:
        if rng.random() < 0.5:
            costs.by_leaf[("", leaf.code)] = Decimal(str(rng.choice([0.5, 1, 2, 3, 1.25])))
    return costs


@pytest.mark.parametrize("seed", range(12))
def test_plan_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    kinds = tuple(rng.permutation(KINDS))
    c, data = synthetic(4, int(rng.integers(3, 6)), seed=seed, kinds=kinds)
    s = score(c, data).sets[0]
    costs = _random_costs(rng, s)
    rows = list(range(len(s.units)))
    o = build_options(s, rows, costs)
    raw = s.leaf_points.sum(axis=1)
    for goal in (Goal("index", Decimal(int(rng.integers(60, 101)))), Goal("rank", Decimal(1)), Goal("budget", Decimal(str(rng.choice([1, 2.5, 4]))))):
        plans = plan_units(s, rows, goal, costs)
        for ui, plan in enumerate(plans):
            if goal.kind == "budget":
                bcost, bgain = brute_force(o, ui, None, int(Fraction(goal.value) / o.cost_unit))
            else:
                need = need_units(s, ui, goal) - raw[ui]
                bcost, bgain = brute_force(o, ui, need, None)
                assert plan.reachable == (bgain >= need)
            assert Fraction(plan.total_cost).limit_denominator(10**6) == bcost * o.cost_unit
            gain_units = round(sum(a.points for a in plan.actions) * s.scale)
            assert gain_units == bgain
            assert round(sum(a.cost for a in plan.actions), 6) == round(plan.total_cost, 6)


def test_plan_index_target_json(mini_set) -> None:  # type: ignore[no-untyped-def]
    [plan] = plan_units(mini_set, [mini_set.unit_row("so-b")], Goal("index", Decimal(80)))
    d = plan.as_dict()
    assert d["baseline"] == {"index": 47.2, "rank": 2, "points": 4.72, "band": "Trung bình"}
    assert [(a["criterion"], a["from"], a["to"], a["points"], a["cost"], a["need"]) for a in d["actions"]] == [  # type: ignore[index, union-attr]
        ("1.1", 1.0, 2.0, 1.0, 1.0, "cần hoàn thành trước hoặc đúng ngày 14/01/2024"),
        ("1.2", 0.0, 2.0, 2.0, 2.0, "cần > 90%"),
        ("1.3", 0.0, 1.0, 1.0, 1.0, "cần có (đạt)"),
    ]
    assert d["result"] == {"index": 87.2, "rank": 2, "points": 8.72, "band": "Tốt"}
    assert d["total_cost"] == 4.0 and d["reachable"] is True
    assert d["message"] == "Đạt mục tiêu chỉ số ≥ 80 với chi phí 4"


def test_plan_rank_ties_share(mini_set) -> None:  # type: ignore[no-untyped-def]
    """Rank 1 among the sở means reaching so-a's index (91.09…); a tie would share rank 1."""
    row = mini_set.unit_row("so-b")
    need = need_units(mini_set, row, Goal("rank", Decimal(1)))
    # so-a: 10.02 of 11 points (91.0909…); so-b's maximum is 10 (1.4 is na): 9.109091 points
    # (whole units of 10**-6) give 91.09091 ≥ 91.0909…, one unit less does not
    assert need == 9_109_091
    [plan] = plan_units(mini_set, [row], Goal("rank", Decimal(1)))
    assert plan.result.rank == 1 and plan.total_cost == 5.0


def test_plan_unreachable_shows_best(mini_set) -> None:  # type: ignore[no-untyped-def]
    [plan] = plan_units(mini_set, [mini_set.unit_row("so-b")], Goal("index", Decimal(120)))
    assert not plan.reachable
    assert plan.result.index == 110.0
    assert plan.message == "Không thể đạt mục tiêu chỉ số ≥ 120: tốt nhất có thể là chỉ số 110, xếp hạng 1"


def test_plan_budget(mini_set) -> None:  # type: ignore[no-untyped-def]
    [plan] = plan_units(mini_set, [mini_set.unit_row("so-b")], Goal("budget", Decimal(3)))
    assert plan.total_cost == 3.0 and plan.result.index == 77.2
    assert plan.message == "Trong chi phí tối đa 3: chỉ số từ 47,2 lên 77,2"


def test_costs_file(tmp_path: Path, mini_set) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "costs.csv"
    f.write_text("criterion,cost,points\n1.2,5,\n1.2,\"0,5\",1\n", encoding="utf-8")
    costs = resolve_step_points(read_costs(f), mini_set, str(f))
    [plan] = plan_units(mini_set, [mini_set.unit_row("so-b")], Goal("index", Decimal(80)), costs)
    # 1.2 to 1 point now costs 0,5 and its second step 5: the plan stops 1.2 at 1 point
    assert [(a.criterion, a.to_points, a.cost) for a in plan.actions] == [("1.1", 2.0, 1.0), ("1.2", 1.0, 0.5), ("1.3", 1.0, 1.0), ("9.1", 0.5, 1.0)]
    assert plan.total_cost == 3.5


def test_costs_file_errors(tmp_path: Path, mini_set) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "costs.csv"
    f.write_text("criterion,cost\n1.2,abc\n1.3,-1\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_costs(f)
    assert [str(p) for p in err.value.problems] == [
        f"{f} dòng 2, tiêu chí 1.2: chi phí 'abc' phải là một số ≥ 0",
        f"{f} dòng 3, tiêu chí 1.3: chi phí '-1' phải là một số ≥ 0",
    ]
    g = tmp_path / "c2.csv"
    g.write_text("criterion,cost,points\n1.2,1,1.5\n7.7,1,\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        resolve_step_points(read_costs(g), mini_set, str(g))
    assert [p.message for p in err.value.problems] == [
        "tiêu chí 1.2 không có mức 1,5 điểm; các mức: 1, 2",
        "tiêu chí '7.7' không có trong bộ tiêu chí mini-2024",
    ]
    e = tmp_path / "c4.csv"
    e.write_text("criterion,cost\n,1\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_costs(e)
    assert [str(p) for p in err.value.problems] == [f"{e} dòng 2: thiếu mã tiêu chí (cột criterion)"]  # was "thiếu mã tiêu chí"
    h = tmp_path / "c3.csv"
    h.write_text("criterion,cost,points\n1.2,1,hai\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_costs(h)
    assert [str(p) for p in err.value.problems] == [f"{h} dòng 2, tiêu chí 1.2: mức điểm 'hai' không phải là số; cần số điểm (ví dụ 0,75)"]
