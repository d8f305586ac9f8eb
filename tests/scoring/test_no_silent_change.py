"""Issue 10: values that were scored as something else without an error.

Each test reproduces one report (it failed before the fix): the data is written in a temporary
folder, scored by the engine (and by the reference scorer where the semantics are shared).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from par_index.criteria.compiled import load
from par_index.pipeline import read_data
from par_index.scoring.engine import Results, score
from par_index.testing.reference import score as reference_score

HEAD = "id: t\ntitle: t\nyear: 2024\nunit_kinds: {so: Sở}\nprovenance: illustrative\n"


def _score(tmp_path: Path, nodes: str, rows: str, units: str = "u,U,so\n", extra: str = "") -> Results:
    (tmp_path / "c.yaml").write_text(HEAD + extra + "nodes:\n" + nodes, encoding="utf-8")
    data = tmp_path / "d"
    data.mkdir(exist_ok=True)
    (data / "units.csv").write_text("unit,name,kind\n" + units, encoding="utf-8")
    (data / "assessments.csv").write_text("unit,criterion,value,points\n" + rows, encoding="utf-8")
    return score(load(tmp_path / "c.yaml"), read_data(data))


def _points(res: Results, unit: str = "u") -> float:
    s, i = res.find(unit)
    return float(s.points()[i])


def _leaf(res: Results, code: str, unit: str = "u") -> float:
    s, i = res.find(unit)
    return float(s.leaf_points[i, s.criteria.leaf_index[code]] / s.scale)


def _reference(tmp_path: Path) -> dict[str, object]:
    from par_index.criteria.loader import load_criteria

    spec = load_criteria(tmp_path / "c.yaml")
    return {u.unit: u for u in reference_score(spec, read_data(tmp_path / "d"))}


BONUS_PENALTY = (
    "  - {code: '1', name: A, max: 10, children: [{code: '1.1', name: B, max: 10, rule: {kind: manual}}]}\n"
    "  - code: '9'\n    name: Thưởng, trừ\n    children:\n"
    "      - {code: '9.1', name: Thưởng, rule: {kind: bonus, cap: 1}}\n"
    "      - {code: '9.2', name: Trừ, rule: {kind: penalty, cap: 1}}\n"
    "      - {code: '9.3', name: Trừ mỗi lần, rule: {kind: penalty, cap: 2, each: 0.5}}\n"
)


def test_signed_penalty_and_bonus_are_magnitudes(tmp_path: Path) -> None:
    """Item 5: a penalty written -0,5 (as the example writes claims) scored 0 with a warning."""
    res = _score(tmp_path, BONUS_PENALTY, 'u,1.1,8,\nu,9.1,"-0,25",\nu,9.2,"-0,5",\nu,9.3,-2,\n')
    assert (_leaf(res, "9.1"), _leaf(res, "9.2"), _leaf(res, "9.3")) == (0.25, -0.5, -1.0)
    assert _points(res) == 6.75
    assert not [p for p in res.problems if p.reason == "value_negative"]
    ref = _reference(tmp_path)["u"]
    assert ref.total_points == res.sets[0].total_points[0] / res.sets[0].scale  # type: ignore[attr-defined]


RATIO = "  - {code: '1', name: A, max: 2, children: [{code: '1.1', name: B, max: 2, rule: {kind: proportional, target: 0.9}}]}\n"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("85", "85 — có phải 85%? Tỷ lệ ghi dạng 85% hoặc số từ 0 đến 1; được tính 0 điểm"),
        ("120%", "120% vượt quá 100%; tỷ lệ phải từ 0% đến 100%; được tính 0 điểm"),
        ("1,5", "1,5 — có phải 1,5%? Tỷ lệ ghi dạng 1,5% hoặc số từ 0 đến 1; được tính 0 điểm"),
    ],
)
def test_ratio_above_one_is_an_error_scored_0(tmp_path: Path, value: str, message: str) -> None:
    """Item 3: ``85`` (meant 85 %) or ``120%`` scored full points with a warning and exit 0."""
    res = _score(tmp_path, RATIO, f'u,1.1,"{value}",\n')
    assert _points(res) == 0.0
    (p,) = [p for p in res.problems if p.reason == "value_above_100"]
    assert (p.severity, p.message, p.line, p.unit, p.criterion) == ("error", message, 2, "u", "1.1")
    assert _reference(tmp_path)["u"].total_points == 0  # type: ignore[attr-defined]
