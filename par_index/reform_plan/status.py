"""How far the reform plan has got: progress per task, counts per lead agency, and the share of
tasks done as an ordinary assessment value.

Progress file (CSV, UTF-8): ``task,status[,done_on,note]``. ``status`` is ``done``,
``in_progress`` or ``not_started``, or in Vietnamese ``đã hoàn thành`` (``hoàn thành``),
``đang thực hiện``, ``chưa thực hiện`` (``chưa hoàn thành``). Lines starting with ``#`` are
comments. A task missing from the file counts as not done; an id that is not in the plan is
reported and ignored.

As of a date ``D`` (default: today, but never later than 31/12 of the plan year, so a 2024
plan read in 2025 is judged on its own year), a task is

* **done** when its status is done and its ``done_on`` (if given) is on or before ``D``;
  **done late** when ``done_on`` is after its due date;
* **due** when it has a due date on or before ``D``; **overdue** when due and not done;
* **undated** when its deadline has no date (thường xuyên, khi có phát sinh, theo kế hoạch
  riêng, none);
* **not yet due** otherwise (e.g. "Giai đoạn 2024-2025" as of 2024).

The share done, per lead agency, is ``done / (due + undated + done before due)``: every task
that could be expected done by ``D``. :func:`share_assessment` turns it into an
``assessments.csv`` row (``unit, criterion, value``) whose value is the share as an exact
percentage, for a leaf such as 1.1.2 "Mức độ hoàn thành kế hoạch CCHC" scored by its own
``bands`` rule.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from par_index.common.spreadsheet import csv_cell
from par_index.common.text_files import read_utf8, writing
from par_index.common.values import format_date, nfc, parse_date_scalar
from par_index.errors import InputError, Problem
from par_index.messages import (
    COLUMN_UNKNOWN,
    CSV_TOO_MANY_CELLS,
    DATE_UNREADABLE,
    FILE_EMPTY,
    FILE_MISSING,
    ID_MISSING,
    SAVE_AS_CSV_UTF8,
    column_missing,
)
from par_index.reform_plan.register import LoadedPlan, PlanTask

STATUS_WORDS = {
    "done": "đã hoàn thành",
    "in_progress": "đang thực hiện",
    "not_started": "chưa thực hiện",
}
STATUS_ALIASES = {
    "done": "done",
    "đã hoàn thành": "done",
    "hoàn thành": "done",
    "in_progress": "in_progress",
    "đang thực hiện": "in_progress",
    "not_started": "not_started",
    "chưa thực hiện": "not_started",
    "chưa hoàn thành": "not_started",
}
COLUMNS = ("task", "status", "done_on", "note")


@dataclass(frozen=True)
class Progress:
    task: str
    status: str  # done | in_progress | not_started
    done_on: dt.date | None
    note: str
    line: int


@dataclass(frozen=True)
class TaskStatus:
    """One task as of the date: the facts and the classification."""

    task: PlanTask
    progress: Progress | None
    done: bool
    done_late: bool
    due: bool  # has a due date on or before the as-of date
    overdue: bool
    undated: bool

    @property
    def expected(self) -> bool:
        """Could be expected done by the as-of date (counts in the share's denominator)."""
        return self.due or self.undated or self.done

    @property
    def state_vi(self) -> str:
        if self.done:
            return "hoàn thành muộn" if self.done_late else "đã hoàn thành"
        if self.overdue:
            return "quá hạn"
        if self.progress is not None and self.progress.status == "in_progress":
            return "đang thực hiện"
        if self.undated:
            return "chưa hoàn thành (không có hạn cụ thể)"
        return "chưa đến hạn"


@dataclass(frozen=True)
class AgencyStatus:
    agency: str
    name: str
    tasks: int
    due: int
    done: int
    done_late: int
    overdue: int
    in_progress: int
    undated: int
    not_yet_due: int
    expected: int
    share: Fraction | None  # done / expected


@dataclass
class PlanStatus:
    plan: LoadedPlan
    as_of: dt.date
    tasks: list[TaskStatus]
    agencies: list[AgencyStatus]
    problems: list[Problem] = field(default_factory=list)


def default_as_of(plan_year: int, today: dt.date | None = None) -> dt.date:
    """Today, but not later than the last day of the plan year."""
    today = today or dt.date.today()
    return min(today, dt.date(plan_year, 12, 31))


# -- reading the progress file ----------------------------------------------------------------


def read_progress(path: str | Path) -> tuple[list[Progress], list[Problem]]:
    """The progress rows, and the problems of rows that cannot be used as written."""
    path = Path(path)
    name = str(path)
    text = read_utf8(path, FILE_MISSING.format(what="tệp tiến độ"), ". " + SAVE_AS_CSV_UTF8)
    numbered = [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if not line.lstrip().startswith("#") and line.strip()
    ]
    if not numbered:
        raise InputError(
            Problem("file_empty", FILE_EMPTY.format(what="tệp tiến độ") + " (task,status,done_on,note)", file=name)
        )
    rows = list(csv.reader(line for _, line in numbered))
    header_line = numbered[0][0]
    header = [nfc(h).strip().lower() for h in rows[0]]
    missing = [c for c in ("task", "status") if c not in header]
    if missing:
        raise InputError(
            Problem(
                "column_missing",
                column_missing(missing, "tệp tiến độ", COLUMNS[:2], COLUMNS[2:]),
                file=name,
                line=header_line,
            )
        )
    problems: list[Problem] = []
    for col in header:
        if col not in COLUMNS:
            msg = COLUMN_UNKNOWN.format(column=col, table="tệp tiến độ", columns=", ".join(COLUMNS))
            problems.append(Problem("column_unknown", msg, file=name, line=header_line, severity="warning"))
    out: list[Progress] = []
    for (line, _), values in zip(numbered[1:], rows[1:], strict=True):
        if len(values) > len(header):
            msg = CSV_TOO_MANY_CELLS.format(cells=len(values), header=len(header)) + "; dòng này bị bỏ qua"
            problems.append(Problem("csv_columns", msg, file=name, line=line))
            continue
        cells = [nfc(v).strip() for v in values] + [""] * (len(header) - len(values))
        rec = dict(zip(header, cells, strict=True))
        task = rec.get("task", "")
        if not task:
            msg = ID_MISSING.format(what="nhiệm vụ", column="task") + "; dòng này bị bỏ qua"
            problems.append(Problem("task_id_empty", msg, file=name, line=line))
            continue

        def bad(reason: str, message: str, severity: str = "error", line: int = line, task: str = task) -> None:
            field = "status" if reason == "status_unknown" else "done_on"
            problems.append(
                Problem(reason, message, file=name, line=line, criterion=task, field=field, severity=severity)
            )

        raw_status = rec.get("status", "")
        status = STATUS_ALIASES.get(raw_status.lower())
        if status is None:
            known = "done, in_progress, not_started (đã hoàn thành, đang thực hiện, chưa thực hiện)"
            what = f"trạng thái '{raw_status}' không hợp lệ" if raw_status else "thiếu trạng thái (cột status)"
            bad("status_unknown", f"{what}; dùng {known}; nhiệm vụ được tính là chưa hoàn thành")
            status = "not_started"
        done_text = rec.get("done_on", "")
        done_on = parse_date_scalar(done_text) if done_text else None
        if done_text and done_on is None:
            bad("date_unreadable", DATE_UNREADABLE.format(what="ngày hoàn thành", text=done_text))
        if done_on is not None and status != "done":
            msg = f"có ngày hoàn thành {format_date(done_on)} nhưng trạng thái là '{raw_status}'; ngày này không được dùng"
            bad("done_on_not_done", msg, "warning")
            done_on = None
        if status == "done" and not done_text:
            msg = "đã hoàn thành nhưng chưa ghi ngày hoàn thành (cột done_on); không kiểm tra được đúng hạn"
            bad("done_on_missing", msg, "warning")
        out.append(Progress(task, status, done_on, rec.get("note", ""), line))
    return out, problems


# -- status as of a date ----------------------------------------------------------------------


def plan_status(plan: LoadedPlan, progress_path: str | Path, as_of: dt.date | None = None) -> PlanStatus:
    rows, problems = read_progress(progress_path)
    as_of = as_of or default_as_of(plan.plan.year)
    name = str(progress_path)
    known = {t.id for t in plan.plan.tasks}
    by_task: dict[str, Progress] = {}
    for r in rows:
        if r.task not in known:
            problems.append(
                Problem(
                    "task_unknown",
                    f"nhiệm vụ '{r.task}' không có trong kế hoạch {plan.plan.id}; dòng này bị bỏ qua",
                    file=name,
                    line=r.line,
                    criterion=r.task,
                )
            )
            continue
        if r.task in by_task:
            first = by_task[r.task].line
            problems.append(
                Problem(
                    "task_duplicate",
                    f"nhiệm vụ '{r.task}' đã có ở dòng {first}; chỉ dòng đầu tiên được tính",
                    file=name,
                    line=r.line,
                    criterion=r.task,
                )
            )
            continue
        by_task[r.task] = r
    statuses = [_classify(t, by_task.get(t.id), as_of) for t in plan.plan.tasks]
    absent = [t.id for t in plan.plan.tasks if t.id not in by_task]
    if absent:
        shown = ", ".join(absent[:10]) + (f" và {len(absent) - 10} nhiệm vụ khác" if len(absent) > 10 else "")
        problems.append(
            Problem(
                "task_without_progress",
                f"{len(absent)} nhiệm vụ chưa có trong tệp tiến độ, được tính là chưa hoàn thành: {shown}",
                file=name,
                severity="warning",
            )
        )
    return PlanStatus(plan, as_of, statuses, _by_agency(plan, statuses), problems)


def _classify(task: PlanTask, progress: Progress | None, as_of: dt.date) -> TaskStatus:
    due_date = task.due
    done = (
        progress is not None and progress.status == "done" and (progress.done_on is None or progress.done_on <= as_of)
    )
    done_late = (
        done
        and progress is not None
        and progress.done_on is not None
        and due_date is not None
        and progress.done_on > due_date
    )
    due = due_date is not None and due_date <= as_of
    return TaskStatus(task, progress, done, done_late, due, due and not done, due_date is None)


def _by_agency(plan: LoadedPlan, statuses: list[TaskStatus]) -> list[AgencyStatus]:
    order = list(plan.agencies) + sorted({a for s in statuses for a in s.task.lead} - set(plan.agencies))
    out: list[AgencyStatus] = []
    for agency in order:
        mine = [s for s in statuses if agency in s.task.lead]
        if not mine:
            continue
        out.append(agency_status(agency, plan.agencies.get(agency, agency), mine))
    return out


def agency_status(agency: str, name: str, mine: list[TaskStatus]) -> AgencyStatus:
    done = sum(s.done for s in mine)
    expected = sum(s.expected for s in mine)
    in_progress = sum(1 for s in mine if not s.done and s.progress is not None and s.progress.status == "in_progress")
    not_yet = sum(1 for s in mine if not s.due and not s.undated and not s.done)
    return AgencyStatus(
        agency,
        name,
        len(mine),
        sum(s.due for s in mine),
        done,
        sum(s.done_late for s in mine),
        sum(s.overdue for s in mine),
        in_progress,
        sum(s.undated for s in mine),
        not_yet,
        expected,
        Fraction(done, expected) if expected else None,
    )


# -- the share as an assessment value --------------------------------------------------------


def percent_text(share: Fraction) -> str:
    """An exact percentage where the decimal ends within 10 places (9/10 → '90%'), else 10 places.

    Exactness matters on band edges: 9 of 10 tasks is exactly 90 %, which is *not* "trên 90%".
    """
    value = Decimal(share.numerator * 100) / Decimal(share.denominator)
    text = format(value.quantize(Decimal("1e-10")).normalize(), "f")
    return f"{text}%"


def share_assessment(status: PlanStatus, unit: str, criterion: str, agency: str | None = None) -> dict[str, str]:
    """The assessment row (unit, criterion, value, stage, note) for one unit's share of tasks done.

    ``agency`` (default: the unit id) names whose tasks count: those it leads (chủ trì).
    """
    agency = agency or unit
    mine = [s for s in status.tasks if agency in s.task.lead]
    if not mine:
        leads = ", ".join(a.agency for a in status.agencies)
        raise InputError(
            Problem(
                "agency_no_tasks",
                f"không có nhiệm vụ nào do '{agency}' chủ trì trong kế hoạch {status.plan.plan.id}; các cơ quan chủ trì: {leads}",
                file=status.plan.path,
            )
        )
    a = agency_status(agency, status.plan.agencies.get(agency, agency), mine)
    if a.share is None:
        raise InputError(
            Problem(
                "agency_nothing_due",
                f"chưa có nhiệm vụ nào của '{agency}' đến hạn tính đến ngày {format_date(status.as_of)}; chưa tính được tỷ lệ hoàn thành",
                file=status.plan.path,
            )
        )
    note = f"Tỷ lệ hoàn thành kế hoạch {status.plan.plan.id}: {a.done}/{a.expected} nhiệm vụ do {a.name} chủ trì, tính đến ngày {format_date(status.as_of)}"
    return {"unit": unit, "criterion": criterion, "value": percent_text(a.share), "stage": "self", "note": note}


def write_assessments(rows: list[dict[str, str]], out: Path) -> None:
    """Write assessment rows as ``assessments.csv`` (UTF-8, header unit,criterion,value,stage,note)."""
    with writing(out) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["unit", "criterion", "value", "stage", "note"])
        w.writeheader()
        w.writerows({k: csv_cell(v) if k == "note" else v for k, v in row.items()} for row in rows)
