"""The server's one door to the engine: criteria, unit-data reading, scoring, JSON results.

The server never scores by itself. It writes its rows as a unit-data folder (the same files
``db export`` writes) and runs the package's own reader and engine on it, so the server, the
exported folder and ``par-index score`` agree by construction. Every engine import of the server
is in this module.
"""

from __future__ import annotations

import csv
import json
import os
import posixpath
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from par_index.criteria.compiled import CompiledCriteria
from par_index.errors import InputError, Problem
from par_index.messages import CRITERION_UNKNOWN, NOT_SELF_ASSESSMENT, refused
from par_index.pipeline import add_extra_tables, load_criteria, read_base_tables, read_data
from par_index.pipeline import score as score_with_evidence
from par_index.scoring.engine import Stage, score
from par_index.scoring.results import json_units_block, to_json_dict
from par_index.scoring.writers import json_parts
from par_index.unit_data.reader import UnitData

__all__ = ["InputError", "Problem"]

UNIT_COLUMNS = ["unit", "name", "kind", "group"]
ASSESSMENT_COLUMNS = ["unit", "criterion", "value", "stage", "note", "points"]
EVIDENCE_COLUMNS = ["unit", "criterion", "document", "issued_on", "issuer", "file"]
APPRAISAL_COLUMNS = ["unit", "criterion", "round", "reason", "value", "points", "appraiser", "date"]
EXPLANATION_COLUMNS = ["unit", "criterion", "text", "date"]
SURVEY_COLUMNS = ["unit", "group", "question", "answer", "count"]
EXPORT_NAME = "db export"  # how problems name the folder the server scores
CRITERIA_DIR = "criteria/sets"  # main criteria files; includes sit relative to it


# ---------------------------------------------------------------- criteria ---------------


@dataclass(frozen=True)
class LeafInfo:
    set_id: str
    code: str
    name: str
    agency: str | None
    applies_to: frozenset[str] | None
    input_kind: str
    describe: str
    survey: bool = False  # Sở Nội vụ fills it from the survey; never the unit


@dataclass
class Criteria:
    """The compiled criteria sets of a round and what the server asks of them."""

    sets: list[CompiledCriteria]
    kinds: dict[str, int] = field(default_factory=dict)  # unit kind → set position

    def leaf(self, kind: str, code: str) -> LeafInfo | None:
        pos = self.kinds.get(kind)
        if pos is None:
            return None
        c = self.sets[pos]
        j = c.leaf_index.get(code)
        if j is None:
            return None
        leaf = c.leaves[j]
        if leaf.applies_to is not None and kind not in leaf.applies_to:
            return None
        return LeafInfo(c.id, leaf.code, leaf.name, leaf.agency, leaf.applies_to, leaf.rule.input_kind(), leaf.rule.describe(float(leaf.max)), leaf.is_survey)

    def leaves_of_agency(self, agency: str) -> set[tuple[str, str]]:
        """(set id, leaf code) pairs whose evidence ``agency`` supplies."""
        return {(c.id, leaf.code) for c in self.sets for leaf in c.leaves if leaf.agency == agency}

    def set_of_kind(self, kind: str) -> CompiledCriteria | None:
        pos = self.kinds.get(kind)
        return None if pos is None else self.sets[pos]


def criteria_files(paths: Sequence[Path]) -> list[tuple[str | None, str, str]]:
    """The criteria files and the files they include, as (set id or None, relative path, text).

    Loaded first (every problem reported at once, exit 2), then read as text for the database.
    """
    sets = load_criteria(*paths)
    out: list[tuple[str | None, str, str]] = []
    seen: set[str] = set()
    for c, path in zip(sets, paths, strict=True):
        rel = f"{CRITERIA_DIR}/{path.name}"
        if rel in seen:
            raise InputError(Problem("criteria_name_twice", "hai tệp tiêu chí cùng tên; hãy đặt tên khác nhau", file=str(path)))
        seen.add(rel)
        text = path.read_bytes().decode("utf-8-sig")
        out.append((c.id, rel, text))
        import yaml

        raw = yaml.safe_load(text)
        ref = raw.get("agencies") if isinstance(raw, dict) else None
        if isinstance(ref, str):
            inc = posixpath.normpath(posixpath.join(CRITERIA_DIR, ref.replace("\\", "/")))
            if inc.startswith("..") or inc.startswith("/"):
                raise InputError(
                    Problem("criteria_include_far", f"tệp cơ quan '{ref}' nằm quá xa tệp tiêu chí; hãy đặt nó cùng thư mục", file=str(path))
                )
            if inc not in seen:
                seen.add(inc)
                out.append((None, inc, (path.parent / ref).read_bytes().decode("utf-8-sig")))
    return out


def write_criteria(files: Iterable[tuple[str | None, str, str]], root: Path) -> list[Path]:
    """Write the stored criteria files under ``root``; the main files' paths, in order."""
    mains = []
    for set_id, rel, text in files:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        if set_id is not None:
            mains.append(p)
    return mains


@lru_cache(maxsize=8)
def _compiled(key: tuple[tuple[str | None, str, str], ...]) -> Criteria:
    with tempfile.TemporaryDirectory(prefix="par-index-criteria-") as tmp:
        sets = load_criteria(*write_criteria(key, Path(tmp)))
    crit = Criteria(sets)
    for pos, c in enumerate(sets):
        for kind in c.kinds:
            crit.kinds.setdefault(kind, pos)
    _CRITERIA_BY_ID[id(crit)] = crit
    return crit


def compile_stored(files: Sequence[tuple[str | None, str, str]]) -> Criteria:
    """Compile stored criteria files (cached by their texts)."""
    return _compiled(tuple(files))


# ---------------------------------------------------------------- unit data folders ------


def write_csv(path: Path, columns: list[str], rows: Iterable[Sequence[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)


def write_label(folder: Path, label: str) -> None:
    if label:
        (folder / "dataset.yaml").write_text(f"label: {json.dumps(label, ensure_ascii=False)}\n", encoding="utf-8")


def read_label(folder: Path) -> str:
    from par_index.unit_data.reader import read_label as engine_read_label

    return engine_read_label(folder) or ""


class TextTable:
    """A large table read for ``db import``: one list of text cells per column (a missing cell
    is ""), in the reader's row order. Iterating gives each row as a dict (for the few uses
    that are not bulk)."""

    def __init__(self, columns: dict[str, list[str]]) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))

    def __iter__(self) -> Iterator[dict[str, str]]:
        names = list(self.columns)
        return (dict(zip(names, row, strict=True)) for row in zip(*self.columns.values(), strict=True))


@dataclass
class Imported:
    """Rows of a unit-data folder or workbook, in the server's table shapes."""

    units: list[dict[str, str]]
    assessments: TextTable
    evidence: TextTable
    appraisals: list[dict[str, str]]
    explanations: list[dict[str, str]]
    survey: list[dict[str, str]]
    survey_map: str | None
    label: str
    problems: list[Problem]


def _records(df: Any, columns: list[str]) -> list[dict[str, str]]:
    if df is None or not len(df):
        return []
    return list(_text_columns(df, columns))


def _text_columns(df: Any, columns: list[str]) -> TextTable:
    """The ``columns`` of ``df`` as text: a missing cell (or column) is "", anything else str()."""
    import pandas as pd

    out: dict[str, list[str]] = {}
    for c in columns:
        if c not in df.columns:
            out[c] = [""] * len(df)
            continue
        cells = df[c].to_numpy(dtype=object)
        if pd.api.types.infer_dtype(cells, skipna=False) == "string":  # the usual case: every cell text
            out[c] = cells.tolist()
        else:
            out[c] = ["" if pd.isna(v) else str(v) for v in cells]
    return TextTable(out)


def read_import(path: Path) -> Imported:
    """Read unit data with the package's reader (every check and message of ``score --data``).

    The units, assessments and evidence are the three tables as read (appraisal rows stay in
    the assessments where a file put them); appraisal records and explanations come from
    ``appraisals.csv``/workbooks/``explanations.csv``; survey answer counts from ``survey.csv``
    through the survey reader.
    """
    base = read_base_tables(path)
    units, assessments, evidence = base.units, base.assessments, base.evidence  # before the extra tables
    full = add_extra_tables(base, path)
    own_files = set(assessments["at_file"].unique()) if len(assessments) else set()
    appraisals = full.appraisals
    rows: list[dict[str, str]] = []
    if appraisals is not None and len(appraisals):
        for r in _records(appraisals, [*APPRAISAL_COLUMNS, "stage", "at_file"]):
            if r["at_file"] in own_files:
                continue  # an assessments.csv appraisal row: kept there, as it was
            r["round"] = "2" if r.get("stage") == "appraisal2" else "1"
            rows.append(r)
    survey_map = None
    if full.survey is not None:
        map_dir = path if path.is_dir() else path.parent
        from par_index.appraisal.survey import MAP_NAMES

        mp = next((map_dir / n for n in MAP_NAMES if (map_dir / n).is_file()), None)
        survey_map = mp.read_bytes().decode("utf-8-sig") if mp else None
    return Imported(
        units=_records(units, UNIT_COLUMNS),
        assessments=_text_columns(assessments, ASSESSMENT_COLUMNS),
        evidence=_text_columns(evidence, EVIDENCE_COLUMNS),
        appraisals=rows,
        explanations=_records(full.explanations, EXPLANATION_COLUMNS),
        survey=_records(full.survey, SURVEY_COLUMNS),
        survey_map=survey_map,
        label=full.label or "",
        problems=list(full.problems),
    )


def read_units_file(path: Path) -> list[dict[str, str]]:
    """``units.csv`` read as ``score --data`` reads it."""
    from par_index.unit_data.reader import finish_table, read_csv_table

    problems: list[Problem] = []
    df = finish_table("units", read_csv_table(path), str(path), problems, complete=True)
    return _records(df, UNIT_COLUMNS)


def score_folder(
    criteria: Criteria, folder: Path, stage: Stage, files_root: Path | None, tables: dict[str, Any] | None = None,
    store: Path | None = None,
) -> tuple[bytes, list[dict[str, Any]]]:
    """``par-index score --data folder --stage stage --out x.json`` in memory: the JSON bytes
    the command writes (problems' file names relative to the folder) and the problems.

    ``tables``: units, assessments and evidence as (columns, rows) or as DataFrames of text
    cells instead of their CSV files in ``folder`` — the rows the reader would read from those
    files (:func:`read_folder_rows`)."""
    data = read_data(folder) if tables is None else read_folder_rows(folder, tables)
    if store is not None:  # the folder's files/ is a link to the server's own store
        data.trusted_links = (store,)
    results = score_with_evidence(criteria.sets, data, "self" if stage == "self" else "final", files=files_root)
    prefix = str(folder) + os.sep
    here = str(folder)

    def local(p: Problem) -> Problem:  # the temporary folder's name means nothing to the reader
        file = p.file[len(prefix):] if p.file and p.file.startswith(prefix) else p.file
        return replace(p, file=file, message=p.message.replace(here, EXPORT_NAME))

    results.problems[:] = [local(p) for p in results.problems]
    doc = to_json_dict(results, include_units=False)
    return b"".join(json_parts(doc, {"units": json_units_block(results)})), doc.get("problems", [])


def read_folder_rows(folder: Path, tables: dict[str, Any]) -> UnitData:
    """``read_data(folder)`` when units.csv, assessments.csv and evidence.csv hold ``tables``
    ((columns, rows), or a DataFrame of text cells, not changed here): the rows go through the
    reader's own ``finish`` as ``read_folder`` sends the text of each file (every cell a
    string, header order), then, as ``pipeline.read_data`` does, the appraisal tables and survey
    and the codes."""
    import pandas as pd

    from par_index.appraisal.read import add_tables
    from par_index.unit_data.reader import coded, finish
    from par_index.unit_data.table import Table

    problems: list[Problem] = []
    out = {}
    for name in ("units", "assessments", "evidence"):
        given = tables[name]
        if isinstance(given, pd.DataFrame):
            df = given
        else:
            columns, rows = given
            df = pd.DataFrame(rows, columns=columns, dtype=object) if rows else pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
        # kept as the reader's tables (as read_folder keeps them): the engine reads those, and a
        # DataFrame of them is built only if something asks for one (a million rows' texts as
        # objects cost ~0.1 CPU-s); Categoricals (the rows of round_rows) stay Categoricals, as
        # the reader keeps the assessment rows it reads columnar
        coded_frame = len(df.columns) > 0 and all(isinstance(df[c].dtype, pd.CategoricalDtype) for c in df.columns)
        out[name] = finish(name, Table.from_frame(df), str(folder / f"{name}.csv"), problems, complete=True, categorical=coded_frame)
    from par_index.unit_data.reader import read_label as engine_read_label

    data = UnitData(out["units"], out["assessments"], out["evidence"], str(folder), problems, files_root=folder, label=engine_read_label(folder))
    add_tables(data, folder)
    return coded(data)


# ---------------------------------------------------------------- one value --------------


def value_problems(criteria: Criteria, unit: dict[str, str], criterion: str, value: str, points: str = "") -> list[dict[str, Any]]:
    """What the engine says of one (unit, criterion) value: the errors about that row.

    The engine scores a unit of that kind with that one row against the leaf alone (a criteria
    set holding just that leaf, compiled once), so a value the leaf's rule cannot read gets the
    engine's own message (naming the expected input), as a refusal: the value is not saved, so
    the message does not say how it would be scored (:func:`messages.refused`). Cached per
    (kind, criterion, text).
    """
    found = _value_problems(id(criteria), unit["kind"], criterion, value, points)
    return [{**p, "message": refused(p["message"]), "unit": unit["unit"]} for p in found]


_CRITERIA_BY_ID: dict[int, Criteria] = {}


@lru_cache(maxsize=4096)
def _leaf_alone(crit_id: int, kind: str, criterion: str) -> CompiledCriteria | None:
    from par_index.criteria.compiled import compile_criteria

    c = _CRITERIA_BY_ID[crit_id].set_of_kind(kind)
    if c is None:
        return None

    def find(nodes: Sequence[Any]) -> Any:
        for n in nodes:
            if n.code == criterion and not n.children:
                return n
            hit = find(n.children or [])
            if hit is not None:
                return hit
        return None

    node = find(c.spec.nodes)
    if node is None:
        return None
    return compile_criteria(c.spec.model_copy(update={"nodes": [node]}), c.path)


@lru_cache(maxsize=4096)
def _leaf_tables(crit_id: int, kind: str, criterion: str) -> tuple[CompiledCriteria, Any, Any, Any] | None:
    """What scoring one value of a leaf needs besides the value, built once per round, kind and
    leaf (~2/3 of the work of a first check was rebuilding these): the leaf alone, the one-unit
    units table, and a one-row assessments table as ``finish_table`` gives it (the value and the
    points are put in per value: ``finish_table`` only makes those two columns object text)."""
    import pandas as pd

    from par_index.unit_data.reader import empty_table, finish_table

    c = _leaf_alone(crit_id, kind, criterion)
    if c is None:
        return None
    problems: list[Problem] = []
    units = finish_table("units", pd.DataFrame({"unit": ["u"], "name": ["u"], "kind": [kind]}), "units", problems)
    rows = finish_table(
        "assessments",
        pd.DataFrame({"unit": ["u"], "criterion": [criterion], "value": [""], "stage": ["self"], "note": [""], "points": [""]}),
        "assessments",
        problems,
    )
    assert not problems  # a clean one-row table
    return c, units, rows, empty_table("evidence")


@lru_cache(maxsize=65536)
def _value_problems(crit_id: int, kind: str, criterion: str, value: str, points: str) -> list[dict[str, Any]]:
    import numpy as np

    from par_index.unit_data.value_table import value_table

    tables = _leaf_tables(crit_id, kind, criterion)
    if tables is None:
        return [{"reason": "criterion_unknown", "message": CRITERION_UNKNOWN.format(criterion=criterion, where=f"bộ tiêu chí của loại đơn vị '{kind}'"), "criterion": criterion}]
    c, units, template, evidence = tables
    rows = template.copy()
    rows["value"] = np.array([value], dtype=object)
    rows["points"] = np.array([points], dtype=object)
    data = UnitData(units.copy(), rows, evidence.copy(), "server", [])
    value_table(data.assessments)
    results = score([c], data, "self")
    return [
        {"reason": p.reason, "message": p.message, "criterion": criterion}
        for p in results.problems
        if p.criterion == criterion and p.severity == "error" and p.reason != "value_missing"
    ]


def problem_dicts(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    return [p.as_dict() for p in problems]


def problem_text(p: Problem) -> str:
    return str(p)


# ---------------------------------------------------------------- uploaded tables --------


@dataclass
class WorkbookRead:
    """A filled self-assessment workbook as ``score --data`` reads it."""

    units: list[dict[str, str]]
    assessments: list[dict[str, str]]
    evidence: list[dict[str, str]]
    problems: list[dict[str, Any]]  # reader and engine problems, with sheet and cell


def read_self_workbook(criteria: Criteria, path: Path, shown_as: str) -> WorkbookRead:
    """Read a workbook with the package's reader and score it with the engine: every problem
    ``score --data`` would give, naming the cell (the temporary folder is shown as ``shown_as``)."""
    from par_index.workbook.reader import is_workbook

    if not is_workbook(path):
        raise InputError(Problem("workbook_not_self_assessment", "tệp " + NOT_SELF_ASSESSMENT, file=shown_as))
    data = read_data(path)
    results = score(criteria.sets, data, "self")
    here = str(path)

    def shown(text: str) -> str:
        # the reader names a workbook by its path or, relative to its folder, by its name
        text = text.replace(here, shown_as)
        return shown_as + text[len(path.name) :] if text.startswith(path.name) else text

    problems = [replace(p, file=shown(p.file) if p.file else p.file, message=p.message.replace(here, shown_as)) for p in results.problems]
    return WorkbookRead(
        units=_records(data.units, UNIT_COLUMNS),
        assessments=_records(data.assessments, [*ASSESSMENT_COLUMNS, "at_cell"]),
        evidence=_records(data.evidence, EVIDENCE_COLUMNS),
        problems=[{**p.as_dict(), "text": str(p)} for p in problems],
    )


def read_survey_upload(folder: Path, units: list[tuple[str, str, str]], criteria: Criteria) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """``survey.csv`` (+ ``survey-map.yaml``) in ``folder`` read by the survey reader, as in a data
    folder: the rows it keeps and every problem (the engine's resolver included)."""
    write_csv(folder / "units.csv", UNIT_COLUMNS[:3], units)
    write_csv(folder / "assessments.csv", ASSESSMENT_COLUMNS, [])
    data = read_data(folder)
    results = score(criteria.sets, data, "self")
    prefix = str(folder) + os.sep
    problems = [
        {**replace(p, file=p.file[len(prefix):] if p.file and p.file.startswith(prefix) else p.file).as_dict()}
        for p in results.problems
        if p.reason.startswith("survey")
    ]
    return _records(data.survey, SURVEY_COLUMNS), problems
