"""Items 6 and 8 of issue 11: an output that is an input of the run is refused before any work;
YAML aliases are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.paths import DATA

from par_index.cli.main import main


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    shutil.copytree(DATA / "mini", tmp_path / "mini")
    return tmp_path / "mini"


@pytest.mark.parametrize(("target", "flag"), [("data/assessments.csv", "--data"), ("criteria.yaml", "--criteria"), ("data", "--data")])
def test_out_that_is_an_input_is_refused(mini: Path, target: str, flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p: p.read_bytes() for p in mini.rglob("*") if p.is_file()}
    code = main(["score", "--criteria", str(mini / "criteria.yaml"), "--data", str(mini / "data"), "--out", str(mini / target)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"--out trỏ vào đầu vào của chính lệnh này ({flag})" in err
    assert {p: p.read_bytes() for p in mini.rglob("*") if p.is_file()} == before


def test_out_beside_the_inputs_is_written(mini: Path) -> None:
    out = mini / "data" / "r.json"
    for _ in range(2):  # the second run replaces the first's output
        assert main(["score", "--criteria", str(mini / "criteria.yaml"), "--data", str(mini / "data"), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("{")
    assert sorted(p.name for p in (mini / "data").iterdir()) == ["assessments.csv", "r.json", "units.csv"]  # no temporary file left


def test_yaml_alias_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    crit = (DATA / "mini" / "criteria.yaml").read_text(encoding="utf-8")
    crit = crit.replace('agencies:', 'lol: &a ["x", "x"]\nmore: [*a, *a]\nagencies:')
    path = tmp_path / "c.yaml"
    path.write_text(crit, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    assert "tệp dùng bí danh YAML (&tên … *tên) — không được phép" in capsys.readouterr().err
