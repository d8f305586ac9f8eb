"""The use cases: what the CLI, the demo, the server and a notebook all call.

Reading unit data lists every reader in one place (:func:`read_data`); scoring adds the
evidence register to the engine's problems (:func:`score`), so every caller reports the same
problems as ``par-index score``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from par_index.appraisal.read import add_tables, appraisal_workbooks
from par_index.appraisal.survey import MAP_NAMES
from par_index.common.folders import folder_links
from par_index.criteria.compiled import CompiledCriteria, load
from par_index.errors import InputError, Problem
from par_index.evidence.check import check_evidence, preview_appraisal
from par_index.messages import FILE_NOT_READ, NOT_SELF_ASSESSMENT, UNIT_UNKNOWN
from par_index.scoring import engine
from par_index.scoring.engine import Results, Stage
from par_index.scoring.results import to_json_dict, units_frame
from par_index.unit_data.reader import UnitData, coded, read_tables
from par_index.workbook import reader as workbook_reader

if TYPE_CHECKING:  # the parts below load when their use case is called (scoring stays light)
    import pandas as pd

    from par_index.planning.optimise import Plan, StepCosts
    from par_index.planning.scenario import Located, WhatIf
    from par_index.reports.explain import Explanation


def load_criteria(*paths: str | Path) -> list[CompiledCriteria]:
    """Load criteria files (one per unit kind), collecting the problems of all before failing."""
    sets: list[CompiledCriteria] = []
    problems: list[Problem] = []
    for p in paths:
        try:
            sets.append(load(Path(p)))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return sets


def read_data(path: str | Path) -> UnitData:
    """Read unit data: a folder of CSVs, one data workbook, or filled self-assessment workbooks,
    with the appraisal records, explanations and survey answers found beside them.

    The readers, in order: self-assessment workbooks (:mod:`par_index.workbook.reader`) else the
    three tables (:func:`par_index.unit_data.reader.read_tables`); then the appraisal tables and
    survey (:func:`par_index.appraisal.read.add_tables`)."""
    path = Path(path)
    return coded(add_extra_tables(read_base_tables(path), path))


def add_extra_tables(data: UnitData, path: Path) -> UnitData:
    """The second half of :func:`read_data` before the codes: the appraisal tables and survey
    found at ``path`` added to ``data`` (:func:`read_base_tables` of ``path``) and, for a folder,
    a warning for each file no reader took. The province server's import calls the two halves
    itself, to keep the three tables as they were read."""
    add_tables(data, path)
    if path.is_dir():
        data.problems.extend(unread_files(path, data))
    return data


# The files of a data folder that the readers above take by name (the appraisal workbooks and
# self-assessment workbooks are recognised by their content, the evidence files by evidence.csv).
DATA_FILE_NAMES = (
    "units.csv", "assessments.csv", "evidence.csv", "appraisals.csv", "explanations.csv", "survey.csv",
    *MAP_NAMES, "dataset.yaml",
)


def unread_files(folder: Path, data: UnitData) -> list[Problem]:
    """A warning for every file directly in the data folder that no reader took, so nothing put
    there (an edited appraisal workbook under a new name, a survey under another name) is
    silently left out. Not reported: hidden files, Office lock files (``~$…``) and READMEs
    (documentation beside the data). Sub-folders hold evidence files and are not listed."""
    taken = {folder / n for n in DATA_FILE_NAMES}
    taken.update(appraisal_workbooks(folder))
    if workbook_reader.accepts(folder):
        taken.update(p for p in folder.glob("*.xls[xm]") if workbook_reader.is_workbook(p))
    evidence = data.table("evidence")  # the table as read: no frame (pandas) for this
    if "file" in evidence:
        root = data.files_root or folder
        taken.update(root / str(f).strip() for f in dict.fromkeys(evidence.texts("file").tolist()) if str(f).strip())
    problems = []
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p in taken or p.name.startswith((".", "~$")) or p.stem.upper() == "README":
            continue
        hint = NOT_READ_HINTS.get(p.name.lower()) or NOT_READ_HINTS.get(p.suffix.lower(), NOT_READ_HINTS[""])
        problems.append(
            Problem("file_not_read", FILE_NOT_READ.format(name=p.name, hint=hint), file=p.name, severity="warning")
        )
    return problems


NOT_READ_HINTS = {
    ".xlsx": (
        NOT_SELF_ASSESSMENT + " cũng không phải bảng đề xuất thẩm định "
        "(không có trang «Đề xuất»); nếu đây là quyết định thẩm định, hãy giữ trang «Đề xuất» của tệp do "
        "'par-index appraise' ghi"
    ),
    ".csv": (
        "tên tệp không phải units.csv, assessments.csv, evidence.csv, appraisals.csv, explanations.csv "
        "hay survey.csv; hãy đổi tên nếu đây là dữ liệu cần chấm"
    ),
    "": "par-index không đọc loại tệp này; nếu đây là tài liệu kiểm chứng, hãy ghi tên tệp ở cột file của evidence.csv",
}
NOT_READ_HINTS[".xlsm"] = NOT_READ_HINTS[".xlsx"]
NOT_READ_HINTS["plan-progress.csv"] = (
    "đây là tiến độ kế hoạch CCHC, lệnh 'par-index plan-status --progress' đọc tệp này, lệnh chấm điểm thì không"
)


def read_base_tables(path: str | Path) -> UnitData:
    """The three tables (units, assessments, evidence) as the readers give them, before the
    appraisal tables and survey are added (the province server keeps those apart)."""
    path = Path(path)
    if path.is_dir():
        links = folder_links(path)  # before any reader opens a file: a link out of the folder is refused
        if links:
            raise InputError(links)
    return workbook_reader.read_workbooks(path) if workbook_reader.accepts(path) else read_tables(path)


def score(
    criteria: Sequence[CompiledCriteria],
    data: UnitData,
    stage: Stage = "final",
    *,
    preview: bool = False,
    files: Path | None = None,
) -> Results:
    """Score every unit, with the evidence register's problems added (as ``par-index score``).

    ``preview``: score as an appraiser would (a self-scored leaf without evidence gets 0).
    ``files``: the folder holding the evidence files (default: the data folder)."""
    if preview:
        return preview_appraisal(criteria, data, stage, files)[0]
    results = engine.score(list(criteria), data, stage)
    results.add_problems(check_evidence(results, data, files))  # = problems.extend, without making the engine's problems
    return results


def explain(results: Results, data: UnitData, unit: str) -> Explanation:
    """Why ``unit`` got each point: rule in words, input value and stage, trail, points, evidence."""
    from par_index.reports.explain import explain as explain_unit

    return explain_unit(results, data, unit)


def whatif(
    criteria: Sequence[CompiledCriteria],
    data: UnitData,
    overrides: Sequence[str | Located],
    stage: Stage = "final",
    name: str = "what-if",
) -> WhatIf:
    """The baseline against a copy with overrides (``"UNIT:CODE=VALUE"`` texts or parsed ones)."""
    from par_index.planning.scenario import Located, parse_set_option, run_whatif

    located = [Located(parse_set_option(o), "--set", None) if isinstance(o, str) else o for o in overrides]
    return run_whatif(name, criteria, data, stage, located)


def plan(
    results: Results,
    unit: str,
    *,
    target_index: str | Decimal | None = None,
    target_rank: int | None = None,
    budget: str | Decimal | None = None,
    costs: StepCosts | None = None,
) -> Plan:
    """The cheapest set of changes that brings ``unit`` to the target (exact dynamic programme)."""
    from par_index.planning.optimise import Goal, plan_units

    goals = [
        Goal("index", Decimal(str(target_index))) if target_index is not None else None,
        Goal("rank", Decimal(target_rank)) if target_rank is not None else None,
        Goal("budget", Decimal(str(budget))) if budget is not None else None,
    ]
    chosen = [g for g in goals if g is not None]
    if len(chosen) != 1:
        raise InputError(Problem("plan_goal", "cần đúng một mục tiêu: target_index, target_rank hoặc budget"))
    try:
        s, i = results.find(unit)
    except KeyError:
        raise InputError(Problem("unit_unknown", UNIT_UNKNOWN.format(unit=unit, where="kết quả"), unit=unit)) from None
    [p] = plan_units(s, [i], chosen[0], costs)
    return p


def to_frame(results: Results) -> pd.DataFrame:
    """One row per unit: kind, points, max, index, rank, band and each area's points."""
    return units_frame(results)


__all__ = [
    "Results", "Stage", "UnitData", "explain", "load_criteria", "plan", "read_data", "score",
    "to_frame", "to_json_dict", "whatif",
]
