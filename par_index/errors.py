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

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
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
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}


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
