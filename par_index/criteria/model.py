"""The criteria-set schema: pydantic models for what a criteria YAML file may contain.

Only the *shape* lives here (types, required keys, no unknown keys). Checks that need the
whole tree — unique codes, a parent's maximum equal to its children's sum, declared agencies,
known unit kinds — are in :mod:`par_index.criteria.loader`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from par_index.common.schema import Code, Strict, Text
from par_index.criteria.rules import AnyRule
from par_index.criteria.rules.base import plain_number
from par_index.messages import DECIMAL_EXPECTED, not_a_number

Provenance = Literal["official", "reference", "derived", "illustrative"]


def _to_decimal(v: Any) -> Any:
    v = plain_number(v)
    if isinstance(v, float):
        return Decimal(repr(v))
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, str):
        try:
            return Decimal(v.strip().replace(",", "."))
        except ArithmeticError:
            raise ValueError(not_a_number("giá trị", v, DECIMAL_EXPECTED)) from None
    return v


Amount = Annotated[Decimal, BeforeValidator(_to_decimal)]  # finite, |x| ≤ 10**12, checked before converting
Points = Annotated[Decimal, BeforeValidator(_to_decimal), Field(ge=0)]


class EvidenceSpec(Strict):
    """A document a leaf expects; ``issuer`` is ``unit`` (the unit itself) or an agency id."""

    document: Text
    issuer: str | None = None


def _evidence_item(v: Any) -> Any:
    return {"document": v} if isinstance(v, str) else v


EvidenceItem = Annotated[EvidenceSpec, BeforeValidator(_evidence_item)]


class Node(Strict):
    code: Code
    name: Text
    max: Points | None = None
    children: list[Node] | None = Field(default=None, min_length=1)
    rule: AnyRule | None = None
    agency: str | None = None
    evidence: list[EvidenceItem] | None = None
    applies_to: list[str] | None = Field(default=None, min_length=1)
    provenance: Provenance | None = None
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _leaf_or_parent(self) -> Node:
        if self.children is None and self.rule is None:
            raise ValueError("cần 'children' (tiêu chí con) hoặc 'rule' (cách chấm điểm)")
        if self.children is not None and self.rule is not None:
            raise ValueError("không được có cả 'children' và 'rule': tiêu chí cha không có quy tắc")
        return self

    @property
    def is_leaf(self) -> bool:
        return self.rule is not None


class Agency(Strict):
    id: Code
    name: Text
    role: str | None = None


class BandSpec(Strict):
    label: Text
    min: Amount


class CriteriaSet(Strict):
    id: Code
    title: Text
    year: Annotated[int, Field(ge=2000, le=2100)]
    unit_kinds: list[Code] | dict[Code, str]
    issuer: str | None = None
    source: str | None = None
    provenance: Provenance | None = None
    precision: Annotated[int, Field(ge=0, le=4)] = 2
    bands: list[BandSpec] | None = None
    agencies: list[Agency] | None = None
    nodes: list[Node] = Field(min_length=1)

    def kinds(self) -> dict[str, str]:
        """Unit kind id → Vietnamese label (the id itself when no label is given)."""
        if isinstance(self.unit_kinds, dict):
            return dict(self.unit_kinds)
        return {k: k for k in self.unit_kinds}
