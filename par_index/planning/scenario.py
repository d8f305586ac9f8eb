"""What-if scenarios: a copy of the baseline (criteria + data) with overrides.

A scenario file (YAML, read strictly: unknown keys and duplicate keys are errors naming the
line)::

    name: "Sở B ban hành kế hoạch đúng hạn"      # optional
    baseline:
      criteria: ../criteria.yaml                  # or a list; paths relative to this file
      data: ../data
      stage: final                                # optional (self | final)
    overrides:
      - {unit: so-b, criterion: "1.1", value: 10/01/2024}   # a unit's value for a leaf
      - {unit: so-b, criterion: "1.4", points: 1}           # … or its points (manual, appraiser)
      - {criterion: "1.2", max: 3}                          # a leaf's maximum
      - {criterion: "2.1", rule: {target: 0.9}}             # rule parameters (merged)
      - {band: "Xuất sắc", min: 85}                         # one classification threshold
      - {bands: [{label: A, min: 90}, {label: B, min: 0}]}  # all of them
      # criteria changes take `criteria: ID` when several criteria sets are loaded

Criteria changes are applied to a dump of the pydantic model, which is then validated again and
checked as a whole tree exactly as at load time. Changing a leaf's maximum moves every
ancestor's written maximum by the same amount (the change is listed as a note); any other
inconsistency (a band worth more than the new maximum, a ``step`` that no longer divides it)
is an error naming the scenario file and the override's line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError

from par_index.common.schema import Strict
from par_index.common.values import format_number, nfc
from par_index.common.yaml_strict import LineDict, load_yaml
from par_index.criteria.compiled import CompiledCriteria, compile_criteria
from par_index.criteria.loader import check_tree, pydantic_message, pydantic_reason
from par_index.criteria.model import Amount, BandSpec, CriteriaSet, Points
from par_index.errors import InputError, Problem
from par_index.messages import (
    CRITERION_UNKNOWN,
    KEY_UNKNOWN,
    LEAF_UNKNOWN,
    NOT_A_MAPPING,
    ONE_OF_TWO,
    STAGE_UNKNOWN,
    UNIT_UNKNOWN,
    refused,
)
from par_index.scoring.engine import Results, SetResult, Stage, is_stage, score
from par_index.scoring.layout import value_problem
from par_index.scoring.results import Standing, standing
from par_index.unit_data.reader import UnitData


class ValueOverride(Strict):
    unit: str = Field(min_length=1)
    criterion: str = Field(min_length=1)
    value: str | None = None
    points: str | None = None

    def describe(self) -> str:
        if self.points is not None:
            return f"{self.unit}, tiêu chí {self.criterion}: chấm {self.points} điểm"
        return f"{self.unit}, tiêu chí {self.criterion}: giá trị {self.value}"


class NodeOverride(Strict):
    criterion: str = Field(min_length=1)
    criteria: str | None = None
    max: Points | None = None
    rule: dict[str, Any] | None = None

    def describe(self) -> str:
        parts = []
        if self.max is not None:
            parts.append(f"điểm tối đa {format_number(float(self.max))}")
        if self.rule is not None:
            parts.append("quy tắc " + ", ".join(f"{k} = {v}" for k, v in self.rule.items()))
        return f"tiêu chí {self.criterion}: " + "; ".join(parts)


class BandOverride(Strict):
    band: str = Field(min_length=1)
    min: Amount
    criteria: str | None = None

    def describe(self) -> str:
        return f"xếp loại {self.band}: từ {format_number(float(self.min))}"


class BandsOverride(Strict):
    bands: list[BandSpec] = Field(min_length=1)
    criteria: str | None = None

    def describe(self) -> str:
        return "xếp loại: " + ", ".join(f"{b.label} từ {format_number(float(b.min))}" for b in self.bands)


Override = ValueOverride | NodeOverride | BandOverride | BandsOverride


@dataclass
class Located:
    """An override and where it was written (the scenario file and line, or the command line)."""

    item: Override
    file: str = ""
    line: int | None = None


@dataclass
class Scenario:
    name: str
    criteria: list[Path]
    data: Path
    stage: Stage
    overrides: list[Located]
    file: str = ""


def _pick_model(raw: dict[str, Any]) -> type[Strict]:
    if "unit" in raw:
        return ValueOverride
    if "bands" in raw:
        return BandsOverride
    if "band" in raw:
        return BandOverride
    return NodeOverride


def _plain(v: Any) -> Any:
    """YAML scalars as the text a unit would write (dates dd/mm/yyyy stay dates)."""
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return "có" if v else "không"
    if isinstance(v, int | float):
        return repr(v)
    return v


def parse_override(raw: Any, file: str, line: int | None) -> tuple[Located | None, list[Problem]]:
    if not isinstance(raw, dict):
        return None, [Problem("scenario_override_shape", "mỗi thay đổi là một mục (unit/criterion/value, criterion/max/rule, band/min hoặc bands)", file=file, line=line)]
    model = _pick_model(raw)
    data = dict(raw)
    unknown = [k for k in data if k not in model.model_fields]
    if unknown:
        fields = ", ".join(model.model_fields)
        return None, [
            Problem("scenario_key_unknown", f"khóa '{k}' không dùng được trong thay đổi này (các khóa: {fields})", file=file,
                    line=raw.key_lines.get(k, line) if isinstance(raw, LineDict) else line, field=k, criterion=str(data.get("criterion", "")))
            for k in unknown
        ]
    if model is ValueOverride:
        for key in ("value", "points"):
            if key in data:
                data[key] = _plain(data[key])
        if ("value" in data) == ("points" in data):
            return None, [Problem("scenario_value", "thay đổi giá trị " + ONE_OF_TWO.format(first="'value'", second="'points'"), file=file, line=line, unit=str(data.get("unit", "")), criterion=str(data.get("criterion", "")))]
    for key in ("criterion", "unit", "criteria"):
        if key in data and not isinstance(data[key], str):
            data[key] = str(data[key])
    try:
        item = model.model_validate(data)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            field_name = ".".join(str(p) for p in err["loc"])
            key_line = raw.key_lines.get(str(err["loc"][0]), line) if isinstance(raw, LineDict) and err["loc"] else line
            out.append(Problem(pydantic_reason("scenario", err["type"]), pydantic_message(err), file=file, line=key_line, field=field_name, criterion=str(data.get("criterion", ""))))
        return None, out
    if isinstance(item, NodeOverride) and item.max is None and item.rule is None:
        return None, [Problem("scenario_node", "thay đổi tiêu chí cần 'max' hoặc 'rule'", file=file, line=line, criterion=item.criterion)]
    return Located(item, file, line), []  # type: ignore[arg-type]


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file strictly; :class:`InputError` lists every problem with its line."""
    path = Path(path)
    name = str(path)
    raw, problems = load_yaml(path)
    if not isinstance(raw, dict):
        raise InputError(Problem("scenario_shape", NOT_A_MAPPING.format(what="kịch bản", keys="baseline, overrides (name tùy chọn)"), file=name))
    lines = raw.key_lines if isinstance(raw, LineDict) else {}
    for key in raw:
        if key not in ("name", "baseline", "overrides"):
            problems.append(Problem("scenario_key_unknown", KEY_UNKNOWN.format(key=f"'{key}'", format="kịch bản (name, baseline, overrides)"), file=name, line=lines.get(key), field=key))
    base = raw.get("baseline")
    crit: list[Path] = []
    data: Path | None = None
    stage: Stage = "final"
    if not isinstance(base, dict):
        problems.append(Problem("scenario_baseline", "thiếu 'baseline' với 'criteria' và 'data'", file=name, line=lines.get("baseline"), field="baseline"))
    else:
        blines = base.key_lines if isinstance(base, LineDict) else {}
        for key in base:
            if key not in ("criteria", "data", "stage"):
                problems.append(Problem("scenario_key_unknown", KEY_UNKNOWN.format(key=f"'{key}'", format="của 'baseline' (criteria, data, stage)"), file=name, line=blines.get(key), field=f"baseline.{key}"))
        c = base.get("criteria")
        items = c if isinstance(c, list) else [c] if isinstance(c, str) else []
        if not items:
            problems.append(Problem("scenario_baseline", "'baseline.criteria' cần đường dẫn tệp tiêu chí", file=name, line=blines.get("criteria", base.line if isinstance(base, LineDict) else None), field="baseline.criteria"))
        crit = [path.parent / str(p) for p in items]
        if isinstance(base.get("data"), str):
            data = path.parent / base["data"]
        else:
            problems.append(Problem("scenario_baseline", "'baseline.data' cần đường dẫn dữ liệu đơn vị", file=name, line=blines.get("data"), field="baseline.data"))
        given = str(base.get("stage", "final"))
        if is_stage(given):
            stage = given
        else:
            problems.append(Problem("scenario_stage", STAGE_UNKNOWN.format(stage=given), file=name, line=blines.get("stage"), field="baseline.stage"))
    overrides: list[Located] = []
    raw_over = raw.get("overrides", [])
    if not isinstance(raw_over, list):
        problems.append(Problem("scenario_overrides", "'overrides' phải là một danh sách", file=name, line=lines.get("overrides"), field="overrides"))
        raw_over = []
    for item in raw_over:
        located, more = parse_override(item, name, item.line if isinstance(item, LineDict) else lines.get("overrides"))
        problems.extend(more)
        if located is not None:
            overrides.append(located)
    if problems:
        raise InputError(problems)
    assert data is not None
    return Scenario(nfc(str(raw.get("name") or path.stem)), crit, data, stage, overrides, name)


def parse_set_option(text: str) -> ValueOverride:
    """``UNIT:CODE=VALUE`` from the command line."""
    head, sep, value = text.partition("=")
    unit, sep2, code = head.partition(":")
    if not sep or not sep2 or not unit.strip() or not code.strip():
        raise InputError(Problem("set_syntax", f"--set '{text}' không đúng dạng ĐƠN_VỊ:TIÊU_CHÍ=GIÁ_TRỊ (ví dụ so-b:1.2=95%)", field="--set"))
    return ValueOverride(unit=nfc(unit.strip()), criterion=code.strip(), value=nfc(value.strip()))


# -- applying overrides -----------------------------------------------------------------------


def _find(nodes: list[dict[str, Any]], code: str, trail: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    for node in nodes:
        here = [*trail, node]
        if str(node.get("code")) == code:
            return here
        found = _find(node.get("children") or [], code, here)
        if found:
            return found
    return None


def apply_criteria(sets: Sequence[CompiledCriteria], overrides: Sequence[Located]) -> tuple[list[CompiledCriteria], list[str]]:
    """New compiled sets with the criteria overrides applied, and notes on derived changes."""
    out: list[CompiledCriteria] = []
    notes: list[str] = []
    problems: list[Problem] = []
    mine = [o for o in overrides if not isinstance(o.item, ValueOverride)]
    used = [False] * len(mine)
    for c in sets:
        relevant = [(k, o) for k, o in enumerate(mine) if getattr(o.item, "criteria", None) in (None, c.id)]
        if not relevant:
            out.append(c)
            continue
        d = c.spec.model_dump(by_alias=True, exclude_unset=True, mode="python")
        lines: dict[str, tuple[str, int | None]] = {}
        for k, o in relevant:
            item = o.item
            if isinstance(item, NodeOverride):
                trail = _find(d["nodes"], item.criterion, [])
                if trail is None:
                    continue
                used[k] = True
                node = trail[-1]
                lines[item.criterion] = (o.file, o.line)
                if "rule" not in node:
                    problems.append(Problem("scenario_not_leaf", f"'{item.criterion}' là tiêu chí cha; chỉ đổi được điểm tối đa hoặc quy tắc của tiêu chí thành phần", criterion=item.criterion, file=o.file, line=o.line))
                    continue
                if item.max is not None:
                    old = Decimal(str(node.get("max", 0)))
                    diff = item.max - old
                    node["max"] = item.max
                    for parent in trail[:-1]:
                        if parent.get("max") is not None:
                            before = Decimal(str(parent["max"]))
                            parent["max"] = before + diff
                            notes.append(f"điểm tối đa của {parent['code']} đổi từ {format_number(float(before))} thành {format_number(float(before + diff))} theo tiêu chí {item.criterion}")
                if item.rule is not None:
                    rule = dict(node["rule"])
                    if "kind" in item.rule and item.rule["kind"] != rule.get("kind"):
                        rule = dict(item.rule)
                    else:
                        rule.update(item.rule)
                    node["rule"] = rule
            elif isinstance(item, BandOverride):
                bands = d.get("bands") or []
                hit = [b for b in bands if b["label"] == nfc(item.band)]
                if not hit:
                    known = ", ".join(b["label"] for b in bands) or "chưa có xếp loại nào"
                    problems.append(Problem("scenario_band_unknown", f"không có xếp loại '{item.band}' trong bộ tiêu chí {c.id} ({known})", file=o.file, line=o.line))
                    used[k] = True
                    continue
                used[k] = True
                hit[0]["min"] = item.min
            elif isinstance(item, BandsOverride):
                used[k] = True
                d["bands"] = [b.model_dump() for b in item.bands]
        try:
            spec = CriteriaSet.model_validate(d)
        except ValidationError as exc:
            for err in exc.errors():
                code = _code_at(d, err["loc"])
                file, line = lines.get(code, (mine[0].file, mine[0].line))
                problems.append(Problem(pydantic_reason("scenario", err["type"]), pydantic_message(err), file=file, line=line, criterion=code, field=str(err["loc"][-1])))
            continue
        for p in check_tree(spec, d, c.id):
            file, line = lines.get(p.criterion, (mine[0].file, mine[0].line))
            problems.append(Problem(p.reason, p.message, file=file, line=line, criterion=p.criterion, field=p.field))
        out.append(compile_criteria(spec, c.path))
    for k, o in enumerate(mine):
        if not used[k] and isinstance(o.item, NodeOverride):
            problems.append(Problem("scenario_criterion_unknown", CRITERION_UNKNOWN.format(criterion=o.item.criterion, where="bộ tiêu chí đã nạp"), file=o.file, line=o.line, criterion=o.item.criterion))
    if problems:
        raise InputError(problems)
    return out, notes


def _code_at(d: dict[str, Any], loc: tuple[Any, ...]) -> str:
    cur: Any = d
    code = ""
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(cur, dict) and "code" in cur:
            code = str(cur["code"])
    return code


def apply_values(data: UnitData, sets: Sequence[CompiledCriteria], overrides: Sequence[Located]) -> UnitData:
    """A copy of ``data`` where each value override replaces every row of its (unit, criterion)."""
    mine = [o for o in overrides if isinstance(o.item, ValueOverride)]
    if not mine:
        return data
    units = set(data.units["unit"])
    leaves = {leaf.code for c in sets for leaf in c.leaves}
    survey = {leaf.code for c in sets for leaf in c.leaves if leaf.is_survey}  # Sở Nội vụ's: a survey row, not the unit's own
    kind_of = dict(zip(data.units["unit"], data.units["kind"], strict=False))
    problems = []
    rows = data.assessments
    new_rows = []
    for o in mine:
        item = o.item
        assert isinstance(item, ValueOverride)
        if item.unit not in units:
            problems.append(Problem("scenario_unit_unknown", UNIT_UNKNOWN.format(unit=item.unit, where="dữ liệu"), file=o.file, line=o.line, unit=item.unit))
            continue
        if item.criterion not in leaves:
            problems.append(Problem("scenario_criterion_unknown", LEAF_UNKNOWN.format(criterion=item.criterion, where="bộ tiêu chí"), file=o.file, line=o.line, unit=item.unit, criterion=item.criterion))
            continue
        problem = _value_problem(sets, kind_of.get(item.unit), item.criterion, item.value or "")
        if problem is not None:
            problems.append(
                Problem("scenario_value", f"{item.unit}:{item.criterion}={item.value}: {problem}", file=o.file, line=o.line, unit=item.unit, criterion=item.criterion)
            )
            continue
        rows = rows[~((rows["unit"] == item.unit) & (rows["criterion"] == item.criterion))]
        new_rows.append(
            {"unit": item.unit, "criterion": item.criterion, "value": item.value or "", "stage": "survey" if item.criterion in survey else "self", "note": "kịch bản", "points": item.points or "", "at_file": o.file or "--set", "at_line": o.line}
        )
    if problems:
        raise InputError(problems)
    added = pd.DataFrame(new_rows)
    for col in rows.columns:
        if col not in added.columns:
            added[col] = ""
    assessments = pd.concat([rows, added[rows.columns]], ignore_index=True)
    return UnitData(data.units, assessments, data.evidence, data.source, list(data.problems), data.files_root)


def _value_problem(sets: Sequence[CompiledCriteria], kind: str | None, code: str, text: str) -> str | None:
    """Why a value override cannot be scored by its leaf's rule (the leaf of the unit's set)."""
    for c in sets:
        if code in c.leaf_index and (kind is None or kind in c.kinds):
            leaf = c.leaves[c.leaf_index[code]]
            found = value_problem(leaf.rule, float(leaf.max), text)
            return refused(found) if found is not None else None  # refused (exit 2), not scored
    return None


# -- comparing baseline and scenario -----------------------------------------------------------


@dataclass
class CompareRow:
    unit: str
    name: str
    kind: str
    base: Standing
    new: Standing
    areas: list[tuple[float, float]]
    rank_move: int  # positive: moved up

    @property
    def changed(self) -> bool:
        return (self.base.points, self.base.index, self.base.rank, self.base.band) != (self.new.points, self.new.index, self.new.rank, self.new.band)


@dataclass
class Group:
    label: str
    area_labels: list[str]
    rows: list[CompareRow]


@dataclass
class WhatIf:
    name: str
    base: Results
    new: Results
    override_texts: list[str]
    notes: list[str] = field(default_factory=list)

    def groups(self) -> list[Group]:
        out = []
        for bs, ns in zip(self.base.sets, self.new.sets, strict=True):
            c = ns.criteria
            areas = [a.code for a in bs.criteria.areas()]
            labels = [f"{a.code}. {a.name}" for a in bs.criteria.areas()]
            for kind, label in c.kinds.items():
                rows = []
                for i in (int(x) for x in np.flatnonzero(bs.units["kind"].to_numpy() == kind)):
                    unit = str(bs.units["unit"].iat[i])
                    j = ns.unit_row(unit)
                    rows.append(
                        CompareRow(
                            unit, str(bs.units["name"].iat[i]), kind, standing(bs, i), standing(ns, j),
                            [(_area(bs, i, a), _area(ns, j, a)) for a in areas], _move(bs.rank[i], ns.rank[j]),
                        )
                    )
                rows.sort(key=lambda r: (r.new.rank if r.new.rank is not None else 10**9, r.unit))
                if rows:
                    out.append(Group(label, labels, rows))
        return out

    def as_dict(self) -> dict[str, Any]:
        units = []
        for g in self.groups():
            for r in g.rows:
                units.append(
                    {
                        "unit": r.unit,
                        "name": r.name,
                        "kind": r.kind,
                        "baseline": {**r.base.__dict__, "areas": {lab.split(". ")[0]: a for lab, (a, _b) in zip(g.area_labels, r.areas, strict=True)}},
                        "scenario": {**r.new.__dict__, "areas": {lab.split(". ")[0]: b for lab, (_a, b) in zip(g.area_labels, r.areas, strict=True)}},
                        "rank_move": r.rank_move,
                        "changed": r.changed,
                    }
                )
        return {"scenario": self.name, "overrides": self.override_texts, "notes": self.notes, "units": units}


def _area(s: SetResult, i: int, code: str) -> float:
    j = s.criteria.node_index.get(code)
    return float("nan") if j is None else float(s.node_points[i, j] / s.scale)


def _move(a: float, b: float) -> int:
    return 0 if np.isnan(a) or np.isnan(b) else int(a - b)


def run_whatif(
    name: str,
    sets: Sequence[CompiledCriteria],
    data: UnitData,
    stage: Stage,
    overrides: Sequence[Located],
) -> WhatIf:
    """Score the baseline and the scenario (a copy with the overrides) and compare them."""
    base = score(list(sets), data, stage)
    new_sets, notes = apply_criteria(sets, overrides)
    new_data = apply_values(data, new_sets, overrides)
    new = score(new_sets, new_data, stage)
    return WhatIf(name, base, new, [o.item.describe() for o in overrides], notes)
