"""Headroom: for one unit, every leaf's points lost and the smallest input change that gains
the next step of its ladder (see :mod:`par_index.planning.ladder`), in Vietnamese:

    1.2: tỷ lệ 80,5% → cần > 90% để được thêm 1 điểm

Works on a scored :class:`~par_index.scoring.engine.SetResult`; the current input is read back from the
text the unit wrote, with the engine's own readers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import numpy as np
import pandas as pd

from par_index.common.values import (
    NA_WORDS,
    NO_WORDS,
    YES_WORDS,
    date_to_days,
    format_date,
    format_number,
    nfc,
    parse_date_scalar,
    parse_numbers,
)
from par_index.criteria.compiled import CompiledCriteria, Leaf
from par_index.planning.ladder import Ladder, Level, Need, build_ladder
from par_index.scoring.engine import SetResult

_LADDERS: dict[int, tuple[CompiledCriteria, list[Ladder]]] = {}


def ladders(c: CompiledCriteria) -> list[Ladder]:
    """The ladder of every leaf of ``c`` (built once per compiled criteria set)."""
    hit = _LADDERS.get(id(c))
    if hit is None or hit[0] is not c:
        hit = (c, [build_ladder(leaf, c.scale) for leaf in c.leaves])
        _LADDERS[id(c)] = hit
    return hit[1]


def read_value(leaf: Leaf, text: str) -> float | None:
    """The value a unit wrote, read as the engine reads it (None: no usable value)."""
    text = nfc(str(text)).strip()
    if not text or text.lower() in NA_WORDS:
        return None
    vt = leaf.rule.value_type
    if vt == "date":
        d = parse_date_scalar(text)
        return None if d is None else date_to_days(d)
    low = text.lower()
    if vt == "bool" and (low in YES_WORDS or low in NO_WORDS):
        return 1.0 if low in YES_WORDS else 0.0
    x = _plain_number(text)
    if x is None and any(ch.isdigit() for ch in text):
        x = float(parse_numbers(pd.Series([text]))[0][0])  # "1.234,5", "1 234", …
        x = None if math.isnan(x) else x
    if x is None:
        x = leaf.rule.parse_text(text)
    return x


def _plain_number(text: str) -> float | None:
    """The common cases without pandas: ``0.93``, ``0,5``, ``93%``."""
    t = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
    pct = t.endswith("%")
    try:
        v = float(t[:-1] if pct else t)
    except ValueError:
        return None
    if math.isnan(v) or math.isinf(v):
        return None
    return v / 100 if pct else v


# -- Vietnamese wording -------------------------------------------------------------------------

OPS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}


def _shown(value: float, places: int, rounding: str) -> str:
    d = Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=rounding)
    return format_number(float(d), places)


def format_value(measure: str, value: float) -> str:
    """A value as the unit would write it."""
    if measure == "ratio":
        return format_number(value * 100, 2) + "%"
    if measure == "date":
        return format_date(value)
    if measure == "bool":
        return "có" if value >= 1 else "không"
    if measure == "count":
        return format_number(value, 0)
    return format_number(value, 4)


def format_need(measure: str, need: Need) -> str:
    """``≥ 90%``, ``> 90%``, ``≤ 14/01/2024``, ``có``: rounded so that what is shown suffices."""
    if measure == "bool":
        return "có (đạt)"
    if measure == "date":
        return f"hoàn thành trước hoặc đúng ngày {format_date(need.value)}" if need.op == "<=" else f"{OPS[need.op]} {format_date(need.value)}"
    op = OPS[need.op]
    inclusive_up = need.op == ">="
    inclusive_down = need.op == "<="
    if measure == "ratio":
        pct = need.value * 100
        if inclusive_up:
            return f"{op} {_shown(pct, 2, ROUND_CEILING)}%"
        if inclusive_down:
            return f"{op} {_shown(pct, 2, ROUND_FLOOR)}%"
        return f"{op} {format_number(pct, 4)}%"
    if measure == "count":
        return f"{op} {format_number(need.value, 0)}"
    if measure == "points":
        return f"{op} {format_number(need.value, 2)} điểm" if need.op not in (">=", "=") else f"{format_number(need.value, 2)} điểm"
    if inclusive_up:
        return f"{op} {_shown(need.value, 4, ROUND_CEILING)}"
    if inclusive_down:
        return f"{op} {_shown(need.value, 4, ROUND_FLOOR)}"
    return f"{op} {format_number(need.value, 6)}"


def describe_current(measure: str, kind: str, x0: float | None, points: float) -> str:
    if x0 is None:
        return "chưa có giá trị"
    if kind == "manual":
        return f"được chấm {format_number(points)} điểm"
    if kind == "penalty":
        return f"bị trừ {format_number(-points)} điểm"
    shown = format_value(measure, x0)
    return {
        "ratio": f"tỷ lệ {shown}",
        "count": f"số lượng {shown}",
        "date": f"ngày {shown}",
        "bool": "chưa đạt" if x0 < 1 else "đạt",
        "points": f"{shown} điểm",
    }.get(measure, f"giá trị {shown}")


def need_phrase(measure: str, kind: str, need: Need | None) -> str:
    if need is None:
        return "giá trị hiện tại đã đủ, cần được chấm đúng theo quy tắc"
    if kind == "manual":
        return f"cần được chấm {format_need(measure, need)}"
    if kind == "penalty":
        return "cần không bị trừ điểm" if need.op == "=" and need.value == 0 else f"cần giảm điểm trừ xuống {format_need(measure, need)}"
    return f"cần {format_need(measure, need)}"


# -- headroom of one unit -----------------------------------------------------------------------


@dataclass
class Step:
    points: float  # the leaf's points at this level
    gain: float  # points gained over the current
    need: str  # Vietnamese: what the input must become


@dataclass
class HeadroomLine:
    code: str
    name: str
    kind: str
    value: str  # as written
    points: float
    max: float
    lost: float  # max − points (for a penalty: the points taken off)
    message: str
    steps: list[Step] = field(default_factory=list)  # every level above the current, cheapest first


@dataclass
class Headroom:
    unit: str
    name: str
    points: float
    max: float
    index: float | None
    lines: list[HeadroomLine] = field(default_factory=list)

    @property
    def lost(self) -> float:
        return sum(line.lost for line in self.lines)


def headroom(s: SetResult, i: int) -> Headroom:
    """Headroom of the unit in row ``i`` of ``s``."""
    c = s.criteria
    scale = float(s.scale)
    out = Headroom(
        str(s.units["unit"].iat[i]),
        str(s.units["name"].iat[i]),
        s.total_points[i] / scale,
        s.total_max[i] / scale,
        None if np.isnan(s.index[i]) else float(s.index[i]),
    )
    for j, (leaf, lad) in enumerate(zip(c.leaves, ladders(c), strict=True)):
        status = str(s.status[i, j])
        if status in ("na", "not_applicable"):
            continue
        p_units = float(s.leaf_points[i, j])
        points = p_units / scale
        top = lad.levels[-1].units / scale
        lost = (lad.levels[-1].units - p_units) / scale
        x0 = read_value(leaf, str(s.value_text[i, j])) if status != "unreadable" else None
        steps = [_step(lad, lv, x0, p_units, scale) for lv in lad.above(p_units)]
        cur = describe_current(lad.measure, lad.kind, x0, points)
        if steps:
            first = steps[0]
            message = f"{leaf.code}: {cur} → {first.need} để được thêm {format_number(first.gain)} điểm"
        elif lad.kind == "penalty":
            message = f"{leaf.code}: không bị trừ điểm"
        else:
            message = f"{leaf.code}: đã đạt tối đa {format_number(top)} điểm"
        out.lines.append(
            HeadroomLine(leaf.code, leaf.name, lad.kind, str(s.value_text[i, j]).strip(), points, top if lad.kind != "penalty" else 0.0, lost, message, steps)
        )
    return out


def _step(lad: Ladder, lv: Level, x0: float | None, p_units: float, scale: float) -> Step:
    need = lv.need_from(x0)
    return Step(lv.units / scale, (lv.units - p_units) / scale, need_phrase(lad.measure, lad.kind, need))


def level_need(lad: Ladder, lv: Level, x0: float | None) -> str:
    """Vietnamese: what the input must become to reach ``lv`` from ``x0``."""
    return need_phrase(lad.measure, lad.kind, lv.need_from(x0))
