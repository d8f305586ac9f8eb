"""Writing every report of a round into one folder (``par-index report``, the demo).

``OUT/``
  ``xep-hang.html``                      the province ranking report
  ``tai-lieu-kiem-chung.html``           the agency evidence report
  ``bao-cao.xlsx``                       the same tables as a workbook
  ``don-vi/<unit>.html``                 one self-assessment report per unit
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from par_index.common.text_files import writing_folder
from par_index.criteria.compiled import CompiledCriteria
from par_index.errors import InputError, Problem
from par_index.reports.province import ProvinceData, pending_cuts, render_province_report
from par_index.reports.ranking import PreviousResults, claim_gaps, compare_previous, ranking_frame, unit_groups
from par_index.reports.render import write_text
from par_index.reports.unit import ReportInputs, unit_report_html, units_in
from par_index.scoring.engine import score
from par_index.unit_data.reader import UNIT_ID, UnitData

Progress = Callable[[str], None]  # called once per file written, with a Vietnamese description

PROVINCE_FILE = "xep-hang.html"
AGENCY_FILE = "tai-lieu-kiem-chung.html"
WORKBOOK_FILE = "bao-cao.xlsx"
UNITS_DIR = "don-vi"


def prepare(criteria: Sequence[CompiledCriteria], data: UnitData, date: dt.date,
            notes: dict[str, dict[str, list[str]]] | None = None) -> ReportInputs:
    """Score the final and the self-assessed results once; every report reads these."""
    return ReportInputs(score(list(criteria), data, "final"), score(list(criteria), data, "self"), data, date, notes=notes or {})


def report_count(inp: ReportInputs) -> int:
    return len(units_in(inp.final)) + 3


def write_reports(inp: ReportInputs, out: Path, previous: PreviousResults | None = None,
                  progress: Progress | None = None) -> list[tuple[str, Path]]:
    """Write every report; returns ``[(description, path)]``."""
    from par_index.reports.agency import render_agency_report, review_self
    from par_index.reports.workbook import write_workbook

    tick = progress or (lambda _what: None)
    review = review_self(inp)
    requirements: list[Any] = list(review.requirements)
    inp.evidence_problems, inp.evidence_reviewed, inp.evidence_review = list(review.problems), True, review
    ranking = ranking_frame(inp.final, unit_groups(inp.data))
    change = compare_previous(ranking, previous) if previous is not None else None
    pdata = ProvinceData(ranking, claim_gaps(inp.self_, inp.final), change, previous, pending_cuts(inp))
    written: list[tuple[str, Path]] = []

    path = write_text(out / PROVINCE_FILE, render_province_report(inp, pdata))
    written.append(("báo cáo xếp hạng, xếp loại toàn tỉnh (HTML)", path))
    tick(path.name)
    path = write_text(out / AGENCY_FILE, render_agency_report(inp, requirements))
    written.append(("báo cáo tài liệu kiểm chứng theo cơ quan (HTML)", path))
    tick(path.name)
    path = write_workbook(inp, pdata, requirements, out / WORKBOOK_FILE)
    written.append(("các bảng của báo cáo (Excel)", path))
    tick(path.name)
    units = units_in(inp.final)
    folder = (out / UNITS_DIR).resolve()
    with writing_folder(out / UNITS_DIR) as write:  # a new folder: written beside it, then renamed
        for unit in units:
            path = write(unit_report_path(out, unit, folder).name, unit_report_html(inp, unit))
            tick(path.name)
    written.append((f"{len(units)} báo cáo tự đánh giá của đơn vị (HTML)", out / UNITS_DIR))
    return written


def unit_report_path(out: Path, unit: str, folder: Path | None = None) -> Path:
    """``out/don-vi/<unit>.html``, refused unless ``unit`` is a plain id (the data reader checks
    the same pattern) and the path lies under ``out``. ``folder``: ``out/don-vi`` resolved, when
    the caller has it (once for a thousand pages: resolving costs a system call per component)."""
    folder = (out / UNITS_DIR).resolve() if folder is None else folder
    path = folder / f"{unit}.html"
    # a plain id names one entry of the resolved folder: it leads elsewhere only as a link
    if not UNIT_ID.fullmatch(unit) or (path.is_symlink() and path.resolve().parent != folder):
        raise InputError(Problem("unit_id_format", f"mã đơn vị {unit[:80]!r} không dùng được làm tên tệp", unit=unit[:80]))
    return out / UNITS_DIR / f"{unit}.html"
