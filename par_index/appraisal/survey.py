"""Survey results (điều tra xã hội học) as answer counts, merged into the index.

Inputs, beside the unit data (a folder; or a ``survey`` sheet of the data workbook with the map
beside the workbook):

* ``survey.csv``: ``unit, group, question, answer, count`` — how many respondents of a group
  (người dân, doanh nghiệp, công chức, …) gave each answer to a question about a unit;
* ``survey-map.yaml``: respondent groups and their weights, each question's leaf, and the answer
  table (share of the points each answer earns) for leaves whose rule has none::

      groups: {nguoi-dan: 0.5, doanh-nghiep: 0.3, cong-chuc: 0.2}
      answers: {A: 1, B: 0.6, C: 0.2, D: 0, E: 0}     # default table (optional)
      questions:
        Q1: {leaf: "8.1.1"}
        Q2: {leaf: "8.2.2", answers: {A: 1, B: 0.5, C: 0}, groups: {cong-chuc: 1}}

For each (unit, leaf) the share is the group-weighted favourable share::

    share = Σ_g w_g · (Σ_a count_ga · value_a) / (Σ_a count_ga)  /  Σ_g w_g

pooling every question mapped to the leaf within a group. It becomes a ``survey``-stage value
of the leaf (points = max × share, by the leaf's ``survey`` rule). The answer table is the
leaf rule's ``answers`` when it has them, else the question's, else the map's default.

Nothing is guessed: a row with an unknown unit, question, group or answer, a negative or
non-integer count, and a weighted group with no answers are reported, and the (unit, leaf)
they concern gets no survey value from this file. For every (unit, leaf) that ``survey.csv``
covers (the unit has rows and the leaf is mapped), it replaces the ``survey`` rows of
``assessments.csv``, with one warning saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from par_index.common.values import format_number, nfc
from par_index.common.yaml_strict import LineDict, load_yaml
from par_index.errors import InputError, Problem
from par_index.messages import ANSWER_SHARE_RANGE, NOT_A_MAPPING, UNIT_UNKNOWN
from par_index.unit_data.reader import UnitData, read_csv_table

if TYPE_CHECKING:  # a folder with no survey is read without pandas
    import pandas as pd

SURVEY_COLUMNS: tuple[list[str], list[str]] = (["unit", "group", "question", "answer", "count"], [])
MAP_NAMES = ("survey-map.yaml", "survey-map.yml")


@dataclass
class Question:
    id: str
    leaf: str
    groups: dict[str, Fraction]
    answers: dict[str, Fraction] | None
    line: int | None


@dataclass
class SurveyMap:
    file: str
    groups: dict[str, Fraction]
    answers: dict[str, Fraction] | None
    questions: dict[str, Question] = field(default_factory=dict)

    def leaves(self) -> dict[str, list[Question]]:
        out: dict[str, list[Question]] = {}
        for q in self.questions.values():
            out.setdefault(q.leaf, []).append(q)
        return out


# -- reading -----------------------------------------------------------------------------------


def add_to(data: UnitData, path: Path) -> None:
    """Read ``survey.csv`` and ``survey-map.yaml`` at ``path``; the shares are built per criteria."""
    table, file, map_dir = _find_table(path)
    if table is None:
        return
    map_path = next((map_dir / n for n in MAP_NAMES if (map_dir / n).is_file()), None)
    if map_path is None:
        raise InputError(
            Problem(
                "survey_map_missing",
                f"có bảng kết quả điều tra nhưng không có tệp {MAP_NAMES[0]} bên cạnh (cần: nhóm đối tượng và trọng số, câu hỏi → tiêu chí)",
                file=str(map_dir / MAP_NAMES[0]),
            )
        )
    smap = load_map(map_path)
    from par_index.appraisal.records import _finish

    rows = _finish(table, file, SURVEY_COLUMNS, data.problems)
    rows, broken = _check_rows(rows, smap, set(data.units["unit"]), data.problems)
    data.survey = rows
    data.resolvers.append(lambda d, criteria: resolve(d, criteria, smap, rows, broken))


def _find_table(path: Path) -> tuple[pd.DataFrame | None, str, Path]:
    if path.is_dir():
        file = path / "survey.csv"
        return (read_csv_table(file), file.name, path) if file.is_file() else (None, "", path)
    if path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file():
        from par_index.appraisal.records import _workbook_sheets

        sheets = _workbook_sheets(path, ("survey",))
        if "survey" in sheets:
            return sheets["survey"], f"{path.name}[survey]", path.parent
    return None, "", path


def load_map(path: Path) -> SurveyMap:
    """``survey-map.yaml``, strictly: every problem found is raised at once (exit 2)."""
    raw, problems = load_yaml(path)
    file = str(path)
    out = SurveyMap(file, {}, None)

    def add(message: str, line: int | None, field_name: str = "") -> None:
        problems.append(Problem("survey_map_invalid", message, file=file, line=line, field=field_name))

    def line_of(d: Any, key: str) -> int | None:
        return d.key_lines.get(key, d.line) if isinstance(d, LineDict) else None

    if not isinstance(raw, dict):
        raise InputError([*problems, Problem("survey_map_invalid", NOT_A_MAPPING.format(what="ánh xạ câu hỏi", keys="groups, questions (answers tùy chọn)"), file=file)])
    for key in raw:
        if key not in ("groups", "answers", "questions"):
            add(f"khóa '{key}' không được dùng; chỉ có groups, answers, questions", line_of(raw, key), key)
    out.groups = _weights(raw.get("groups"), "groups", line_of(raw, "groups"), add, required=True)
    if raw.get("answers") is not None:
        out.answers = _answers(raw["answers"], "answers", line_of(raw, "answers"), add)
    questions = raw.get("questions")
    if not isinstance(questions, dict) or not questions:
        add("cần khóa questions: mỗi câu hỏi → {leaf: \"mã tiêu chí\"}", line_of(raw, "questions"), "questions")
        questions = {}
    for qid, spec in questions.items():
        qline = line_of(questions, qid)
        where = f"questions.{qid}"
        if isinstance(spec, str):
            spec = {"leaf": spec}
        if not isinstance(spec, dict):
            add(f"câu hỏi {qid}: cần {{leaf: \"mã tiêu chí\"}} (mã tiêu chí đặt trong ngoặc kép)", qline, where)
            continue
        for key in spec:
            if key not in ("leaf", "answers", "groups"):
                add(f"câu hỏi {qid}: khóa '{key}' không được dùng; chỉ có leaf, answers, groups", line_of(spec, key), f"{where}.{key}")
        leaf = spec.get("leaf")
        if not isinstance(leaf, str) or not leaf.strip():
            add(f"câu hỏi {qid}: leaf phải là mã tiêu chí viết trong ngoặc kép (ví dụ \"8.1.1\"), không phải {leaf!r}", line_of(spec, "leaf"), f"{where}.leaf")
            continue
        groups = out.groups
        if "groups" in spec:
            groups = _weights(spec["groups"], f"{where}.groups", line_of(spec, "groups"), add, required=True)
            unknown = [g for g in groups if g not in out.groups]
            if unknown:
                add(f"câu hỏi {qid}: nhóm {', '.join(unknown)} không có trong groups ({', '.join(out.groups)})", line_of(spec, "groups"), f"{where}.groups")
        answers = _answers(spec["answers"], f"{where}.answers", line_of(spec, "answers"), add) if "answers" in spec else None
        out.questions[nfc(str(qid)).strip()] = Question(nfc(str(qid)).strip(), nfc(leaf).strip(), groups, answers, qline)
    for leaf, qs in out.leaves().items():
        if any(q.groups != qs[0].groups for q in qs[1:]):
            add(f"các câu hỏi {', '.join(q.id for q in qs)} cùng tính cho tiêu chí {leaf} nhưng có nhóm/trọng số khác nhau; hãy dùng cùng groups", qs[0].line, "questions")
    if problems:
        raise InputError(problems)
    return out


def _fraction(v: Any) -> Fraction | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return Fraction(Decimal(repr(v))) if isinstance(v, float) else Fraction(v)


def _weights(raw: Any, name: str, line: int | None, add: Any, required: bool) -> dict[str, Fraction]:
    if not isinstance(raw, dict) or not raw:
        if required:
            add(f"{name}: cần bảng nhóm đối tượng → trọng số (ví dụ {{nguoi-dan: 0.5, doanh-nghiep: 0.5}})", line, name)
        return {}
    out = {}
    for g, w in raw.items():
        f = _fraction(w)
        if f is None or f <= 0:
            add(f"{name}.{g}: trọng số phải là số dương, không phải {w!r}", raw.key_lines.get(g, line) if isinstance(raw, LineDict) else line, f"{name}.{g}")
            continue
        out[nfc(str(g)).strip()] = f
    return out


def _answers(raw: Any, name: str, line: int | None, add: Any) -> dict[str, Fraction] | None:
    if not isinstance(raw, dict) or not raw:
        add(f"{name}: cần bảng đáp án → tỷ lệ điểm (ví dụ {{A: 1, B: 0.6, C: 0}})", line, name)
        return None
    out = {}
    for a, v in raw.items():
        f = _fraction(v)
        if f is None or not 0 <= f <= 1:
            add(ANSWER_SHARE_RANGE.format(answer=f"{name}.{a}", value=repr(v)), raw.key_lines.get(a, line) if isinstance(raw, LineDict) else line, f"{name}.{a}")
            continue
        out[nfc(str(a)).strip().upper()] = f
    return out


def _row_problem(r: Any, reason: str, message: str, severity: str = "error") -> Problem:
    return Problem(reason, message, file=str(r["at_file"]), line=int(r["at_line"]), unit=str(r["unit"]), field=str(r["question"]), severity=severity)


def _check_rows(rows: pd.DataFrame, smap: SurveyMap, units: set[str], problems: list[Problem]) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """Row checks that need no criteria. Returns the usable rows (with an int ``n``) and the
    (unit, question) pairs that a bad row makes impossible to compute."""
    keep: list[int] = []
    counts: list[int] = []
    broken: set[tuple[str, str]] = set()
    seen: dict[tuple[str, str, str, str], int] = {}
    records = rows.to_dict("records")
    for pos, r in enumerate(records):
        unit, group, qid, answer, text = (str(r[c]).strip() for c in ("unit", "group", "question", "answer", "count"))
        spoil = "; tỷ lệ của đơn vị cho câu hỏi này không được tính"
        if unit not in units:
            problems.append(_row_problem(r, "survey_unit_unknown", UNIT_UNKNOWN.format(unit=unit, where="units") + "; dòng này không được tính"))
            continue
        q = smap.questions.get(qid)
        if q is None:
            known = ", ".join(smap.questions)
            problems.append(_row_problem(r, "survey_question_unknown", f"câu hỏi '{qid}' không có trong {Path(smap.file).name} (có: {known}); dòng này không được tính"))
            continue
        if group not in q.groups:
            problems.append(_row_problem(r, "survey_group_unknown", f"nhóm đối tượng '{group}' không có trong nhóm của câu hỏi {qid} ({', '.join(q.groups)}){spoil}"))
            broken.add((unit, qid))
            continue
        n = _count(text)
        if n is None:
            problems.append(_row_problem(r, "survey_count_not_integer", f"số phiếu '{text}' không phải số nguyên không âm{spoil}"))
            broken.add((unit, qid))
            continue
        if n < 0:
            problems.append(_row_problem(r, "survey_count_negative", f"số phiếu {text} là số âm{spoil}"))
            broken.add((unit, qid))
            continue
        key = (unit, group, qid, answer.upper())
        if key in seen:
            problems.append(_row_problem(r, "survey_row_duplicate", f"dòng trùng (cùng đơn vị, nhóm, câu hỏi, đáp án; dòng đầu ở dòng {seen[key]}){spoil}"))
            broken.add((unit, qid))
            continue
        seen[key] = int(r["at_line"])
        keep.append(pos)
        counts.append(n)
    out = rows.iloc[keep].copy()
    out["n"] = counts
    out["answer"] = out["answer"].astype(str).str.strip().str.upper()
    return out.reset_index(drop=True), broken


def _count(text: str) -> int | None:
    """A whole number of respondents (``12``, ``12.0``, ``-3``), or None."""
    t = text.strip().replace(" ", "")
    try:
        v = Decimal(t)
    except ArithmeticError:
        return None
    if not v.is_finite() or v.adjusted() > MAX_COUNT_DIGITS or v != v.to_integral_value():
        return None  # magnitude checked first: 1e10000000 would take forever to make whole
    return int(v)


MAX_COUNT_DIGITS = 12  # a respondent count above 10^12 is not a count


# -- the shares, once the criteria are known ---------------------------------------------------


@dataclass
class ShareLine:
    """One (unit, leaf) share and how it was made (for the note and the tests)."""

    unit: str
    leaf: str
    share: Fraction
    parts: list[tuple[str, int, Fraction, Fraction]]  # group, respondents, favourable, weight
    line: int


def resolve(data: UnitData, criteria: Sequence[Any], smap: SurveyMap, rows: pd.DataFrame, broken: set[tuple[str, str]]) -> None:
    """Add the ``survey``-stage rows built from answer counts; drop the ones they replace."""
    lines, covered = shares(data, criteria, smap, rows, broken)
    a = data.assessments
    pairs = set(covered)
    if pairs:
        key = list(zip(a["unit"], a["criterion"], strict=True))
        replaced = np.array([(st == "survey" and k in pairs) for st, k in zip(a["stage"], key, strict=True)], dtype=bool)
        if replaced.any():
            files = sorted(set(a.loc[replaced, "at_file"].astype(str)))
            leaves = sorted({k[1] for k, hit in zip(key, replaced, strict=True) if hit})
            data.problems.append(
                Problem(
                    "survey_replaces_assessments",
                    f"{int(replaced.sum())} dòng giai đoạn survey (tiêu chí {', '.join(leaves)}) được thay bằng kết quả tính từ {Path(str(rows['at_file'].iat[0])).name if len(rows) else 'survey.csv'}",
                    file=", ".join(files),
                    severity="warning",
                )
            )
            a = a[~replaced]
    import pandas as pd

    new = pd.DataFrame(
        {
            "unit": [s.unit for s in lines],
            "criterion": [s.leaf for s in lines],
            "value": [_decimal_text(s.share) for s in lines],
            "stage": "survey",
            "note": [note(s) for s in lines],
            "points": "",
            "at_line": [s.line for s in lines],
            "at_file": str(rows["at_file"].iat[0]) if len(rows) else "",
        }
    )
    for col in a.columns:
        if col not in new.columns:
            new[col] = ""
    data.assessments = pd.concat([a, new[list(a.columns)]], ignore_index=True)


def shares(
    data: UnitData, criteria: Sequence[Any], smap: SurveyMap, rows: pd.DataFrame, broken: set[tuple[str, str]]
) -> tuple[list[ShareLine], list[tuple[str, str]]]:
    """The computed shares, and every (unit, leaf) that ``survey.csv`` covers (computed or not)."""
    problems = data.problems
    kind_of = dict(zip(data.units["unit"], data.units["kind"], strict=False))
    set_of = {kind: c for c in criteria for kind in c.kinds}
    by_leaf = smap.leaves()
    reported: set[tuple[str, str]] = set()
    out: list[ShareLine] = []
    covered: list[tuple[str, str]] = []
    by_unit: dict[str, list[dict[str, Any]]] = {}
    for r in rows.to_dict("records"):
        by_unit.setdefault(str(r["unit"]), []).append({str(k): v for k, v in r.items()})
    for unit, urows in by_unit.items():
        c = set_of.get(kind_of.get(unit, ""))
        if c is None:
            continue  # the engine reports units of unknown kind
        for leaf_code, questions in by_leaf.items():
            j = c.leaf_index.get(leaf_code)
            if j is None or c.leaves[j].rule.kind != "survey":
                if j is None and any(leaf_code in other.leaf_index for other in criteria):
                    continue  # a leaf of another criteria set (e.g. only the districts')
                if (c.id, leaf_code) not in reported:
                    reported.add((c.id, leaf_code))
                    what = "không có trong bộ tiêu chí" if j is None else "không phải tiêu chí điều tra xã hội học (rule survey)"
                    problems.append(
                        Problem("survey_map_leaf_unknown", f"câu hỏi {', '.join(q.id for q in questions)}: tiêu chí {leaf_code} {what} {c.id}; kết quả điều tra của câu hỏi này không được tính", file=smap.file, line=questions[0].line)
                    )
                continue
            leaf = c.leaves[j]
            if not c.applicable(kind_of[unit])[j]:
                continue
            covered.append((unit, leaf_code))
            qids = {q.id for q in questions}
            sel = [r for r in urows if r["question"] in qids]
            first_line = min(int(r["at_line"]) for r in (sel or urows))
            where: dict[str, Any] = {"file": str(urows[0]["at_file"]), "line": first_line, "unit": unit, "criterion": leaf_code}
            if any((unit, q) in broken for q in qids):
                continue  # the bad rows were reported
            if not sel:
                problems.append(Problem("survey_leaf_no_answers", f"không có phiếu nào cho câu hỏi {', '.join(sorted(qids))} (tiêu chí {leaf_code}); tiêu chí không có điểm điều tra", **where))
                continue
            table = _table(leaf.rule.answers, questions[0].answers, smap.answers)
            if table is None:
                problems.append(Problem("survey_answers_missing", f"tiêu chí {leaf_code} không có bảng quy đổi đáp án (answers) trong bộ tiêu chí hay trong {Path(smap.file).name}; không tính được tỷ lệ", **where))
                continue
            line = _share(unit, leaf_code, sel, questions[0].groups, table, first_line, problems)
            if line is not None:
                out.append(line)
    return out, covered


def _table(rule_answers: dict[str, float] | None, question: dict[str, Fraction] | None, default: dict[str, Fraction] | None) -> dict[str, Fraction] | None:
    if rule_answers:
        return {nfc(k).strip().upper(): Fraction(Decimal(repr(float(v)))) for k, v in rule_answers.items()}
    return question or default


def _share(
    unit: str, leaf: str, sel: list[dict[str, Any]], weights: dict[str, Fraction], table: dict[str, Fraction], first_line: int, problems: list[Problem]
) -> ShareLine | None:
    ok = True
    for r in (r for r in sel if r["answer"] not in table):
        known = ", ".join(table)
        problems.append(
            Problem("survey_answer_unknown", f"đáp án '{r['answer']}' không có trong bảng quy đổi ({known}); tỷ lệ của đơn vị cho tiêu chí {leaf} không được tính", file=str(r["at_file"]), line=int(r["at_line"]), unit=unit, criterion=leaf, field=str(r["question"]))
        )
        ok = False
    parts = []
    for g, w in weights.items():
        grows = [r for r in sel if r["group"] == g]
        n = sum(int(r["n"]) for r in grows)
        if n == 0:
            problems.append(
                Problem("survey_group_no_answers", f"nhóm đối tượng '{g}' (trọng số {format_number(float(w), 4)}) không có phiếu trả lời nào cho tiêu chí {leaf}; tỷ lệ không được tính (không tự chia lại trọng số)", file=str(sel[0]["at_file"]), line=first_line, unit=unit, criterion=leaf)
            )
            ok = False
            continue
        fav = sum((table.get(r["answer"], Fraction(0)) * int(r["n"]) for r in grows), Fraction(0))
        parts.append((g, n, fav, w))
    if not ok:
        return None
    total_w = sum((w for *_x, w in parts), Fraction(0))
    share = sum((w * fav / n for _g, n, fav, w in parts), Fraction(0)) / total_w
    return ShareLine(unit, leaf, share, parts, first_line)


def _decimal_text(x: Fraction) -> str:
    """The share with 15 decimals (exact enough for points rounded to 0.01)."""
    d = (Decimal(x.numerator) / Decimal(x.denominator)).quantize(Decimal("1e-15"))
    return format(d.normalize(), "f") if d else "0"


def note(s: ShareLine) -> str:
    groups = "; ".join(f"{g}: {format_number(float(fav), 2)}/{n} phiếu (trọng số {format_number(float(w), 4)})" for g, n, fav, w in s.parts)
    return f"tính từ kết quả điều tra ({groups}) → {format_number(float(s.share) * 100, 2)}%"
