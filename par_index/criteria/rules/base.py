"""What every rule kind provides, and the registry of kinds by name.

A rule kind is a pydantic model of its parameters plus three views of one scoring rule:

* :meth:`Rule.points` — vectorised: a float array of values (one per unit) → points;
* :meth:`Rule.points_scalar` — the same rule for one value in plain Python, written
  independently; the reference implementation and the property tests use it;
* :meth:`Rule.describe` — one line of Vietnamese for explanations, workbooks and reports.

Values arrive already read into floats (dates as days since 1970-01-01, yes/no as 1/0);
``NaN`` means "no usable value" and always scores 0.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, Field, model_validator

from par_index.common.schema import Strict
from par_index.common.values import exact_number, format_number, format_percent, magnitude_problem, parse_date_scalar
from par_index.messages import ABOVE_MAX, DATE_UNREADABLE, RATIO_ABOVE_100, RATIO_WITHOUT_PERCENT, SCORED_ZERO

ValueType = Literal["number", "date", "bool", "points"]
Measure = Literal["ratio", "count", "number"]


def _to_date(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        raise ValueError("cần một ngày (không kèm giờ)")
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        d = parse_date_scalar(v)
        if d is None:
            raise ValueError(DATE_UNREADABLE.format(what="ngày", text=v))
        return d
    raise ValueError(DATE_UNREADABLE.format(what="ngày", text=v))


Date = Annotated[dt.date, BeforeValidator(_to_date)]


def plain_number(v: Any) -> Any:
    """A number of a criteria file or an override as written, refused when it is yes/no or
    beyond ±10^12 (checked before converting); the one check for rule parameters and amounts."""
    if isinstance(v, bool):
        raise ValueError("cần một số, không phải có/không")
    problem = magnitude_problem(v)
    if problem is not None:
        raise ValueError(problem)
    return v


Number = Annotated[float, BeforeValidator(plain_number)]
NonNegative = Annotated[float, BeforeValidator(plain_number), Field(ge=0)]  # points of a band, late points


@dataclass(frozen=True)
class ValueIssue:
    """Rows whose value the rule had to correct or could not use."""

    mask: np.ndarray
    reason: str
    message: str  # may contain {value} (the text as written) and {max}
    severity: str = "warning"  # "error": the value is not used (its rows score 0)


def _numeric_field(cls: type[BaseModel], name: str) -> bool:
    field = cls.model_fields.get(name)
    return field is not None and any(t in str(field.annotation) for t in ("float", "Decimal", "int"))


class Rule(Strict):
    """Base of all rule kinds (strict and frozen, as every model of a file a user writes).
    Subclasses set ``kind`` as a ``Literal``."""

    kind: str
    value_type: ClassVar[ValueType] = "number"
    sign: ClassVar[int] = 0  # 0: ordinary; +1 bonus; -1 penalty (outside the maximum)

    @model_validator(mode="before")
    @classmethod
    def _bounded_numbers(cls, data: Any) -> Any:
        """Every number a rule is given (thresholds, points, targets) lies within ±10**12 and is
        finite, judged before pydantic converts it (``1e309`` would become infinity)."""
        if isinstance(data, dict):
            for name, value in data.items():
                if isinstance(value, int | float | Decimal) or (isinstance(value, str) and _numeric_field(cls, name)):
                    problem = magnitude_problem(value)
                    if problem is not None:
                        raise ValueError(f"{name}: {problem}")
        return data

    # -- checks at load time -------------------------------------------------------------
    def check(self, max_points: Decimal | None) -> list[tuple[str, str]]:
        """Parameter problems given the leaf's maximum: (field, Vietnamese message)."""
        return []

    def point_values(self) -> list[tuple[str, float]]:
        """Every fixed number of points in the parameters, to check their precision."""
        return []

    # -- scoring ---------------------------------------------------------------------------
    def prepare(self, x: np.ndarray, max_points: float) -> tuple[np.ndarray, list[ValueIssue]]:
        """Range checks on values: corrected values and the issues found."""
        return x, []

    def points(self, x: np.ndarray, max_points: float) -> np.ndarray:
        raise NotImplementedError

    def points_scalar(self, x: float | None, max_points: float) -> float:
        raise NotImplementedError

    def points_exact(self, x: Fraction, max_points: Fraction) -> Fraction | None:
        """The rule's result for one usable (range-corrected) value, exactly; None when the rule
        has no exact form (its results are then only fixed parameters, or irrational)."""
        return None

    def exact_value(self, text: str) -> Fraction | None:
        """The value a text stands for, exactly (None: not a number the rule reads exactly)."""
        return exact_number(text)

    def gives_points(self) -> bool:
        """Is the value the points themselves (kept as given, to the resolution)? Otherwise the
        rule computes points, rounded half up to the set's ``precision`` (docs/rounding.md)."""
        return self.input_kind() == "points"

    def describe(self, max_points: float) -> str:
        raise NotImplementedError

    def upper(self, max_points: float) -> float:
        """Most points the leaf can give (its cap for bonus and penalty)."""
        return max_points

    def input_kind(self) -> str:
        """What the unit enters: bool, date, points, ratio, count or number."""
        return "number"

    def parse_text(self, text: str) -> float | None:
        """Read a value the common readers could not (survey answer counts); None if not."""
        return None


class MeasuredRule(Rule):
    """A rule on a measured number: a ratio (0..1), a count (whole, ≥ 0) or any number."""

    measure: Measure = "number"

    def prepare(self, x: np.ndarray, max_points: float) -> tuple[np.ndarray, list[ValueIssue]]:
        return check_measure(self.measure, x)

    def input_kind(self) -> str:
        return self.measure

    def fmt(self, v: float) -> str:
        return format_percent(v) if self.measure == "ratio" else format_number(v, 4)


def ratio_message(text: str) -> str:
    """The message for a ratio above 100 %: ``85 — có phải 85%?`` when the % sign is missing."""
    text = text.strip()
    if text.endswith("%"):
        return RATIO_ABOVE_100.format(value=text)
    return RATIO_WITHOUT_PERCENT.format(value=text)


def check_measure(measure: Measure, x: np.ndarray) -> tuple[np.ndarray, list[ValueIssue]]:
    issues: list[ValueIssue] = []
    with np.errstate(invalid="ignore"):
        if measure == "ratio":
            # a ratio above 1 is a mistyped percentage (85 for 85%) or an impossible share
            # (120%), and a negative one is impossible too: errors scored 0, never clamped (to
            # full points, or to 0 %, which a lower-is-better rule scores in full)
            high = x > 1
            low = x < 0
            if high.any():
                issues.append(ValueIssue(high, "value_above_100", RATIO_ABOVE_100, "error"))
            if low.any():
                issues.append(ValueIssue(low, "value_negative", "{value} là số âm; tỷ lệ phải từ 0% đến 100%" + SCORED_ZERO, "error"))
            if high.any() or low.any():
                x = np.where(high | low, np.nan, x)
        elif measure == "count":
            low = x < 0
            frac = (x != np.floor(x)) & ~np.isnan(x)
            if low.any():  # impossible: an error scored 0 (read as 0, a "fewer is better" rule gave full points)
                issues.append(ValueIssue(low, "value_negative", "{value} là số âm; số lượng phải ≥ 0" + SCORED_ZERO, "error"))
            if frac.any():
                issues.append(
                    ValueIssue(frac, "value_not_whole", "{value} không phải số nguyên; số lượng được làm tròn xuống")
                )
            if low.any() or frac.any():
                x = np.where(low, np.nan, np.floor(x))
    return x, issues


def pts(v: float) -> str:
    """Points for Vietnamese text: ``0,5 điểm``."""
    return f"{format_number(v)} điểm"


def above_max(what: str, max_points: Decimal) -> str:
    """ABOVE_MAX for a rule's parameter, the maximum with a decimal comma."""
    return ABOVE_MAX.format(what=what, max=format_number(float(max_points)))


REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: make a rule kind known by the name in its ``kind`` literal."""
    field = cls.model_fields["kind"]
    args: tuple[object, ...] = tuple(getattr(field.annotation, "__args__", ()))
    if len(args) != 1:
        raise TypeError(f"{cls.__name__}.kind must be a single Literal")
    REGISTRY[str(args[0])] = cls
    return cls


def finite(x: float | None) -> bool:
    return x is not None and not math.isnan(x)


Vectorised = Callable[[np.ndarray], np.ndarray]
