"""What-if scenarios: overrides, strict scenario files, and replaying a recipe to the same numbers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.paths import TESTS

from par_index.cli.main import main
from par_index.criteria.compiled import load
from par_index.errors import InputError
from par_index.pipeline import read_data
from par_index.planning.scenario import load_scenario, run_whatif

HERE = TESTS / "data"
SCENARIO = HERE / "planning" / "scenario.yaml"


def test_scenario_numbers() -> None:
    sc = load_scenario(SCENARIO)
    w = run_whatif(sc.name, [load(p) for p in sc.criteria], read_data(sc.data), sc.stage, sc.overrides)
    rows = {r.unit: r for g in w.groups() for r in g.rows}
    b = rows["so-b"]
    # so-b: 1.2 now 3 of 3 (95% > 90%), 1.3 done: 4.72 + 3 + 1 = 8.72 of 11 (1.4 is na)
    assert (b.base.points, b.new.points) == (4.72, 8.72)
    assert round(b.new.index, 6) == round(8.72 / 11 * 100, 6)
    assert (b.base.band, b.new.band) == ("Trung bình", "Tốt")  # 79.27 ≥ the new 75 for Tốt
    a = rows["so-a"]
    # so-a keeps 10.02 points, but 1.2 is worth 3 now and so-a's 93% earns the top band
    assert (a.base.points, a.new.points, a.new.rank) == (10.02, 11.02, 1)
    assert w.notes == ["điểm tối đa của 1 đổi từ 6 thành 7 theo tiêu chí 1.2"]
    assert [r.unit for g in w.groups() for r in g.rows if r.changed] == ["so-a", "so-b", "h-c"]


def test_scenario_file_errors_name_lines() -> None:
    with pytest.raises(InputError) as err:
        load_scenario(HERE / "planning" / "scenario_broken.yaml")
    assert [str(p) for p in err.value.problems] == [
        f"{HERE / 'planning' / 'scenario_broken.yaml'} dòng 5, trường 'baseline.stag': khóa 'stag' không có trong định dạng của 'baseline' (criteria, data, stage); hãy xóa hoặc sửa chính tả",
        f"{HERE / 'planning' / 'scenario_broken.yaml'} dòng 7, tiêu chí 1.2, trường 'valeu': khóa 'valeu' không dùng được trong thay đổi này (các khóa: unit, criterion, value, points)",
    ]


def test_scenario_criteria_change_revalidated() -> None:
    sc = load_scenario(HERE / "planning" / "scenario_bad_max.yaml")
    with pytest.raises(InputError) as err:
        run_whatif(sc.name, [load(p) for p in sc.criteria], read_data(sc.data), sc.stage, sc.overrides)
    f = HERE / "planning" / "scenario_bad_max.yaml"
    assert [str(p) for p in err.value.problems] == [
        f"{f} dòng 6, tiêu chí 1.2, trường 'rule.bands[1].points': 2 điểm lớn hơn điểm tối đa 1",
        f"{f} dòng 7, tiêu chí 7.7: tiêu chí '7.7' không có trong bộ tiêu chí đã nạp",
    ]


def _copy_inputs(tmp: Path) -> Path:
    shutil.copytree(HERE / "mini", tmp / "mini")
    (tmp / "planning").mkdir()
    shutil.copy(SCENARIO, tmp / "planning" / "scenario.yaml")
    return tmp / "planning" / "scenario.yaml"


def test_replay_gives_identical_numbers(tmp_path: Path) -> None:
    sc = _copy_inputs(tmp_path)
    out = tmp_path / "out" / "w.json"
    assert main(["whatif", "--scenario", str(sc), "--out", str(out)]) == 0
    recipe = out.with_name("w.json.recipe.json")
    doc = json.loads(recipe.read_text(encoding="utf-8"))
    assert doc["criteria"] == ["../mini/criteria.yaml"] and doc["data"] == "../mini/data"
    assert [i["path"] for i in doc["inputs"]] == ["../mini/criteria.yaml", "../mini/data/assessments.csv", "../mini/data/units.csv"]
    again = tmp_path / "out" / "again.json"
    assert main(["whatif", "--replay", str(recipe), "--out", str(again)]) == 0
    first, second = json.loads(out.read_text("utf-8")), json.loads(again.read_text("utf-8"))
    assert first["units"] == second["units"]
    assert [u["scenario"]["points"] for u in second["units"]] == [11.02, 8.72, 8.4]


def test_replay_refuses_changed_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = _copy_inputs(tmp_path)
    out = tmp_path / "w.json"
    assert main(["whatif", "--scenario", str(sc), "--out", str(out)]) == 0
    data = tmp_path / "mini" / "data" / "assessments.csv"
    data.write_text(data.read_text("utf-8").replace("so-a,1.2,93%", "so-a,1.2,50%"), encoding="utf-8")
    capsys.readouterr()
    assert main(["whatif", "--replay", str(tmp_path / "w.json.recipe.json")]) == 2
    err = capsys.readouterr().err
    assert "tệp đầu vào 'mini/data/assessments.csv' đã thay đổi kể từ khi ghi công thức" in " ".join(err.split())


def test_set_on_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "w.json"
    args = ["whatif", "--criteria", str(HERE / "mini" / "criteria.yaml"), "--data", str(HERE / "mini" / "data"), "--set", "so-b:1.2=95%", "--out", str(out)]
    assert main(args) == 0
    units = {u["unit"]: u for u in json.loads(out.read_text("utf-8"))["units"]}
    assert (units["so-b"]["baseline"]["points"], units["so-b"]["scenario"]["points"]) == (4.72, 6.72)
    assert main(["whatif", "--criteria", str(HERE / "mini" / "criteria.yaml"), "--data", str(HERE / "mini" / "data"), "--set", "so-b-1.2"]) == 2
    assert "không đúng dạng ĐƠN_VỊ:TIÊU_CHÍ=GIÁ_TRỊ" in capsys.readouterr().err


def test_an_output_it_cannot_write_is_refused_before_the_recipe_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["whatif", "--criteria", str(HERE / "mini" / "criteria.yaml"), "--data", str(HERE / "mini" / "data"), "--set", "so-b:1.2=95%", "--out", str(tmp_path / "w.pdf")]
    assert main(args) == 2
    assert "không hỗ trợ định dạng '.pdf'; dùng .json hoặc .html" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # was: w.pdf.recipe.json written, then the refusal


def test_set_on_a_survey_leaf_sets_the_survey_value(tmp_path: Path) -> None:
    """A survey leaf's value is Sở Nội vụ's: ``--set`` gives it as a survey row (a self row there
    is never counted, which made the scenario drop so-b's 1,72 survey points instead of adding 0,28)."""
    out = tmp_path / "w.json"
    args = ["whatif", "--criteria", str(HERE / "mini" / "criteria.yaml"), "--data", str(HERE / "mini" / "data"), "--set", "so-b:3.1=100%", "--out", str(out)]
    assert main(args) == 0
    units = {u["unit"]: u for u in json.loads(out.read_text("utf-8"))["units"]}
    assert (units["so-b"]["baseline"]["points"], units["so-b"]["scenario"]["points"]) == (4.72, 5.0)


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [  # issue 10 items 4 and 3: scored 0 (or full points) with exit 0 before
        ("so-a:2.1=abc", "so-a:2.1=abc: không đọc được giá trị 'abc': cần một số (ví dụ 0,5 hoặc 93%)"),
        ("so-a:1.1=hôm qua", "không đọc được giá trị 'hôm qua': cần một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd"),
        ("so-a:2.1=85", "so-a:2.1=85: 85 — có phải 85%?"),
        ("so-a:2.1=120%", "120% vượt quá 100%"),
        ("so-a:9.9=1", "--set, đơn vị so-a, tiêu chí 9.9: tiêu chí thành phần '9.9' không có trong bộ tiêu chí"),
    ],
)
def test_set_refuses_a_value_the_rule_cannot_score(setting: str, fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["whatif", "--criteria", str(HERE / "mini" / "criteria.yaml"), "--data", str(HERE / "mini" / "data"), "--set", setting]
    assert main(args) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert fragment in err
    assert "được tính 0 điểm" not in err  # refused (exit 2), not scored
    assert "Traceback" not in err


def test_whatif_html(tmp_path: Path) -> None:
    sc = _copy_inputs(tmp_path)
    out = tmp_path / "w.html"
    assert main(["whatif", "--scenario", str(sc), "--out", str(out)]) == 0
    html = out.read_text("utf-8")
    assert "Kịch bản giả định — Sở B hoàn thành kế hoạch" in html
    assert "4,72 → 8,72" in html and "Trung bình → Tốt" in html
