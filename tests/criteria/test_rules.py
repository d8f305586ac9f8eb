"""Each rule kind on its own: the vectorised points, the scalar reference, the Vietnamese line.

Band edges are tested on both sides of every threshold, with the inclusive/exclusive forms
that official texts write ("từ 80% đến dưới 100%").
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from par_index.common.values import date_to_days
from par_index.criteria.rules import AnyRule, Rule
from par_index.criteria.rules.base import ratio_message

ADAPTER: TypeAdapter[Rule] = TypeAdapter(AnyRule)


def rule(**params: object) -> Rule:
    return ADAPTER.validate_python(params)


def both(r: Rule, values: list[float | None], max_points: float) -> list[float]:
    """Points by the vectorised path, checked equal to the scalar path."""
    x = np.array([np.nan if v is None else v for v in values], dtype=float)
    vec = r.points(r.prepare(x, max_points)[0], max_points)
    scalar = [r.points_scalar(None if v is None else float(np.clip(v, -1e9, 1e9)), max_points) for v in r.prepare(x, max_points)[0]]
    assert np.allclose(vec, scalar), (vec, scalar)
    return [round(float(v), 10) for v in vec]


OFFICIAL_BANDS = rule(
    kind="bands",
    bands=[
        {"from": 1.0, "points": 3},  # 100%
        {"from": 0.8, "below": 1.0, "points": 2},  # từ 80% đến dưới 100%
        {"above": 0.5, "below": 0.8, "points": 1},  # trên 50% đến dưới 80%
        {"to": 0.5, "points": 0},  # từ 50% trở xuống
    ],
)


@pytest.mark.parametrize(
    ("value", "points"),
    [
        (1.0, 3),
        (0.9999, 2),
        (0.8, 2),  # "từ 80%" includes 80%
        (0.7999, 1),
        (0.5001, 1),
        (0.5, 0),  # "trên 50%" excludes 50%
        (0.0, 0),
        (None, 0),
    ],
)
def test_bands_every_edge(value: float | None, points: float) -> None:
    assert both(OFFICIAL_BANDS, [value], 3) == [points]


def test_bands_percent_text_hits_the_edge_exactly() -> None:
    """'80%' read from text is exactly the threshold 0.8 (80 / 100 is the double nearest 0.8)."""
    from pandas import Series

    from par_index.common.values import parse_numbers

    x, pct = parse_numbers(Series(["80%", "80,0%", "0.8", "79,99%"]))
    assert list(pct) == [True, True, False, True]
    assert both(OFFICIAL_BANDS, list(x), 3) == [2, 2, 2, 1]


def test_bands_describe_in_official_words() -> None:
    assert OFFICIAL_BANDS.describe(3) == (
        "từ 100% trở lên: 3 điểm; từ 80% đến dưới 100%: 2 điểm; trên 50% đến dưới 80%: 1 điểm; từ 50% trở xuống: 0 điểm"
    )


def test_bands_ratio_above_100_is_an_error_scored_0() -> None:
    """Issue 10 item 3: a ratio above 1 was clamped to 100 % (full points) with a warning."""
    x, issues = OFFICIAL_BANDS.prepare(np.array([1.2, 0.9]), 3)
    assert np.isnan(x[0]) and x[1] == 0.9
    assert OFFICIAL_BANDS.points(x, 3).tolist() == [0.0, 2.0]
    assert [(i.reason, i.severity) for i in issues] == [("value_above_100", "error")]
    assert ratio_message("120%") == "120% vượt quá 100%; tỷ lệ phải từ 0% đến 100%; được tính 0 điểm"
    assert ratio_message("85") == "85 — có phải 85%? Tỷ lệ ghi dạng 85% hoặc số từ 0 đến 1; được tính 0 điểm"


def test_bands_count_measure_and_ascending_order() -> None:
    r = rule(kind="bands", measure="count", bands=[{"below": 1, "points": 0}, {"from": 1, "below": 3, "points": 0.5}, {"from": 3, "points": 1}])
    assert both(r, [0, 1, 2, 3, 10], 1) == [0, 0.5, 0.5, 1, 1]
    assert r.check(None) == []


@pytest.mark.parametrize(
    ("bands", "fragment"),
    [
        ([{"above": 0.9, "points": 2}, {"from": 0.7, "below": 0.9, "points": 1}], "không thuộc khoảng nào"),
        ([{"from": 0.9, "points": 2}, {"from": 0.7, "to": 0.9, "points": 1}], "thuộc cả hai khoảng"),
        ([{"from": 0.9, "points": 2}, {"from": 0.7, "to": 0.95, "points": 1}], "chồng lên nhau"),
        ([{"from": 0.9, "points": 2}, {"from": 0.5, "below": 0.7, "points": 1}], "khoảng trống"),
        ([{"from": 0.7, "below": 0.9, "points": 1}, {"from": 0.9, "points": 2}, {"below": 0.7, "points": 0}], "không theo thứ tự"),
        ([{"from": 0.9, "points": 5}], "lớn hơn điểm tối đa"),
    ],
)
def test_bands_checked_at_load(bands: list[dict[str, object]], fragment: str) -> None:
    from decimal import Decimal

    problems = rule(kind="bands", bands=bands).check(Decimal(2))
    assert any(fragment in msg for _, msg in problems), problems


def test_a_parameter_above_the_maximum_says_so_in_one_wording() -> None:
    from decimal import Decimal

    assert rule(kind="bands", bands=[{"from": 0, "points": 5}]).check(Decimal(2)) == [("bands[1].points", "5 điểm lớn hơn điểm tối đa 2")]
    assert rule(kind="per_item", each=1, cap=3).check(Decimal(2)) == [("cap", "mức trần 3 điểm lớn hơn điểm tối đa 2")]
    # numbers with a decimal comma (were 5.0, 3.0, 2.5)
    assert rule(kind="bands", bands=[{"from": 0, "points": 0.75}]).check(Decimal("0.5")) == [("bands[1].points", "0,75 điểm lớn hơn điểm tối đa 0,5")]
    late = rule(kind="deadline", due="14/01/2024", late_until=dt.date(2024, 1, 31), late_points=2.5)
    assert late.check(Decimal(2)) == [("late_points", "điểm nộp muộn 2,5 lớn hơn điểm tối đa 2")]


def test_band_with_both_lower_edges_is_refused() -> None:
    with pytest.raises(ValidationError, match="chỉ có một cận dưới"):
        rule(kind="bands", bands=[{"from": 0.5, "above": 0.5, "points": 1}])


def days(y: int, m: int, d: int) -> float:
    return date_to_days(dt.date(y, m, d))


def test_deadline_on_time_late_and_missing() -> None:
    r = rule(kind="deadline", due="14/01/2024", late_until=dt.date(2024, 1, 31), late_points=0.5)
    got = both(r, [days(2024, 1, 13), days(2024, 1, 14), days(2024, 1, 15), days(2024, 1, 31), days(2024, 2, 1), None], 1)
    assert got == [1, 1, 0.5, 0.5, 0, 0]
    assert r.describe(1) == (
        "Hoàn thành đến hết ngày 14/01/2024: 1 điểm; đến hết ngày 31/01/2024: 0,5 điểm; muộn hơn hoặc không có: 0 điểm"
    )


def test_deadline_without_late_window() -> None:
    r = rule(kind="deadline", due="2024-02-29")
    assert both(r, [days(2024, 2, 29), days(2024, 3, 1)], 2) == [2, 0]


def test_yes_no() -> None:
    r = rule(kind="yes_no")
    assert both(r, [1, 0, None], 1.5) == [1.5, 0, 0]
    assert r.describe(1.5) == "Có: 1,5 điểm; không: 0 điểm"


def test_proportional_with_floor_and_clamp() -> None:
    r = rule(kind="proportional", target=0.95, floor=0.5)
    assert both(r, [0.95, 1.0, 0.76, 0.4999, 0.5, None], 2) == [2, 2, 1.6, 0, round(2 * 0.5 / 0.95, 10), 0]


def test_per_item_capped() -> None:
    r = rule(kind="per_item", each=0.25, cap=0.75)
    assert both(r, [0, 1, 2, 3, 4, 100], 1) == [0, 0.25, 0.5, 0.75, 0.75, 0.75]
    assert r.describe(1) == "0,25 điểm cho mỗi lần, tối đa 0,75 điểm"


def test_per_item_counts_are_whole() -> None:
    r = rule(kind="per_item", each=0.5)
    x, issues = r.prepare(np.array([2.5, -1.0]), 2)
    assert x[0] == 2.0 and np.isnan(x[1])  # a negative count is an error, scored 0 (not read as 0)
    assert sorted((i.reason, i.severity) for i in issues) == [("value_negative", "error"), ("value_not_whole", "warning")]


def test_manual_step_and_max() -> None:
    r = rule(kind="manual", step=0.25)
    x, issues = r.prepare(np.array([0.75, 0.8, 1.5]), 1)
    assert list(x) == [0.75, 0.75, 1.0]
    assert sorted(i.reason for i in issues) == ["points_above_max", "points_not_on_step"]
    msg = next(i for i in issues if i.reason == "points_above_max").message
    assert msg.format(value="1,5", max="1") == "1,5 điểm vượt quá điểm tối đa 1"


def test_survey_share_and_answer_table() -> None:
    r = rule(kind="survey", answers={"A": 1, "B": 0.6, "C": 0.2, "D": 0, "E": 0})
    share = r.parse_text("A:120; B:40; C:15; D:5; E:0")
    assert share == pytest.approx((120 + 24 + 3) / 180)
    assert r.parse_text("A=1, b=1") == pytest.approx(0.8)
    assert r.parse_text("A:1; Z:3") is None  # unknown answer
    assert r.parse_text("A:0; B:0") is None  # no answers at all
    assert both(r, [0.86, 1.0], 2) == [1.72, 2]


@pytest.mark.parametrize(
    ("text", "share", "exact"),
    [
        ("A:120; B:40; C:15; D:5; E:0", (120 + 24 + 3) / 180, Fraction(147, 180)),
        ("a=1, B = 1;", 0.8, Fraction(4, 5)),
        ("86%", None, Fraction(86, 100)),  # not answer counts: read as a number by exact_value
        ("0,5", None, Fraction(1, 2)),
        ("Z:3; A:1", None, None),  # first pair unknown, and not a number either
        ("A:1; Z:3", None, None),  # counts that break after the first pair: never a number
        ("A:1; 86%", None, None),
        ("A:0; B:0", None, None),  # no answers at all
        ("", None, None),
        (" ; ", None, None),
    ],
)
def test_survey_counts_are_read_once_for_both_paths(text: str, share: float | None, exact: Fraction | None) -> None:
    # parse_text (float) and exact_value (Fraction) share one answer-count parser
    r = rule(kind="survey", answers={"A": 1, "B": 0.6, "C": 0.2, "D": 0, "E": 0})
    assert r.parse_text(text) == share
    assert r.exact_value(text) == exact


@pytest.mark.parametrize(
    ("expr", "values", "points"),
    [
        ("2 * min(1, x / 0.9)", [0.9, 0.45, 1.2], [2, 1, 2]),
        ("piecewise((1, x >= 0.95), (x / 0.95, True))", [0.95, 0.475], [1, 0.5]),
        ("piecewise((2, 0.8 <= x < 1), (3, x >= 1), (0, True))", [0.8, 0.99, 1, 0.79], [2, 2, 3, 0]),
        ("floor(x) * 0.5 + ceil(0.2)", [2.7], [2]),
        ("sqrt(x) + abs(-1) - max(0, 1, x) ** 2", [4.0], [0]),
        ("x - 5", [2.0], [0]),
    ],
)
def test_formula(expr: str, values: list[float], points: list[float]) -> None:
    r = rule(kind="formula", expr=expr)
    assert both(r, values, 3) == points


def test_bonus_and_penalty_signs_and_caps() -> None:
    b = rule(kind="bonus", cap=1, each=0.5)
    p = rule(kind="penalty", cap=2)
    assert b.sign == 1 and p.sign == -1
    assert both(b, [0, 1, 3], 0) == [0, 0.5, 1]
    assert both(p, [0.5, 5], 0) == [0.5, 2]
    assert p.describe(0) == "Điểm trừ tối đa 2 điểm (ngoài tổng điểm tối đa)"


def test_unknown_parameter_is_refused() -> None:
    with pytest.raises(ValidationError):
        rule(kind="yes_no", points=1)


def test_every_registered_rule_kind_has_ladder_levels_and_an_excel_formula() -> None:
    # A new kind in criteria.rules must say how planning climbs it and how the workbook scores it.
    from par_index.criteria.rules import RULES
    from par_index.planning.ladder import LEVELS
    from par_index.workbook.formulas import EXCEL

    assert set(RULES) == set(LEVELS) == set(EXCEL)
    assert len(RULES) == 10
