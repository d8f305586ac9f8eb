"""Issue 10 items 1 and 2: points kept as given, one exact half-up rounding (docs/rounding.md).

Each test failed before the change: a manual 78.024 scored 78.02, two units at 90.024 and
90.018 shared a rank, the CSV index was rounded half-even on a float, and rounding was
``floor(x·10^p + 0.5 + 1e-7)`` (0.58499999985 → 0.59, 1.49999997 → 2 at precision 0).
The reference scorer (exact fractions) agrees with the engine on every case.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from par_index.common.rounding import places, round_half_up, round_units
from par_index.common.values import format_fixed, format_number
from par_index.criteria.compiled import load
from par_index.criteria.loader import load_criteria
from par_index.pipeline import read_data
from par_index.reports.explain import explain, summary_line
from par_index.reports.format import exact_index
from par_index.scoring.engine import Results, score
from par_index.scoring.results import to_json_dict, units_frame
from par_index.scoring.writers import write_results
from par_index.testing.reference import score as reference_score

HEAD = "id: t\ntitle: t\nyear: 2024\nunit_kinds: {so: Sở}\nprovenance: illustrative\n"
MANUAL = "  - {code: '1', name: A, max: 100, children: [{code: '1.1', name: B, max: 100, rule: {kind: manual}}]}\n"
SURVEY = (
    "  - code: '1'\n    name: A\n    max: 4.5\n    children:\n"
    "      - {code: '1.1', name: B, max: 1.5, rule: {kind: survey}}\n"
    "      - {code: '1.2', name: C, max: 1, rule: {kind: survey}}\n"
    "      - {code: '1.3', name: D, max: 1, rule: {kind: survey, answers: {A: 1, B: 0.5, C: 0}}}\n"
    "      - {code: '1.4', name: E, max: 1, rule: {kind: survey, answers: {A: 1, B: 0.5, C: 0}}}\n"
)

SURVEY_HEADER = "unit,criterion,value,stage"  # survey leaves are Sở Nội vụ's: their rows are stage survey


def _write(tmp_path: Path, nodes: str, rows: str, units: str = "u,U,so\n", extra: str = "", header: str = "unit,criterion,value,points") -> Path:
    (tmp_path / "c.yaml").write_text(HEAD + extra + "nodes:\n" + nodes, encoding="utf-8")
    data = tmp_path / "d"
    data.mkdir(exist_ok=True)
    (data / "units.csv").write_text("unit,name,kind\n" + units, encoding="utf-8")
    (data / "assessments.csv").write_text(header + "\n" + rows, encoding="utf-8")
    return data


def _score(tmp_path: Path, nodes: str, rows: str, units: str = "u,U,so\n", extra: str = "", header: str = "unit,criterion,value,points") -> Results:
    data = _write(tmp_path, nodes, rows, units, extra, header)
    return score(load(tmp_path / "c.yaml"), read_data(data))


def _leaf(res: Results, code: str, unit: str = "u") -> Fraction:
    s, i = res.find(unit)
    return Fraction(int(s.leaf_points[i, s.criteria.leaf_index[code]]), s.scale)


def _reference_leaves(tmp_path: Path) -> dict[str, dict[str, Fraction]]:
    spec = load_criteria(tmp_path / "c.yaml")
    return {u.unit: u.leaf_points for u in reference_score(spec, read_data(tmp_path / "d"))}


# -- the one rounding ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places_", "expected"),
    [
        (Fraction(585, 1000), 2, Fraction(59, 100)),  # a half goes up
        (Decimal("0.584999999"), 2, Fraction(58, 100)),
        (Decimal("0.58499999985"), 2, Fraction(58, 100)),
        (Decimal("1.49999997"), 0, Fraction(1)),
        (Decimal("1.5"), 0, Fraction(2)),
        (Decimal("-2.5"), 0, Fraction(-3)),  # halves away from zero, as Excel's ROUND
        ("88.505", 2, Fraction(8851, 100)),
        (Fraction(2, 3), 6, Fraction(666667, 10**6)),
        (7, 2, Fraction(7)),
    ],
)
def test_round_half_up_is_exact(value: Fraction | Decimal | str | int, places_: int, expected: Fraction) -> None:
    assert round_half_up(value, places_) == expected


def test_round_half_up_refuses_a_float() -> None:
    with pytest.raises(TypeError):
        round_half_up(0.585, 2)  # type: ignore[arg-type]


def test_round_units_decides_near_halves_exactly() -> None:
    p = np.array([1.5 * 0.39, 0.58499999985, 1.49999997, 0.5, 0.123])  # 1.5 × 0.39 = 0.58499999999999996
    exact = {0: Fraction(585, 1000), 1: Fraction(Decimal("0.58499999985")), 2: Fraction(Decimal("1.49999997"))}
    got = round_units(p, 2, exact.get)
    assert got.tolist() == [590000.0, 580000.0, 1500000.0, 500000.0, 120000.0]
    assert round_units(p[2:3], 0, exact.get).tolist() == [1_000_000.0]  # index 0 of the slice: 1.49999997
    assert round_units(np.array([-0.585]), 2, lambda i: Fraction(-585, 1000)).tolist() == [-590000.0]


def test_display_rounds_half_up() -> None:
    assert places("88.505") == Decimal("88.51")
    assert exact_index(88_505_000, 100_000_000) == Decimal("88.51")
    assert format_number(0.125) == "0,13" and format_fixed(88.505) == "88,51"  # binary 0.125 and 88.50499…
    assert format_number(78.024, 6) == "78,024" and format_number(2.5, 0) == "3"


# -- points the user gives stay as given -----------------------------------------------------------


def test_manual_78_024_stays_78_024(tmp_path: Path) -> None:
    res = _score(tmp_path, MANUAL, "u,1.1,\"78,024\",\n")
    assert _leaf(res, "1.1") == Fraction(78024, 1000)
    s = res.sets[0]
    assert s.total_points[0] == 78_024_000 and s.index[0] == 78.024
    assert _reference_leaves(tmp_path)["u"]["1.1"] == Fraction(78024, 1000)
    doc = to_json_dict(res)
    assert doc["units"][0]["points"] == 78.024 and doc["units"][0]["nodes"]["1.1"]["points"] == 78.024
    write_results(res, tmp_path / "out.json")
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["units"][0]["points"] == 78.024
    assert '"points": 78.024' in (tmp_path / "out.json").read_text(encoding="utf-8")
    write_results(res, tmp_path / "out.csv")
    row = pd.read_csv(tmp_path / "out.csv").iloc[0]
    assert row["points"] == 78.024 and row["points_1"] == 78.024 and row["index"] == 78.02
    assert "78.024" in (tmp_path / "out.csv").read_text(encoding="utf-8")
    e = explain(res, read_data(tmp_path / "d"), "u")
    assert summary_line(e) == "U (u): 78,024/100 điểm, chỉ số 78,02, xếp hạng 1, xếp loại —"
    assert not [p for p in res.problems if p.severity == "error"]


def test_a_claim_alone_keeps_its_decimals(tmp_path: Path) -> None:
    res = _score(tmp_path, MANUAL, "u,1.1,,\"12,3456\"\n")
    assert _leaf(res, "1.1") == Fraction(123456, 10000)
    assert _reference_leaves(tmp_path)["u"]["1.1"] == Fraction(123456, 10000)


def test_units_90_024_and_90_018_get_different_ranks(tmp_path: Path) -> None:
    res = _score(tmp_path, MANUAL, "a,1.1,\"90,024\",\nb,1.1,90.018,\n", units="a,A,so\nb,B,so\n")
    s = res.sets[0]
    ranks = dict(zip(s.units["unit"], s.rank.tolist(), strict=True))
    assert ranks == {"a": 1.0, "b": 2.0}
    spec = load_criteria(tmp_path / "c.yaml")
    assert {u.unit: u.rank for u in reference_score(spec, read_data(tmp_path / "d"))} == {"a": 1, "b": 2}
    shown = units_frame(res)
    assert shown["index"].tolist() == [90.02, 90.02] and shown["rank"].tolist() == [1, 2]


def test_index_display_is_half_up_from_the_exact_ratio(tmp_path: Path) -> None:
    nodes = "  - {code: '1', name: A, max: 200, children: [{code: '1.1', name: B, max: 200, rule: {kind: manual}}]}\n"
    res = _score(tmp_path, nodes, "u,1.1,\"177,01\",\n")  # index 88.505 exactly
    assert units_frame(res)["index"].tolist() == [88.51]  # np.round(88.505, 2) gave 88.5


def test_a_figure_finer_than_the_resolution_is_a_warning(tmp_path: Path) -> None:
    res = _score(tmp_path, MANUAL, "u,1.1,\"78,0240005\",\n")
    assert _leaf(res, "1.1") == Fraction(78024001, 10**6)  # half up at 10**-6
    [p] = [p for p in res.problems if p.reason == "points_too_fine"]
    assert p.severity == "warning" and p.criterion == "1.1" and p.unit == "u"
    assert p.message == (
        "78,0240005 điểm có nhiều hơn 6 chữ số thập phân; được tính 78,024001 điểm "
        "(làm tròn nửa lên đến 0,000001 điểm)"
    )
    assert _reference_leaves(tmp_path)["u"]["1.1"] == Fraction(78024001, 10**6)


def test_a_claim_finer_than_the_resolution_is_a_warning(tmp_path: Path) -> None:
    res = _score(tmp_path, MANUAL, "u,1.1,,0.12345649\n")
    assert _leaf(res, "1.1") == Fraction(123456, 10**6)
    [p] = [p for p in res.problems if p.reason == "points_too_fine"]
    assert p.message.startswith("0.12345649 điểm có nhiều hơn 6 chữ số thập phân; được tính 0,123456 điểm")


# -- computed results: half up to the set's precision, exactly -------------------------------------


def test_survey_shares_at_a_half_and_just_below(tmp_path: Path) -> None:
    rows = (
        "u,1.1,39%,\n"  # 1.5 × 0.39 = 0.585 (0.58499999999999996 in binary) → 0.59
        "u,1.2,\"58,49999999%\",\n"  # 0.5849999999 → 0.58 (floor(x·100 + 0.5 + 1e-7) gave 0.59)
        "u,1.3,A:117; C:83,\n"  # 117/200 = 0.585 → 0.59
        "u,1.4,A:58; B:1; C:41,\n"  # (58 + 0.5)/100 = 0.585 → 0.59
        "v,1.1,\"38,99999999%\",\n"  # 1.5 × 0.3899999999 = 0.58499999985 → 0.58
        "v,1.3,A:116; B:1; C:83,\n"  # 116.5/200 = 0.5825 → 0.58
    )
    res = _score(tmp_path, SURVEY, rows.replace(",\n", ",survey\n"), units="u,U,so\nv,V,so\n", header=SURVEY_HEADER)
    got = {u: [_leaf(res, c, u) for c in ("1.1", "1.2", "1.3", "1.4")] for u in ("u", "v")}
    assert got["u"] == [Fraction(59, 100), Fraction(58, 100), Fraction(59, 100), Fraction(59, 100)]
    assert got["v"][0] == Fraction(58, 100) and got["v"][2] == Fraction(58, 100)
    ref = _reference_leaves(tmp_path)
    assert [ref["u"][c] for c in ("1.1", "1.2", "1.3", "1.4")] == got["u"]
    assert (ref["v"]["1.1"], ref["v"]["1.3"]) == (got["v"][0], got["v"][2])


def test_precision_0_rounds_1_49999997_to_1(tmp_path: Path) -> None:
    nodes = "  - {code: '1', name: A, max: 3, children: [{code: '1.1', name: B, max: 3, rule: {kind: survey}}]}\n"
    rows = "u,1.1,\"49,999999%\",survey\nv,1.1,50%,survey\n"
    res = _score(tmp_path, nodes, rows, units="u,U,so\nv,V,so\n", extra="precision: 0\n", header=SURVEY_HEADER)
    assert (_leaf(res, "1.1", "u"), _leaf(res, "1.1", "v")) == (Fraction(1), Fraction(2))  # 1.49999997 → 1; 1.5 → 2
    ref = _reference_leaves(tmp_path)
    assert (ref["u"]["1.1"], ref["v"]["1.1"]) == (Fraction(1), Fraction(2))


def test_proportional_and_formula_round_exactly(tmp_path: Path) -> None:
    nodes = (
        "  - code: '1'\n    name: A\n    max: 3\n    children:\n"
        "      - {code: '1.1', name: B, max: 1.5, rule: {kind: proportional, target: 1}}\n"
        "      - {code: '1.2', name: C, max: 1.5, rule: {kind: formula, expr: '1.5 * x', measure: ratio}}\n"
    )
    res = _score(tmp_path, nodes, "u,1.1,39%,\nu,1.2,39%,\nv,1.1,\"38,99999999%\",\nv,1.2,\"38,99999999%\",\n", units="u,U,so\nv,V,so\n")
    assert [_leaf(res, c, u) for u in ("u", "v") for c in ("1.1", "1.2")] == [Fraction(59, 100)] * 2 + [Fraction(58, 100)] * 2
    ref = _reference_leaves(tmp_path)
    assert [ref[u][c] for u in ("u", "v") for c in ("1.1", "1.2")] == [Fraction(59, 100)] * 2 + [Fraction(58, 100)] * 2


def test_answer_counts_are_counted_exactly_in_integers() -> None:
    """The engine decides a survey result near a half from the counts in int64, all cells at once."""
    from par_index.unit_data.value_table import answer_fractions, value_table

    rows = pd.DataFrame({"unit": ["u"] * 3, "criterion": ["1.1"] * 3, "value": ["A:12; B:5; C:3", "A:117; C:83", "86%"],
                         "stage": ["self"] * 3, "points": [""] * 3})
    vt = value_table(rows)
    exact = answer_fractions(vt.counts, {"A": 1, "B": 0.6, "C": 0.2})
    assert exact is not None
    num, den = exact
    got = {str(vt.values[k]): (Fraction(int(num[k]), int(den[k])) if den[k] else None) for k in range(len(vt.values))}
    assert got == {"A:12; B:5; C:3": Fraction(78, 100), "A:117; C:83": Fraction(1336, 2000), "86%": None}
