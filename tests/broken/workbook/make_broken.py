"""Regenerate the broken self-assessment workbooks of this folder (see expected.yaml).

Run from the repository root: ``.venv/bin/python tests/broken/workbook/make_broken.py``.
Each file is the mini set's workbook for unit so-a, prefilled from tests/data/mini/data, with
one deliberate fault typed in by openpyxl.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from par_index.criteria.compiled import load
from par_index.pipeline import read_data
from par_index.workbook.layout import MAIN_SHEET
from par_index.workbook.template import UnitInfo, prefill_from_data, write_workbook

HERE = Path(__file__).parent
REPO = HERE.parents[2]


def typed_formula(ws: Worksheet) -> None:
    ws["E13"] = "=0.5+0.5"  # 1.2: a formula typed into the value cell


def ratio_above_100(ws: Worksheet) -> None:
    ws["E13"] = 1.2  # 1.2 is a ratio cell (percent format): 120%


def unknown_code(ws: Worksheet) -> None:
    ws["A14"] = "1.9"  # the row of 1.3 (value "có") now names a criterion that does not exist


def missing_header(ws: Worksheet) -> None:
    ws["E10"] = None  # the value column's header is gone


def missing_unit(ws: Worksheet) -> None:
    ws["B3"] = None  # no unit id in the header block


def date_as_text(ws: Worksheet) -> None:
    ws["E12"] = "10/01/2024"  # a deadline typed as text: Excel cannot compute it


CASES: dict[str, Callable[[Worksheet], None]] = {
    "typed_formula.xlsx": typed_formula,
    "ratio_above_100.xlsx": ratio_above_100,
    "unknown_code.xlsx": unknown_code,
    "missing_header.xlsx": missing_header,
    "missing_unit.xlsx": missing_unit,
    "date_as_text.xlsx": date_as_text,
}


def main() -> None:
    c = load(REPO / "tests/data/mini/criteria.yaml")
    data = read_data(REPO / "tests/data/mini/data")
    for name, fault in CASES.items():
        path = HERE / name
        write_workbook(c, UnitInfo("so-a", "Sở A (tổng hợp)", "so"), path, prefill_from_data(c, data, "so-a"))
        wb = openpyxl.load_workbook(path)
        fault(wb[MAIN_SHEET])
        wb.save(path)


if __name__ == "__main__":
    main()
