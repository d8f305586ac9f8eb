"""Per leaf, the trail of a score through the rounds: self → round 1 → explanation → round 2.

Each step says what the value and points were after it, who changed them, when and why, and
where that is written. The points of each step are the engine's: the unit's data are scored
as they stood after self-assessment (with the survey), after round 1 and after round 2. The
last step that set points is marked final (final = the last round present).

:func:`leaf_trails` gives one unit's trails (``explain`` shows them); :func:`trails_frame`
gives every unit's as one table, for reports.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from par_index.common.rounding import RESOLUTION_DIGITS
from par_index.common.values import format_number
from par_index.scoring.engine import STAGE_WORDS, Results, SetResult, score
from par_index.unit_data.reader import UnitData

LEVELS = (
    ("self", ("self", "survey")),
    ("appraisal1", ("self", "survey", "appraisal1")),
    ("appraisal2", ("self", "survey", "appraisal1", "appraisal2")),
)
STEP_WORDS = {**STAGE_WORDS, "explanation": "giải trình của đơn vị"}


@dataclass
class TrailStep:
    step: str  # self | survey | appraisal1 | explanation | appraisal2
    label: str  # Vietnamese
    value: str  # the value as written at this step ('' when points were given directly)
    points: float | None  # the leaf's points after this step (None for an explanation)
    text: str = ""  # the appraiser's reason, the unit's explanation or note
    who: str = ""  # the appraiser
    date: str = ""  # dd/mm/yyyy
    source: str = ""  # file and line
    final: bool = False

    def line(self) -> str:
        """One Vietnamese line for the console."""
        parts = [self.label]
        if self.date:
            parts[0] += f" ({self.date})"
        if self.value:
            parts.append(f"giá trị {self.value}")
        if self.points is not None:
            parts.append(f"{format_number(self.points, RESOLUTION_DIGITS)} điểm")
        if self.text:
            parts.append(f"lý do: {self.text}" if self.step.startswith("appraisal") else self.text)
        if self.who:
            parts.append(f"người thẩm định: {self.who}")
        if self.final:
            parts.append("→ điểm cuối cùng")
        return "; ".join(parts)


def leaf_trails(results: Results, data: UnitData, unit: str) -> dict[str, list[TrailStep]]:
    """Leaf code → the trail of ``unit``'s score on it (every leaf has at least its first step)."""
    from par_index.appraisal.records import show_date

    s, _ = results.find(unit)
    c = s.criteria
    one = _one_unit(data, unit)
    levels: dict[str, tuple[SetResult, int]] = {}
    present = set(one.assessments["stage"])
    for n, (name, stages) in enumerate(LEVELS):
        if n and name not in present:  # no row of this round: the same as the level before
            levels[name] = levels[LEVELS[n - 1][0]]
            continue
        part = replace(one, assessments=one.assessments[one.assessments["stage"].isin(stages)].reset_index(drop=True))
        levels[name] = score([c], part, "final").find(unit)
    records = _records(data, unit)
    explanations = data.explanations
    out: dict[str, list[TrailStep]] = {}
    for j, leaf in enumerate(c.leaves):
        ls, li = levels["self"]
        stage = str(ls.value_stage[li, j])
        steps = [
            TrailStep(
                stage or "self",
                STEP_WORDS.get(stage or "self", stage),
                str(ls.value_text[li, j]).strip(),
                ls.leaf_points[li, j] / ls.scale,
            )
        ]
        for rnd in ("appraisal1", "appraisal2"):
            if rnd == "appraisal2" and explanations is not None:
                for r in explanations[(explanations["unit"] == unit) & (explanations["criterion"] == leaf.code)].itertuples():
                    steps.append(
                        TrailStep("explanation", STEP_WORDS["explanation"], "", None, str(r.text), "", show_date(str(r.date)), _where(r))
                    )
            rs, ri = levels[rnd]
            rec = records.get((leaf.code, rnd))
            if rs.value_stage[ri, j] != rnd or rec is None:
                continue
            steps.append(
                TrailStep(
                    rnd,
                    STEP_WORDS[rnd],
                    str(rs.value_text[ri, j]).strip(),
                    rs.leaf_points[ri, j] / rs.scale,
                    str(rec["reason"]),
                    str(rec["appraiser"]),
                    show_date(str(rec["date"])),
                    f"{rec['at_file']} dòng {rec['at_line']}",
                )
            )
        last = max(n for n, st in enumerate(steps) if st.points is not None)
        steps[last].final = True
        out[leaf.code] = steps
    return out


TRAIL_HEADERS_VI = {
    "unit": "Mã đơn vị", "criterion": "Mã tiêu chí", "step": "Bước", "label": "Bước (diễn giải)", "value": "Giá trị",
    "points": "Điểm", "text": "Lý do / giải trình", "who": "Người thẩm định", "date": "Ngày", "source": "Nguồn (tệp, dòng)",
    "final": "Điểm cuối cùng",
}


def trails_frame(results: Results, data: UnitData, only_changed: bool = True) -> pd.DataFrame:
    """Every unit's trails as rows (unit, criterion, step, label, value, points, text, who,
    date, source, final); ``only_changed`` keeps leaves with an appraisal or an explanation."""
    rows = []
    a = data.assessments
    touched = set(a.loc[a["stage"].isin(["appraisal1", "appraisal2"]), "unit"])
    ex = data.explanations
    if ex is not None:
        touched |= set(ex["unit"])
    for s in results.sets:
        for unit in s.units["unit"]:
            if only_changed and unit not in touched:
                continue  # nothing but the first step: skip the scoring
            for code, steps in leaf_trails(results, data, str(unit)).items():
                if only_changed and len(steps) == 1:
                    continue
                for st in steps:
                    rows.append({"unit": str(unit), "criterion": code, **st.__dict__})
    cols = ["unit", "criterion", "step", "label", "value", "points", "text", "who", "date", "source", "final"]
    return pd.DataFrame(rows, columns=cols)


def _one_unit(data: UnitData, unit: str) -> UnitData:
    return replace(
        data,
        units=data.units[data.units["unit"] == unit].reset_index(drop=True),
        assessments=data.assessments[data.assessments["unit"] == unit].reset_index(drop=True),
        problems=[],
    )


def _records(data: UnitData, unit: str) -> dict[tuple[str, str], pd.Series]:
    """(leaf, stage) → the appraisal record the engine used (the first of its kind)."""
    rec = data.appraisals
    if rec is None:  # data built without read_data: the assessments rows are the records
        a = data.assessments
        a = a[a["stage"].isin(["appraisal1", "appraisal2"])]
        rec = pd.DataFrame(
            {"unit": a["unit"], "criterion": a["criterion"], "stage": a["stage"], "value": a["value"], "points": a["points"],
             "reason": a["note"], "appraiser": "", "date": "", "at_file": a["at_file"], "at_line": a["at_line"]}
        )
    out: dict[tuple[str, str], pd.Series] = {}
    for _, r in rec[rec["unit"] == unit].iterrows():
        out.setdefault((str(r["criterion"]), str(r["stage"])), r)
    return out


def _where(r: object) -> str:
    return f"{getattr(r, 'at_file', '')} dòng {getattr(r, 'at_line', '')}"
