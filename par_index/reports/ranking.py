"""Province-wide ranking and classification, read off :class:`~par_index.scoring.engine.Results`.

Nothing here scores: ranks and bands are the engine's (within kind, competition ranks on the
unrounded index, exact bands). This module arranges them for Sở Nội vụ's publication:

* :func:`ranking_frame` — one row per unit with rank, band, area sub-indices and, when units
  carry the optional ``group`` column, the rank within (kind, group);
* :func:`read_previous` + :func:`compare_previous` — rank and index change against last year's
  results file (the JSON or CSV written by ``par-index score --out``), matched by unit id;
* :func:`claim_gaps` — the points each unit claimed for itself (tự chấm: the ``points`` column,
  else what its self value gives) against final points, per unit and area;
* :func:`area_leaders` — the top units by each area's sub-index, per kind.

Displayed numbers are exact :class:`~decimal.Decimal` with 2 decimals (see
:mod:`par_index.reports.format`); ``index`` stays the engine's unrounded float for ordering.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from par_index.common.values import magnitude_problem, parse_numbers
from par_index.errors import InputError, Problem
from par_index.messages import DECIMAL_EXPECTED, FILE_MISSING, ID_MISSING, json_invalid, not_a_number
from par_index.reports.format import exact_index, float_to_2dp, units_to_points
from par_index.scoring.engine import Results, SetResult
from par_index.scoring.ranking import rank_within
from par_index.scoring.results import ranked_order
from par_index.scoring.writers import kind_names
from par_index.unit_data.reader import UnitData, read_csv_table

LEADERS_TOP = 3


def unit_groups(data: UnitData) -> dict[str, str]:
    """unit → group from the optional ``group`` column of ``units`` (units without one left out)."""
    units = data.units
    if "group" not in units.columns:
        return {}
    return {str(u): str(g) for u, g in zip(units["unit"], units["group"], strict=True) if str(g).strip()}


def _area_codes(s: SetResult) -> list[tuple[int, str, str]]:
    """(node column, code, name) of the areas that have a maximum (not the bonus/penalty group)."""
    out = []
    for area in s.criteria.areas():
        j = s.criteria.node_index[area.code]
        if s.node_max[:, j].max(initial=0.0) > 0:
            out.append((j, area.code, area.name))
    return out


def _decimals(df: pd.DataFrame, values: Iterable[Decimal | None]) -> pd.Series:
    """A column of exact numbers (``Decimal``; ``None`` where there is none) aligned with ``df``."""
    return pd.Series(list(values), index=df.index, dtype=object)


def ranking_frame(results: Results, groups: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per scored unit, ranked within kind (kinds in criteria order).

    Columns: ``unit, name, kind, kind_name, group, points, max, index (float), index_2dp,
    rank, band, group_rank`` and per area ``area_<code>`` (sub-index, Decimal) and
    ``area_points_<code>``. ``group_rank`` ranks within (kind, group) when ``groups`` names one.
    """
    groups = groups or {}
    names = kind_names(results)
    frames = []
    for s in results.sets:
        order = ranked_order(s)
        units = s.units.iloc[order].reset_index(drop=True)
        df = units[["unit", "name", "kind"]].copy()
        df["kind_name"] = [names.get(k, k) for k in df["kind"]]
        df["group"] = [groups.get(u, "") for u in df["unit"]]
        tp, tm = s.total_points[order], s.total_max[order]
        df["points"] = _decimals(df, (units_to_points(p, s.scale) for p in tp))
        df["max"] = _decimals(df, (units_to_points(m, s.scale) for m in tm))
        df["index"] = s.index[order]
        df["index_2dp"] = _decimals(df, (exact_index(p, m) for p, m in zip(tp, tm, strict=True)))
        df["rank"] = pd.array([None if np.isnan(r) else int(r) for r in s.rank[order]], dtype="Int64")
        df["band"] = [s.band[i] for i in order]
        for j, code, _name in _area_codes(s):
            p, m = s.node_points[order, j], s.node_max[order, j]
            df[f"area_{code}"] = _decimals(df, (exact_index(a, b) for a, b in zip(p, m, strict=True)))
            df[f"area_points_{code}"] = _decimals(df, (units_to_points(a, s.scale) for a in p))
        frames.append(df)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(out):
        key = (out["kind"] + "\x00" + out["group"]).to_numpy(dtype=object)
        gr = rank_within(out["index"].to_numpy(dtype=float), key)
        has_group = (out["group"] != "").to_numpy()
        out["group_rank"] = pd.array([int(r) if g and r == r else None for r, g in zip(gr, has_group, strict=True)], dtype="Int64")
    return out


def areas_of(results: Results) -> list[tuple[str, str]]:
    """(code, name) of every scored area over all criteria sets, first seen first."""
    seen: dict[str, str] = {}
    for s in results.sets:
        for _j, code, name in _area_codes(s):
            seen.setdefault(code, name)
    return list(seen.items())


# ───────────────────────────── last year ─────────────────────────────


@dataclass(frozen=True)
class PreviousUnit:
    unit: str
    name: str
    kind: str
    index: Decimal | None  # 2 decimals, half up
    rank: int | None
    band: str | None


@dataclass
class PreviousResults:
    source: str
    criteria: str
    units: dict[str, PreviousUnit]


def _prev_error(path: Path, message: str, line: int | None = None, field: str = "") -> InputError:
    hint = " Tệp năm trước phải là tệp JSON hoặc CSV do `par-index score --out` ghi ra."
    return InputError(Problem("previous_format", message + hint, file=str(path), line=line, field=field))


def read_previous(path: str | Path) -> PreviousResults:
    """Last year's results: the JSON (``score --out x.json``) or CSV (``score --out x.csv``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem("file_missing", FILE_MISSING.format(what="tệp kết quả năm trước"), file=str(path)))
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _read_previous_json(path)
    if suffix == ".csv":
        return _read_previous_csv(path)
    raise _prev_error(path, f"không đọc được định dạng '{suffix or path.name}' (cần .json hoặc .csv).")


class _BadNumber(ValueError):
    pass


def _json_number(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        problem = magnitude_problem(text)  # before converting: a 5000-digit int, 1e309
        if problem is not None:
            raise _BadNumber(problem)
        return kind(text)

    return parse


def _json_constant(text: str) -> float:
    raise _BadNumber(f"'{text}' không phải là một số (kết quả năm trước chỉ chứa số hữu hạn)")


def _read_previous_json(path: Path) -> PreviousResults:
    try:
        doc = json.loads(
            path.read_text(encoding="utf-8-sig"), parse_int=_json_number(int), parse_float=_json_number(float), parse_constant=_json_constant
        )
    except _BadNumber as exc:
        raise _prev_error(path, f"{exc}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _prev_error(path, json_invalid("tệp", exc) + ".", line=getattr(exc, "lineno", None)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("units"), list):
        raise _prev_error(path, "thiếu danh sách \"units\".")
    units: dict[str, PreviousUnit] = {}
    problems: list[Problem] = []
    for n, u in enumerate(doc["units"], start=1):
        where = f"units[{n}]"
        if not isinstance(u, dict) or not isinstance(u.get("unit"), str) or not u["unit"].strip():
            problems.append(Problem("previous_format", "mỗi phần tử của \"units\" cần khóa \"unit\" (mã đơn vị)", file=str(path), field=where))
            continue
        idx, rank = u.get("index"), u.get("rank")
        if idx is not None and (isinstance(idx, bool) or not isinstance(idx, int | float)):
            problems.append(Problem("previous_format", f"\"index\" phải là số, không phải {json.dumps(idx, ensure_ascii=False)}", file=str(path), unit=u["unit"], field=f"{where}.index"))
            continue
        if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int)):
            problems.append(Problem("previous_format", f"\"rank\" phải là số nguyên, không phải {json.dumps(rank, ensure_ascii=False)}", file=str(path), unit=u["unit"], field=f"{where}.rank"))
            continue
        _add_previous(units, problems, path, PreviousUnit(u["unit"].strip(), str(u.get("name") or ""), str(u.get("kind") or ""), float_to_2dp(idx), rank, u.get("band")), None)
    if problems:
        raise InputError(problems)
    return PreviousResults(path.name, str(doc.get("criteria") or ""), units)  # its name: no folder of this machine in a report


def _add_previous(units: dict[str, PreviousUnit], problems: list[Problem], path: Path, pu: PreviousUnit, line: int | None) -> None:
    if pu.unit in units:
        problems.append(Problem("previous_duplicate", "mã đơn vị xuất hiện hai lần trong kết quả năm trước", file=str(path), line=line, unit=pu.unit))
    else:
        units[pu.unit] = pu


def _read_previous_csv(path: Path) -> PreviousResults:
    df = read_csv_table(path)
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in ("unit", "index") if c not in df.columns]
    if missing:
        raise _prev_error(path, f"thiếu cột {', '.join(missing)}.", line=1)
    idx, _ = parse_numbers(df["index"])
    text = df["index"].astype(str).str.strip().to_numpy()
    ranks, _ = parse_numbers(df["rank"]) if "rank" in df.columns else (np.full(len(df), np.nan), None)
    units: dict[str, PreviousUnit] = {}
    problems: list[Problem] = []
    for n in range(len(df)):
        line = n + 2
        unit = str(df["unit"].iat[n]).strip()
        if not unit:
            problems.append(Problem("previous_format", ID_MISSING.format(what="đơn vị", column="unit"), file=str(path), line=line, field="unit"))
            continue
        if np.isnan(idx[n]) and text[n] != "":
            problems.append(Problem("previous_format", not_a_number("chỉ số", text[n], DECIMAL_EXPECTED), file=str(path), line=line, unit=unit, field="index"))
            continue
        big = next(
            ((col, p) for col in ("index", "rank") if col in df.columns for p in [magnitude_problem(str(df[col].iat[n]).strip())] if p is not None), None
        )
        if big is not None:
            problems.append(Problem("previous_format", big[1], file=str(path), line=line, unit=unit, field=big[0]))
            continue
        r = ranks[n]
        rank = None if np.isnan(r) else int(r)
        row = {c: str(df[c].iat[n]).strip() if c in df.columns else "" for c in ("name", "kind", "band")}
        _add_previous(units, problems, path, PreviousUnit(unit, row["name"], row["kind"], float_to_2dp(float(idx[n])), rank, row["band"] or None), line)
    if problems:
        raise InputError(problems)
    return PreviousResults(path.name, "", units)


@dataclass
class Change:
    """Year-over-year change: ``changes`` has one row per unit scored this year."""

    changes: pd.DataFrame  # unit, name, kind, rank, index_2dp, prev_rank, prev_index, rank_change, index_change, note
    new_units: list[str] = field(default_factory=list)  # scored now, not in last year's file
    gone_units: list[PreviousUnit] = field(default_factory=list)  # in last year's file, not scored now


def compare_previous(ranking: pd.DataFrame, previous: PreviousResults) -> Change:
    """Rank and index change by unit id.

    ``index_change`` = this year's index minus last year's, both as published (2 decimals,
    half up), so a reader can check the subtraction on the printed numbers. ``rank_change`` is
    last year's rank minus this year's (positive = moved up), only when the unit's kind is the
    same in both years (ranks of different kinds do not compare).
    """
    rows = []
    new_units = []
    for r in ranking.to_dict("records"):
        prev = previous.units.get(str(r["unit"]))
        rank = None if r["rank"] is pd.NA or r["rank"] is None else int(r["rank"])
        row: dict[str, object] = {"unit": r["unit"], "name": r["name"], "kind": r["kind"], "rank": rank, "index_2dp": r["index_2dp"],
                                  "prev_rank": None, "prev_index": None, "rank_change": None, "index_change": None, "note": ""}
        if prev is None:
            new_units.append(str(r["unit"]))
            row["note"] = "mới (không có trong kết quả năm trước)"
        else:
            row["prev_rank"], row["prev_index"] = prev.rank, prev.index
            now: Decimal | None = r["index_2dp"]
            if prev.index is not None and now is not None:
                row["index_change"] = now - prev.index
            if prev.kind and prev.kind != r["kind"]:
                row["note"] = f"năm trước thuộc loại '{prev.kind}': thứ hạng không so sánh được"
            elif prev.rank is not None and rank is not None:
                row["rank_change"] = prev.rank - rank
        rows.append(row)
    scored = set(ranking["unit"]) if len(ranking) else set()
    gone = [u for k, u in previous.units.items() if k not in scored]
    cols = ["unit", "name", "kind", "rank", "index_2dp", "prev_rank", "prev_index", "rank_change", "index_change", "note"]
    df = pd.DataFrame(rows, columns=cols)
    for col in ("rank", "prev_rank", "rank_change"):
        df[col] = pd.array(df[col].tolist(), dtype="Int64")
    return Change(df, new_units, gone)


# ───────────────────────────── self against final ─────────────────────────────


@dataclass
class ClaimGap:
    """The unit's own claim (tự chấm) against final points.

    ``units``: one row per unit (``self_points, final_points, gap, self_index, final_index``),
    largest over-claim first; ``areas``: one row per unit and area with a gap other than 0.
    ``self_points`` are the points the unit claimed: on each leaf its ``points`` figure where it
    gave one, else what its self value gives under the rule (survey leaves: the survey's);
    ``gap`` = claimed − final points: positive means the unit claimed more than it kept.
    """

    units: pd.DataFrame
    areas: pd.DataFrame


def claim_gaps(self_results: Results, final_results: Results) -> ClaimGap:
    urows, arows = [], []
    for fs in final_results.sets:
        ss = next((s for s in self_results.sets if s.criteria.id == fs.criteria.id), None)
        if ss is None:
            continue
        areas = _area_codes(fs)
        claimed = claimed_units(ss)  # units × leaves, signed whole units of 1/scale
        claimed_nodes = ss.criteria.aggregate(claimed.T).T  # units × nodes
        claimed_total = np.maximum(claimed.sum(axis=1), 0.0)
        self_row: dict[str, int] = {}
        for k, u in enumerate(ss.units["unit"].tolist()):
            self_row.setdefault(u, k)  # the first row, as SetResult.unit_row finds it
        names, kinds = fs.units["name"].tolist(), fs.units["kind"].tolist()
        for i, unit in enumerate(fs.units["unit"].tolist()):
            k = self_row.get(unit, -1)
            if k < 0:
                continue
            sp, fp = units_to_points(claimed_total[k], ss.scale), units_to_points(fs.total_points[i], fs.scale)
            urows.append(
                {"unit": unit, "name": names[i], "kind": kinds[i], "self_points": sp, "final_points": fp,
                 "gap": sp - fp, "self_index": exact_index(claimed_total[k], ss.total_max[k]),
                 "final_index": exact_index(fs.total_points[i], fs.total_max[i])}
            )
            for j, code, name in areas:
                a_self = units_to_points(claimed_nodes[k, j], ss.scale)
                a_final = units_to_points(fs.node_points[i, j], fs.scale)
                if a_self != a_final:
                    arows.append({"unit": unit, "area": code, "area_name": name, "self_points": a_self, "final_points": a_final, "gap": a_self - a_final})
    ucols = ["unit", "name", "kind", "self_points", "final_points", "gap", "self_index", "final_index"]
    units = pd.DataFrame(urows, columns=ucols)
    if len(units):
        units = units.assign(_g=units["gap"].map(float)).sort_values(["_g", "unit"], ascending=[False, True], kind="stable").drop(columns="_g")
    areas_df = pd.DataFrame(arows, columns=["unit", "area", "area_name", "self_points", "final_points", "gap"])
    return ClaimGap(units.reset_index(drop=True), areas_df)


def claimed_units(s: SetResult) -> np.ndarray:
    """Units × leaves: what each unit claimed for itself, signed, in whole units of ``1/scale``.

    The ``points`` figure of the row that counts where there is one (bonus and penalty claims are
    magnitudes), else the points the rule gives its value; leaves that do not count (``na``,
    not applicable) and survey leaves (Sở Nội vụ's, never the unit's claim) keep the engine's points.
    """
    c = s.criteria
    given = np.asarray(s.claimed, dtype=float)
    sign = np.array([-1.0 if leaf.sign < 0 else 1.0 for leaf in c.leaves])
    own = np.array([leaf.rule.kind != "survey" for leaf in c.leaves], dtype=bool)
    counts = (s.status != "na") & (s.status != "not_applicable")
    use = ~np.isnan(given) & own[None, :] & counts
    out: np.ndarray = np.where(use, np.rint(np.maximum(np.nan_to_num(given), 0.0) * s.scale) * sign[None, :], s.leaf_points)
    return out


# ───────────────────────────── area leaders ─────────────────────────────


def area_leaders(results: Results, top: int = LEADERS_TOP) -> pd.DataFrame:
    """Per kind and area, the units ranked ``top`` or better by the area's sub-index.

    Ranks are competition ranks on the exact sub-index (equal sub-indexes share a rank, so a
    tie at the cut-off can list more than ``top`` units). Units for which the area has no
    maximum are left out.
    """
    rows = []
    names = kind_names(results)
    for s in results.sets:
        kinds = s.units["kind"].to_numpy(dtype=object)
        for j, code, name in _area_codes(s):
            p, m = s.node_points[:, j], s.node_max[:, j]
            with np.errstate(invalid="ignore", divide="ignore"):
                sub = np.where(m > 0, p * 100.0 / m, np.nan)
            ranks = rank_within(sub, kinds)
            for kind in s.criteria.kinds:
                sel = np.flatnonzero((kinds == kind) & ~np.isnan(ranks) & (ranks <= top))
                sel = sel[np.lexsort((s.units["unit"].to_numpy()[sel], ranks[sel]))]
                for i in sel.tolist():
                    rows.append(
                        {"kind": kind, "kind_name": names.get(kind, kind), "area": code, "area_name": name, "rank": int(ranks[i]),
                         "unit": s.units["unit"].iat[i], "name": s.units["name"].iat[i],
                         "points": units_to_points(p[i], s.scale), "max": units_to_points(m[i], s.scale), "index_2dp": exact_index(p[i], m[i])}
                    )
    cols = ["kind", "kind_name", "area", "area_name", "rank", "unit", "name", "points", "max", "index_2dp"]
    return pd.DataFrame(rows, columns=cols)
