"""The province's reform plan (kế hoạch CCHC) as data: a pydantic model and a strict loader.

``criteria/bac-giang/2024/plan.yaml`` holds the appendix of KH 213/KH-UBND: one entry per
activity with its area, goal, task, activity, product, lead and cooperating agencies, deadline
and budget note (see the file's header for the conventions). Loading is as strict as for
criteria: unknown keys, duplicate keys, dates that are not dates, a deadline whose dates do
not fit its kind, duplicate task ids and undeclared agency ids all raise one
:class:`~par_index.errors.InputError` listing every problem with file, line, task id and
field.

Agencies: the ids are checked against ``agencies.yaml`` — the file given, else one found in
the plan's folder or its parent (``criteria/bac-giang/agencies.yaml`` for the 2024 plan).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from par_index.common.schema import Code, Strict, Text
from par_index.common.values import format_date
from par_index.common.yaml_strict import LineDict, load_yaml, nfc_strings
from par_index.criteria.loader import pydantic_message, pydantic_problems, read_agencies
from par_index.criteria.model import Agency
from par_index.criteria.rules.base import Date
from par_index.errors import InputError, Problem
from par_index.messages import AGENCY_UNDECLARED, KEY_UNKNOWN, NOT_A_MAPPING

DeadlineKind = Literal["date", "month", "quarter", "half", "year", "ongoing", "as_needed", "separate_plan"]
DATED_KINDS = frozenset({"date", "month", "quarter", "half", "year"})
KIND_WORDS = {
    "date": "một ngày",
    "month": "một tháng",
    "quarter": "một quý",
    "half": "nửa năm",
    "year": "một năm",
    "ongoing": "thường xuyên",
    "as_needed": "khi có phát sinh",
    "separate_plan": "theo kế hoạch riêng",
}
PLAN_EXTRA = KEY_UNKNOWN.format(key="này", format="kế hoạch (xem docs/evidence-and-plan.md)")
TaskId = Code


class PlanDeadline(Strict):
    """When a task is due: the text as written, its kind and the dates it means."""

    text: Text
    kind: DeadlineKind
    start: Date | None = None
    due: Date | None = None

    @model_validator(mode="after")
    def _dates_fit_kind(self) -> PlanDeadline:
        if self.kind in DATED_KINDS and self.due is None:
            raise ValueError(f"hạn loại '{self.kind}' ({KIND_WORDS[self.kind]}) cần ngày 'due'")
        if self.kind not in DATED_KINDS and (self.start is not None or self.due is not None):
            raise ValueError(f"hạn loại '{self.kind}' ({KIND_WORDS[self.kind]}) không có ngày; bỏ 'start' và 'due'")
        if self.start is not None and self.due is not None and self.due < self.start:
            raise ValueError(f"ngày kết thúc {format_date(self.due)} trước ngày bắt đầu {format_date(self.start)}")
        return self


class PlanTask(Strict):
    id: TaskId
    area: Text
    area_name: str | None = None
    goal: Text
    task: Text
    activity: str | None = None
    product: str | None = None
    lead: list[str] = Field(min_length=1)
    lead_text: str | None = None
    cooperating: list[str] = Field(default_factory=list)
    cooperating_text: str | None = None
    deadline: PlanDeadline | None = None
    budget: str | None = None
    # `main_text`: an obligation of the plan's main text, not a row of its appendix
    origin: Literal["appendix", "main_text"] = "appendix"
    # the criteria that score the task: criteria-set id -> criterion codes
    criteria: dict[TaskId, list[Text]] = Field(default_factory=dict)
    note: str | None = None

    @property
    def due(self) -> dt.date | None:
        return self.deadline.due if self.deadline is not None else None

    @property
    def label(self) -> str:
        """A short Vietnamese description: the activity, else the task."""
        return self.activity or self.task

    @property
    def origin_vi(self) -> str:
        return "phần chính văn" if self.origin == "main_text" else "Phụ lục"

    @property
    def criteria_text(self) -> str:
        """The linked criteria in words: 'bac-giang-2024-so: 1.1.1; bac-giang-2024-huyen: 1.1.1'."""
        return "; ".join(f"{set_id}: {', '.join(codes)}" for set_id, codes in self.criteria.items())


class Plan(Strict):
    id: TaskId
    title: Text
    source: str | None = None
    year: Annotated[int, Field(ge=2000, le=2100)]
    tasks: list[PlanTask] = Field(min_length=1)

    def task(self, task_id: str) -> PlanTask:
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise KeyError(task_id)


class LoadedPlan(BaseModel):
    """A checked plan with the agencies its ids refer to and where it came from."""

    model_config = ConfigDict(frozen=True)

    plan: Plan
    agencies: dict[str, str]  # id → Vietnamese name, in declaration order
    path: str
    lines: dict[str, int]  # task id → line


def find_agencies(plan_path: Path) -> Path | None:
    for folder in (plan_path.parent, plan_path.parent.parent):
        candidate = folder / "agencies.yaml"
        if candidate.is_file():
            return candidate
    return None


def load_plan(path: str | Path, agencies_path: str | Path | None = None) -> LoadedPlan:
    """Read and check a plan file; :class:`InputError` lists every problem."""
    path = Path(path)
    name = str(path)
    raw, problems = load_yaml(path)
    if not isinstance(raw, dict):
        raise InputError(
            Problem("plan_not_mapping", NOT_A_MAPPING.format(what="kế hoạch", keys="id, title, year, tasks"), file=name)
        )
    raw = nfc_strings(raw)
    agencies: dict[str, str] | None = None
    apath = Path(agencies_path) if agencies_path is not None else find_agencies(path)
    if apath is not None:
        agencies, more = _load_agencies(apath)
        problems.extend(more)
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, raw, name, prefix="plan", id_key="id", extra_message=PLAN_EXTRA))
        raise InputError(problems) from None
    lines = _task_lines(raw)
    seen: set[str] = set()
    for t, item in zip(plan.tasks, raw["tasks"], strict=True):
        key_lines: dict[str, int] = getattr(item, "key_lines", {})
        line = key_lines.get("id", getattr(item, "line", None))
        if t.id in seen:
            problems.append(
                Problem(
                    "task_duplicate",
                    f"mã nhiệm vụ '{t.id}' đã dùng cho một nhiệm vụ khác (mã phải duy nhất)",
                    file=name,
                    line=line,
                    criterion=t.id,
                    field="id",
                )
            )
        seen.add(t.id)
        if agencies is None:
            continue
        for key in ("lead", "cooperating"):
            for agency in getattr(t, key):
                if agency not in agencies:
                    problems.append(
                        Problem(
                            "agency_undeclared",
                            AGENCY_UNDECLARED.format(agency=agency, where=apath),
                            file=name,
                            line=key_lines.get(key, line),
                            criterion=t.id,
                            field=key,
                        )
                    )
    if problems:
        raise InputError(problems)
    return LoadedPlan(plan=plan, agencies=agencies or {}, path=name, lines=lines)


def _load_agencies(path: Path) -> tuple[dict[str, str] | None, list[Problem]]:
    items, problems = read_agencies(path)
    if items is None:
        return None, problems
    out: dict[str, str] = {}
    for item in items:
        try:
            a = Agency.model_validate(item)
        except ValidationError as exc:
            line = item.line if isinstance(item, LineDict) else None
            problems.append(
                Problem(
                    "agency_invalid",
                    f"cơ quan không hợp lệ: {pydantic_message(exc.errors()[0])}",
                    file=str(path),
                    line=line,
                )
            )
            continue
        out[a.id] = a.name
    return out, problems


def _task_lines(raw: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in raw.get("tasks") or [] if isinstance(raw, dict) else []:
        if isinstance(item, LineDict) and "id" in item:
            out.setdefault(str(item["id"]), item.line)
    return out


