"""Reading the values users write, vectorised over whole columns.

Users write numbers with a Vietnamese decimal comma (``0,5``), percentages (``93%`` is 0.93),
dates as ``yyyy-mm-dd`` or ``dd/mm/yyyy``, yes/no in Vietnamese or English, and ``na`` for not
applicable. Every function takes a pandas Series of strings and returns float arrays with NaN
where the text cannot be read, so the caller can report exactly those rows.

Dates become whole days since 1970-01-01 (float), so every rule works on one float matrix.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import numpy as np
import pandas as pd

from par_index.common.rounding import places

EPOCH = dt.date(1970, 1, 1)

NA_WORDS = frozenset(
    {"na", "n/a", "không áp dụng", "không phát sinh", "không đánh giá", "kpd", "k/a"}
)
YES_WORDS = frozenset({"có", "co", "yes", "y", "1", "true", "x", "đạt", "dat", "đã", "rồi"})
NO_WORDS = frozenset(
    {"không", "khong", "no", "n", "0", "false", "không đạt", "chưa", "chưa đạt", "-"}
)


def nfc(text: str) -> str:
    """Unicode NFC form of ``text`` (how every Vietnamese string is compared)."""
    return unicodedata.normalize("NFC", text)


def nfc_texts(values: Iterable[object]) -> list[str]:
    """``nfc(str(v)).strip()`` of each value, in one call of the normaliser when the texts can
    be joined by a line break (none holds one): NFC never joins anything across a line break
    (it has no combining class and composes with nothing), so normalising the joined text and
    cutting it again gives each text's own form."""
    texts = [str(v) for v in values]
    joined = "\n".join(texts)
    if len(texts) > 1 and joined.count("\n") == len(texts) - 1:
        return list(map(str.strip, unicodedata.normalize("NFC", joined).split("\n")))
    return [nfc(t).strip() for t in texts]


def nfc_series(s: pd.Series) -> pd.Series:
    """NFC-normalise a column, touching only the distinct values (columns repeat a lot)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    normal = np.array(nfc_texts(uniques), dtype=object)
    return pd.Series(normal[codes] if len(uniques) else np.array([], dtype=object), index=s.index)


def date_to_days(d: dt.date) -> float:
    return float((d - EPOCH).days)


def days_to_date(days: float) -> dt.date:
    return EPOCH + dt.timedelta(days=int(days))


def format_date(d: dt.date | float | None) -> str:
    """dd/mm/yyyy, the way users read dates."""
    if d is None or (isinstance(d, float) and np.isnan(d)):
        return ""
    if isinstance(d, float | int):
        d = days_to_date(float(d))
    return d.strftime("%d/%m/%Y")


def is_na_text(s: pd.Series) -> np.ndarray:
    """True where the text says "not applicable"."""
    low = nfc_series(s.astype(object).astype(str)).str.lower()
    return np.asarray(low.isin(NA_WORDS), dtype=bool)


def parse_numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers, decimal commas and percentages → (float values, is_percent).

    ``93%`` → 0.93, ``0,5`` → 0.5, ``1.234,5`` and ``1,234.5`` → 1234.5, ``1 234`` → 1234;
    ``1,23.4`` (not grouped in threes) is not read.
    Unreadable text gives NaN. Each distinct text is read once (columns repeat a lot).
    """
    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=False)
    if len(uniques) == len(s):
        return _parse_distinct_numbers(s.astype(object))
    values, percent = _parse_distinct_numbers(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    return values[codes], percent[codes]


def _parse_distinct_numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    values = np.array(pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan), dtype=float)
    percent = np.zeros(len(s), dtype=bool)
    bad = np.isnan(values)
    if bad.any():
        rest = s[bad].astype(str).str.strip().str.replace(" ", "", regex=False)
        rest = rest.str.replace("\u00a0", "", regex=False)
        pct = rest.str.endswith("%")
        rest = rest.str.rstrip("%")
        # both separators: the last one is the decimal separator, the other groups thousands in
        # threes ("1.234,5" and "1,234.5" are 1234.5); any other grouping is ambiguous → unread
        both = rest.str.contains(".", regex=False) & rest.str.contains(",", regex=False)
        if both.any():
            grouped = rest[both].map(_ungroup)
            rest = rest.where(~both, grouped)
        rest = rest.str.replace(",", ".", regex=False)
        again = np.array(pd.to_numeric(rest, errors="coerce").to_numpy(dtype=float, na_value=np.nan), dtype=float)
        pct_arr = pct.to_numpy(dtype=bool)
        if pct_arr.any():
            # "8,05%" is exactly 0.0805: shift the decimal point in the text (8.05e-2 → the
            # nearest float), never divide the float 8.05 by 100 (which can land an ulp off)
            shifted = pd.to_numeric(rest[pct_arr] + "e-2", errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            again[pct_arr] = np.where(np.isnan(shifted), again[pct_arr] / 100.0, shifted)
        values[bad] = again
        percent[np.flatnonzero(bad)[pct_arr]] = True
    values[np.isinf(values)] = np.nan  # "inf", "1e400": not a value anyone means
    return values, percent


_GROUPED = {".": re.compile(r"[+-]?\d{1,3}(?:,\d{3})+\.\d*"), ",": re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+,\d*")}


def _ungroup(text: str) -> str:
    """A number with both separators, the last one decimal (``1,234.5`` / ``1.234,5`` → ``1234.5``);
    ``"x"`` (unreadable) when the other one does not group thousands in threes."""
    decimal = "." if text.rfind(".") > text.rfind(",") else ","
    if not _GROUPED[decimal].fullmatch(text):
        return "x"
    group = "," if decimal == "." else "."
    return text.replace(group, "").replace(decimal, ".")


def exact_number(text: str) -> Fraction | None:
    """The number a text stands for, exactly (the grammar of :func:`parse_numbers`): ``0,585`` →
    117/200, ``58,5%`` → 117/200; None when it is not a finite number."""
    t = str(text).strip().replace(" ", "").replace("\u00a0", "")
    percent = t.endswith("%")
    t = t.rstrip("%")
    if "." in t and "," in t:
        t = _ungroup(t)
    t = t.replace(",", ".")
    try:
        d = Decimal(t)
    except InvalidOperation:
        return None
    if not d.is_finite():
        return None
    value = Fraction(d)
    return value / 100 if percent else value


def parse_dates(s: pd.Series) -> np.ndarray:
    """``yyyy-mm-dd`` or ``dd/mm/yyyy`` (also ``d/m/yyyy``) → days since 1970-01-01.

    Each distinct text is read once by :func:`parse_date_scalar` (columns of dates repeat a
    lot); any real calendar date is read exactly, whatever its year.
    """
    codes, uniques = pd.factorize(s.astype(object).astype(str), use_na_sentinel=False)
    days = np.array([_date_days(str(u)) for u in uniques], dtype=float)
    return days[codes] if len(uniques) else np.zeros(0)


def _date_days(text: str) -> float:
    d = parse_date_scalar(text)
    return np.nan if d is None else date_to_days(d)


def parse_yes_no(s: pd.Series) -> np.ndarray:
    """có/không, yes/no, 1/0, đạt/không đạt, x → 1.0 / 0.0; anything else NaN."""
    low = nfc_series(s.astype(object).astype(str)).str.lower()
    out = np.full(len(s), np.nan)
    out[np.asarray(low.isin(YES_WORDS), dtype=bool)] = 1.0
    out[np.asarray(low.isin(NO_WORDS), dtype=bool)] = 0.0
    return out


def parse_date_scalar(text: str) -> dt.date | None:
    """One date in either accepted form, or None."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _fixed(x: float, decimals: int) -> str:
    """``x`` (read as the decimal it stands for) rounded half up to ``decimals`` places, as text."""
    if not math.isfinite(x):
        return f"{x:.{decimals}f}"
    y = abs(x) * 10**decimals
    if abs(y - math.floor(y) - 0.5) > 1e-6:  # far from a half: the float's own rounding is the same
        return f"{x:.{decimals}f}"
    return f"{places(Decimal(repr(float(x))), decimals):f}"


def format_number(x: float, decimals: int = 2) -> str:
    """A number as Vietnamese readers write it: decimal comma, no trailing zeros (rounded half
    up to ``decimals`` places: display only, docs/rounding.md)."""
    text = _fixed(x, decimals)
    if "." in text:  # only decimals lose their trailing zeros: 10 stays 10
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", ",")


def format_fixed(x: float | None, decimals: int = 2) -> str:
    """A number with exactly ``decimals`` decimals and a decimal comma (``88,50``); '' for None/NaN."""
    if x is None or x != x:
        return ""
    return _fixed(x, decimals).replace(".", ",")


def format_percent(x: float) -> str:
    return format_number(x * 100, 2) + "%"


# Unit kinds as users read them (the codes stay ASCII in files): sở, huyện, xã.
KIND_NAMES = {"so": "sở", "huyen": "huyện", "xa": "xã", "tinh": "tỉnh", "bo": "bộ"}


def kind_name(kind: str) -> str:
    """A unit kind code as Vietnamese text (``so`` → ``sở``); an unknown code as it is."""
    return KIND_NAMES.get(kind, kind)


MAX_MAGNITUDE_DIGITS = 12  # numbers in criteria files, overrides and previous results: |x| ≤ 10**12


def magnitude_problem(v: object, digits: int = MAX_MAGNITUDE_DIGITS) -> str | None:
    """Why ``v`` (an int, float, Decimal or numeric text) is no usable number, or None.

    The size is judged *before* any conversion: a 310-digit integer by its bit length, a text
    such as ``1e10000000`` by its exponent (``Decimal`` reads that without expanding it), so a
    hostile number costs nothing. Infinity and NaN are refused; ``|x| ≤ 10**digits``."""
    from decimal import Decimal, InvalidOperation

    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        if abs(v) > 10**digits:  # compared as ints: no conversion
            shown = _short(str(v)) if abs(v).bit_length() < 4000 else "số có hơn 1000 chữ số"
            return f"'{shown}' quá lớn (tối đa 10^{digits})"
        return None
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return f"số quá lớn hoặc không xác định ({v}); cần một số hữu hạn, tối đa 10^{digits}"
        return f"'{v}' quá lớn (tối đa 10^{digits})" if abs(v) > 10.0**digits else None
    if isinstance(v, str | Decimal):
        text = v.strip().replace(",", ".") if isinstance(v, str) else v
        try:
            d = Decimal(text) if len(str(text)) <= 1000 else None
        except (InvalidOperation, ValueError):
            return None  # not a number at all: the caller's own check says so
        if d is None:
            return f"'{_short(str(v))}' quá dài cho một số"
        if not d.is_finite():
            return f"'{_short(str(v))}' không phải là một số hữu hạn"
        if d.adjusted() >= digits and abs(d) > 10**digits:
            return f"'{_short(str(v))}' quá lớn (tối đa 10^{digits})"
    return None


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}…{text[-6:]} ({len(text)} ký tự)"
