"""Broken self-assessment workbooks give exact messages that point at the sheet and cell."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.paths import TESTS

from par_index.cli.main import main
from par_index.criteria.compiled import load
from par_index.errors import InputError
from par_index.pipeline import read_data
from par_index.scoring.engine import score
from par_index.workbook.layout import MAIN_SHEET
from par_index.workbook.reader import accepts as _registers_reader  # noqa: F401

HERE = TESTS / "broken" / "workbook"
CRITERIA = TESTS / "data" / "mini" / "criteria.yaml"
EXPECTED = yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))


def test_every_broken_workbook_is_listed() -> None:
    assert {p.name for p in HERE.glob("*.xlsx")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if "problems" in EXPECTED[n]))
def test_broken_workbook_problems(name: str) -> None:
    results = score(load(CRITERIA), read_data(HERE / name), "self")
    got = [(p.reason, p.cell, p.criterion, p.severity, p.message) for p in results.problems]
    want = [(e["reason"], e["cell"], e["criterion"], e["severity"], e["text"]) for e in EXPECTED[name]["problems"]]
    assert sorted(got) == sorted(want)
    for p in results.problems:
        if p.cell:
            assert p.file == f"{name}[{MAIN_SHEET}]"  # named relative to the data folder
            assert f"[{MAIN_SHEET}] ô {p.cell}, đơn vị so-a" in p.where()


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if "input_error" in EXPECTED[n]))
def test_broken_workbook_cannot_be_used(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InputError) as info:
        read_data(HERE / name)
    got = [(p.reason, p.cell, p.message) for p in info.value.problems]
    assert got == [(e["reason"], e["cell"], e["text"]) for e in EXPECTED[name]["input_error"]]
    code = main(["score", "--criteria", str(CRITERIA), "--data", str(HERE / name)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err


def test_typed_formula_is_not_evaluated() -> None:
    """=0.5+0.5 would be 100% (2 points): the leaf scores 0 because the formula is ignored."""
    results = score(load(CRITERIA), read_data(HERE / "typed_formula.xlsx"), "self")
    s, i = results.find("so-a")
    assert s.leaf_points[i, s.criteria.leaf_index["1.2"]] == 0.0
    assert s.status[i, s.criteria.leaf_index["1.2"]] == "missing"


def test_date_typed_as_text_scores_0_as_in_the_form() -> None:
    """10/01/2024 typed as text: the form's formulas count 0, so the engine does too (issue 10,
    item 8; it gave 2 points before, so the form's total and the engine's differed)."""
    results = score(load(CRITERIA), read_data(HERE / "date_as_text.xlsx"), "self")
    s, i = results.find("so-a")
    assert s.leaf_points[i, s.criteria.leaf_index["1.1"]] == 0.0
    assert next((p.reason, p.cell, p.severity) for p in results.problems if p.criterion == "1.1") == ("value_is_text", "E12", "error")


def test_folder_of_workbooks_skips_other_spreadsheets(tmp_path: Path) -> None:
    import shutil

    import openpyxl

    shutil.copy(HERE / "ratio_above_100.xlsx", tmp_path / "so-a.xlsx")
    other = openpyxl.Workbook()
    other.save(tmp_path / "notes.xlsx")
    data = read_data(tmp_path)
    assert list(data.units["unit"]) == ["so-a"]
    (p,) = data.problems
    assert (p.reason, p.file, p.severity) == ("file_not_read", "notes.xlsx", "warning")
    assert p.message.startswith("tệp 'notes.xlsx' trong thư mục dữ liệu không được đọc: không phải phiếu tự đánh giá (không có trang «Tự đánh giá»)")
