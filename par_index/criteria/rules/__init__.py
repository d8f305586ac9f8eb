"""Rule kinds, registered by name. Each module holds one kind (bonus and penalty share one).

``RULES`` maps the name used in criteria files (``rule: {kind: bands, ...}``) to its class.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from par_index.criteria.rules import bands, bonus, deadline, formula, manual, per_item, proportional, survey, yes_no
from par_index.criteria.rules.base import REGISTRY, Rule, ValueIssue

RULES = REGISTRY

AnyRule = Annotated[
    manual.Manual
    | yes_no.YesNo
    | deadline.Deadline
    | bands.Bands
    | proportional.Proportional
    | per_item.PerItem
    | formula.Formula
    | survey.Survey
    | bonus.Bonus
    | bonus.Penalty,
    Field(discriminator="kind"),
]

__all__ = ["RULES", "AnyRule", "Rule", "ValueIssue"]
