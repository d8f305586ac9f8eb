"""The robustness configuration file (YAML, strict)::

    down: 0.1                 # default probability of one step down, per leaf and draw
    up: 0.05                  # … and of one step up
    leaves:                   # optional: other probabilities for some leaves
      "1.2": {down: 0.3, up: 0}
    band_sets:                # optional: alternative classification thresholds, with weights
      - {weight: 1, bands: [{label: "Xuất sắc", min: 90}, {label: "Tốt", min: 80}, {label: "Khá", min: 0}]}
      - {weight: 1, bands: [{label: "Xuất sắc", min: 85}, {label: "Tốt", min: 75}, {label: "Khá", min: 0}]}
    alternatives:             # optional: other rule choices (scenario criteria overrides)
      - {name: "chỉ tiêu 90%", weight: 1, overrides: [{criterion: "2.1", rule: {target: 0.9}}]}

The baseline rules are always one alternative (weight ``baseline_weight``, default 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import Field, ValidationError

from par_index.common.schema import Strict
from par_index.common.yaml_strict import LineDict, load_yaml
from par_index.criteria.compiled import CompiledCriteria
from par_index.criteria.loader import pydantic_message, pydantic_reason
from par_index.criteria.model import BandSpec
from par_index.errors import InputError, Problem
from par_index.messages import KEY_UNKNOWN, LEAF_UNKNOWN
from par_index.planning.robustness import Uncertainty
from par_index.planning.scenario import apply_criteria, parse_override
from par_index.scoring.engine import SetResult, Stage, score
from par_index.unit_data.reader import UnitData

Probability = float
ROBUSTNESS_EXTRA = KEY_UNKNOWN.format(key="này", format="cấu hình độ vững (xem docs/planning.md)")


class LeafProb(Strict):
    down: float = Field(ge=0, le=1)
    up: float = Field(ge=0, le=1)


class BandSetSpec(Strict):
    weight: float = Field(default=1.0, gt=0)
    bands: list[BandSpec] = Field(min_length=1)


class AlternativeSpec(Strict):
    name: str = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0)
    overrides: list[dict[str, object]] = Field(min_length=1)


class ConfigSpec(Strict):
    down: float = Field(default=0.1, ge=0, le=1)
    up: float = Field(default=0.05, ge=0, le=1)
    baseline_weight: float = Field(default=1.0, ge=0)
    leaves: dict[str, LeafProb] | None = None
    band_sets: list[BandSetSpec] | None = None
    alternatives: list[AlternativeSpec] | None = None


@dataclass
class Config:
    uncertainty: Uncertainty
    alternatives: list[tuple[str, float, list[SetResult]]] | None
    band_sets: list[tuple[float, list[tuple[str, Decimal]]]] | None


def load_config(path: Path, sets: Sequence[CompiledCriteria], data: UnitData, stage: Stage) -> Config:
    name = str(path)
    raw, problems = load_yaml(path)
    if problems:
        raise InputError(problems)
    try:
        spec = ConfigSpec.model_validate(raw)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            line = raw.key_lines.get(str(err["loc"][0])) if isinstance(raw, LineDict) and err["loc"] else None
            out.append(Problem(pydantic_reason("robustness", err["type"]), ROBUSTNESS_EXTRA if err["type"] == "extra_forbidden" else pydantic_message(err), file=name, line=line, field=".".join(str(p) for p in err["loc"])))
        raise InputError(out) from None
    codes = {leaf.code for c in sets for leaf in c.leaves}
    bad = [c for c in (spec.leaves or {}) if c not in codes]
    if bad:
        raise InputError([Problem("robustness_leaf_unknown", LEAF_UNKNOWN.format(criterion=c, where="bộ tiêu chí"), file=name, criterion=c, field="leaves") for c in bad])
    for code, p in (spec.leaves or {}).items():
        if p.down + p.up > 1:
            raise InputError(Problem("robustness_probability", "down + up phải ≤ 1", file=name, criterion=code, field="leaves"))
    unc = Uncertainty(spec.down, spec.up, {k: (v.down, v.up) for k, v in (spec.leaves or {}).items()})
    alternatives = None
    if spec.alternatives:
        base = score(list(sets), data, stage)
        alternatives = [("gốc", spec.baseline_weight, base.sets)] if spec.baseline_weight > 0 else []
        for alt in spec.alternatives:
            located = []
            for item in alt.overrides:
                loc, more = parse_override(item, name, None)
                if more:
                    raise InputError(more)
                assert loc is not None
                located.append(loc)
            new_sets, _notes = apply_criteria(sets, located)
            alternatives.append((alt.name, alt.weight, score(new_sets, data, stage).sets))
    band_sets = [(b.weight, [(x.label, x.min) for x in b.bands]) for b in spec.band_sets] if spec.band_sets else None
    return Config(unc, alternatives, band_sets)
