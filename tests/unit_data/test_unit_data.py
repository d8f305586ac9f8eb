"""Reading unit data: broken files fail with a clear message; data problems are collected
in one pass, each pointing at its file and line; nothing is silently dropped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support.paths import TESTS

from par_index.common.values import parse_dates, parse_numbers, parse_yes_no
from par_index.criteria.compiled import load
from par_index.errors import InputError
from par_index.pipeline import read_data
from par_index.scoring.engine import score

ROOT = TESTS
MINI = ROOT / "data" / "mini" / "criteria.yaml"
BROKEN = ROOT / "broken" / "data"


@pytest.mark.parametrize(
    ("folder", "reason", "line", "fragment"),
    [
        ("missing_column", "column_missing", 1, "thiếu cột kind"),
        ("bad_encoding", "file_encoding", 2, "tệp không phải UTF-8: byte 0xe1 ở cột name (ký tự thứ 7 của dòng)"),
        ("field_count", "csv_columns", 2, "dòng có 5 cột trong khi tiêu đề có 3 cột (thừa dấu phẩy? hãy đặt văn bản có dấu phẩy trong ngoặc kép)"),
        ("no_assessments", "file_missing", None, "thư mục dữ liệu cần units.csv và assessments.csv"),
        ("no_units", "units_empty", 2, "units.csv không có đơn vị nào"),  # issue 10 item 11
    ],
)
def test_unusable_data(folder: str, reason: str, line: int | None, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        read_data(BROKEN / folder)
    p = info.value.problems[0]
    assert (p.reason, p.line) == (reason, line)
    assert fragment in p.message


def test_data_problems_in_one_pass() -> None:
    data = read_data(BROKEN / "bad_rows")
    results = score(load(MINI), data)
    got = sorted((p.reason, p.unit, p.criterion, p.line) for p in results.problems if p.reason != "value_missing")
    assert got == sorted(
        [
            ("column_unknown", "", "", 1),
            ("unit_duplicate", "so-a", "", 3),
            ("unit_kind_unknown", "xa-1", "", 4),
            ("unit_id_empty", "", "", 5),
            ("row_duplicate", "so-a", "1.1", 3),
            ("criterion_not_leaf", "so-a", "1", 4),
            ("criterion_unknown", "so-a", "7.7", 5),
            ("unit_unknown", "so-z", "1.1", 6),
            ("stage_unknown", "so-a", "1.2", 8),
            ("value_unreadable", "so-a", "1.3", 9),
            ("points_above_max", "so-a", "1.4", 10),
            ("points_unreadable", "so-a", "2.1", 11),
            ("criterion_not_applicable", "so-a", "2.3", 12),
        ]
    )
    # every leaf without a value is reported, and nothing else is missing
    missing = sorted(p.criterion for p in results.problems if p.reason == "value_missing")
    assert missing == ["2.2", "3.1"]
    msgs = {p.reason: p.message for p in results.problems}
    assert msgs["value_unreadable"] == "không đọc được giá trị 'có lẽ': cần có/không; được tính 0 điểm"
    assert msgs["unit_id_empty"] == "thiếu mã đơn vị (cột unit); dòng này bị bỏ qua"
    assert msgs["points_unreadable"] == "điểm tự chấm 'hai' không phải là số; cần số điểm (ví dụ 0,75)"
    assert msgs["stage_unknown"].startswith("giai đoạn 'round3' không hợp lệ")
    assert msgs["unit_kind_unknown"] == "loại đơn vị 'xa' không có trong bộ tiêu chí (huyen, so); đơn vị không được chấm"
    s, i = results.find("so-a")
    assert s.total_points[i] == (200 + 200 + 0 + 100 + 189) * s.scale // 100  # 1.1, 1.2 (0,95), 1.3 unreadable, 1.4 capped at 1, 2.1


def test_xlsx_input_equals_csv(tmp_path: Path) -> None:
    from openpyxl import Workbook

    folder = ROOT / "data" / "mini" / "data"
    wb = Workbook()
    wb.remove(wb.active)
    for name in ("units", "assessments"):
        df = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        ws = wb.create_sheet(name)
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append(list(row))
    path = tmp_path / "data.xlsx"
    wb.save(path)
    c = load(MINI)
    a = score(c, read_data(folder)).sets[0]
    b = score(c, read_data(path)).sets[0]
    assert (a.leaf_points == b.leaf_points).all()
    assert list(a.index) == list(b.index)


def test_nfc_normalised_text(tmp_path: Path) -> None:
    """Unit ids and yes/no words written in decomposed Unicode match their NFC forms."""
    import unicodedata

    (tmp_path / "units.csv").write_text("unit,name,kind\nsở-a,Sở A,so\n", encoding="utf-8")
    nfd_unit = unicodedata.normalize("NFD", "sở-a")
    nfd_yes = unicodedata.normalize("NFD", "có")
    (tmp_path / "assessments.csv").write_text(
        f"unit,criterion,value\n{nfd_unit},1.3,{nfd_yes}\n", encoding="utf-8-sig"
    )
    s = score(load(MINI), read_data(tmp_path)).sets[0]
    assert s.units["unit"].tolist() == ["sở-a"]
    assert s.leaf_points[0, load(MINI).leaf_index["1.3"]] == s.scale


def test_distinct_texts_are_normalised_together_as_each_alone() -> None:
    """``nfc_texts`` normalises all texts in one call when a line break can join them: equal to
    each text normalised alone — a combining mark that starts a text stays its own, Hangul
    jamo of two texts are not composed, a text with a line break sends all to one by one."""
    import unicodedata

    from par_index.common.values import nfc_texts

    def alone(values: list[object]) -> list[str]:
        return [unicodedata.normalize("NFC", str(v)).strip() for v in values]

    cases: list[list[object]] = [
        [unicodedata.normalize("NFD", "Sở Nội vụ"), " Hoa\u0300 ", "\u0301x", "e\u0302\u0301", "", " "],
        ["\u1100", "\u1161", "\u1100\u1161"],  # L and V jamo: one syllable only within a text
        ["A\u0301", "x\ny\u0301", " z "],  # a line break inside a text
        [float("nan"), 5, "a"],
        [],
        ["\u0301"],
    ]
    for values in cases:
        assert nfc_texts(values) == alone(values), values
    assert nfc_texts(cases[1]) == ["\u1100", "\u1161", "\uac00"]


def test_value_readers() -> None:
    x, pct = parse_numbers(pd.Series(["0,5", "93%", "1.234,5", "1 234", "abc", "", "  7 "]))
    assert x[:4].tolist() == [0.5, 0.93, 1234.5, 1234.0]
    assert pct.tolist() == [False, True, False, False, False, False, False]
    assert x[6] == 7.0
    assert pd.isna(x[4]) and pd.isna(x[5])
    d = parse_dates(pd.Series(["2024-01-15", "15/01/2024", "5/1/2024", "2024-02-30", "31/02/2024"]))
    assert d[:3].tolist() == [19737.0, 19737.0, 19727.0]
    assert pd.isna(d[3]) and pd.isna(d[4])
    yn = parse_yes_no(pd.Series(["Có", "không", "YES", "x", "Đạt", "chưa", "maybe"]))
    assert yn[:6].tolist() == [1, 0, 1, 1, 1, 0]
    assert pd.isna(yn[6])


def test_both_separators_last_is_decimal() -> None:
    """Issue 10 item 12: "1,234.5" was read as 1.2345 (a factor of 1000)."""
    x, _ = parse_numbers(pd.Series(["1,234.5", "1.234,5", "1.234.567,8", "-1,234.5", "1,23.4", "12.34,5"]))
    assert x[:4].tolist() == [1234.5, 1234.5, 1234567.8, -1234.5]
    assert pd.isna(x[4]) and pd.isna(x[5])  # not grouped in threes: ambiguous, reported unreadable


def test_factorize_runs_equals_pandas() -> None:
    import numpy as np
    import pandas as pd

    from par_index.unit_data.reader import factorize_runs

    rng = np.random.default_rng(3)
    for run in (1, 3, 200):
        values = np.repeat(rng.choice(np.array(["a", "b", "Sở", "", None, float("nan")], dtype=object), 6000 // run), run)
        codes, uniques = factorize_runs(values)
        expected_codes, expected_uniques = pd.factorize(values)
        assert codes.tolist() == expected_codes.tolist() and list(uniques) == list(expected_uniques)


def test_formula_cells_in_a_data_workbook_are_refused_by_cell(tmp_path: Path) -> None:
    """Issue 10, item 12: the cached result of a formula cell (even an external link) was scored
    as if typed. Now each formula cell is an error naming the cell, read as empty."""
    import re
    import zipfile

    import openpyxl

    wb = openpyxl.Workbook()
    units = wb.active
    assert units is not None
    units.title = "units"
    units.append(["unit", "name", "kind"])
    units.append(["so-a", "Sở A", "so"])
    rows = wb.create_sheet("assessments")
    rows.append(["unit", "criterion", "value", "stage", "note", "points"])
    rows.append(["so-a", "1.2", "=[1]Sheet1!A1", "self", "", ""])  # an external link
    rows.append(["so-a", "1.3", "có", "self", "", "=0.5+0.5"])
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    book = tmp_path / "data.xlsx"  # the same with cached results, as Excel saves them: 100 % and 1
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(book, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                body = re.sub(rb"(<f>[^<]*</f>)<v\s*/>|(<f>[^<]*</f>)<v></v>", lambda m: (m.group(1) or m.group(2)) + b"<v>1</v>", body)
            dst.writestr(item, body)
    assert b"<v>1</v>" in zipfile.ZipFile(book).read("xl/worksheets/sheet2.xml")
    assert openpyxl.load_workbook(book, data_only=True)["assessments"]["C2"].value == 1  # what was scored before
    data = read_data(book)
    got = [(p.reason, p.file, p.cell, p.unit, p.criterion, p.severity) for p in data.problems if p.reason == "input_formula"]
    assert got == [
        ("input_formula", "data.xlsx[assessments]", "C2", "so-a", "1.2", "error"),
        ("input_formula", "data.xlsx[assessments]", "F3", "so-a", "1.3", "error"),
    ]
    assert next(p for p in data.problems if p.cell == "C2").message == (
        "ô chứa công thức '=[1]Sheet1!A1'; hãy nhập giá trị (số, ngày, văn bản), không nhập công thức — ô này không được đọc"
    )
    s, i = score(load(TESTS / "data/mini/criteria.yaml"), data, "self").find("so-a")
    assert s.leaf_points[i, s.criteria.leaf_index["1.2"]] == 0.0  # 100 % (2 points) before


def test_numbers_read_as_pandas_read_them_and_exactly() -> None:
    """Issue 15: the value readers need no pandas. A plain number is read as ``pd.to_numeric``
    read it (ASCII digits; spaces around; ``1e3``; no ``_`` or other scripts' digits, which
    Python's ``float`` alone would take), except where pandas' parser was not exact: ``+9e76``
    is the float nearest 9·10^76 (pandas gave 9.000000000000001e+76), and a tab inside an
    exponent (``6E\\t8``, which pandas read as 6·10^8) is no number."""
    import numpy as np

    texts = ["+9e76", "6E\t8", "1_000", "\u0663", "\uff13", " 12 ", "\t3\n", "1e5", "-.5e-3", "inf", "1e400", "nan", "8,05%"]
    x, pct = parse_numbers(texts)
    assert x[0] == 9e76 and float(pd.to_numeric(pd.Series(["+9e76"], dtype=object))[0]) != 9e76
    assert np.isnan(x[1:5]).all()
    assert x[5:9].tolist() == [12.0, 3.0, 100000.0, -0.0005]
    assert np.isnan(x[9:12]).all()  # infinities and nan are no value
    assert x[12] == 0.0805 and pct.tolist() == [False] * 12 + [True]
    assert parse_numbers(np.array(["0,5", "0,5"], dtype=object))[0].tolist() == [0.5, 0.5]  # any column, not only a Series
    assert parse_numbers([])[0].shape == (0,) and parse_yes_no(["có"]).tolist() == [1.0]


def test_words_and_dates_are_read_from_each_cell_s_text() -> None:
    # A cell that is no text (a spreadsheet's number or boolean) is read as its text: 1 and True
    # say yes, 1.0 says nothing, though 1, 1.0 and True are one key of a dict.
    yn = parse_yes_no([1, 1.0, True, 0, 0.0, False])
    assert np.isnan(yn[[1, 4]]).all() and yn[[0, 2, 3, 5]].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert parse_yes_no([1.0, 1]).tolist()[1] == 1.0 and np.isnan(parse_yes_no([1.0, 1])[0])
    assert np.isnan(parse_dates([20240101, "01/01/2024"])[0]) and parse_dates(["01/01/2024"])[0] == 19723.0


def test_the_table_gives_the_frames_as_they_were() -> None:
    """The reader's table (unit_data/table.py) and the frames built from it: a frame someone
    builds goes back to a table with the same cells, and a frame built from a table gives that
    table back (its codes are not made again)."""
    import numpy as np

    from par_index.unit_data.table import Table, Texts

    t = Table({
        "unit": Texts(np.array([1, 0, 1], dtype=np.int8), np.array(["a", "b"], dtype=object), "category"),
        "name": Texts(np.array([0, 0, 1]), np.array(["x", "y"], dtype=object)),
        "at_line": np.array([2, 3, 4], dtype=np.int32),
    })
    df = t.frame()
    assert df["unit"].astype(object).tolist() == ["b", "a", "b"] and isinstance(df["unit"].dtype, pd.CategoricalDtype)
    assert df["name"].dtype == object and df["name"].tolist() == ["x", "x", "y"] and df["at_line"].dtype == "int32"
    assert Table.from_frame(df) is t
    back = Table.from_frame(df.copy())
    assert back is not t and back.texts("unit").tolist() == ["b", "a", "b"] and back.texts("name").tolist() == ["x", "x", "y"]
    assert t.take(np.array([2, 0])).texts("name").tolist() == ["y", "x"] and t.row(1) == {"unit": "a", "name": "x", "at_line": 3}
    with pytest.raises(ValueError, match="different lengths"):
        Table({"a": np.zeros(2), "b": np.zeros(3)})


def test_arrow_arrays_made_and_read_without_pandas() -> None:
    """pyarrow's ``pa.array`` and ``Array.to_numpy`` import pandas (its pandas shim); the score
    path makes and reads its arrow arrays from buffers (common/arrow_numpy.py) instead."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, pyarrow.compute as pc\n"
        "from par_index.common.arrow_numpy import to_arrow, to_numpy\n"
        "a = to_arrow(np.array(['a', 'bé', '', 'a'], dtype=object))\n"
        "assert a.to_pylist() == ['a', 'bé', '', 'a'] and to_numpy(pc.dictionary_encode(a).indices).tolist() == [0, 1, 2, 0]\n"
        "assert to_numpy(pc.equal(a, a).slice(1)).tolist() == [True, True, True]\n"
        "assert to_numpy(to_arrow(np.arange(5, dtype=np.int16)).slice(2)).tolist() == [2, 3, 4]\n"
        "assert to_numpy(to_arrow(np.array([True, False] * 9)).slice(7)).tolist() == [False] + [True, False] * 5\n"
        "print('pandas' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
