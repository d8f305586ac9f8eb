"""The per-distinct-text readings the engine scores from (par_index/value_table.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from par_index.criteria.rules.survey import Survey
from par_index.unit_data import value_table as value_table_module
from par_index.unit_data.value_table import answer_shares, build, value_table

ANSWERS = {"A": 1.0, "b": 0.6, "C": 0.2, "D": 0.0}


def frame(values: list[str], points: list[str] | None = None) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame(
        {"unit": ["u1", "u2"] * (n // 2) + ["u1"] * (n % 2), "criterion": "1.1", "stage": "self", "value": values, "points": points or [""] * n}
    )


def reading(values: list[str], name: str) -> list[float]:
    vt = build(frame(values))
    return [float(v) for v in getattr(vt, name)[vt.value_codes]]


def test_codes_and_distinct_texts() -> None:
    vt = build(frame(["có", "93%", "có", "", "na"], ["0,5", "", "x", "", ""]))
    assert vt.units.tolist() == ["u1", "u2"] and vt.unit_codes.tolist() == [0, 1, 0, 1, 0]
    assert vt.values.tolist() == ["có", "93%", "", "na"] and vt.value_codes.tolist() == [0, 1, 0, 2, 3]
    assert vt.blank.tolist() == [False, False, True, False] and vt.na.tolist() == [False, False, False, True]
    assert vt.claim[vt.points_codes].tolist()[:1] == [0.5] and vt.claim_blank[vt.points_codes].tolist() == [False, True, False, True, True]


def test_every_reading_of_a_text() -> None:
    values = ["8,05%", "2024-03-01", "01/03/2024", "có", "không", "1", "A:3; b:1", "3024-03-01"]
    number = reading(values, "number")
    assert number[0] == 0.0805 and number[5] == 1.0 and np.isnan(number[1])
    date = reading(values, "date")
    assert date[1] == date[2] == 19783.0 and date[7] == 385025.0 and np.isnan(date[0])
    yes_no = reading(values, "yes_no")
    assert yes_no[3] == 1.0 and yes_no[4] == 0.0 and np.isnan(yes_no[6])


def shares_as_the_rule_reads(texts: list[str], left_to_rule: tuple[str, ...] = ()) -> np.ndarray:
    """Answer shares of ``texts`` read together, each asserted equal to the rule reading it alone
    (texts marked slow — left to the rule — must be among ``left_to_rule``), both ways the value
    table reads them: by ``re`` alone (a few texts), and its ASCII texts by pyarrow's kernels
    (many texts) — the two readings are equal, pair for pair."""
    by_re = _shares_as_the_rule_reads(texts, left_to_rule)
    with arrow_from(0):
        by_arrow = _shares_as_the_rule_reads(texts, left_to_rule)
    assert np.array_equal(by_re, by_arrow, equal_nan=True)
    return by_arrow


@contextmanager
def arrow_from(n: int) -> Iterator[None]:
    """The value table reads answer counts by pyarrow from ``n`` candidate texts on."""
    before = value_table_module._ARROW_FROM
    value_table_module._ARROW_FROM = n
    try:
        yield
    finally:
        value_table_module._ARROW_FROM = before


def _shares_as_the_rule_reads(texts: list[str], left_to_rule: tuple[str, ...]) -> np.ndarray:
    rule = Survey(kind="survey", answers=ANSWERS)
    vt = build(frame(texts))
    shares = answer_shares(vt.counts, ANSWERS)
    for code, text in enumerate(vt.values):
        expected = rule.parse_text(text)
        if vt.counts.slow[code]:
            assert expected is not None and text in left_to_rule  # left to the rule
            continue
        got = None if np.isnan(shares[code]) else float(shares[code])
        assert got == expected, text
    return shares


def test_answer_shares_equal_the_rule_text_by_text() -> None:
    texts = ["A:3; b:1", "a=2, B = 2 ,", " ; A:1;", "A:1x", "A:0; D:0", "E:4", "A:1;; C:7", "A: 5 ; b:0 ; c:2 ; d:1", "A:" + "9" * 12, "A:٣"]
    # the spaces Python reads on ASCII (\v, \x1c-\x1f too), leading zeros, and texts that are not ASCII
    texts += ["A:\x0b3", "A\x1c:1;\x1f", "A : 0000000012", "A:1\n", "b = 7 ,  ", "A:\u00a03", "Á:3; A:1", " A : 1234567890 ", "A:123456789"]
    shares = shares_as_the_rule_reads(texts, ("A:" + "9" * 12, "A:٣", " A : 1234567890 ", "A : 0000000012"))
    assert shares[0] == (3 * 1.0 + 1 * 0.6) / 4 and shares[1] == 0.8 and np.isnan(shares[3]) and np.isnan(shares[4])


def test_one_table_per_frame() -> None:
    df = frame(["1", "2"])
    assert value_table(df) is value_table(df)
    assert value_table(df.copy()) is not value_table(df)


def test_text_matrices_of_the_engine_are_built_from_codes() -> None:
    import dataclasses

    from par_index.criteria.compiled import load
    from par_index.pipeline import read_data
    from par_index.scoring.engine import score

    c = load("tests/data/mini/criteria.yaml")
    s = score(c, read_data("tests/data/mini/data")).sets[0]
    i, j = s.unit_row("so-b"), c.leaf_index
    assert (s.value_text[i, j["1.1"]], s.value_stage[i, j["1.1"]], s.status[i, j["1.1"]]) == ("2024-01-20", "self", "")
    assert (s.value_text[i, j["1.2"]], s.value_stage[i, j["1.2"]]) == ("60%", "appraisal1")  # the appraisal overlays
    assert (s.status[i, j["1.4"]], s.status[i, j["2.2"]], s.value_text[i, j["2.2"]]) == ("na", "unreadable", "abc")
    assert s.value_text.shape == s.leaf_points.shape and s.status.dtype == object
    copy = dataclasses.replace(s)
    assert copy.value_stage[i, j["3.1"]] == "survey" and copy.status is s.status


_space = st.sampled_from(["", " ", "  "])
_pair = st.builds(
    lambda s1, key, s2, sep, s3, count, s4: f"{s1}{key}{s2}{sep}{s3}{count}{s4}",
    _space, st.sampled_from(["A", "b", "C", "d", "E", "F"]), _space, st.sampled_from([":", "="]), _space,
    st.integers(0, 10**6).map(str) | st.sampled_from(["007", "0"]), _space,
)
_text = st.lists(_pair, min_size=1, max_size=6).flatmap(lambda pairs: st.sampled_from([";", ","]).map(lambda sep: sep.join(pairs)))


@settings(max_examples=60, deadline=None)
@given(st.lists(_text, min_size=1, max_size=8), st.booleans())
def test_answer_shares_equal_the_rule_on_random_texts(texts: list[str], blank_part: bool) -> None:
    """Well-formed texts, with a blank part in one of them or none (the two ways of cutting)."""
    if blank_part:
        texts = [*texts[:-1], texts[-1] + ";"]
    shares_as_the_rule_reads(texts)


BAD = ["A:1:2;3", "A B:3", ":3", "A:", "A:1 2", "A:+5", "A:1;;B:2", "A:1;", "A:1x", "A;B:2", "A:1 2; B:"]


@settings(max_examples=60, deadline=None)
@given(st.lists(_text | st.sampled_from([*BAD, "A:٣; B:1"]), min_size=1, max_size=8))
def test_answer_shares_equal_the_rule_with_malformed_texts(texts: list[str]) -> None:
    """Malformed texts beside well-formed ones: each read as the rule reads it alone."""
    shares_as_the_rule_reads(texts)


def test_answer_count_check_takes_the_texts_the_backtracking_pattern_takes() -> None:
    """``_WHOLE`` is possessive (no backtracking, ~2× faster over tens of thousands of texts):
    it matches exactly the texts the plain pattern of the same grammar matches."""
    import re

    from par_index.unit_data.value_table import _WHOLE

    part = r"\s*(?:[^:=;,\s]+\s*[:=]\s*\d+\s*)?"
    plain = re.compile(rf"{part}(?:[;,]{part})*")
    texts = [
        "A:1", "A: 12; B:5", " A : 1 ,B=2 ", "A:1;", ";;", "", " ", "A:", ":1", "A 1:2", "A:1 2", "A:1;;B:2",
        "A\n:1", "A:\n1", "A:１２", "Á:3; Ă=4", "A:1:2", "A=1=2", "A:1,;", "A:-1", "A:1.5", "A;B:1", "A:1 ; ; B :2 ,",
    ]
    assert [bool(_WHOLE.fullmatch(t)) for t in texts] == [bool(plain.fullmatch(t)) for t in texts]
    assert sum(bool(_WHOLE.fullmatch(t)) for t in texts) == 14


def test_answer_count_check_by_pyarrow_takes_the_ascii_texts_re_takes() -> None:
    """pyarrow's RE2 (``_WHOLE_ASCII``) reads ASCII texts as Python's ``re`` does: every ASCII
    space (``\\v`` and ``\\x1c``-``\\x1f`` too) where Python's ``\\s`` takes it, no other."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from par_index.unit_data.value_table import _WHOLE, _WHOLE_ASCII

    spaces = [chr(c) for c in range(128)]
    texts = [f"A{s}:1" for s in spaces] + [f"A:{s}1;" for s in spaces] + [f"{s}A:1{s}" for s in spaces] + [f"A{s}B:1" for s in spaces]
    texts += ["A:1", "A:1\n", "A:1;\n", "A:12; B:5", "A:1:2", "A:", ":1", "A:1 2", "A:1;;B:2", "A:-1", "A:1.5", "A:1,;", "", " "]
    assert all(t.isascii() for t in texts)
    by_re2 = pc.match_substring_regex(pa.array(texts), _WHOLE_ASCII).to_pylist()
    assert by_re2 == [bool(_WHOLE.fullmatch(t)) for t in texts]
    # 'A?:1': a space or one of the 114 key characters (not ':' '=' ';' ',' or a space); 'A:?1;': a
    # space or a digit; '?A:1?': a space, ';' or ',', or a digit (key '0A', count '10'); 'A?B:1':
    # a key character; and 8 of the 14 others
    assert sum(by_re2) == (10 + 114) + (10 + 10) + (10 + 2 + 10) + 114 + 8
