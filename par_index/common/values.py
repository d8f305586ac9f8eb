"""Reading the values users write, vectorised over whole columns.

Users write numbers with a Vietnamese decimal comma (``0,5``), percentages (``93%`` is 0.93),
dates as ``yyyy-mm-dd`` or ``dd/mm/yyyy``, yes/no in Vietnamese or English, and ``na`` for not
applicable. Every function takes a column of strings (a list, a numpy array or a pandas Series)
and returns float arrays with NaN where the text cannot be read, so the caller can report
exactly those rows. Nothing here imports pandas (reading a data folder does not need it).

Dates become whole days since 1970-01-01 (float), so every rule works on one float matrix.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import numpy as np

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


def _items(s: Iterable[object]) -> list[object]:
    """The cells of a column (a pandas Series, a numpy array or any sequence) as a list."""
    tolist = getattr(s, "tolist", None)
    return tolist() if callable(tolist) else list(s)


def _by_distinct(items: list[object], read: Callable[[str], float]) -> np.ndarray:
    """``read`` of each item's text as floats, each distinct text read once (columns repeat a
    lot). Keyed by the text, not the item: ``1``, ``1.0`` and ``True`` are one dict key but
    three texts, and only the texts ``1`` and ``true`` say yes."""
    seen: dict[str, float] = {}
    out = [seen[t] if t in seen else seen.setdefault(t, read(t)) for t in map(str, items)]
    return np.array(out, dtype=float) if out else np.zeros(0)


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


def is_na_text(s: Iterable[object]) -> np.ndarray:
    """True where the text says "not applicable"."""
    return _by_distinct(_items(s), _na_word).astype(bool)


def _na_word(text: str) -> float:
    return float(nfc(text).strip().lower() in NA_WORDS)


def parse_numbers(s: Iterable[object]) -> tuple[np.ndarray, np.ndarray]:
    """Numbers, decimal commas and percentages → (float values, is_percent).

    ``93%`` → 0.93, ``0,5`` → 0.5, ``1.234,5`` and ``1,234.5`` → 1234.5, ``1 234`` → 1234;
    ``1,23.4`` (not grouped in threes) is not read.
    Unreadable text gives NaN. Each distinct text is read once (columns repeat a lot).
    """
    seen: dict[object, tuple[float, bool]] = {}
    read = [seen[v] if v in seen else seen.setdefault(v, _read_number(v)) for v in _items(s)]
    if not read:
        return np.zeros(0), np.zeros(0, dtype=bool)
    values = np.array([x for x, _ in read], dtype=float)
    percent = np.array([p for _, p in read], dtype=bool)
    values[np.isinf(values)] = np.nan  # "inf", "1e400": not a value anyone means
    return values, percent


def _read_number(v: object) -> tuple[float, bool]:
    """One cell as :func:`parse_numbers` reads it: (value, is_percent); infinities are left to the caller."""
    x = _plain_number(v)
    if x == x:
        return x, False
    t, percent = _number_text(v)
    x = _plain_number(t)
    if percent:
        # "8,05%" is exactly 0.0805: shift the decimal point in the text (8.05e-2 → the
        # nearest float), never divide the float 8.05 by 100 (which can land an ulp off)
        shifted = _plain_number(t + "e-2")
        x = x / 100.0 if shifted != shifted else shifted
    return x, percent


def _number_text(v: object) -> tuple[str, bool]:
    """A cell's text as a plain number's (spaces gone, a decimal point) and whether it ends in
    ``%`` (the ``%`` dropped) — the grammar :func:`parse_numbers` and :func:`exact_number` share."""
    t = str(v).strip().replace(" ", "").replace("\u00a0", "")
    percent = t.endswith("%")
    t = t.rstrip("%")
    # both separators: the last one is the decimal separator, the other groups thousands in
    # threes ("1.234,5" and "1,234.5" are 1234.5); any other grouping is ambiguous → unread
    if "." in t and "," in t:
        t = _ungroup(t)
    return t.replace(",", "."), percent


def _plain_number(v: object) -> float:
    """A number written plainly (``12``, ``-0.5``, ``1e3``, spaces around) as the nearest float,
    NaN when it is not one: ASCII digits only, no ``_`` between them (what Python's ``float``
    reads beyond that is not a number a user writes in a cell); a number that is no text (a
    spreadsheet's) as it is."""
    if isinstance(v, str):
        if not v.isascii() or "_" in v:
            return math.nan
        try:
            return float(v)
        except ValueError:
            return math.nan
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


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
    t, percent = _number_text(text)
    try:
        d = Decimal(t)
    except InvalidOperation:
        return None
    if not d.is_finite():
        return None
    value = Fraction(d)
    return value / 100 if percent else value


def parse_dates(s: Iterable[object]) -> np.ndarray:
    """``yyyy-mm-dd`` or ``dd/mm/yyyy`` (also ``d/m/yyyy``) → days since 1970-01-01.

    Each distinct text is read once by :func:`parse_date_scalar` (columns of dates repeat a
    lot); any real calendar date is read exactly, whatever its year.
    """
    return _by_distinct(_items(s), _date_days)


def _date_days(text: str) -> float:
    d = parse_date_scalar(text)
    return np.nan if d is None else date_to_days(d)


def parse_yes_no(s: Iterable[object]) -> np.ndarray:
    """có/không, yes/no, 1/0, đạt/không đạt, x → 1.0 / 0.0; anything else NaN."""
    return _by_distinct(_items(s), _yes_no)


def _yes_no(text: str) -> float:
    low = nfc(text).strip().lower()
    return 1.0 if low in YES_WORDS else 0.0 if low in NO_WORDS else math.nan


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
