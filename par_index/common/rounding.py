"""Rounding, decided once: how points are kept and the one half-up rounding (docs/rounding.md).

* **Resolution.** Points are kept as whole *units* of ``10**-6`` point (:data:`UNITS_PER_POINT`)
  in float64: whole numbers below 2**53, so sums are exact in any order. Points the user gives
  (a ``manual`` leaf, a bonus/penalty in points, a claim alone) keep every digit down to the
  resolution — ``78.024`` stays 78.024; a figure with more decimals is rounded half up to the
  resolution **with a warning** (:func:`given_units`), never silently.
* **Half up.** :func:`round_half_up` is the only rounding of a number in the package: exact
  (on :class:`~fractions.Fraction` / :class:`~decimal.Decimal` / int), halves away from zero —
  ``0.585`` → 0.59, ``0.584999999`` → 0.58, ``1.49999997`` → 1 (``places=0``) — as Excel's
  ``ROUND`` and the official tables do. The engine rounds a computed rule result (survey share,
  proportional, formula, …) to the criteria set's ``precision`` with :func:`round_units`: floats
  far from a half are decided by the float (its error is far below :data:`NEAR_HALF`), the few
  near a half are decided exactly from the rule's exact result.
* **Display.** Reports show points and indexes with 2 decimals: :func:`places` (half up from the
  exact value). Everything else that prints fewer digits than a value has is formatting of an
  exact value, never an input to a computation.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np

RESOLUTION_DIGITS = 6
UNITS_PER_POINT = 10**RESOLUTION_DIGITS  # points are whole units of 10**-6 point
NEAR_HALF = 1e-6  # a float result this close to a half (in units of the last place kept) is decided exactly
GIVEN_SLACK = 1e-6  # in units: a given figure further than this from a whole unit has more than 6 decimals

Exact = Fraction | Decimal | int


def round_half_up(x: Exact | str, places: int) -> Fraction:
    """``x`` rounded half up (halves away from zero) to ``places`` decimals, exactly.

    ``x`` is an exact number (a ``float`` is refused: say which decimal it stands for first,
    e.g. ``Decimal(repr(f))``).
    """
    if isinstance(x, float):
        raise TypeError("round_half_up takes an exact number, not a float")
    q = x if isinstance(x, Fraction) else Fraction(Decimal(x)) if isinstance(x, str) else Fraction(x)
    num, den = q.numerator, q.denominator
    if places >= 0:
        num *= 10**places
    else:
        den *= 10**-places
    n = (abs(num) * 2 + den) // (2 * den)  # floor(|x|·10^places + 1/2), in integers
    n = -n if num < 0 else n
    return Fraction(n, 10**places) if places >= 0 else Fraction(n * 10**-places)


def places(x: Exact | str, n: int = 2) -> Decimal:
    """``x`` rounded half up to ``n`` decimals as a Decimal with exactly ``n`` decimals (for display)."""
    if isinstance(x, Decimal):  # a decimal's own half-up quantize is exact: the same result, faster
        return x.quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP)
    r = round_half_up(x, n)
    return (Decimal(r.numerator) / Decimal(r.denominator)).quantize(Decimal(1).scaleb(-n))


def units_fraction(units: float, units_per_point: int = UNITS_PER_POINT) -> Fraction:
    """Whole units (a float holding a whole number) → exact points."""
    return Fraction(round(units), units_per_point)


def float_decimal(x: float) -> Fraction:
    """The decimal a float read from text stands for (its shortest round-trip form), exactly."""
    return Fraction(Decimal(repr(float(x))))


def points_to_units(points: Exact | float, units_per_point: int = UNITS_PER_POINT) -> int:
    """Points (a float is read as the decimal it stands for) → whole units, half up at the resolution."""
    exact = float_decimal(points) if isinstance(points, float) else Fraction(points)
    return int(round_half_up(exact * units_per_point, 0))


def round_units(
    points: np.ndarray,
    precision: int,
    exact: Callable[[int], Fraction | None] | None = None,
    units_per_point: int = UNITS_PER_POINT,
    keys: np.ndarray | None = None,
    known: np.ndarray | None = None,
) -> np.ndarray:
    """Float points → whole units, each rounded half up to ``precision`` decimals (vectorised).

    A value whose scaled float is within :data:`NEAR_HALF` of a half is decided exactly:
    ``exact(i)`` gives the exact result of cell ``i`` (None when there is none, e.g. a formula
    with a square root: the float itself, as a binary fraction, is then rounded exactly).
    ``keys`` (optional, one per cell): cells with the same key have the same exact result, so
    it is computed once per key (the engine passes the code of the value's text). ``known``
    (optional, one per cell): the exact result already rounded, in units of ``10**-precision``
    (NaN where not known; survey answer counts decided in integers, all cells at once).
    """
    grain = 10**precision
    y = np.abs(points) * grain
    out = np.floor(y + 0.5)
    near = np.flatnonzero(np.abs(y - np.floor(y) - 0.5) < NEAR_HALF)
    if len(near) and known is not None:
        decided = ~np.isnan(known[near])
        out[near[decided]] = np.abs(known[near[decided]])
        near = near[~decided]
    if len(near):
        if keys is None:
            reps, inverse = near, np.arange(len(near))
        else:
            _, first, inverse = np.unique(keys[near], return_index=True, return_inverse=True)
            reps = near[first]
        decided = []
        for i in reps:
            value = exact(int(i)) if exact is not None else None
            if value is None:
                value = Fraction(float(points[i]))
            decided.append(float(abs(round_half_up(value, precision)) * grain))
        out[near] = np.asarray(decided)[np.ravel(inverse)]
    out = np.copysign(out, points) + 0.0  # + 0.0: no "-0"
    return out * (units_per_point // grain)


def given_units(points: np.ndarray, units_per_point: int = UNITS_PER_POINT) -> tuple[np.ndarray, np.ndarray]:
    """Points as given → (whole units, mask of figures with more decimals than the resolution).

    The units of a flagged figure are its nearest unit; the caller rounds it exactly from its
    text (:func:`round_half_up` to :data:`RESOLUTION_DIGITS`) and reports it.
    """
    y = points * units_per_point
    units = np.round(y)
    with np.errstate(invalid="ignore"):
        finer = np.abs(y - units) > GIVEN_SLACK
    return units + 0.0, finer


def round_array(values: np.ndarray, precision: int, exact: Callable[[int], Fraction | None] | None = None) -> np.ndarray:
    """Float values rounded half up to ``precision`` decimals (the nearest float to the result),
    deciding values near a half exactly as :func:`round_units` does; NaN stays NaN."""
    grain = 10**precision
    out = np.full(values.shape, np.nan)
    ok = ~np.isnan(values)
    idx = np.flatnonzero(ok)
    picked = None if exact is None else (lambda i: exact(int(idx[i])))
    out[ok] = round_units(values[ok], precision, picked, grain) / grain
    return out

