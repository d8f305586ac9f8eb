"""Assessment rows as integer codes, with every distinct value text read once in every way.

The engine never touches a value string per row. When data is read (:func:`par_index.pipeline.
read_data`) the assessment rows are codes already — ``unit``, ``criterion``, ``stage``,
``value`` and ``points`` are integer codes into small tables of distinct texts
(:class:`~par_index.unit_data.table.Texts`) — and each
distinct value text is read once into every interpretation a rule may ask for: a number (with
``93%``), a date (days since 1970), yes/no, ``na``, blank, and survey answer counts
(``A:12; B:5``, split into per-answer counts, vectorised). Which interpretation a row uses
depends on its leaf's value type, so the engine chooses per row with numpy.

:func:`value_table` caches the table per assessments table or frame (by identity; they are
read-only once built — code that changes rows builds a new frame, as every module here does).
The reader's table holds the codes it made while reading, so freshly read rows are never
factorized again (a frame built from that table gives the table back). No pandas here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import compress, repeat
from typing import TYPE_CHECKING

import numpy as np

from par_index.common.arrow_numpy import to_arrow, to_numpy
from par_index.common.codes import factorize
from par_index.common.values import is_na_text, parse_dates, parse_numbers, parse_yes_no
from par_index.unit_data.table import ByIdentity, Table, Texts, as_texts

if TYPE_CHECKING:
    import pandas as pd

# answer-count texts as rules/survey.py reads them (``_PAIR`` on every ``;``/``,`` part): a
# part is blank or one ``key: count`` pair (keys and counts hold no ``;`` ``,`` or spaces)


def _answer_count_grammar(space: str, digit: str, more: str) -> str:
    """The one grammar of a whole answer-count text, spelt for a regex engine (``space``: the
    characters of a space, as written inside ``[...]``; ``digit``: a digit's class).

    For Python's ``re``, possessive (``more="+"``): what each piece takes cannot start the next —
    a key holds no space, ``:``, ``=``, ``;`` or ``,`` — so giving any back never helps a match:
    the same texts match, without backtracking. For RE2 (pyarrow's kernels), which has no
    possessive form and needs none (it never backtracks), ``more=""``."""
    s, key = f"[{space}]", f"[^:=;,{space}]"
    part = rf"{s}*{more}(?:{key}+{more}{s}*{more}[:=]{s}*{more}{digit}+{more}{s}*{more})?{more}"
    return rf"{part}(?:[;,]{part})*{more}"


_WHOLE = re.compile(_answer_count_grammar(r"\s", r"\d", "+"))
# The same grammar for RE2 over ASCII texts only: RE2's ``\s`` and ``\d`` are ASCII where
# Python's are Unicode. On ASCII, Python's ``\s`` (``str.isspace``, ``str.strip``) is exactly
# these ten characters (taken from it below) and its ``\d`` exactly 0-9; texts with other
# characters go to ``re``.
_ASCII_SPACE_CHARS = "".join(c for c in map(chr, range(128)) if c.isspace())  # \t \n \v \f \r \x1c-\x1f and space
_ASCII_SPACE = "".join(f"\\x{ord(c):02x}" for c in _ASCII_SPACE_CHARS)  # the same, as written inside [...]
_WHOLE_ASCII = "^" + _answer_count_grammar(_ASCII_SPACE, "[0-9]", "") + "$"
_ARROW_FROM = 512  # fewer candidate texts are read by ``re`` alone (pyarrow.compute need not load)
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


_CACHE: ByIdentity[ValueTable] = ByIdentity()


def value_table(rows: Table | pd.DataFrame) -> ValueTable:
    """The :class:`ValueTable` of the assessment rows (a table as read, or a frame), built once
    per table or frame (a frame built from a table shares the table's)."""
    hit = _CACHE.get(rows)
    if hit is not None:
        return hit
    table = build(rows) if isinstance(rows, Table) else value_table(Table.from_frame(rows))
    _CACHE.put(rows, table)
    return table


def _factorize(column: Texts | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a column into its distinct texts (missing cells, None or NaN, a text of their own)."""
    texts = as_texts(column)
    return texts.codes, texts.texts


def _all_empty(column: Texts | np.ndarray) -> bool:
    """Every cell of a text column is ''."""
    if isinstance(column, Texts):
        return bool((column.texts == "").all() or len(column) == 0)
    return bool((column == "").all())


def column_codes(rows: Table, col: str) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``rows[col]`` into its distinct texts."""
    return _factorize(rows[col])


def build(rows: Table) -> ValueTable:
    unit_codes, units = column_codes(rows, "unit")
    criterion_codes, criteria = column_codes(rows, "criterion")
    stage_codes, stages = column_codes(rows, "stage")
    value_codes, raw_values = _factorize(rows["value"])
    points_codes, raw_points = np.zeros(len(rows), dtype=np.int8), np.array([""], dtype=object)
    if "points" in rows and not _all_empty(rows["points"]):  # usually none
        points_codes, raw_points = _factorize(rows["points"])
    values = np.array([str(v) for v in raw_values], dtype=object)
    # ':' and '=' appear in answer counts only: no number, date, yes/no or na word has one
    has_pair = np.array([":" in v or "=" in v for v in values], dtype=bool)
    plain = np.flatnonzero(~has_pair)
    plain_texts = values[plain]
    number = np.full(len(values), np.nan)
    number[plain] = parse_numbers(plain_texts)[0]
    is_text = np.isnan(number)
    stripped = [t.strip() for t in plain_texts.tolist()]
    blank = np.zeros(len(values), dtype=bool)
    na = np.zeros(len(values), dtype=bool)
    blank[plain] = is_text[plain] & np.array([t == "" for t in stripped], dtype=bool)
    na[plain] = is_text[plain] & is_na_text(stripped)
    date = np.full(len(values), np.nan)
    maybe_date = plain[np.array(["-" in t or "/" in t for t in plain_texts.tolist()], dtype=bool)]  # both forms need one
    if len(maybe_date):
        date[maybe_date] = parse_dates(values[maybe_date])
    word = is_text & ~blank & ~na
    yes_no = np.full(len(values), np.nan)
    words = word & ~has_pair
    if words.any():
        yes_no[words] = parse_yes_no(values[words])
    counts = _answer_counts(values, word & has_pair)
    points = np.array([str(v) for v in raw_points], dtype=object)
    claim, _ = parse_numbers(points)
    claim_blank = np.array([p.strip() == "" for p in points], dtype=bool)
    return ValueTable(
        unit_codes, units, criterion_codes, criteria, stage_codes, stages, value_codes, values,
        number, blank, na, date, yes_no, counts, points_codes, points, claim, claim_blank,
    )


def _answer_counts(values: np.ndarray, candidate: np.ndarray) -> AnswerCounts:
    """Split ``A:12; B:5`` texts into their pairs, all texts at once.

    Each candidate is checked against the one grammar (every ``;``/``,`` part blank or a pair);
    in a text that passes, every ``:``/``=`` belongs to exactly one pair, so the texts are cut
    at their separators in written order. Many ASCII texts are checked and cut by pyarrow's
    kernels (:func:`_ascii_pairs`); the others (and a few texts) by ``re`` and string methods
    (:func:`_unicode_pairs`).
    """
    picked = np.flatnonzero(candidate)
    if len(picked) >= _ARROW_FROM:
        is_ascii = np.fromiter(map(str.isascii, values[picked].tolist()), dtype=bool, count=len(picked))
        if is_ascii.all():
            return _counted(len(values), [_ascii_pairs(values, picked)])
        return _counted(len(values), [_ascii_pairs(values, picked[is_ascii]), _unicode_pairs(values, picked[~is_ascii])])
    return _counted(len(values), [_unicode_pairs(values, picked)])


@dataclass(frozen=True)
class _Pairs:
    """The pairs of the well-formed texts among some candidates, in written order."""

    codes: np.ndarray  # int64: the well-formed texts' codes
    per_text: np.ndarray  # int64: how many pairs each has
    key_codes: np.ndarray  # int64 per pair → ``raw_keys``
    raw_keys: list[str]  # distinct keys as written
    count: np.ndarray  # float per pair: the count (any value where ``long``)
    long: np.ndarray  # bool per pair: a count of more than ``_MAX_COUNT_DIGITS`` digits


def _counted(n: int, found: list[_Pairs]) -> AnswerCounts:
    """The :class:`AnswerCounts` of ``n`` distinct values from their pairs (a text with a long
    count is left to the rule: neither ``ok`` nor its pairs kept, but ``slow``)."""
    ok = np.zeros(n, dtype=bool)
    slow = np.zeros(n, dtype=bool)
    owner = np.concatenate([np.repeat(f.codes, f.per_text) for f in found])
    ok[np.concatenate([f.codes for f in found])] = True
    long = np.concatenate([f.long for f in found])
    if long.any():
        bad = np.unique(owner[long])
        slow[bad] = True
        ok[bad] = False
    keep = ok[owner]
    offsets = np.cumsum([0] + [len(f.raw_keys) for f in found])
    key_codes = np.concatenate([f.key_codes + o for f, o in zip(found, offsets.tolist(), strict=False)])
    keys = np.array([k.strip().upper() for f in found for k in f.raw_keys], dtype=object)  # may repeat: a lookup table only
    count = np.concatenate([f.count for f in found])
    if not keep.all():
        owner, key_codes, count = owner[keep], key_codes[keep], count[keep]
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else np.zeros(0, np.int64)
    slot = np.arange(len(owner)) - np.repeat(starts, np.diff(np.r_[starts, len(owner)]))
    return AnswerCounts(owner, slot.astype(np.int64), key_codes, keys, count, ok, slow)


def _unicode_pairs(values: np.ndarray, picked: np.ndarray) -> _Pairs:
    """:class:`_Pairs` of the texts ``picked``, checked by ``re`` (Unicode spaces and digits)."""
    texts = values[picked].tolist()
    # a text with a part that is no pair is refused by the rule too: neither ok nor slow
    passed = np.fromiter((m is not None for m in map(_WHOLE.fullmatch, texts)), dtype=bool, count=len(texts))
    chosen = list(compress(texts, passed.tolist()))
    per_text = np.fromiter(map(str.count, chosen, repeat(":")), dtype=np.int64, count=len(chosen))
    joined = ";".join(chosen)
    if "=" in joined:  # ``key=count`` pairs too
        per_text += np.fromiter(map(str.count, chosen, repeat("=")), dtype=np.int64, count=len(chosen))
    keys_raw, digits = _pairs(joined, int(per_text.sum()))
    long = np.fromiter((len(d) > _MAX_COUNT_DIGITS for d in digits), dtype=bool, count=len(digits))
    if long.any():  # huge counts: read by the rule (Python integers)
        digits = ["0" if too_long else d for d, too_long in zip(digits, long.tolist(), strict=True)]
    key_codes, raw_keys = factorize(np.array(keys_raw, dtype=object))  # texts cut from texts: never missing
    return _Pairs(picked[passed], per_text, key_codes.astype(np.int64), raw_keys.tolist(), _whole_numbers(digits), long)


def _ascii_pairs(values: np.ndarray, picked: np.ndarray) -> _Pairs:
    """:class:`_Pairs` of the ASCII texts ``picked``, checked (:data:`_WHOLE_ASCII`) and cut by
    pyarrow's kernels, without a Python string per pair."""
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = to_arrow(values[picked])
    passed_arrow = pc.match_substring_regex(texts, _WHOLE_ASCII)
    passed = to_numpy(passed_arrow)
    pairs = pc.replace_substring(texts.filter(passed_arrow), "=", ":")
    per_text = to_numpy(pc.count_substring(pairs, ":")).astype(np.int64)
    cut = pc.replace_substring(pc.replace_substring(pairs, ":", ";"), ",", ";")
    tokens = pc.list_flatten(pc.split_pattern(cut, ";"))  # key, count, key, count, … and blank parts
    n_pairs = int(per_text.sum())
    if len(tokens) != 2 * n_pairs:  # blank parts (spaces at most): keys and counts are never blank
        tokens = tokens.filter(pc.not_equal(pc.ascii_trim(tokens, _ASCII_SPACE_CHARS), ""))
    at = np.arange(0, 2 * n_pairs, 2)
    digits = tokens.take(to_arrow(at + 1))
    try:
        count = pc.cast(digits, pa.int64())  # as written, usually: no spaces around a count
    except pa.ArrowInvalid:
        digits = pc.ascii_trim(digits, _ASCII_SPACE_CHARS)
        count = None
    long = to_numpy(pc.binary_length(digits)) > _MAX_COUNT_DIGITS  # (a Python scalar in a kernel would load pandas)
    if long.any():  # huge counts: read by the rule (Python integers)
        count = pc.cast(to_arrow(np.where(long, "0", np.array(digits.to_pylist(), dtype=object))), pa.int64())
    elif count is None:
        count = pc.cast(digits, pa.int64())
    keys = pc.dictionary_encode(tokens.take(to_arrow(at)))
    return _Pairs(picked[passed], per_text, to_numpy(keys.indices).astype(np.int64), keys.dictionary.to_pylist(), to_numpy(count).astype(float), long)



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
