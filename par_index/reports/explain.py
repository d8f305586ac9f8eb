"""Why one unit got each point: every leaf with its rule in words, its input, points,
evidence and problems, then the sums up the tree. Built as plain data; the console and the
reports only render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from par_index.appraisal.records import show_date
from par_index.appraisal.trail import TrailStep, leaf_trails
from par_index.common.rounding import RESOLUTION_DIGITS
from par_index.common.values import format_fixed, format_number
from par_index.scoring.engine import STAGE_WORDS, Results
from par_index.unit_data.reader import UnitData

STATUS_WORDS = {
    "": "",
    "na": "không áp dụng (na): không tính vào điểm và điểm tối đa",
    "missing": "chưa có giá trị: tính 0 điểm",
    "not_applicable": "không áp dụng cho loại đơn vị này",
    "unreadable": "không đọc được giá trị: tính 0 điểm",
}


@dataclass
class LeafLine:
    code: str
    name: str
    rule: str
    value: str
    stage: str
    claimed: float | None
    points: float
    max: float
    status: str
    agency: str
    evidence_expected: list[str]
    evidence: list[str]
    problems: list[str]
    trail: list[TrailStep] = field(default_factory=list)  # self → round 1 → explanation → round 2


@dataclass
class NodeLine:
    code: str
    name: str
    depth: int
    points: float
    max: float
    index: float | None


@dataclass
class Explanation:
    unit: str
    name: str
    kind: str
    criteria: str
    stage: str
    points: float
    max: float
    index: float | None
    rank: int | None
    band: str | None
    leaves: list[LeafLine] = field(default_factory=list)
    nodes: list[NodeLine] = field(default_factory=list)
    unit_problems: list[str] = field(default_factory=list)


def explain(results: Results, data: UnitData, unit: str) -> Explanation:
    s, i = results.find(unit)
    c = s.criteria
    scale = float(s.scale)
    ev = data.evidence[data.evidence["unit"] == unit]
    docs: dict[str, list[str]] = {}
    for r in ev.itertuples():
        parts = [str(r.document)]
        issued_on, issuer, file = str(r.issued_on or ""), str(r.issuer or ""), str(r.file or "")
        if issued_on:
            parts.append(f"ngày {show_date(issued_on)}")  # dd/mm/yyyy as users read dates
        if issuer:
            parts.append(f"của {issuer}")
        if file:
            parts.append(f"[{file}]")
        docs.setdefault(str(r.criterion), []).append(", ".join(parts))
    probs: dict[str, list[str]] = {}
    unit_level: list[str] = []
    for p in results.problems:
        if p.unit != unit:
            continue
        text = p.message
        if p.criterion:
            probs.setdefault(p.criterion, []).append(text)
        else:
            unit_level.append(text)
    rank = s.rank[i]
    out = Explanation(
        unit,
        str(s.units["name"].iat[i]),
        str(s.units["kind"].iat[i]),
        c.id,
        results.stage,
        s.total_points[i] / scale,
        s.total_max[i] / scale,
        None if np.isnan(s.index[i]) else float(s.index[i]),
        None if np.isnan(rank) else int(rank),
        s.band[i],
        unit_problems=unit_level,
    )
    agencies = c.agencies
    trails = leaf_trails(results, data, unit)
    for j, leaf in enumerate(c.leaves):
        claimed = s.claimed[i, j]
        out.leaves.append(
            LeafLine(
                code=leaf.code,
                name=leaf.name,
                rule=leaf.rule.describe(float(leaf.max)),
                value=str(s.value_text[i, j]).strip(),
                stage=STAGE_WORDS.get(str(s.value_stage[i, j]), ""),
                claimed=None if np.isnan(claimed) else float(claimed),
                points=s.leaf_points[i, j] / scale,
                max=s.leaf_max[i, j] / scale if not leaf.outside_max else leaf.upper,
                status=STATUS_WORDS[str(s.status[i, j])],
                agency=agencies.get(leaf.agency or "", leaf.agency or ""),
                evidence_expected=[e.document for e in leaf.evidence],
                evidence=docs.get(leaf.code, []),
                problems=probs.get(leaf.code, []),
                trail=trails.get(leaf.code, []),
            )
        )
    for n, node in enumerate(c.nodes):
        if node.is_leaf:
            continue
        p, m = s.node_points[i, n], s.node_max[i, n]
        out.nodes.append(NodeLine(node.code, node.name, node.depth, p / scale, m / scale, p * 100.0 / m if m > 0 else None))
    return out


def pts(x: float) -> str:
    """Points as explained: every digit they have (``78,024``), to the resolution."""
    return format_number(x, RESOLUTION_DIGITS)


def summary_line(e: Explanation) -> str:
    idx = format_fixed(e.index) or "—"
    rank = str(e.rank) if e.rank is not None else "—"
    return (
        f"{e.name} ({e.unit}): {pts(e.points)}/{pts(e.max)} điểm, chỉ số {idx}, "
        f"xếp hạng {rank}, xếp loại {e.band or '—'}"
    )
