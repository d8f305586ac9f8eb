"""Issue 15: the assessment rows are read by pyarrow as dictionary-encoded columns
(``reader.read_csv_columnar``); the tables that come out equal the pandas reader's, cell by
cell, and a file pyarrow cannot read plainly goes to the pandas reader (its messages)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from par_index.errors import InputError
from par_index.unit_data import reader
from par_index.unit_data.value_table import value_table

UNITS = "unit,name,kind\nu1,Sở Nội vụ,so\nu2,UBND huyện,huyen\n"


def _both(tmp_path: Path, assessments: str | bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[reader.UnitData, reader.UnitData, bool]:
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    (folder / "units.csv").write_text(UNITS, encoding="utf-8")
    path = folder / "assessments.csv"
    path.write_bytes(assessments if isinstance(assessments, bytes) else assessments.encode("utf-8"))
    columnar = reader.read_csv_columnar(path) is not None
    fast = reader.read_folder(folder)
    with monkeypatch.context() as m:
        m.setattr(reader, "read_csv_columnar", lambda _path: None)
        slow = reader.read_folder(folder)
    return fast, slow, columnar


def _same(fast: reader.UnitData, slow: reader.UnitData) -> None:
    a, b = fast.assessments, slow.assessments
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        assert a[col].astype(object).tolist() == b[col].astype(object).tolist(), col
    assert [str(p) for p in fast.problems] == [str(p) for p in slow.problems]
    va, vb = value_table(a), value_table(b)
    for name in ("unit_codes", "criterion_codes", "stage_codes", "value_codes"):
        assert getattr(va, name).tolist() == getattr(vb, name).tolist(), name
    assert va.values.tolist() == vb.values.tolist()


def test_plain_file_read_encoded_and_equal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decomposed = unicodedata.normalize("NFD", "có")
    text = (
        "\ufeffUnit,Criterion,Value,Stage,Note,Points,Extra\n"
        f"u1,1.1,{decomposed},,ghi chú,0,x\n"
        "u1, 1.2 ,\"1,5\",self,,,\n"
        "u2,1.1,na,appraisal1,\"có \"\"ngoặc\"\"\",,\n"
        "u2,1.2,  ,SELF ,,0.5,\n"
        "u3,9.9,=1+1,survey,,,\n"
        "u3,1.1,\"hai\r\ndòng\",self,,,\n"
    )
    fast, slow, columnar = _both(tmp_path, text, monkeypatch)
    assert columnar
    assert all(isinstance(t, pd.CategoricalDtype) for t in fast.assessments.dtypes[:6])
    _same(fast, slow)
    assert fast.assessments["stage"].astype(object).tolist() == ["self", "self", "appraisal1", "SELF", "survey", "self"]
    assert fast.assessments["value"].astype(object).tolist()[0] == decomposed  # values are kept as written
    assert [p.reason for p in fast.problems] == ["column_unknown"]


def test_absent_optional_columns_one_empty_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow, columnar = _both(tmp_path, "unit;criterion;value\nu1;1.1;0,5\nu2;1.1;1\n", monkeypatch)
    assert columnar
    _same(fast, slow)
    note = fast.assessments["note"]
    assert isinstance(note.dtype, pd.CategoricalDtype) and note.cat.categories.tolist() == [""]


@pytest.mark.parametrize(
    "text",
    [
        "unit,criterion,value\nu1,1.1,1\nu2,1.1\n",  # a short row (pandas pads it)
        "unit,criterion,value,value\nu1,1.1,1,2\n",  # a repeated header
        "unit,criterion,value\n",  # no rows
    ],
)
def test_other_files_go_to_the_pandas_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "assessments.csv").write_text(text, encoding="utf-8")
    assert reader.read_csv_columnar(folder / "assessments.csv") is None
    try:
        fast, slow, _ = _both(tmp_path, text, monkeypatch)
    except InputError:
        return
    _same(fast, slow)


def test_long_row_and_bad_bytes_keep_their_messages(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "units.csv").write_text(UNITS, encoding="utf-8")
    (folder / "assessments.csv").write_text("unit,criterion,value\nu1,1.1,1,5\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        reader.read_folder(folder)
    assert err.value.problems[0].reason == "csv_columns"
    (folder / "assessments.csv").write_bytes("unit,criterion,value\nu1,1.1,có\n".encode("cp1258"))
    with pytest.raises(InputError) as err:
        reader.read_folder(folder)
    assert err.value.problems[0].reason == "file_encoding"


def test_read_block_by_block_equals_one_block(tmp_path: Path) -> None:
    """Texts first seen in a later block get the next codes (first-appearance order, as
    ``pandas.factorize``), and a column whose distinct texts outgrow int8 is widened, not wrapped."""
    names = ["unit", "criterion", "value", "stage", "note"]
    rows = [[f"u{i // 10}", f"{i % 10}.{i % 7}", str(i % 300), "self" if i < 2000 else "appraisal1", ""] for i in range(3000)]
    path = tmp_path / "assessments.csv"
    path.write_text("\n".join(",".join(r) for r in [names, *rows]) + "\n", encoding="utf-8")
    whole = reader.read_csv_columnar(path, block_size=1 << 20)
    blocks = reader.read_csv_columnar(path, block_size=4096)  # ~12 blocks
    assert whole is not None and blocks is not None
    for n, col in enumerate(names):
        codes, texts = pd.factorize(pd.Series([r[n] for r in rows], dtype=object))
        for table in (whole, blocks):
            assert table[col].codes.tolist() == codes.tolist(), col
            assert table[col].texts.tolist() == list(texts), col
    assert blocks["value"].codes.dtype == "int16"  # 300 texts
    assert blocks["stage"].codes.dtype == "int8"
    assert blocks["unit"].texts.tolist()[-1] == "u299"
    assert blocks["note"].texts.tolist() == [""] and blocks["note"].codes.dtype == "int8"  # empty blocks: no hashing


def test_codes_kept_small_from_reader_to_value_table(tmp_path: Path) -> None:
    """The value table takes the codes as read (1–4 bytes a row), never an int64 copy per row:
    on 10**8 rows each int64 column would be 800 MB."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "units.csv").write_text(UNITS, encoding="utf-8")
    (folder / "assessments.csv").write_text('unit,criterion,value\nu1,1.1,1\nu1,1.2,"0,5"\nu2,1.1,na\n', encoding="utf-8")
    data = reader.read_folder(folder)
    vt = value_table(data.assessments)
    for name in ("unit_codes", "criterion_codes", "stage_codes", "value_codes", "points_codes"):
        assert getattr(vt, name).dtype == "int8", name
    assert data.assessments["at_line"].dtype == "int32"
    assert data.assessments["at_line"].tolist() == [2, 3, 4]


def test_a_column_in_runs_is_run_length_encoded_with_the_same_codes() -> None:
    """A column whose first block comes in runs (a unit's rows, a stage) is run-length encoded
    before hashing (only each run's first text); the codes are pandas.factorize's all the same,
    across blocks, a run that spans two blocks and texts that outgrow int8. A column that does
    not come in runs (criteria, values) is hashed text by text."""
    import numpy as np
    import pyarrow as pa

    texts = [f"u{i // 7}" for i in range(2800)] + ["u0"] * 5 + ["x"]  # 401 distinct: int16
    runs = reader._ColumnCodes(len(texts))
    for lo in range(0, len(texts), 1000):  # u142 runs from the first block into the second
        runs.add_texts(pa.array(texts[lo : lo + 1000], type=pa.string()))
    scattered = [str(i % 13) for i in range(3000)]
    hashed = reader._ColumnCodes(len(scattered))
    for lo in range(0, len(scattered), 1000):
        hashed.add_texts(pa.array(scattered[lo : lo + 1000], type=pa.string()))
    assert runs.in_runs is True and hashed.in_runs is False
    for column, given in ((runs, texts), (hashed, scattered)):
        codes, distinct = pd.factorize(pd.Series(given, dtype=object))
        got = column.texts()
        assert np.asarray(got.codes).tolist() == codes.tolist()
        assert got.texts.tolist() == list(distinct)
    assert runs.texts().codes.dtype == "int16" and hashed.texts().codes.dtype == "int8"


def test_blocks_of_known_texts_are_looked_up_with_the_same_codes() -> None:
    """Once a block brings no new text, the next block is looked up in the known texts (their
    positions are the codes); a block with a new text is hashed again, and the codes are
    pandas.factorize's throughout: known, new, known again, texts that outgrow int8."""
    import numpy as np
    import pyarrow as pa

    blocks = [
        [f"1.{i % 9}" for i in range(900)],  # 9 texts: hashed
        [f"1.{(i * 5) % 9}" for i in range(900)],  # all known, hashed: no new text, so settled
        [f"1.{i % 9}" for i in range(899)] + ["2.1"],  # looked up, one text unknown: hashed
        [f"1.{i % 9}" for i in range(900)],  # hashed (the last block brought a text): settled again
        ["2.1", "1.0"] * 450,  # looked up: every text known
        [f"3.{i % 200}" for i in range(900)],  # looked up, unknown: hashed, 200 new (int8 → int16)
        [f"3.{(i * 7) % 200}" for i in range(900)],  # hashed
    ]
    column = reader._ColumnCodes(sum(map(len, blocks)))
    settled = []
    for block in blocks:
        settled.append(column.settled)
        column.add_texts(pa.array(block, type=pa.string()))
    assert column.in_runs is False
    assert settled == [False, False, True, False, True, True, False]
    given = [t for block in blocks for t in block]
    codes, distinct = pd.factorize(pd.Series(given, dtype=object))
    got = column.texts()
    assert np.asarray(got.codes).tolist() == codes.tolist()
    assert got.texts.tolist() == list(distinct) and len(distinct) == 210
    assert got.codes.dtype == "int16"


def test_empty_cells_of_code_0_are_never_written() -> None:
    """The codes buffer starts zeroed, so a column whose cells are all empty (an unused note or
    points column) is never written: its pages stay untouched, never resident (10 MB a column
    at 10**7 rows). Empty cells of another code are written, also after the buffer is widened."""
    import numpy as np
    import pyarrow as pa

    unused = reader._ColumnCodes(5000)
    unused.codes.flags.writeable = False  # a write would raise
    unused.add_empty(3000)
    unused.add_empty(2000)
    got = unused.texts()
    assert got.texts.tolist() == [""] and np.asarray(got.codes).tolist() == [0] * 5000

    texts = [f"t{i}" for i in range(200)]  # 200 texts: int8 → int16
    column = reader._ColumnCodes(4 + len(texts) + 6)
    column.add_empty(4)  # '' is code 0: not written
    column.add_texts(pa.array(texts, type=pa.string()))  # widened: the empty cells read as read
    column.add_empty(3)
    column.add_texts(pa.array(["t5", ""], type=pa.string()))
    column.add_empty(1)
    given = [""] * 4 + texts + [""] * 3 + ["t5", "", ""]
    codes, distinct = pd.factorize(pd.Series(given, dtype=object))
    got = column.texts()
    assert np.asarray(got.codes).tolist() == codes.tolist() and got.codes.dtype == "int16"
    assert got.texts.tolist() == list(distinct)

    late = reader._ColumnCodes(5)
    late.add_texts(pa.array(["a", "b"], type=pa.string()))
    late.add_empty(3)  # '' is code 2: written
    assert np.asarray(late.texts().codes).tolist() == [0, 1, 2, 2, 2]


def _finishing_takes(tmp_path: Path, header: str, row: str, n: int) -> int:
    """The most memory (``tracemalloc``: exact bytes) finishing ``n`` rows read columnar takes."""
    import tracemalloc

    path = tmp_path / "assessments.csv"
    path.write_text(header + row * n, encoding="utf-8")
    table = reader.read_csv_columnar(path)
    assert table is not None
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = reader.finish("assessments", table, "assessments.csv", [], complete=True, categorical=True)
        most = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert out["at_line"].tolist()[-1] == n + 1 and set(out.texts("at_file").tolist()) == {"assessments.csv"}
    assert set(out.texts("stage").tolist()) == {"self"} and set(out.texts("note").tolist()) == {""}
    return most


def test_the_row_columns_are_made_once(tmp_path: Path) -> None:
    """``at_line`` (4 bytes a row) and ``at_file`` (1 byte a row) are set into the frame as made:
    pandas copied an array set directly, so reading 10**7 rows held the line numbers twice for
    a moment (40 MB more) and wrote the file column's zeroed codes (10 MB resident). Finishing
    the rows now takes one copy of them: 5 bytes a row (8 when copied).

    Without stage, note and points columns, each is one zeroed byte a row, never written (it
    was copied, so written), and the stage column's codes stay those of its one text, now
    ``self`` (new codes were made, and copied): 8 bytes a row traced, 4 resident (13 before)."""
    n = 300_000
    full = _finishing_takes(tmp_path, "unit,criterion,value,stage,note,points\n", "u1,1.1,1,self,,\n", n)
    assert 5 * n <= full < 6 * n
    bare = _finishing_takes(tmp_path, "unit,criterion,value\n", "u1,1.1,1\n", n)
    assert 8 * n <= bare < 9 * n
