"""Numbers and dates as the reports show them, decided once.

Reports show every number with exactly two decimals and a Vietnamese decimal comma
("88,50"; a change is signed: "+1,25", "-0,50"); dates are dd/mm/yyyy. The numbers come from
whole *units* of ``10**-6`` point (see :mod:`par_index.scoring.engine`), so they are turned into
exact fractions first; a number shown is that exact value rounded **half up** to 2 decimals by
:func:`par_index.common.rounding.places` (display only: nothing is computed from it) — an index
from the exact fraction ``points × 100 / max``, never off by a binary-float tie.

The machine-readable twin of a displayed number (``data-points="88.50"`` in the HTML, numbers
in the workbook) is the same Decimal written with a dot.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from par_index.common.rounding import places


def units_to_points(units: float, scale: int) -> Decimal:
    """Whole units of ``1/scale`` points → points shown with 2 decimals (e.g. 88 504 000, 10**6 → 88.50)."""
    return _units_to_points(round(float(units)), scale)  # float(): round() of a numpy float is ~10× slower


# Reports turn the same few hundred numbers into text hundreds of thousands of times (the
# appendix of 1,000 unit reports): each distinct one is worked out once.
@lru_cache(maxsize=65536)
def _units_to_points(units: int, scale: int) -> Decimal:
    return places(Fraction(units, scale))


@lru_cache(maxsize=65536)
def point_texts(units: int, scale: int) -> tuple[Decimal, str, str]:
    """Whole units → (points, :func:`vn` text, :func:`data_number` text), once per distinct value."""
    x = _units_to_points(units, scale)
    return x, _vn(x, False), _data_number(x)


def exact_index(points_units: float, max_units: float) -> Decimal | None:
    """``points × 100 / max`` rounded half up to 2 decimals, from whole units; None if max is 0."""
    if max_units <= 0:
        return None
    return _exact_index(round(float(points_units)), round(float(max_units)))


@lru_cache(maxsize=65536)
def _exact_index(points_units: int, max_units: int) -> Decimal:
    return places(Fraction(points_units * 100, max_units))


def float_to_2dp(x: float | None) -> Decimal | None:
    """A float read from a file (e.g. last year's unrounded index) → 2 decimals, half up."""
    if x is None or x != x:
        return None
    return places(Decimal(repr(float(x))))


def vn(x: Decimal | None, signed: bool = False, empty: str = "—") -> str:
    """``Decimal('88.5')`` → ``"88,50"``; with ``signed`` a ``+`` before positive numbers."""
    if x is None:
        return empty
    return _vn(x, signed)


@lru_cache(maxsize=65536)
def _vn(x: Decimal, signed: bool) -> str:  # equal Decimals (88.5, 88.50) give the same text
    q = places(x)
    if q == 0:
        q = abs(q)  # never "-0,00"
    text = f"{q:.2f}".replace(".", ",")
    return f"+{text}" if signed and q > 0 else text


def data_number(x: Decimal | None) -> str:
    """The machine-readable twin of :func:`vn`: ``"88.50"`` (empty when there is no number)."""
    return "" if x is None else _data_number(x)


@lru_cache(maxsize=65536)
def _data_number(x: Decimal) -> str:
    return f"{places(x):.2f}"


def vn_int(x: int | None, signed: bool = False, empty: str = "—") -> str:
    if x is None:
        return empty
    return f"+{x}" if signed and x > 0 else str(x)


def vn_date(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")
