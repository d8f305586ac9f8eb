"""Reading the appraisal tables found beside the unit data: records (``appraisals.csv``, the
appraisal workbooks, ``assessments.csv`` appraisal rows), explanations and survey answers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from par_index.appraisal import survey
from par_index.appraisal.records import (
    APPRAISAL_COLUMNS,
    EXPLANATION_COLUMNS,
    RECORD_COLUMNS,
    WORKBOOK_PREFIXES,
    _as_assessment_rows,
    _drop_empty_text,
    _finish,
    _from_assessments,
    _from_table,
    _workbook_sheets,
    empty_records,
    finish_records,
)
from par_index.unit_data.reader import UnitData, read_csv, read_csv_table
from par_index.unit_data.table import Table

if TYPE_CHECKING:
    import pandas as pd


def add_tables(data: UnitData, path: Path) -> None:
    """Everything the appraisal part reads at ``path`` into ``data`` (records, explanations, survey)."""
    add_appraisals(data, path)
    survey.add_to(data, path)


def appraisal_workbooks(folder: Path) -> list[Path]:
    """The appraisal workbooks of a data folder, in name order: every .xlsx with the sheet «Đề
    xuất» that ``par-index appraise`` writes (whatever its name, e.g. the default
    ``de-xuat-tham-dinh-lan-1.xlsx``), and every .xlsx named ``tham-dinh…``, ``appraisal…`` or
    ``de-xuat-tham-dinh…`` (one of those without the sheet is refused with a message)."""
    books = sorted(folder.glob("*.xls[xm]"))
    if not books:
        return []
    from par_index.appraisal.workbook import is_appraisal_workbook  # with its proposals: only when workbooks exist

    return [
        p
        for p in books
        if not p.name.startswith("~$") and (p.name.lower().startswith(WORKBOOK_PREFIXES) or is_appraisal_workbook(p))
    ]


def add_appraisals(data: UnitData, path: Path) -> None:
    """Read the appraisal records and explanations found at ``path`` into ``data``.

    A data folder with no appraisal file (the usual case) is read without pandas: the records
    are those of ``assessments`` (:func:`_from_assessments`), kept as a table."""
    own = _from_assessments(data)
    records: list[pd.DataFrame] = []
    explanations: list[Table] = []
    if path.is_dir():
        table = path / "appraisals.csv"
        if table.is_file():
            records.append(_from_table(_finish(read_csv_table(table), table.name, APPRAISAL_COLUMNS, data.problems), data.problems))
        table = path / "explanations.csv"
        if table.is_file():
            explanations.append(finish_records(read_csv(table), table.name, EXPLANATION_COLUMNS, data.problems))
        for book in appraisal_workbooks(path):
            from par_index.appraisal.workbook import read_decisions

            records.append(read_decisions(book, data.problems))
    elif path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file():
        sheets = _workbook_sheets(path, ("appraisals", "explanations"))
        if "appraisals" in sheets:
            records.append(_from_table(_finish(sheets["appraisals"], f"{path.name}[appraisals]", APPRAISAL_COLUMNS, data.problems), data.problems))
        if "explanations" in sheets:
            explanations.append(finish_records(Table.from_frame(sheets["explanations"]), f"{path.name}[explanations]", EXPLANATION_COLUMNS, data.problems))
    added = [r for r in records if len(r)]
    if added:
        import pandas as pd

        rows = pd.concat([_as_assessment_rows(r) for r in added], ignore_index=True)
        for col in data.assessments.columns:
            if col not in rows.columns:
                rows[col] = ""
        data.assessments = pd.concat([data.assessments, rows[list(data.assessments.columns)]], ignore_index=True)
    if records:
        import pandas as pd

        data.appraisals = pd.concat([r[RECORD_COLUMNS] for r in [own.frame(), *records]], ignore_index=True)
    else:
        data.appraisals = own  # a table: a frame on first access
    if explanations:  # one table at most: explanations.csv, or the data workbook's sheet
        data.explanations = _drop_empty_text(explanations[0], data.problems)
    else:
        data.explanations = empty_records(["unit", "criterion", "text", "date", "at_file", "at_line"])
