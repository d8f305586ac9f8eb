"""Assessment rows as integer codes, with every distinct value text read once in every way.

The engine never touches a value string per row. When data is read (:func:`par_index.unit_data.reader.
read_data`) the ``assessments`` frame is factorized — ``unit``, ``criterion``, ``stage``,
``value`` and ``points`` become integer codes into small tables of distinct texts — and each
distinct value text is read once into every interpretation a rule may ask for: a number (with
``93%``), a date (days since 1970), yes/no, ``na``, blank, and survey answer counts
(``A:12; B:5``, split into per-answer counts, vectorised). Which interpretation a row uses
depends on its leaf's value type, so the engine chooses per row with numpy.

:func:`value_table` caches the table per assessments frame (by identity; the frame is read-only
once built — code that changes rows builds a new frame, as every module here does). The reader
factorizes ``unit``, ``criterion`` and ``stage`` while normalising them and hands those codes
over (:func:`known_codes`), so a freshly read frame is factorized once.
"""

from __future__ import annotations

import math
import re
import weakref
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import compress, repeat

import numpy as np
import pandas as pd

from par_index.common.values import is_na_text, parse_dates, parse_numbers, parse_yes_no

# answer-count texts as rules/survey.py reads them (``_PAIR`` on every ``;``/``,`` part): a
# part is blank or one ``key: count`` pair (keys and counts hold no ``;`` ``,`` or spaces)
# (possessive: what each piece takes cannot start the next — a key holds no space, ``:``, ``=``,
# ``;`` or ``,`` — so giving any back never helps a match: the same texts match, without backtracking)
_PART = r"\s*+(?:[^:=;,\s]++\s*+[:=]\s*+\d++\s*+)?+"
_WHOLE = re.compile(rf"{_PART}(?:[;,]{_PART})*+")
_KEYS = re.compile(r"([^:=;,\s]+)\s*[:=]")
_COUNTS = re.compile(r"[:=]\s*(\d+)")
_MAX_COUNT_DIGITS = 9  # longer counts are read by the rule itself, per text (exact integers)


@dataclass(frozen=True)
class AnswerCounts:
    """Answer-count texts split into their pairs (one entry per pair, in written order)."""

    text: np.ndarray  # int64: distinct value code of the text the pair belongs to
    slot: np.ndarray  # int64: position of the pair within its text (0, 1, ...)
    key: np.ndarray  # int64: code of the answer key in ``keys``
    keys: np.ndarray  # object: distinct answer keys, upper-case
    count: np.ndarray  # float64: the count (whole number)
    ok: np.ndarray  # bool per distinct value: a well-formed answer-count text read here
    slow: np.ndarray  # bool per distinct value: counts too long for float sums, read by the rule


@dataclass(frozen=True)
class ValueTable:
    """Codes of every assessment row and the readings of each distinct text."""

    unit_codes: np.ndarray  # integers per row (the smallest type that holds them) → ``units``
    units: np.ndarray  # object: distinct unit ids
    criterion_codes: np.ndarray
    criteria: np.ndarray
    stage_codes: np.ndarray
    stages: np.ndarray
    value_codes: np.ndarray
    values: np.ndarray  # object: distinct value texts (as written, ``str``)
    number: np.ndarray  # float per distinct value: number (percent read), NaN if not one
    blank: np.ndarray  # bool: not a number and empty / spaces
    na: np.ndarray  # bool: not a number and a "not applicable" word
    date: np.ndarray  # float: days since 1970-01-01, NaN if not a date
    yes_no: np.ndarray  # float: 1.0 / 0.0, NaN if not a yes/no word
    counts: AnswerCounts
    points_codes: np.ndarray
    points: np.ndarray  # object: distinct ``points`` texts
    claim: np.ndarray  # float per distinct points text
    claim_blank: np.ndarray  # bool per distinct points text

    def __len__(self) -> int:
        return len(self.value_codes)


_CACHE: dict[int, tuple[weakref.ref[pd.DataFrame], ValueTable]] = {}
_KNOWN: dict[int, tuple[weakref.ref[pd.DataFrame], dict[str, tuple[np.ndarray, np.ndarray]]]] = {}


def _remember(store: dict[int, tuple[weakref.ref[pd.DataFrame], object]], rows: pd.DataFrame, item: object) -> None:
    key = id(rows)

    def forget(_ref: object) -> None:
        store.pop(key, None)

    store[key] = (weakref.ref(rows, forget), item)


def known_codes(rows: pd.DataFrame, codes: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Codes of columns of ``rows`` already factorized while reading (column → (codes, distinct
    texts)); :func:`build` uses them instead of factorizing those columns again."""
    _remember(_KNOWN, rows, codes)  # type: ignore[arg-type]


def value_table(rows: pd.DataFrame) -> ValueTable:
    """The :class:`ValueTable` of an assessments frame, built once per frame."""
    key = id(rows)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is rows and len(hit[1]) == len(rows):
        return hit[1]
    table = build(rows)
    _remember(_CACHE, rows, table)  # type: ignore[arg-type]
    return table


def _factorize(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(column.dtype, pd.CategoricalDtype) and len(column) and column.array.codes.min() >= 0:
        return np.asarray(column.array.codes), column.cat.categories.to_numpy(dtype=object)  # read encoded: the codes as kept
    if isinstance(column.dtype, pd.StringDtype):
        codes, uniques = column.factorize(use_na_sentinel=False)  # faster on its own dtype
    else:
        values = column.to_numpy(dtype=object)
        codes, uniques = pd.factorize(values)  # much faster than use_na_sentinel=False …
        if len(codes) and codes.min() < 0:  # … which is needed only when a cell is missing
            codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)


def _all_empty(column: pd.Series) -> bool:
    """Every cell of a text column is ''."""
    if isinstance(column.dtype, pd.CategoricalDtype) and (column.cat.categories == "").all():
        return bool(len(column) == 0 or column.array.codes.min() >= 0)  # '' is the only text (no missing cell)
    return bool((column.to_numpy(dtype=object) == "").all())


def column_codes(rows: pd.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``rows[col]`` into its distinct texts: from :func:`known_codes` when the column
    was factorized while reading, else factorized now."""
    hit = _KNOWN.get(id(rows))
    if hit is not None and hit[0]() is rows and col in hit[1] and len(hit[1][col][0]) == len(rows):
        return hit[1][col]
    return _factorize(rows[col])


def build(rows: pd.DataFrame) -> ValueTable:
    unit_codes, units = column_codes(rows, "unit")
    criterion_codes, criteria = column_codes(rows, "criterion")
    stage_codes, stages = column_codes(rows, "stage")
    value_codes, raw_values = _factorize(rows["value"])
    points_codes, raw_points = np.zeros(len(rows), dtype=np.int8), np.array([""], dtype=object)
    if "points" in rows.columns and not _all_empty(rows["points"]):  # usually none
        points_codes, raw_points = _factorize(rows["points"])
    values = np.array([str(v) for v in raw_values], dtype=object)
    texts = pd.Series(values, dtype=object)
    # ':' and '=' appear in answer counts only: no number, date, yes/no or na word has one
    has_pair = np.array([":" in v or "=" in v for v in values], dtype=bool)
    plain = np.flatnonzero(~has_pair)
    plain_texts = texts.iloc[plain].reset_index(drop=True)
    number = np.full(len(values), np.nan)
    number[plain] = parse_numbers(plain_texts)[0]
    is_text = np.isnan(number)
    stripped = plain_texts.str.strip()
    blank = np.zeros(len(values), dtype=bool)
    na = np.zeros(len(values), dtype=bool)
    blank[plain] = is_text[plain] & (stripped == "").to_numpy(dtype=bool)
    na[plain] = is_text[plain] & is_na_text(stripped)
    date = np.full(len(values), np.nan)
    maybe_date = plain[plain_texts.str.contains(r"[-/]", regex=True).to_numpy(dtype=bool)]  # both forms need one
    if len(maybe_date):
        date[maybe_date] = parse_dates(texts.iloc[maybe_date].reset_index(drop=True))
    word = is_text & ~blank & ~na
    yes_no = np.full(len(values), np.nan)
    words = word & ~has_pair
    if words.any():
        yes_no[words] = parse_yes_no(texts[words].reset_index(drop=True))
    counts = _answer_counts(values, word & has_pair)
    points = np.array([str(v) for v in raw_points], dtype=object)
    claim, _ = parse_numbers(pd.Series(points, dtype=object))
    claim_blank = np.array([p.strip() == "" for p in points], dtype=bool)
    return ValueTable(
        unit_codes, units, criterion_codes, criteria, stage_codes, stages, value_codes, values,
        number, blank, na, date, yes_no, counts, points_codes, points, claim, claim_blank,
    )


def _answer_counts(values: np.ndarray, candidate: np.ndarray) -> AnswerCounts:
    """Split ``A:12; B:5`` texts into their pairs, all texts at once.

    Each candidate is checked by one regex (every ``;``/``,`` part blank or a pair); in a text
    that passes, every ``:``/``=`` belongs to exactly one pair, so the keys and the counts of
    all texts come from two ``findall`` over the texts joined by ``;``, in written order.
    """
    n = len(values)
    ok = np.zeros(n, dtype=bool)
    slow = np.zeros(n, dtype=bool)
    picked = np.flatnonzero(candidate).tolist()
    texts = values[candidate].tolist()
    # a text with a part that is no pair is refused by the rule too: neither ok nor slow
    passed = [m is not None for m in map(_WHOLE.fullmatch, texts)]
    codes = list(compress(picked, passed))
    none = np.zeros(0, np.int64)
    if not codes:
        return AnswerCounts(none, none, none, np.zeros(0, object), np.zeros(0), ok, slow)
    chosen = list(compress(texts, passed))
    per_text = np.fromiter(map(str.count, chosen, repeat(":")), dtype=np.int64, count=len(chosen))
    joined = ";".join(chosen)
    if "=" in joined:  # ``key=count`` pairs too
        per_text += np.fromiter(map(str.count, chosen, repeat("=")), dtype=np.int64, count=len(chosen))
    keys_raw, digits = _pairs(joined, int(per_text.sum()))
    owner = np.repeat(np.asarray(codes, dtype=np.int64), per_text)
    ok[codes] = True
    if max(map(len, digits)) > _MAX_COUNT_DIGITS:  # huge counts: read by the rule (Python integers)
        plain = np.array([len(d) <= _MAX_COUNT_DIGITS for d in digits], dtype=bool)
        bad = np.unique(owner[~plain])
        slow[bad] = True
        ok[bad] = False
    keep = ok[owner]
    owner = owner[keep]
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else none
    slot = np.arange(len(owner)) - np.repeat(starts, np.diff(np.r_[starts, len(owner)]))
    key_codes, raw_keys = pd.factorize(np.asarray(keys_raw, dtype=object)[keep])  # texts cut from texts: never missing (no NA scan)
    keys = np.array([k.strip().upper() for k in raw_keys], dtype=object)  # may repeat: a lookup table only
    kept = digits if keep.all() else [d for d, k in zip(digits, keep.tolist(), strict=True) if k]
    count = _whole_numbers(kept)
    return AnswerCounts(owner, slot.astype(np.int64), key_codes.astype(np.int64), keys, count, ok, slow)


def _pairs(joined: str, n_pairs: int) -> tuple[list[str], list[str]]:
    """Keys and counts (as written) of the pairs in well-formed answer-count texts joined by ';'.

    When no part is blank (parts = pairs, the usual case) the text is cut at every separator
    by plain string methods; otherwise by two regexes.
    """
    flat = joined.replace("=", ":").replace(",", ";")
    if flat.count(";") + 1 == n_pairs:
        tokens = flat.replace(":", ";").split(";")  # key, count, key, count, …
        keys, digits = tokens[0::2], tokens[1::2]
        if max(map(len, digits)) <= _MAX_COUNT_DIGITS:  # no count with spaces around or too long
            return keys, digits
        return keys, [d.strip() for d in digits]
    return _KEYS.findall(joined), _COUNTS.findall(joined)


def _whole_numbers(digits: list[str]) -> np.ndarray:
    """Texts of at most 9 digits as exact floats; numpy reads ASCII digits, ``int`` the others."""
    try:
        fast = np.fromstring(" ".join(digits), dtype=np.int64, sep=" ") if digits else np.zeros(0, np.int64)
    except ValueError:  # digits of other scripts (``\d`` matches them; ``int`` reads them)
        fast = np.zeros(0, np.int64)
    if len(fast) == len(digits):
        return fast.astype(float)
    return np.array([int(d) for d in digits], dtype=float)


def answer_shares(counts: AnswerCounts, answers: dict[str, float]) -> np.ndarray:
    """Per distinct value: favourable share of its answer counts under ``answers`` (NaN if none).

    The sums run pair by pair in written order, exactly as ``Survey.parse_text`` adds them.
    """
    table = {k.upper(): v for k, v in answers.items()}
    out = np.full(len(counts.ok), np.nan)
    if not len(counts.text):
        return out
    share = np.array([table.get(k, np.nan) for k in counts.keys], dtype=float)[counts.key]
    known = np.ones(len(counts.ok), dtype=bool)
    known[counts.text[np.isnan(share)]] = False
    favourable = np.zeros(len(counts.ok))
    total = np.zeros(len(counts.ok))
    for slot in range(int(counts.slot.max()) + 1):
        at = counts.slot == slot
        t = counts.text[at]
        favourable[t] = favourable[t] + counts.count[at] * share[at]
        total[t] = total[t] + counts.count[at]
    good = counts.ok & known & (total > 0)
    out[good] = favourable[good] / total[good]
    return out


def answer_fractions(counts: AnswerCounts, answers: dict[str, float]) -> tuple[np.ndarray, np.ndarray] | None:
    """Per distinct value: the favourable share of its answer counts exactly, as int64
    ``numerator / denominator`` (denominator 0 where there is none): the exact twin of
    :func:`answer_shares`, for deciding a result near a half (docs/rounding.md). None when the
    numbers could leave int64 (the caller then reads each text exactly)."""
    exact = {k.upper(): Fraction(Decimal(repr(float(v)))) for k, v in answers.items()}
    den = math.lcm(*(f.denominator for f in exact.values())) if exact else 1
    n = len(counts.ok)
    if not len(counts.text) or den > 10**6:
        return None if len(counts.text) else (np.zeros(n, np.int64), np.zeros(n, np.int64))
    share = np.array([exact[k].numerator * (den // exact[k].denominator) if k in exact else -1 for k in counts.keys], dtype=np.int64)[counts.key]
    known = np.ones(n, dtype=bool)
    known[counts.text[share < 0]] = False
    count = counts.count.astype(np.int64)
    if len(count) and float(count.max()) * den * (int(counts.slot.max()) + 1) > 2.0**52:
        return None
    num = np.zeros(n, dtype=np.int64)
    total = np.zeros(n, dtype=np.int64)
    np.add.at(num, counts.text, count * np.maximum(share, 0))
    np.add.at(total, counts.text, count)
    good = counts.ok & known & (total > 0)
    return np.where(good, num, 0), np.where(good, total * den, 0)
