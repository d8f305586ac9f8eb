"""Where a workbook's evidence problems point: a cell of the form, never a CSV's "dòng 1"."""

from __future__ import annotations

import csv
from pathlib import Path

from support.paths import REPO

from par_index.cli.main import main

CRITERIA = [REPO / "criteria/bac-giang/2024/so.yaml", REPO / "criteria/bac-giang/2024/huyen.yaml"]
DATA = REPO / "evidence/bac-giang/2024"


def test_files_not_shipped_with_a_form_point_at_its_first_document_cell(tmp_path: Path) -> None:
    crit = [a for p in CRITERIA for a in ("--criteria", str(p))]
    form = tmp_path / "phieu.xlsx"
    assert main(["template", *crit, "--unit", "so-noi-vu", "--data", str(DATA), "--out", str(form)]) == 0
    problems = tmp_path / "p.csv"
    assert main(["score", *crit, "--data", str(form), "--problems", str(problems), "--out", str(tmp_path / "r.json")]) == 0
    rows = list(csv.reader(problems.read_text("utf-8-sig").splitlines()))
    absent = [r for r in rows if r[1] == "evidence_files_absent"]
    # level, reason, file, line, cell, unit, criterion, field, message
    assert [r[:8] for r in absent] == [["lưu ý", "evidence_files_absent", "phieu.xlsx[Tự đánh giá]", "", "G13", "", "", "file"]]
    assert absent[0][8].startswith("không tìm thấy tệp nào trong 58 tệp đính kèm được ghi ở cột file")
