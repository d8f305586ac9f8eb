"""Problems found in user input: collected in one pass, shown as a table, never a traceback.

Two families:

* :class:`InputError` — structural: the input cannot be used at all (a broken criteria file,
  an unreadable data file, a missing column). Every problem found is listed; exit status 2.
* :class:`Problem` rows in a :class:`ProblemList` — data problems in otherwise usable input
  (an unknown unit, a value the rule cannot read, a missing value). The run goes on; with
  ``--strict`` the command exits 1.

Messages are Vietnamese (they are about the user's data); reason codes are stable English
identifiers that scripts and tests can rely on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, TypeVar

_T = TypeVar("_T")


def made_at_once(cls: type[_T], attributes: Iterable[dict[str, object]]) -> list[_T]:
    """One object of ``cls`` per dict of ``attributes``, each dict becoming its attributes,
    without a call of ``__init__`` each: the one mechanism of the bulk constructors
    (:meth:`Problem.rows`, ``Requirement.missing``, ``Proposal.rows``), for classes whose
    ``__init__`` only sets these fields (their tests hold the results equal to ``cls(...)``)."""
    new, set_dict, out = object.__new__, object.__setattr__, []
    for attrs in attributes:
        one = new(cls)
        set_dict(one, "__dict__", attrs)
        out.append(one)
    return out


class Reason(StrEnum):
    """Every reason code the package reports, with when it is reported (docs/messages.md lists
    them with the messages). A :class:`Problem` with a code that is not here is a bug: it is
    refused when built. Codes are stable: scripts and tests rely on them."""

    description: str

    def __new__(cls, value: str, description: str) -> Reason:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    # -- files and formats (any input)
    file_missing = "file_missing", "a file or folder given is not there"
    file_unreadable = "file_unreadable", "a file exists but cannot be read (permissions, a folder given as a file)"
    file_encoding = "file_encoding", "a text file is not UTF-8"
    link_outside = "link_outside", "a file in a data folder is a symbolic link leading out of the folder, or a link loop"
    file_empty = "file_empty", "a CSV or progress file has no header line"
    file_not_read = "file_not_read", "a file in a data folder that no reader takes (warning)"
    csv_syntax = "csv_syntax", "a CSV file cannot be parsed"
    csv_columns = "csv_columns", "a CSV row has more cells than the header"
    column_missing = "column_missing", "a required column is missing from a table"
    column_unknown = "column_unknown", "a table has a column the format does not know"
    xlsx_unreadable = "xlsx_unreadable", "a file is not a workbook that can be opened"
    xlsx_encrypted = "xlsx_encrypted", "a workbook is password-protected (an encrypted OLE package, not a zip)"
    xlsx_old_format = "xlsx_old_format", "an Excel 97-2003 .xls file where an .xlsx is needed"
    xlsx_too_large = "xlsx_too_large", "a workbook part (or all of them) inflates beyond the documented limit"
    xlsx_too_many_rows = "xlsx_too_many_rows", "a sheet beyond the documented row or column limit"
    sheet_missing = "sheet_missing", "a data workbook lacks a required sheet"
    sheet_empty = "sheet_empty", "a required sheet of a data workbook is empty"
    data_format = "data_format", "the data path is neither a CSV folder nor an .xlsx file"
    dataset_label = "dataset_label", "dataset.yaml has keys other than label and synthetic"
    out_format = "out_format", "an output file name has an extension no writer supports"
    out_unwritable = "out_unwritable", "an output file cannot be written"
    out_is_input = "out_is_input", "an output path would overwrite an input file"
    yaml_syntax = "yaml_syntax", "a YAML file cannot be parsed"
    yaml_duplicate_key = "yaml_duplicate_key", "a YAML mapping repeats a key"
    yaml_alias = "yaml_alias", "a YAML file re-uses a node through an alias (not allowed: write the content out)"
    yaml_character = "yaml_character", "a YAML file contains a character YAML does not allow"
    yaml_too_large = "yaml_too_large", "a YAML file has too many nodes"
    yaml_too_deep = "yaml_too_deep", "a YAML file nests too deeply"

    # -- criteria sets
    criteria_not_mapping = "criteria_not_mapping", "a criteria file is not a YAML mapping"
    criteria_too_deep = "criteria_too_deep", "a criteria tree deeper than the documented limit"
    criteria_too_large = "criteria_too_large", "a criteria set with more nodes than the documented limit"
    criteria_missing = "criteria_missing", "a required key is missing in a criteria file"
    criteria_extra_forbidden = "criteria_extra_forbidden", "a criteria file has a key the format does not know (often a misspelling)"
    criteria_value_error = "criteria_value_error", "a value in a criteria file is invalid (a date, a number, a rule parameter)"
    criteria_union_tag_invalid = "criteria_union_tag_invalid", "a rule has no kind or a kind that is not registered"
    criteria_invalid = "criteria_invalid", "a value in a criteria file has the wrong type or is out of range"
    agencies_missing = "agencies_missing", "the agencies file a criteria set includes is not there"
    agencies_shape = "agencies_shape", "an agencies file is not a list of {id, name, role}"
    agency_duplicate = "agency_duplicate", "an agency id is declared twice"
    agency_invalid = "agency_invalid", "an agency in an agencies file is invalid"
    code_duplicate = "code_duplicate", "a criterion code is used twice in a criteria file"
    applies_to_unknown_kind = "applies_to_unknown_kind", "a criterion applies to a unit kind the set does not declare"
    leaf_max_missing = "leaf_max_missing", "a leaf criterion (with a rule) has no maximum"
    parent_max_mismatch = "parent_max_mismatch", "a parent's maximum differs from the sum of its children's"
    rule_parameter = "rule_parameter", "a rule's parameters do not fit its maximum (e.g. band points above max)"
    points_precision = "points_precision", "points have more decimals than the set's precision"
    band_duplicate = "band_duplicate", "two bands of a criteria set have the same label"
    official_without_source = "official_without_source", "an 'official' number has no source"
    reference_without_source = "reference_without_source", "a 'reference' number has no source"
    provenance_missing = "provenance_missing", "a criteria set or criterion does not say where its numbers come from"
    kind_in_two_sets = "kind_in_two_sets", "a unit kind is in two of the criteria sets given"

    # -- unit data
    units_empty = "units_empty", "units.csv has no unit"
    unit_duplicate = "unit_duplicate", "a unit id appears twice in units.csv"
    unit_id_empty = "unit_id_empty", "a row of units.csv has no unit id"
    unit_id_format = "unit_id_format", "a unit id has characters that are not allowed"
    unit_unknown = "unit_unknown", "a unit id is not among the units (data rows, command options)"
    unit_kind_unknown = "unit_kind_unknown", "a unit's kind is in no criteria set given"
    unit_kind_missing = "unit_kind_missing", "a command needs the unit kind and cannot find it"
    criterion_unknown = "criterion_unknown", "a data row names a criterion the unit's criteria set does not have"
    criterion_not_leaf = "criterion_not_leaf", "a data row names a parent criterion (only leaves are scored)"
    criterion_not_applicable = "criterion_not_applicable", "a data row names a criterion that does not apply to the unit's kind"
    stage_unknown = "stage_unknown", "a stage that is not self, survey, appraisal1 or appraisal2 (or a --stage that is not self/final)"
    row_duplicate = "row_duplicate", "two data rows for the same unit, criterion and stage"
    survey_value_from_unit = (
        "survey_value_from_unit",
        "a unit's own (self) row on a survey criterion, which Sở Nội vụ fills from the survey: ignored at every stage (warning); the server refuses it (422)",
    )
    survey_stage_on_unit_leaf = (
        "survey_stage_on_unit_leaf",
        "a survey-stage row (or a workbook cell marked as Sở Nội vụ's) on a criterion that is not a survey criterion: read as the unit's own (self) row, so appraisal treats it as a claim (warning); dropped when the unit has its own row there",
    )
    value_missing = "value_missing", "a leaf has no value for a unit (scored 0)"
    value_unreadable = "value_unreadable", "a value the rule cannot read (scored 0)"
    value_above_100 = "value_above_100", "a ratio above 100 % (scored 0)"
    date_implausible = "date_implausible", "a deadline date more than ten years before the due year, e.g. year 0024 (scored 0)"
    value_negative = "value_negative", "a negative ratio or count (an error, scored 0: read as 0 a lower-is-better rule gave it full points), or negative manual points (read as 0)"
    value_not_whole = "value_not_whole", "a count that is not a whole number (rounded down)"
    value_not_yes_no = "value_not_yes_no", "a yes/no value that is neither (scored 0)"
    points_unreadable = "points_unreadable", "the points a unit claimed are not a number"
    points_above_max = "points_above_max", "manual points above the maximum (capped)"
    points_not_on_step = "points_not_on_step", "manual points not on the rule's step (rounded down to the step)"
    points_too_fine = "points_too_fine", "points given with more than 6 decimals (rounded half up to 10**-6 point, warning)"
    claim_above_rule = "claim_above_rule", "the points a unit claimed exceed what the rule gives"

    # -- self-assessment workbooks
    workbook_header_missing = "workbook_header_missing", "a self-assessment workbook lacks a header cell (unit, kind, …)"
    workbook_header_empty = "workbook_header_empty", "a header cell of a self-assessment workbook is empty"
    workbook_table_missing = "workbook_table_missing", "a self-assessment workbook has no criteria table header"
    workbook_not_self_assessment = "workbook_not_self_assessment", "an uploaded file is not a self-assessment workbook"
    row_without_code = "row_without_code", "a workbook row has data but no criterion code"
    input_formula = "input_formula", "an input cell (self-assessment workbook) or a data workbook cell holds a formula (not read, never its cached result)"
    value_is_text = "value_is_text", "a number or date typed as text in a self-assessment workbook (scored 0, as the form's formulas count it)"

    # -- evidence
    evidence_missing = "evidence_missing", "a document a leaf expects is missing"
    evidence_late = "evidence_late", "a document was issued after its deadline"
    evidence_date = "evidence_date", "a document's issue date is missing, unreadable or outside the year"
    evidence_issuer = "evidence_issuer", "a document is recorded for an issuer other than the one expected"
    evidence_unknown = "evidence_unknown", "an evidence row names an unknown unit or criterion"
    evidence_document_empty = "evidence_document_empty", "an evidence row has no document"
    evidence_file_missing = "evidence_file_missing", "an attached file is not in the files folder"
    evidence_file_outside = "evidence_file_outside", "an attached file path leaves the files folder"
    evidence_files_absent = "evidence_files_absent", "none of the attached files is there (folder not given or wrong)"
    evidence_incomplete = "evidence_incomplete", "appraisal preview: evidence incomplete for a leaf"
    appraisal_preview = "appraisal_preview", "appraisal preview: the points appraisal would cut"

    # -- appraisal and explanations
    appraisal_reason_missing = "appraisal_reason_missing", "an appraisal record has no reason (not applied)"
    appraisal_round_unknown = "appraisal_round_unknown", "an appraisal round that is not 1 or 2"
    appraisal_empty = "appraisal_empty", "an appraisal record has neither value nor points"
    appraisal_date_unreadable = "appraisal_date_unreadable", "an appraisal date cannot be read"
    appraisal_appraiser_missing = "appraisal_appraiser_missing", "an appraisal decision has no appraiser name"
    appraisal_decision_unreadable = "appraisal_decision_unreadable", "an appraisal decision that is not yes/no"
    appraisal_points_unreadable = "appraisal_points_unreadable", "appraisal points that are not a number"
    appraisal_row_incomplete = "appraisal_row_incomplete", "an appraisal row lacks the unit or criterion"
    appraisal_formula = "appraisal_formula", "an appraisal workbook cell holds a formula (not read)"
    appraisal_undecided = "appraisal_undecided", "proposals in an appraisal workbook left without a decision"
    explanation_empty = "explanation_empty", "an explanation row has no text"
    explanation_date_unreadable = "explanation_date_unreadable", "an explanation date cannot be read"

    # -- survey
    survey_map_missing = "survey_map_missing", "survey answers without the survey map beside them"
    survey_map_invalid = "survey_map_invalid", "the survey map is invalid"
    survey_map_leaf_unknown = "survey_map_leaf_unknown", "the survey map names a criterion that is not a survey leaf"
    survey_answers_missing = "survey_answers_missing", "a survey leaf has no answer table"
    survey_unit_unknown = "survey_unit_unknown", "a survey row names an unknown unit"
    survey_group_unknown = "survey_group_unknown", "a survey row names a group its question does not have"
    survey_question_unknown = "survey_question_unknown", "a survey row names an unknown question"
    survey_answer_unknown = "survey_answer_unknown", "a survey row names an answer the conversion table does not have"
    survey_count_negative = "survey_count_negative", "a survey count is negative"
    survey_count_not_integer = "survey_count_not_integer", "a survey count is not a whole number"
    survey_row_duplicate = "survey_row_duplicate", "two survey rows for the same unit, group, question and answer"
    survey_leaf_no_answers = "survey_leaf_no_answers", "a survey question has no answers for a unit"
    survey_group_no_answers = "survey_group_no_answers", "a weighted survey group has no answers for a unit"
    survey_replaces_assessments = "survey_replaces_assessments", "survey answers replace survey-stage rows of assessments.csv"

    # -- reform plan and progress
    plan_not_mapping = "plan_not_mapping", "a plan file is not a YAML mapping"
    plan_missing = "plan_missing", "a required key is missing in a plan file"
    plan_extra_forbidden = "plan_extra_forbidden", "a plan file has a key the format does not know"
    plan_value_error = "plan_value_error", "a value in a plan file is invalid (a date, a deadline)"
    plan_invalid = "plan_invalid", "a value in a plan file has the wrong type or is out of range"
    agency_undeclared = "agency_undeclared", "a task names an agency not in agencies.yaml"
    task_duplicate = "task_duplicate", "two tasks have the same id"
    task_id_empty = "task_id_empty", "a progress row has no task id"
    task_unknown = "task_unknown", "a progress row names a task the plan does not have"
    task_without_progress = "task_without_progress", "a task has no progress row"
    status_unknown = "status_unknown", "a progress status that is not one of the known words"
    date_unreadable = "date_unreadable", "a completion date cannot be read"
    done_on_not_done = "done_on_not_done", "a completion date on a task that is not done"
    done_on_missing = "done_on_missing", "a task marked done without a completion date"
    agency_no_tasks = "agency_no_tasks", "an agency leads no task"
    agency_nothing_due = "agency_nothing_due", "an agency has no task due by the date"
    as_of_unreadable = "as_of_unreadable", "the --as-of date cannot be read"

    # -- planning, what-if and robustness
    scenario_shape = "scenario_shape", "a scenario file lacks baseline or overrides"
    scenario_baseline = "scenario_baseline", "a scenario's baseline lacks criteria or data"
    scenario_stage = "scenario_stage", "a scenario's stage is not self or final"
    scenario_overrides = "scenario_overrides", "a scenario's overrides are not a list"
    scenario_override_shape = "scenario_override_shape", "an override is not a mapping of a known kind"
    scenario_key_unknown = "scenario_key_unknown", "an override has a key its kind does not use"
    scenario_value = "scenario_value", "a value override has neither or both of value and points"
    scenario_node = "scenario_node", "a criterion override has neither max nor rule"
    scenario_not_leaf = "scenario_not_leaf", "a rule override on a parent criterion"
    scenario_criterion_unknown = "scenario_criterion_unknown", "an override names an unknown criterion"
    scenario_unit_unknown = "scenario_unit_unknown", "an override names an unknown unit"
    scenario_band_unknown = "scenario_band_unknown", "an override names an unknown band"
    scenario_missing = "scenario_missing", "a required key is missing in an override"
    scenario_extra_forbidden = "scenario_extra_forbidden", "an override has a key the format does not know"
    scenario_value_error = "scenario_value_error", "a value in an override is invalid"
    scenario_invalid = "scenario_invalid", "a value in an override has the wrong type or is out of range"
    set_syntax = "set_syntax", "a whatif --set that is not UNIT:CRITERION=VALUE"
    robustness_leaf_unknown = "robustness_leaf_unknown", "a robustness configuration names an unknown leaf"
    robustness_probability = "robustness_probability", "down + up probabilities above 1"
    robustness_missing = "robustness_missing", "a required key is missing in a robustness configuration"
    robustness_extra_forbidden = "robustness_extra_forbidden", "a robustness configuration has a key the format does not know"
    robustness_invalid = "robustness_invalid", "a value in a robustness configuration has the wrong type or is out of range"
    robustness_memory = "robustness_memory", "a --draws count whose arrays would not fit in the memory limit"
    costs_columns = "costs_columns", "a costs file lacks the criterion or cost column"
    costs_criterion = "costs_criterion", "a costs row has no or an unknown criterion"
    costs_value = "costs_value", "a cost that is not a number ≥ 0"
    costs_points = "costs_points", "a costs row's points level is not a number"
    plan_goal = "plan_goal", "a plan needs exactly one goal"
    recipe_unreadable = "recipe_unreadable", "a recipe file is not valid JSON"
    recipe_format = "recipe_format", "a file is not a par-index recipe"
    recipe_input_missing = "recipe_input_missing", "an input a recipe names is gone"
    recipe_input_changed = "recipe_input_changed", "an input a recipe names has changed since"
    recipe_stage = "recipe_stage", "a recipe's stage is not self or final"
    recipe_shape = "recipe_shape", "a recipe has a missing, unknown or wrongly typed field"
    recipe_edited = "recipe_edited", "a recipe was edited after it was written (its seal does not match)"
    recipe_inputs_empty = "recipe_inputs_empty", "a recipe lists no input files"
    recipe_input_unlisted = "recipe_input_unlisted", "the replay reads a file the recipe does not list"
    recipe_input_unread = "recipe_input_unread", "a recipe lists an input the replay does not read"

    # -- reports
    date_format = "date_format", "the report --date cannot be read"
    notes_section = "notes_section", "a unit notes row has an unknown section"
    previous_format = "previous_format", "last year's results file cannot be read"
    previous_duplicate = "previous_duplicate", "a unit twice in last year's results"

    # -- commands and server
    demo_data_missing = "demo_data_missing", "the demo's data is not there (not run from a clone)"
    db_unreachable = "db_unreachable", "the server database cannot be reached or used"
    server = "server", "a server command is refused (database schema or settings)"
    criteria_name_twice = "criteria_name_twice", "two criteria files with the same name uploaded together"
    criteria_include_far = "criteria_include_far", "a criteria file includes an agencies file outside its folder"


@dataclass(frozen=True, init=False)
class Problem:
    """One problem, with where it is and what was expected."""

    reason: str
    message: str
    file: str = ""
    line: int | None = None  # 1-based line (YAML, CSV incl. header) or sheet row
    cell: str = ""  # spreadsheet cell such as "E14"
    unit: str = ""
    criterion: str = ""
    field: str = ""
    severity: str = "error"  # "error" | "warning"

    def __init__(self, reason: str, message: str, file: str = "", line: int | None = None, cell: str = "", unit: str = "",
                 criterion: str = "", field: str = "", severity: str = "error") -> None:
        # the fields written out (tests/test_records.py checks they match): a frozen dataclass's own
        # __init__ sets each through object.__setattr__, ~4× the time, and big data make ~10⁵ problems
        if reason not in _REASONS:
            raise ValueError(f"unknown problem reason {reason!r}: add it to par_index.errors.Reason")
        self.__dict__.update(reason=reason, message=message, file=file, line=line, cell=cell, unit=unit, criterion=criterion,
                             field=field, severity=severity)

    @classmethod
    def rows(
        cls, reason: str, messages: Iterable[str], file: Iterable[str], line: Iterable[int | None], cell: Iterable[str],
        unit: Iterable[str], criterion: Iterable[str], severity: str = "error",
    ) -> list[Problem]:
        """Problems of one reason and severity, one per position of the columns given (a field
        each, equally long; ``field`` empty): equal to ``Problem(reason, m, file=f, …)`` made one
        by one, without a call of ``__init__`` with keywords per problem (the engine reports
        every value it corrects: ~20,000 at 10,000 units; about half the time of making them one by one)."""
        if reason not in _REASONS:
            raise ValueError(f"unknown problem reason {reason!r}: add it to par_index.errors.Reason")
        return made_at_once(cls, ({"reason": reason, "message": m, "file": f, "line": li, "cell": c, "unit": u, "criterion": cr, "field": "",
                                   "severity": severity} for m, f, li, c, u, cr in zip(messages, file, line, cell, unit, criterion, strict=True)))

    def where(self) -> str:
        """Human location: file, line or cell, unit, criterion, field."""
        parts: list[str] = []
        if self.file:
            loc = self.file
            if self.cell:
                loc += f" ô {self.cell}"
            elif self.line is not None:
                loc += f" dòng {self.line}"
            parts.append(loc)
        if self.unit:
            parts.append(f"đơn vị {self.unit}")
        if self.criterion:
            parts.append(f"tiêu chí {self.criterion}")
        if self.field:
            parts.append(f"trường '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, object]:
        """The fields that are set, in order (``dataclasses.asdict`` without its deep copy: every
        field is a text, a number or None; it took most of a big ``--out .json``'s problems)."""
        return {k: v for k in _FIELDS if (v := getattr(self, k)) not in ("", None)}


_REASONS = frozenset(Reason.__members__)
_FIELDS = tuple(f.name for f in fields(Problem))


@dataclass(frozen=True)
class ProblemRows:
    """Problems of one reason and severity kept as the columns :meth:`Problem.rows` takes, until
    someone reads them one by one (:meth:`problems`): the engine reports every value it corrects
    (~20,000 at 10,000 units) and ``score --out`` writes them from these columns without making
    a :class:`Problem` each (``scoring.engine.Results.problems`` makes them on first access)."""

    reason: str
    messages: Sequence[str]
    file: Sequence[str]
    line: Sequence[int | None]
    cell: Sequence[str]
    unit: Sequence[str]
    criterion: Sequence[str]
    severity: str = "error"

    def __post_init__(self) -> None:
        if self.reason not in _REASONS:
            raise ValueError(f"unknown problem reason {self.reason!r}: add it to par_index.errors.Reason")
        if len({len(self.messages), len(self.file), len(self.line), len(self.cell), len(self.unit), len(self.criterion)}) > 1:
            raise ValueError("ProblemRows: columns of different lengths")

    def __len__(self) -> int:
        return len(self.messages)

    def problems(self) -> list[Problem]:
        """The problems, one per row: ``Problem.rows`` of the columns."""
        return Problem.rows(self.reason, self.messages, self.file, self.line, self.cell, self.unit, self.criterion, self.severity)

    def column(self, name: str) -> list[Any]:
        """The values of the :class:`Problem` field ``name``, one per row."""
        if name in ("reason", "severity"):
            return [getattr(self, name)] * len(self)
        if name == "field":
            return [""] * len(self)
        return list(self.messages if name == "message" else getattr(self, name))


class ProblemList:
    """An ordered collection of problems, built in one pass over the input."""

    def __init__(self, problems: Iterable[Problem] = ()) -> None:
        self._items: list[Problem] = list(problems)

    def add(self, reason: str, message: str, **where: object) -> None:
        self._items.append(Problem(reason, message, **where))  # type: ignore[arg-type]

    def extend(self, problems: Iterable[Problem]) -> None:
        self._items.extend(problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def errors(self) -> list[Problem]:
        return [p for p in self._items if p.severity == "error"]

    def by_reason(self, reason: str) -> list[Problem]:
        return [p for p in self._items if p.reason == reason]

    def for_unit(self, unit: str) -> list[Problem]:
        return [p for p in self._items if p.unit == unit]

    def as_records(self) -> list[dict[str, object]]:
        return [p.as_dict() for p in self._items]


class InputError(Exception):
    """The input cannot be used. Carries every structural problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem] | Problem) -> None:
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DataProblems(Exception):
    """Raised by a command that finished but found data problems under ``--strict`` (exit 1)."""


def input_error(reason: str, message: str, **where: object) -> InputError:
    """Shorthand for an :class:`InputError` with a single problem."""
    return InputError(Problem(reason, message, **where))  # type: ignore[arg-type]
