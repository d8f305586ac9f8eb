"""Recipes (issue 11 item 7): the recipe's own content is sealed, its inputs are exactly the files
the replay reads, and a malformed recipe is exit 2 naming the field, never an internal error."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.paths import TESTS

from par_index.cli.main import main
from par_index.planning.recipe import seal

HERE = TESTS / "data"


def _recorded(tmp: Path) -> Path:
    """A recipe written by `whatif --scenario … --out` over a copy of the mini data."""
    shutil.copytree(HERE / "mini", tmp / "mini")
    (tmp / "planning").mkdir()
    shutil.copy(HERE / "planning" / "scenario.yaml", tmp / "planning" / "scenario.yaml")
    out = tmp / "out" / "w.json"
    assert main(["whatif", "--scenario", str(tmp / "planning" / "scenario.yaml"), "--out", str(out)]) == 0
    return out.with_name("w.json.recipe.json")


def _replay(recipe: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["whatif", "--replay", str(recipe)])
    captured = capsys.readouterr()
    return code, " ".join((captured.out + captured.err).split())


def _edit(recipe: Path, change: Callable[[dict[str, Any]], None], reseal: bool = False) -> None:
    doc = json.loads(recipe.read_text("utf-8"))
    change(doc)
    if reseal:
        doc["seal"] = seal(doc)
    recipe.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def test_recipe_is_sealed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = _recorded(tmp_path)
    doc = json.loads(recipe.read_text("utf-8"))
    assert doc["format"] == "par-index-recipe/2"
    assert sorted(doc["seal"]["fields"]) == sorted(["format", "par_index_version", "name", "stage", "criteria", "data", "inputs", "overrides"])
    assert _replay(recipe, capsys)[0] == 0


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d.update(stage="self"), "giai đoạn ('stage')"),
        (lambda d: d["overrides"][0].update(value="50%"), "các thay đổi ('overrides')"),
        (lambda d: d.update(data="../mini/other"), "đường dẫn dữ liệu ('data')"),
        (lambda d: d.update(par_index_version="0.0.1"), "phiên bản par-index ('par_index_version')"),
        (lambda d: d["inputs"].pop(), "danh sách tệp đầu vào ('inputs')"),
        (lambda d: d.update(name="khác", stage="self"), "tên kịch bản ('name'), giai đoạn ('stage')"),
    ],
    ids=["stage", "override", "data", "version", "input-dropped", "two-fields"],
)
def test_edited_recipe_refused_naming_what_differs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Callable[[dict[str, Any]], None], named: str
) -> None:
    recipe = _recorded(tmp_path)
    _edit(recipe, change)
    code, text = _replay(recipe, capsys)
    assert code == 2, text
    assert f"tệp công thức đã bị sửa sau khi ghi: {named} khác với lúc ghi" in text


def test_data_pointing_at_other_data_refused_even_when_resealed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = _recorded(tmp_path)
    other = tmp_path / "mini" / "other"
    shutil.copytree(tmp_path / "mini" / "data", other)
    (other / "assessments.csv").write_text((other / "assessments.csv").read_text("utf-8").replace("93%", "50%"), encoding="utf-8")
    _edit(recipe, lambda d: d.update(data="../mini/other"), reseal=True)
    code, text = _replay(recipe, capsys)
    assert code == 2, text
    assert "tệp '../mini/other/assessments.csv' được đọc khi chạy lại nhưng không có trong danh sách đầu vào" in text
    assert "tệp đầu vào '../mini/data/assessments.csv' không thuộc tiêu chí hay dữ liệu của công thức" in text


def test_empty_inputs_refused_even_when_resealed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = _recorded(tmp_path)
    _edit(recipe, lambda d: d.update(inputs=[]), reseal=True)
    code, text = _replay(recipe, capsys)
    assert code == 2, text
    assert "danh sách tệp đầu vào ('inputs') trống" in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "tệp công thức không phải JSON hợp lệ (Expecting property name enclosed in double quotes, cột 2)"),
        ("[1, 2]", "không phải tệp công thức của par-index"),
        ('{"format": "par-index-recipe/1"}', "công thức định dạng 'par-index-recipe/1' (cần 'par-index-recipe/2'"),
        ('{"format": "par-index-recipe/2"}', "trường 'criteria' thiếu: cần danh sách đường dẫn tệp tiêu chí"),
        ('{"format": "par-index-recipe/2", "name": 3, "stage": "final", "criteria": "a.yaml", "data": ["x"], "inputs": "all",'
         ' "overrides": {}, "par_index_version": "1", "seal": {}}', "trường 'name' sai kiểu (int): cần một chuỗi"),
        ('{"format": "par-index-recipe/2", "name": "n", "stage": "final", "criteria": ["a.yaml"], "data": "d", "inputs": [{"path": 1}],'
         ' "overrides": [7], "par_index_version": "1", "seal": {"sha256": "x", "fields": {}}}', "mục thứ 1 của 'inputs' cần đúng hai khóa"),
        ('{"format": "par-index-recipe/2", "overrides": NaN}', "'NaN' không phải là giá trị JSON hợp lệ trong công thức"),
        (b"\xff\xfe{}", "tệp công thức không phải JSON hợp lệ (không phải văn bản UTF-8, byte thứ 1)"),
    ],
    ids=["not-json", "a-list", "old-format", "missing-keys", "wrong-types", "bad-items", "nan", "not-utf8"],
)
def test_malformed_recipe_is_exit_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, message: str) -> None:
    recipe = tmp_path / "r.recipe.json"
    recipe.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    code, text = _replay(recipe, capsys)
    assert code == 2, text
    assert message in text
    assert "Lỗi nội bộ" not in text
