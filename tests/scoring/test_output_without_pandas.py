"""Issue 15 target 1: scoring, ranking and writing ``--out .csv/.json`` and ``--problems`` use no
pandas (its import is ≈ 0.33 s of every run); the public frames are built from the same arrays
on first access and are what they were."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from par_index import pipeline
from par_index.common.codes import factorize
from par_index.scoring.engine import Lazy, Results
from par_index.scoring.results import Nullable, to_json_dict, units_columns, units_frame
from par_index.scoring.writers import write_columns, write_csv, write_results

REPO = Path(__file__).resolve().parents[2]
MINI = (REPO / "tests/data/mini/criteria.yaml", REPO / "tests/data/mini/data")
BAC_GIANG = ([REPO / "criteria/bac-giang/2024/so.yaml", REPO / "criteria/bac-giang/2024/huyen.yaml"], REPO / "evidence/bac-giang/2024")


def _score(criteria: list[Path], data: Path) -> Results:
    return pipeline.score(pipeline.load_criteria(*criteria), pipeline.read_data(data))


@pytest.fixture(scope="module")
def mini() -> Results:
    return _score([MINI[0]], MINI[1])


@pytest.fixture(scope="module")
def bac_giang() -> Results:
    return _score(*BAC_GIANG)


def _same_as_pandas(values: np.ndarray) -> None:
    codes, uniques = factorize(values)
    want_codes, want_uniques = pd.factorize(values)
    assert codes.dtype == np.intp and codes.tolist() == want_codes.tolist()
    assert uniques.tolist() == list(want_uniques)


@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=30))
def test_factorize_of_whole_numbers_is_pandas(values: list[int]) -> None:
    _same_as_pandas(np.array(values, dtype=np.int64))


@given(st.lists(st.one_of(st.sampled_from(["so", "huyen", "xã", "", " so"]), st.none(), st.just(float("nan"))), max_size=30))
def test_factorize_of_texts_is_pandas(values: list[object]) -> None:
    _same_as_pandas(np.array(values, dtype=object))  # None and NaN: −1


def test_factorize_of_other_objects_is_pandas() -> None:
    # 1, 1.0 and True are one key (as pandas hashes them); a tuple is a key; bools by pyarrow
    _same_as_pandas(np.array([1, "1", 1.0, True, None, (1, 2), (1, 2), 2], dtype=object))
    _same_as_pandas(np.array([True, False, True]))
    _same_as_pandas(np.array([], dtype=object))
    with pytest.raises(TypeError, match="factorize their bits"):
        factorize(np.array([0.0, -0.0]))


def test_units_frame_is_built_on_first_access(mini: Results) -> None:
    results = _score([MINI[0]], MINI[1])
    s = results.sets[0]
    assert isinstance(s.__dict__["_units"], Lazy)
    to_json_dict(results)
    units_columns(results)
    assert isinstance(s.__dict__["_units"], Lazy)  # the writers read the columns, not the frame
    assert s.unit_row("h-c") == 2
    want = pd.DataFrame(
        {"unit": ["so-a", "so-b", "h-c"], "name": ["Sở A (tổng hợp)", "Sở B (tổng hợp)", "Huyện C (tổng hợp)"], "kind": ["so", "so", "huyen"]},
        dtype=object,
    )
    pd.testing.assert_frame_equal(s.units, want)
    assert s.units is s.units  # built once


def test_csv_of_the_columns_is_the_csv_of_the_frame(mini: Results, bac_giang: Results, tmp_path: Path) -> None:
    """One writer: ``--out .csv`` writes the columns the public frame is made of, byte for byte
    what ``write_csv(units_frame(...))`` writes, also for two criteria sets whose areas differ
    (a column one set lacks: empty cells)."""
    mixed = Results([mini.sets[0], bac_giang.sets[1]], "final", [])  # areas 1, 2, 3, 9 and 1 … 9
    for k, results in enumerate([mini, bac_giang, mixed]):
        columns, frame = units_columns(results), units_frame(results)
        assert list(columns) == frame.columns.tolist()
        write_columns(columns, tmp_path / f"columns{k}.csv")
        write_csv(frame, tmp_path / f"frame{k}.csv")
        assert (tmp_path / f"columns{k}.csv").read_bytes() == (tmp_path / f"frame{k}.csv").read_bytes()
        write_results(results, tmp_path / f"out{k}.csv")
        assert (tmp_path / f"out{k}.csv").read_bytes() == (tmp_path / f"frame{k}.csv").read_bytes()
    assert [len(s.total_points) for s in bac_giang.sets] == [20, 10]
    rank = units_columns(bac_giang)["rank"]
    assert isinstance(rank, Nullable) and rank.values.tolist()[18:23] == [19, 20, 1, 2, 3] and not rank.missing.any()
    columns = units_columns(mixed)
    assert list(columns)[-9:] == [f"points_{a}" for a in (1, 2, 3, 9, 4, 5, 6, 7, 8)]
    assert np.isnan(columns["points_4"]).tolist() == [True] * 3 + [False] * 10
    assert (tmp_path / "out2.csv").read_text(encoding="utf-8").splitlines()[1].endswith(",0.0,,,,,")  # so-b: area 9, then none of 4 … 8


def test_writers_hold_no_pandas() -> None:
    import par_index.common.codes
    import par_index.evidence.check
    import par_index.pipeline
    import par_index.scoring.engine
    import par_index.scoring.ranking
    import par_index.scoring.results
    import par_index.scoring.writers

    modules = [par_index.common.codes, par_index.evidence.check, par_index.pipeline, par_index.scoring.engine,
               par_index.scoring.ranking, par_index.scoring.results, par_index.scoring.writers]  # fmt: skip
    bound = {m.__name__: [k for k, v in vars(m).items() if getattr(v, "__name__", "").split(".")[0] == "pandas"] for m in modules}
    assert bound == {m.__name__: [] for m in modules}


# results made by hand (the reader and the layout still use pandas, and reading sets up pyarrow's
# pandas shim, which would hide a later import): units with a quote, a comma and a formula
# start, one without any maximum (no index, no rank), and problems with and without a line
_BY_HAND = """
import sys
from pathlib import Path
import numpy as np
from par_index.criteria.compiled import load
from par_index.errors import Problem
from par_index.scoring.engine import Lazy, Results, SetResult, units_table
from par_index.scoring.ranking import band_labels, rank_within
from par_index.scoring.writers import write_problems, write_results
for name in [m for m in sys.modules if m == "pandas" or m.startswith("pandas.")]:
    del sys.modules[name]  # loaded by the reader's modules: forgotten, so that a new import shows
c = load(Path(CRITERIA))
units = {"unit": np.array(["a", 'b"c', "=d"], dtype=object), "name": np.array(["Sở A", "Sở B, C", "Huyện D"], dtype=object),
         "kind": np.array(["so", "so", "huyen"], dtype=object)}
cells = np.zeros((3, len(c.leaves)))
node_points = np.tile(np.arange(len(c.nodes), dtype=float) * 10_000, (3, 1))
total_points, total_max = np.array([9_020_000.0, 8_000_000.0, 0.0]), np.array([10_000_000.0, 10_000_000.0, 0.0])
with np.errstate(invalid="ignore", divide="ignore"):
    index = np.where(total_max > 0, total_points * 100.0 / total_max, np.nan)
texts = np.full((3, len(c.leaves)), "", dtype=object)
s = SetResult(c, "final", Lazy(lambda: units_table(units)), cells, cells, node_points, node_points + 10_000, total_points, total_max, index,
              rank_within(index, units["kind"], total_points, total_max), band_labels(total_points, total_max, c.band_fractions),
              texts, texts, cells, texts, unit_columns=units)
problems = [Problem("value_above_100", 'giá trị "12" vượt quá', file="assessments.csv", line=3, unit="a", criterion="1.1"),
            Problem("unit_unknown", "=SUM(A1)", file="units.csv", severity="warning")]
out = Path(OUT)
write_results(Results([s], "final", problems), out / "r.csv")
write_results(Results([s], "final", problems), out / "r.json")
write_problems(Results([s], "final", problems), out / "p.csv")
print("pandas" in sys.modules)
"""


def test_writing_csv_json_and_problems_imports_no_pandas(tmp_path: Path) -> None:
    """Writing the three outputs of ``score --out`` imports no pandas, not even through pyarrow
    (whose ``pa.array``, ``to_numpy`` and Python values given to a kernel would)."""
    code = _BY_HAND.replace("CRITERIA", repr(str(MINI[0]))).replace("OUT", repr(str(tmp_path)))
    assert subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, capture_output=True, text=True).stdout == "False\n"
    assert (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()[:4] == [
        "unit,name,kind,points,max,index,rank,band,points_1,points_2,points_3,points_9",
        "a,Sở A,so,9.02,10.0,90.2,1,Xuất sắc,0.0,0.05,0.09,0.11",
        '"b""c","Sở B, C",so,8.0,10.0,80.0,2,Tốt,0.0,0.05,0.09,0.11',
        "'=d,Huyện D,huyen,0.0,0.0,,,,0.0,0.05,0.09,0.11",
    ]
    assert (tmp_path / "r.json").read_text(encoding="utf-8").count('"unit": "b\\"c"') == 1
    assert (tmp_path / "p.csv").read_text(encoding="utf-8-sig").splitlines()[1:] == [
        'lỗi,value_above_100,assessments.csv,3,,a,1.1,,"giá trị ""12"" vượt quá"',
        "lưu ý,unit_unknown,units.csv,,,,,,'=SUM(A1)",
    ]


TEXTS = ["", "so-a", "Sở Tư pháp", "😀 x", None, "a\x00b", "\u0301e", "Huyện\nC"]


@given(st.lists(st.one_of(st.none(), st.text()), max_size=20))
def test_to_arrow_of_texts_is_pa_array(values: list[str | None]) -> None:
    """Texts built from one joined encoding and their UTF-8 start bytes: what ``pa.array`` makes
    (None a null), whatever the characters (surrogates aside: not UTF-8)."""
    import pyarrow as pa

    from par_index.common.arrow_numpy import to_arrow

    values = [v if v is None else v.encode("utf-8", "replace").decode("utf-8") for v in values]
    for texts in (values, values * 70):  # few: encoded one by one; ≥ 64: cut by pyarrow (unless a NUL)
        got = to_arrow(texts)
        got.validate(full=True)
        assert got.equals(pa.array(texts, type=pa.string()))


def test_to_arrow_nulls_numbers_and_back() -> None:
    import pyarrow as pa

    from par_index.common.arrow_numpy import scalar, texts_or_ints, to_arrow, to_numpy

    missing = np.array([False, True, False, False, True, False, False, False])
    assert to_arrow(TEXTS, missing).to_pylist() == [t if not m else None for t, m in zip(TEXTS, missing, strict=True)]
    assert to_arrow(np.array(TEXTS, dtype=object)).equals(pa.array(TEXTS, type=pa.string()))  # a NUL: text by text
    assert to_arrow(["x", None, "ý", ""] * 20).equals(pa.array(["x", None, "ý", ""] * 20))  # no NUL: cut by pyarrow
    assert to_arrow(["x", None, "ý"] * 30, np.array([True, False, False] * 30)).to_pylist() == [None, None, "ý"] * 30
    assert to_arrow(["x", None, "ý"], np.array([True, False, False])).to_pylist() == [None, None, "ý"]
    assert to_arrow([]).equals(pa.array([], type=pa.string()))
    for not_texts in ([1.5], ["a"] * 70 + [1]):  # factorize counts on it
        with pytest.raises(TypeError):
            to_arrow(not_texts)
    assert to_arrow(np.array([3, -1, 7]), np.array([False, True, False])).to_pylist() == [3, None, 7]
    for arr in (np.array([True, False, True]), np.arange(5, dtype=np.int32), np.array([0.5, -0.0])):
        back = to_numpy(to_arrow(arr))
        assert back.dtype == arr.dtype and back.tobytes() == arr.tobytes()
    assert to_numpy(to_arrow(np.array([True, False, True, True]))[1:]).tolist() == [False, True, True]  # an offset
    assert scalar("x").as_py() == "x" and not scalar(None).is_valid
    assert texts_or_ints(["a", None]).equals(pa.array(["a", None]))
    assert texts_or_ints([3, None, -(2**63)]).equals(pa.array([3, None, -(2**63)]))
    assert [texts_or_ints(v) for v in ([None], [True, 1], ["a", 1], [2**63], [1.5], [])] == [None] * 6
    with pytest.raises(ValueError, match="nulls"):
        to_numpy(to_arrow(np.array([1, 2]), np.array([True, False])))


def test_problems_kept_as_columns_until_read(tmp_path: Path) -> None:
    """The engine's range corrections stay columns (ProblemRows) until ``results.problems`` is
    read; the writers read the columns, and write the same bytes once the problems are made."""
    import shutil

    from par_index.errors import Problem, ProblemRows
    from par_index.scoring.writers import write_problems

    data = tmp_path / "data"
    shutil.copytree(MINI[1], data)
    rows = (data / "assessments.csv").read_text(encoding="utf-8")
    (data / "assessments.csv").write_text(rows.replace("h-c,1.2,0.9,", "h-c,1.2,120%,"), encoding="utf-8")
    results = pipeline.score(pipeline.load_criteria(MINI[0]), pipeline.read_data(data))
    parts = results.problem_parts()
    assert [type(p).__name__ for p in parts] == ["Problem", "Problem", "Problem", "ProblemRows", "Problem"]
    assert len(parts[3]) == 1 and results.problem_count() == 5
    extra = Problem("unit_unknown", "thêm", unit="x")
    results.add_problems([extra])
    write_results(results, tmp_path / "columns.json")
    write_problems(results, tmp_path / "columns.csv")
    assert isinstance(results.problem_parts()[3], ProblemRows)  # still not made
    made = results.problems  # made now, once
    assert made is results.problems and len(made) == 6 and made[-1] is extra
    assert made[3] == Problem("value_above_100", "120% vượt quá 100%; tỷ lệ phải từ 0% đến 100%; được tính 0 điểm", file="assessments.csv", line=20, unit="h-c", criterion="1.2")
    assert [p.reason for p in made] == ["unit_unknown", "value_unreadable", "claim_above_rule", "value_above_100", "claim_above_rule", "unit_unknown"]
    write_results(results, tmp_path / "made.json")
    write_problems(results, tmp_path / "made.csv")
    for name in ("{}.json", "{}.csv"):
        assert (tmp_path / name.format("columns")).read_bytes() == (tmp_path / name.format("made")).read_bytes()
    results.problems[:] = made[:2]  # the server rewrites them in place
    assert results.problem_count() == 2 and results.problem_parts() is results.problems


def test_problem_rows_check_their_code_and_columns() -> None:
    from par_index.errors import Problem, ProblemRows

    rows = ProblemRows("value_above_100", ["a", "b"], ["f.csv", "f.csv"], [2, None], ["", "E3"], ["u", "v"], ["1.1", "1.2"], "warning")
    assert len(rows) == 2 and rows.problems() == Problem.rows("value_above_100", ["a", "b"], ["f.csv"] * 2, [2, None], ["", "E3"], ["u", "v"], ["1.1", "1.2"], "warning")
    assert rows.column("severity") == ["warning", "warning"] and rows.column("field") == ["", ""] and rows.column("message") == ["a", "b"]
    with pytest.raises(ValueError, match="unknown problem reason 'value_abve_100'"):
        ProblemRows("value_abve_100", [], [], [], [], [], [])
    with pytest.raises(ValueError, match="different lengths"):
        ProblemRows("value_above_100", ["a"], [], [], [], [], [])
