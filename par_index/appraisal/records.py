"""Appraisal records (thẩm định) and the units' explanations (giải trình), kept beside the
self-assessment and read with the unit data.

Where they come from (all optional):

* ``appraisals.csv`` in the data folder, or an ``appraisals`` sheet of the data workbook:
  ``unit, criterion, round, reason`` and optionally ``value, points, appraiser, date``;
* the appraisal workbooks that ``par-index appraise`` wrote and the appraiser edited, saved in
  the data folder under any name (recognised by the sheet «Đề xuất»; the default name
  ``de-xuat-tham-dinh-lan-N.xlsx`` included);
* ``assessments.csv`` rows with ``stage`` ``appraisal1`` / ``appraisal2`` (reason in ``note``;
  these are the engine's raw overlay: one without a note is applied, with a warning);
* ``explanations.csv`` / an ``explanations`` sheet: ``unit, criterion, text`` and optionally
  ``date`` — what the unit wrote between the rounds.

Every accepted appraisal record becomes an ``assessments`` row with ``stage`` ``appraisal1`` or
``appraisal2`` and ``note`` = the reason, pointing at its own file and line, so the engine's
overlay (self → survey → appraisal1 → appraisal2; the last round present wins) does the rest.
A record (``appraisals.csv``, workbook) without a reason is refused: it is reported
(``appraisal_reason_missing``) and not applied. The records themselves (with appraiser and date) and the explanations are kept in
``UnitData.appraisals`` and ``UnitData.explanations`` for the trail (:mod:`par_index.appraisal.trail`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from par_index.common.values import format_date, nfc, parse_date_scalar
from par_index.errors import InputError, Problem
from par_index.messages import (
    COLUMN_UNKNOWN,
    DATE_UNREADABLE,
    EXCEL_UNREADABLE,
    REASON_REQUIRED,
    ROUND_UNKNOWN,
    column_missing,
)
from par_index.unit_data.reader import UnitData, normal_text
from par_index.unit_data.table import Table, Texts, empty_texts
from par_index.unit_data.value_table import column_codes

if TYPE_CHECKING:
    import pandas as pd

APPRAISAL_COLUMNS = (["unit", "criterion", "round", "reason"], ["value", "points", "appraiser", "date"])
EXPLANATION_COLUMNS = (["unit", "criterion", "text"], ["date"])
RECORD_COLUMNS = ["unit", "criterion", "stage", "value", "points", "reason", "appraiser", "date", "at_file", "at_line"]
ROUND_STAGES = {"1": "appraisal1", "2": "appraisal2", "appraisal1": "appraisal1", "appraisal2": "appraisal2"}
WORKBOOK_PREFIXES = ("appraisal", "tham-dinh", "de-xuat-tham-dinh")


def reason_missing_message(round_no: int, column: str) -> str:
    """The refusal of an appraisal record without a reason (tests assert this text)."""
    return (
        f"bản ghi thẩm định lần {round_no} không ghi lý do nên không được áp dụng; "
        + REASON_REQUIRED.format(where=f"cột {column}")
    )


NOTE_MISSING = "dòng thẩm định trong assessments không ghi lý do (cột note); vẫn được tính, nhưng mọi thay đổi khi thẩm định nên có lý do"


def _empty(columns: list[str]) -> pd.DataFrame:
    return empty_records(columns).frame()


def empty_records(columns: list[str]) -> Table:
    """A table of ``columns`` with no rows (object columns in its frame)."""
    return Table({c: np.zeros(0, dtype=object) for c in columns})


def _finish(df: pd.DataFrame, file: str, spec: tuple[list[str], list[str]], problems: list[Problem]) -> pd.DataFrame:
    """:func:`finish_records` of a frame, as a frame."""
    return finish_records(Table.from_frame(df), file, spec, problems).frame()


def finish_records(raw: Table, file: str, spec: tuple[list[str], list[str]], problems: list[Problem]) -> Table:
    """Columns checked and NFC-normalised; ``at_file`` and ``at_line`` added (as the three tables;
    every text shown as pandas' text type in the table's frame)."""
    req, opt = spec
    given = {nfc(str(c)).strip().lower(): col for c, col in raw.columns.items()}
    missing = [c for c in req if c not in given]
    if missing:
        raise InputError(
            Problem(
                "column_missing",
                column_missing(missing, "bảng này", req, opt),
                file=file,
                line=1,
            )
        )
    for col in given:
        if col not in req + opt and not col.startswith("at_"):
            problems.append(
                Problem("column_unknown", COLUMN_UNKNOWN.format(column=col, table="bảng", columns=", ".join(req + opt)), file=file, line=1, severity="warning")
            )
    n = len(raw)
    out: dict[str, Texts | np.ndarray] = {}
    for col in req + opt:
        cells = given.get(col)
        out[col] = normal_text(cells if cells is not None else empty_texts(n), "", "str")
    at_line = given.get("at_line")
    out["at_line"] = np.arange(2, 2 + n, dtype=np.int64) if at_line is None else at_line.values() if isinstance(at_line, Texts) else at_line
    out["at_file"] = Texts(np.zeros(n, dtype=np.int8), np.array([file], dtype=object), "str")
    return Table(out)


def _workbook_sheets(path: Path, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The named sheets of the data workbook as text tables (formula cells are refused)."""
    import pandas as pd
    from openpyxl import load_workbook

    from par_index.common.xlsx_guard import check_workbook, sheet_rows
    from par_index.unit_data.reader import cell_text

    check_workbook(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InputError(Problem("xlsx_unreadable", EXCEL_UNREADABLE.format(error=exc), file=str(path))) from None
    out: dict[str, pd.DataFrame] = {}
    lower = {n.lower(): n for n in wb.sheetnames}
    for name in names:
        if name not in lower:
            continue
        rows = list(sheet_rows(wb[lower[name]], f"{path.name}[{name}]"))
        if not rows:
            continue
        header = [cell_text(c) for c in rows[0]]
        body = [[cell_text(c) for c in r] for r in rows[1:]]
        lines = [i + 2 for i, r in enumerate(body) if any(c.strip() for c in r)]
        body = [(r + [""] * len(header))[: len(header)] for r in body if any(c.strip() for c in r)]
        df = pd.DataFrame(body, columns=header, dtype=object)
        df["at_line"] = lines
        out[name] = df
    wb.close()
    return out


def _problem(r: Any, reason: str, message: str, severity: str = "error") -> Problem:
    return Problem(
        reason, message, file=str(r["at_file"]), line=int(r["at_line"]), unit=str(r["unit"]), criterion=str(r["criterion"]), severity=severity
    )


def _from_table(df: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """``appraisals`` rows → records; rows that cannot be applied are reported and dropped."""
    keep = []
    stages = []
    for pos in range(len(df)):
        r = df.iloc[pos]
        stage = ROUND_STAGES.get(str(r["round"]).strip().lower())
        if stage is None:
            problems.append(_problem(r, "appraisal_round_unknown", ROUND_UNKNOWN.format(round=r["round"]) + "; bản ghi không được áp dụng"))
            continue
        round_no = int(stage[-1])
        if not str(r["reason"]).strip():
            problems.append(_problem(r, "appraisal_reason_missing", reason_missing_message(round_no, "reason")))
            continue
        if not str(r["value"]).strip() and not str(r["points"]).strip():
            problems.append(_problem(r, "appraisal_empty", "bản ghi thẩm định không có giá trị (cột value) lẫn điểm (cột points); bản ghi không được áp dụng"))
            continue
        date = str(r["date"]).strip()
        if date and parse_date_scalar(date) is None:
            problems.append(_problem(r, "appraisal_date_unreadable", DATE_UNREADABLE.format(what="ngày thẩm định", text=date), "warning"))
        keep.append(pos)
        stages.append(stage)
    out = df.iloc[keep].copy()
    out["stage"] = stages
    return out[RECORD_COLUMNS].reset_index(drop=True)


def _from_assessments(data: UnitData) -> Table:
    """``assessments`` rows of an appraisal stage (the engine's raw overlay, reason in ``note``).

    They stay applied as before; one without a note is warned about (``appraisal_reason_missing``,
    severity warning). The refusal applies to appraisal records proper (``appraisals.csv``, the
    appraisal workbook), which is where appraisers record their decisions.
    """
    a = data.table("assessments")
    codes, stages = column_codes(a, "stage")
    appraisal_stage = np.isin(stages, ["appraisal1", "appraisal2"])
    rows = np.flatnonzero(appraisal_stage[codes]) if appraisal_stage.any() else np.zeros(0, dtype=np.intp)
    if not len(rows):
        return empty_records(RECORD_COLUMNS)
    note = a["note"]  # looked at on appraisal rows only (few)
    if isinstance(note, Texts):  # as the columnar reader gives it: each distinct note looked at once
        blank = np.array([str(n).strip() == "" for n in note.texts.tolist()], dtype=bool)
        no_reason = rows[blank[note.codes[rows]]]
    else:
        no_reason = rows[np.array([str(n).strip() == "" for n in note[rows].tolist()], dtype=bool)]
    for hit in no_reason.tolist():
        data.problems.append(_problem(a.row(hit), "appraisal_reason_missing", NOTE_MISSING, "warning"))
    none = Texts(np.zeros(len(rows), dtype=np.intp), np.array([""], dtype=object), "str")  # pandas' text type, as "" would give
    return Table(
        {
            "unit": _texts_at(a["unit"], rows),
            "criterion": _texts_at(a["criterion"], rows),
            "stage": _texts_at(a["stage"], rows),
            "value": _texts_at(a["value"], rows),
            "points": _texts_at(a["points"], rows),
            "reason": _texts_at(a["note"], rows),
            "appraiser": none,
            "date": none,
            "at_file": _texts_at(a["at_file"], rows),
            "at_line": np.asarray(a["at_line"])[rows],
        }
    )


def _texts_at(column: Texts | np.ndarray, rows: np.ndarray) -> Texts:
    """The cells ``rows`` of an assessments column, shown in the records' frame as pandas' text
    type (as a frame infers it from texts), taken by code: no Python object per row."""
    if isinstance(column, Texts):
        return Texts(column.codes[rows], column.texts, "str")
    codes, texts = column_codes(Table({"c": column[rows]}), "c")
    return Texts(codes, texts, "str")


def _as_assessment_rows(rec: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        {
            "unit": rec["unit"].to_numpy(),
            "criterion": rec["criterion"].to_numpy(),
            "value": rec["value"].to_numpy(),
            "stage": rec["stage"].to_numpy(),
            "note": rec["reason"].to_numpy(),
            "points": rec["points"].to_numpy(),
            "at_line": rec["at_line"].to_numpy(),
            "at_file": rec["at_file"].to_numpy(),
        }
    )


def _drop_empty_text(ex: Table, problems: list[Problem]) -> Table:
    """The explanations without those of no text (each reported); a date that is no date is reported."""
    text = ex["text"]
    assert isinstance(text, Texts)
    empty = np.array([str(t).strip() == "" for t in text.texts.tolist()], dtype=bool)[text.codes] if len(text) else np.zeros(0, dtype=bool)
    for hit in np.flatnonzero(empty).tolist():
        problems.append(_problem(ex.row(hit), "explanation_empty", "giải trình không có nội dung (cột text); dòng này bị bỏ qua", "warning"))
    dates = ex.texts("date").tolist()
    bad_date = [pos for pos in range(len(ex)) if not empty[pos] and str(dates[pos]).strip() and parse_date_scalar(str(dates[pos])) is None]
    for pos in bad_date:
        problems.append(
            _problem(ex.row(pos), "explanation_date_unreadable", DATE_UNREADABLE.format(what="ngày giải trình", text=dates[pos]), "warning")
        )
    return ex.take(np.flatnonzero(~empty))


def show_date(text: str) -> str:
    """A date as users read it (dd/mm/yyyy); text that is not a date is shown as written."""
    d = parse_date_scalar(text) if text else None
    return format_date(d) if d is not None else text
