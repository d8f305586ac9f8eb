"""How robust is a ranking to appraisal uncertainty? A seeded Monte Carlo.

In every draw each leaf's points may move by one *step* of its ladder (see
:mod:`par_index.planning.ladder`): down to the level below with probability ``down``, up to the level
above with probability ``up`` (per leaf, or the same for all), otherwise they stay. A draw may
also pick one of several *alternatives* — the criteria with other rule parameters, scored
beforehand (see :mod:`par_index.planning.scenario`) — and one of several sets of classification bands,
each with a weight. Per unit: the median rank, the 5–95 % rank interval and the probability
of each band.

Vectorised: draws × units × leaves in one numpy array per chunk of :data:`CHUNK` draws (a
fixed size, so a seed gives the same numbers whatever the machine), ranks by sorting each draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from par_index.common.values import format_number
from par_index.errors import InputError, Problem
from par_index.planning.headroom import ladders
from par_index.scoring.engine import SetResult

CHUNK = 64  # draws per chunk: bounds memory to CHUNK × units × leaves × ~10 bytes
QUANTILES = (0.05, 0.5, 0.95)


@dataclass(frozen=True)
class Uncertainty:
    down: float = 0.1
    up: float = 0.05
    leaves: dict[str, tuple[float, float]] = field(default_factory=dict)  # code → (down, up)

    def arrays(self, codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
        d = np.array([self.leaves.get(c, (self.down, self.up))[0] for c in codes], dtype=np.float32)
        u = np.array([self.leaves.get(c, (self.down, self.up))[1] for c in codes], dtype=np.float32)
        return d, u


BandSet = list[tuple[str, Fraction]]  # (label, min) sorted by min, highest first


@dataclass
class RobustRow:
    unit: str
    name: str
    index: float | None
    rank: int | None
    median_rank: float
    rank_low: int
    rank_high: int
    band: str | None
    band_probability: list[float]


@dataclass
class RobustGroup:
    label: str
    band_labels: list[str]
    rows: list[RobustRow]


@dataclass
class Robustness:
    criteria: str
    draws: int
    seed: int
    uncertainty: Uncertainty
    groups: list[RobustGroup]
    alternatives: list[str]
    band_sets: int

    def summary(self) -> str:
        u = self.uncertainty
        text = (
            f"{self.draws} lần mô phỏng (seed {self.seed}); mỗi tiêu chí có xác suất {format_number(u.down * 100, 2)}% "
            f"bị chấm thấp đi một bước và {format_number(u.up * 100, 2)}% được chấm cao lên một bước"
        )
        if u.leaves:
            text += f" (riêng {len(u.leaves)} tiêu chí có xác suất khác)"
        if len(self.alternatives) > 1:
            text += f"; {len(self.alternatives)} phương án quy tắc: {', '.join(self.alternatives)}"
        if self.band_sets > 1:
            text += f"; {self.band_sets} bộ ngưỡng xếp loại"
        return text + "."

    def as_dict(self) -> dict[str, Any]:
        return {
            "criteria": self.criteria,
            "draws": self.draws,
            "seed": self.seed,
            "down": self.uncertainty.down,
            "up": self.uncertainty.up,
            "alternatives": self.alternatives,
            "units": [
                {
                    "unit": r.unit,
                    "name": r.name,
                    "kind": g.label,
                    "index": r.index,
                    "rank": r.rank,
                    "median_rank": r.median_rank,
                    "rank_5": r.rank_low,
                    "rank_95": r.rank_high,
                    "band": r.band,
                    "band_probability": dict(zip(g.band_labels, r.band_probability, strict=True)),
                }
                for g in self.groups
                for r in g.rows
            ],
        }

    def rows_flat(self) -> list[dict[str, Any]]:
        out = []
        for g in self.groups:
            for r in g.rows:
                row: dict[str, Any] = {
                    "unit": r.unit, "name": r.name, "kind": g.label, "index": r.index, "rank": r.rank,
                    "median_rank": r.median_rank, "rank_5": r.rank_low, "rank_95": r.rank_high, "band": r.band,
                }
                for label, p in zip(g.band_labels, r.band_probability, strict=True):
                    row[f"p_{label}"] = p
                out.append(row)
        return out


@dataclass
class Prepared:
    """One alternative of one set, as arrays: raw totals, maxima, step deltas (units)."""

    raw: np.ndarray  # units
    total_max: np.ndarray  # units
    down: np.ndarray  # units × leaves, ≤ 0, float32, in steps of ``step`` units
    up: np.ndarray  # units × leaves, ≥ 0, float32, in steps of ``step`` units
    step: float = 1.0  # units per step: 10**-precision point, so the float32 deltas are whole numbers


def steps_of(s: SetResult) -> Prepared:
    """Each (unit, leaf): the move to the ladder level below and above the current points."""
    lads = ladders(s.criteria)
    n, m = s.leaf_points.shape
    down = np.zeros((n, m), dtype=np.float32)
    up = np.zeros((n, m), dtype=np.float32)
    open_ = (s.status != "na") & (s.status != "not_applicable")
    # deltas in 10**-precision point: whole numbers below 2**24, exact in float32, as long as the
    # points are on that grain (a given figure with more decimals moves by a float32 fraction)
    step = float(s.scale // 10**s.criteria.precision)
    for j, lad in enumerate(lads):
        lv = np.array([level.units for level in lad.levels], dtype=np.float64)
        p = s.leaf_points[:, j]
        below = np.searchsorted(lv, p, side="left") - 1
        above = np.searchsorted(lv, p, side="right")
        has_below = below >= 0
        has_above = above < len(lv)
        down[:, j] = np.where(has_below & open_[:, j], lv[np.maximum(below, 0)] - p, 0.0) / step
        up[:, j] = np.where(has_above & open_[:, j], lv[np.minimum(above, len(lv) - 1)] - p, 0.0) / step
    return Prepared(s.leaf_points.sum(axis=1), s.total_max.astype(np.float64), down, up, step)


def competition_ranks(index: np.ndarray) -> np.ndarray:
    """Ranks "1224" along axis 1 of draws × units (highest first; equal values share)."""
    neg = -index
    order = np.argsort(neg, axis=1, kind="stable")
    srt = np.take_along_axis(neg, order, axis=1)
    n = srt.shape[1]
    pos = np.broadcast_to(np.arange(n), srt.shape)
    first = np.ones(srt.shape, dtype=bool)
    first[:, 1:] = srt[:, 1:] != srt[:, :-1]
    start = np.maximum.accumulate(np.where(first, pos, 0), axis=1)
    ranks = np.empty(srt.shape, dtype=np.int32)
    np.put_along_axis(ranks, order, (start + 1).astype(np.int32), axis=1)
    return ranks


def band_index(total: np.ndarray, mx: np.ndarray, bands: BandSet) -> np.ndarray:
    """Per draw and unit: position in ``bands`` of the band reached (len(bands): none), exact."""
    out = np.full(total.shape, len(bands), dtype=np.int16)
    for b in range(len(bands) - 1, -1, -1):
        _label, t = bands[b]
        reach = total * 100.0 * t.denominator >= mx * t.numerator
        out[reach] = b
    return out


def simulate_set(
    alternatives: list[tuple[float, Prepared]],
    kinds: np.ndarray,
    uncertainty: tuple[np.ndarray, np.ndarray],
    band_sets: list[tuple[float, BandSet]],
    labels: list[str],
    draws: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """(ranks draws × units, band counts units × labels) for one criteria set."""
    n_units = len(kinds)
    pd_, pu = uncertainty
    pdu = pd_ + pu
    ranks = np.zeros((draws, n_units), dtype=np.int32)
    counts = np.zeros((n_units, len(labels) + 1), dtype=np.int64)
    alt_w = np.array([w for w, _ in alternatives], dtype=float)
    band_w = np.array([w for w, _ in band_sets], dtype=float)
    label_pos = [np.array([labels.index(lb) for lb, _ in bs] + [len(labels)]) for _, bs in band_sets]
    groups = [np.flatnonzero(kinds == k) for k in dict.fromkeys(kinds.tolist())]
    for start in range(0, draws, CHUNK):
        n = min(CHUNK, draws - start)
        alt = rng.choice(len(alternatives), size=n, p=alt_w / alt_w.sum()) if len(alternatives) > 1 else np.zeros(n, dtype=int)
        bsel = rng.choice(len(band_sets), size=n, p=band_w / band_w.sum()) if len(band_sets) > 1 else np.zeros(n, dtype=int)
        total = np.empty((n, n_units))
        mx = np.empty((n, n_units))
        for a in np.unique(alt):
            rows = np.flatnonzero(alt == a)
            prep = alternatives[a][1]
            r = rng.random((len(rows), n_units, len(pd_)), dtype=np.float32)
            # a draw below pd moves down, below pd+pu up: delta = hi·up + lo·(down − up);
            # whole steps below 2**24, so float32 sums are exact
            hi = (r < pdu).astype(np.float32)
            lo = (r < pd_).astype(np.float32)
            delta = np.einsum("dul,ul->du", hi, prep.up) + np.einsum("dul,ul->du", lo, prep.down - prep.up)
            total[rows] = np.maximum(prep.raw + delta.astype(np.float64) * prep.step, 0.0)
            mx[rows] = prep.total_max
        with np.errstate(invalid="ignore", divide="ignore"):
            index = np.where(mx > 0, total * 100.0 / mx, np.nan)
        for g in groups:
            ranks[start : start + n, g] = competition_ranks(np.nan_to_num(index[:, g], nan=-np.inf))
        for b in np.unique(bsel):
            rows = np.flatnonzero(bsel == b)
            bi = band_index(total[rows], mx[rows], band_sets[b][1])
            where = label_pos[b][bi]  # draws × units → label column
            for col in range(len(labels) + 1):
                counts[:, col] += (where == col).sum(axis=0)
    return ranks, counts


MEMORY_LIMIT = 2 << 30  # bytes the simulation may hold at once (documented in docs/security.md)
BYTES_PER_RANK = 16  # the int32 draws × units ranks, and the float64 copy np.quantile sorts


def memory_needed(base: list[SetResult], draws: int) -> int:
    """Bytes a run holds at its peak: one set's ranks (draws × units) with the quantile copy,
    plus one chunk of draws × units × leaves."""
    return max(
        (draws * len(s.units) * BYTES_PER_RANK + min(draws, CHUNK) * len(s.units) * len(s.criteria.leaves) * 10 for s in base), default=0
    )


def check_memory(base: list[SetResult], draws: int) -> None:
    """Refuse, before allocating anything, a draw count whose arrays cannot fit."""
    need = memory_needed(base, draws)
    if need > MEMORY_LIMIT:
        per_draw = max(1, need // max(draws, 1))
        fits = max(1, MEMORY_LIMIT // per_draw)
        raise InputError(
            Problem(
                "robustness_memory",
                f"--draws {draws:,} cần khoảng {need / (1 << 30):,.1f} GB bộ nhớ (giới hạn {MEMORY_LIMIT >> 30} GB); "
                f"hãy giảm --draws xuống tối đa {fits:,}".replace(",", "\0").replace(".", ",").replace("\0", "."),
                field="--draws",
            )
        )


def robustness(
    base: list[SetResult],
    draws: int = 1000,
    seed: int = 0,
    uncertainty: Uncertainty | None = None,
    alternatives: list[tuple[str, float, list[SetResult]]] | None = None,
    band_sets: list[tuple[float, list[tuple[str, Decimal]]]] | None = None,
) -> Robustness:
    """Monte Carlo over ``base`` (one SetResult per criteria set).

    ``alternatives``: (name, weight, scored sets in the same order as ``base``); the baseline
    itself is the first alternative with weight 1 unless given. ``band_sets``: (weight, bands)
    replacing each set's own bands (thresholds as exact decimals, compared exactly).
    """
    uncertainty = uncertainty or Uncertainty()
    check_memory(base, draws)
    rng = np.random.default_rng(seed)
    alts = alternatives or [("gốc", 1.0, base)]
    groups: list[RobustGroup] = []
    for si, s in enumerate(base):
        c = s.criteria
        unc = uncertainty.arrays([leaf.code for leaf in c.leaves])
        prepared = [(w, steps_of(sets[si])) for _name, w, sets in alts]
        bsets = [(w, sorted(((lb, Fraction(m)) for lb, m in bs), key=lambda b: b[1], reverse=True)) for w, bs in band_sets] if band_sets else [(1.0, list(c.band_fractions))]
        labels: list[str] = []
        for _w, bs in bsets:
            for lb, _m in bs:
                if lb not in labels:
                    labels.append(lb)
        kinds = s.units["kind"].to_numpy().astype(str)
        ranks, counts = simulate_set(prepared, kinds, unc, bsets, labels, draws, rng)
        q = np.quantile(ranks, QUANTILES, axis=0, method="inverted_cdf") if draws else np.zeros((3, len(kinds)))
        for kind, label in c.kinds.items():
            rows = []
            for i in np.flatnonzero(kinds == kind).tolist():
                rows.append(
                    RobustRow(
                        str(s.units["unit"].iat[i]),
                        str(s.units["name"].iat[i]),
                        None if np.isnan(s.index[i]) else float(s.index[i]),
                        None if np.isnan(s.rank[i]) else int(s.rank[i]),
                        float(np.median(ranks[:, i])) if draws else float("nan"),
                        int(q[0, i]),
                        int(q[2, i]),
                        s.band[i],
                        [float(x) for x in counts[i, : len(labels)] / max(draws, 1)],
                    )
                )
            if rows:
                rows.sort(key=lambda r: (r.rank if r.rank is not None else 10**9, r.unit))
                groups.append(RobustGroup(label, labels, rows))
    return Robustness("+".join(s.criteria.id for s in base), draws, seed, uncertainty, groups, [a[0] for a in alts], len(bsets) if band_sets else 1)
