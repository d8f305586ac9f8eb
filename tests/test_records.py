"""The frozen records made by the hundred thousand (problems, owed documents, proposed cuts) write
their ``__init__`` out instead of the dataclass's own (which sets each field through
``object.__setattr__``, ~4× the time): it must take exactly the fields, in order, with their
defaults, and the record must stay a frozen, hashable dataclass."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from par_index.appraisal.proposals import Proposal
from par_index.errors import Problem
from par_index.evidence.check import Requirement

EXAMPLES: list[object] = [
    Problem("evidence_missing", "thiếu tài liệu", file="a.csv", line=3, unit="so-a", criterion="1.1", severity="warning"),
    Requirement("so-tu-phap", "so", "1.1", "Kế hoạch", "Kế hoạch CCHC", None, "so-a", "Sở A", "missing", ("x",), ("y",)),
    Proposal("so-a", "Sở A", "1.1", "Kế hoạch", 2.0, "có", 2.0, 2.0, 0.0, ("evidence_missing",), "thiếu tài liệu"),
]


@pytest.mark.parametrize("record", EXAMPLES, ids=lambda r: type(r).__name__)
def test_the_written_out_init_takes_exactly_the_fields(record: object) -> None:
    cls = type(record)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert [p.name for p in params] == [f.name for f in fields]
    assert [p.default for p in params] == [inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default for f in fields]
    assert dataclasses.asdict(record)[fields[-1].name] == getattr(record, fields[-1].name)  # type: ignore[call-overload]
    copy = dataclasses.replace(record)  # type: ignore[type-var]
    assert copy == record and hash(copy) == hash(record) and copy is not record
    assert repr(copy) == repr(record) and repr(record).startswith(f"{cls.__name__}({fields[0].name}=")
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(record, fields[0].name, "x")


def test_problem_defaults_and_fields() -> None:
    p = Problem("unit_unknown", "x", unit="u")
    assert (p.reason, p.message, p.file, p.line, p.cell, p.unit, p.criterion, p.field, p.severity) == ("unit_unknown", "x", "", None, "", "u", "", "", "error")
    assert p.as_dict() == {"reason": "unit_unknown", "message": "x", "unit": "u", "severity": "error"}


def test_problem_rows_equal_problems_made_one_by_one() -> None:
    made = Problem.rows("points_above_max", ["a", "b"], ["x.csv", ""], [3, None], ["", "E14"], ["so-a", "so-b"], ["1.1", ""], "warning")
    one_by_one = [
        Problem("points_above_max", "a", file="x.csv", line=3, unit="so-a", criterion="1.1", severity="warning"),
        Problem("points_above_max", "b", line=None, cell="E14", unit="so-b", severity="warning"),
    ]
    assert made == one_by_one
    assert [vars(p) for p in made] == [vars(p) for p in one_by_one]  # the same fields, in the same order
    assert [hash(p) for p in made] == [hash(p) for p in one_by_one] and [repr(p) for p in made] == [repr(p) for p in one_by_one]
    assert [p.as_dict() for p in made] == [p.as_dict() for p in one_by_one]
    with pytest.raises(dataclasses.FrozenInstanceError):
        made[0].message = "x"  # type: ignore[misc]
    assert Problem.rows("unit_unknown", [], [], [], [], [], []) == []
    with pytest.raises(ValueError, match="unknown problem reason 'no_such_reason'"):
        Problem.rows("no_such_reason", ["a"], [""], [None], [""], [""], [""])
    with pytest.raises(ValueError):  # columns of unequal length
        Problem.rows("unit_unknown", ["a", "b"], [""], [None], [""], [""], [""])


def test_missing_requirements_equal_requirements_made_one_by_one() -> None:
    made = Requirement.missing("so", [("so-tu-phap", "1.1", "Kế hoạch", "Kế hoạch CCHC", None), ("so-noi-vu", "1.2", "Báo cáo", "Báo cáo quý", "unit")],
                               ["so-a", "so-b"], ["Sở A", "Sở B"])
    one_by_one = [
        Requirement("so-tu-phap", "so", "1.1", "Kế hoạch", "Kế hoạch CCHC", None, "so-a", "Sở A", "missing"),
        Requirement("so-noi-vu", "so", "1.2", "Báo cáo", "Báo cáo quý", "unit", "so-b", "Sở B", "missing"),
    ]
    assert made == one_by_one
    assert [vars(q) for q in made] == [vars(q) for q in one_by_one]  # the same fields, in the same order
    assert [hash(q) for q in made] == [hash(q) for q in one_by_one] and [repr(q) for q in made] == [repr(q) for q in one_by_one]
    with pytest.raises(dataclasses.FrozenInstanceError):
        made[0].status = "ok"  # type: ignore[misc]
    assert Requirement.missing("so", [], [], []) == []
    with pytest.raises(ValueError):  # columns of unequal length
        Requirement.missing("so", [("a", "1.1", "x", "y", None)], ["so-a", "so-b"], ["Sở A", "Sở B"])


def test_proposal_rows_equal_proposals_made_one_by_one() -> None:
    fields = [("so-a", "Sở A", "1.1", "Kế hoạch", 2.0, "có", 2.0, 2.0, 0.0, ("evidence_missing",), "thiếu tài liệu"),
              ("so-b", "Sở B", "1.2", "Báo cáo", 1.0, "80%", 1.0, float("nan"), 0.5, ("claim_above_rule", "evidence_missing"), "a; b")]
    made, one_by_one = Proposal.rows(fields), [Proposal(*f) for f in fields]
    assert [vars(p) for p in made] == [vars(p) for p in one_by_one]  # the same fields, in the same order (NaN is NaN)
    assert made[0] == one_by_one[0] and hash(made[0]) == hash(one_by_one[0]) and [repr(p) for p in made] == [repr(p) for p in one_by_one]
    with pytest.raises(dataclasses.FrozenInstanceError):
        made[0].reason = "x"  # type: ignore[misc]
    assert Proposal.rows([]) == []
    for wrong in (fields[0][:-1], (*fields[0], "x")):  # a field missing or one too many
        with pytest.raises(ValueError):
            Proposal.rows([wrong])  # type: ignore[list-item]
