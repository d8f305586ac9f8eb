"""Recalculating self-assessment workbooks outside Excel, for the tests.

Two ways, both with the ``formulas`` package (an Excel formula engine in Python):

* :func:`recalc_full` loads the whole file as an Excel model and calculates it — the faithful
  check, but about 10 s for a Bắc Giang workbook (each formula is compiled again);
* :class:`CachedEvaluator` evaluates the same cell formulas with the same ``formulas`` functions,
  compiling each *shape* of formula once (cell references replaced by placeholders) and reusing
  it for every row and every unit of a criteria set.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
from openpyxl.utils.datetime import to_excel

from par_index.scoring.engine import SetResult
from par_index.workbook import layout as wl
from par_index.workbook.template import Layout

REF = re.compile(r"(?<![A-Za-z0-9_.])([A-Z]{1,3}[0-9]+)(?![0-9A-Za-z_(])")


def _scalar(v: Any) -> Any:
    while isinstance(v, np.ndarray):
        v = v.ravel()[0] if v.size else ""
    if isinstance(v, np.generic):
        v = v.item()
    if type(v).__name__ == "XlError":
        return str(v)
    return v


def recalc_full(path: Path) -> dict[str, Any]:
    """Every cell of the main sheet as the ``formulas`` Excel model calculates it."""
    import formulas

    model = formulas.ExcelModel().loads(str(path)).finish()
    solution = model.calculate()
    out: dict[str, Any] = {}
    for key, value in solution.items():
        sheet, _, ref = key.rpartition("!")
        if wl.MAIN_SHEET.upper() in sheet.upper() and ":" not in ref:
            out[ref] = _scalar(getattr(value, "value", value))
    return out


def _canonical(formula: str) -> tuple[str, list[str]]:
    """The formula with its cell references renamed Z1, Z2, … (outside string literals)."""
    refs: list[str] = []
    parts = formula.split('"')
    for k in range(0, len(parts), 2):

        def rename(m: re.Match[str]) -> str:
            if m.group(1) not in refs:
                refs.append(m.group(1))
            return f"Z{refs.index(m.group(1)) + 1}"

        parts[k] = REF.sub(rename, parts[k])
    return '"'.join(parts), refs


class CachedEvaluator:
    def __init__(self) -> None:
        self._compiled: dict[str, Any] = {}

    def _function(self, canon: str) -> Any:
        fn = self._compiled.get(canon)
        if fn is None:
            import formulas

            fn = formulas.Parser().ast(canon)[1].compile()
            self._compiled[canon] = fn
        return fn

    def evaluate(self, path: Path) -> dict[str, Any]:
        """Every formula cell of the main sheet, evaluated from the input cells."""
        import schedula as sh
        from formulas.functions import Array

        ws = openpyxl.load_workbook(path)[wl.MAIN_SHEET]
        cells = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
        memo: dict[str, Any] = {}

        def wrap(v: Any) -> Any:
            return np.array([[v]], dtype=object).view(Array)

        def value(ref: str) -> Any:
            if ref in memo:
                return memo[ref]
            v = cells.get(ref)
            if isinstance(v, str) and v.startswith("="):
                canon, refs = _canonical(v)
                fn = self._function(canon)
                args = {f"Z{k + 1}": value(r) for k, r in enumerate(refs)}
                out = fn(*[args[name] for name in fn.inputs])
            elif v is None:
                out = wrap(sh.EMPTY)
            elif isinstance(v, dt.datetime | dt.date):
                out = wrap(float(to_excel(v)))
            else:
                out = wrap(v)
            memo[ref] = out
            return out

        return {ref: _scalar(value(ref)) for ref in cells}


def expected_cells(s: SetResult, unit: str, layout: Layout) -> dict[str, Any]:
    """What the engine says each formula cell of the unit's workbook must show."""
    i = s.unit_row(unit)
    c = s.criteria
    scale = s.scale
    out: dict[str, Any] = {}
    for code, row in layout.rows.items():
        n = c.node_index[code]
        p, m = s.node_points[i, n], s.node_max[i, n]
        out[f"{wl.col('points')}{row}"] = p / scale
        out[f"{wl.col('max_used')}{row}"] = m / scale
        out[f"{wl.col('index')}{row}"] = p * 100.0 / m if m > 0 else ""
    t = layout.total_row
    out[f"{wl.col('points')}{t}"] = s.total_points[i] / scale
    out[f"{wl.col('max_used')}{t}"] = s.total_max[i] / scale
    out[f"{wl.col('index')}{t}"] = "" if np.isnan(s.index[i]) else float(s.index[i])
    if layout.band_row is not None:
        out[f"{wl.col('points')}{layout.band_row}"] = s.band[i] or ""
    return out


def omitted_nodes_are_zero(s: SetResult, unit: str, layout: Layout) -> list[str]:
    """Codes left out of the workbook that nevertheless have points or a maximum (should be none)."""
    i = s.unit_row(unit)
    c = s.criteria
    return [n.code for k, n in enumerate(c.nodes) if n.code not in layout.rows and (s.node_points[i, k] or s.node_max[i, k])]


def mismatches(got: dict[str, Any], want: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Cells whose value differs from the engine's, exactly (no tolerance)."""
    return [(ref, got.get(ref), v) for ref, v in want.items() if got.get(ref) != v]
