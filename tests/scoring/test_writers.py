"""The CSV results writer writes what pandas' ``to_csv`` would, byte for byte; the problems CSV what the csv module writes row by row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from par_index.errors import Problem
from par_index.scoring.writers import write_csv


def test_csv_writer_matches_pandas(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "unit": ["so-a", 'Sở "Tư pháp", tỉnh', "xa-c"],
            "name": ["Sở Nội vụ", None, "Xã\nmới"],
            "points": [90.0, 0.1 + 0.2, np.nan],
            "rank": pd.array([1, None, 3], dtype="Int64"),
            "band": ["Tốt", None, "Khá"],
        }
    )
    df.to_csv(tmp_path / "pandas.csv", index=False, encoding="utf-8")
    write_csv(df, tmp_path / "ours.csv")
    ours = (tmp_path / "ours.csv").read_bytes()
    assert ours == (tmp_path / "pandas.csv").read_bytes()
    assert b',0.30000000000000004,,' in ours and '"Sở ""Tư pháp"", tỉnh"'.encode() in ours


def _csv_cell_by_cell(df: pd.DataFrame, out: Path) -> None:
    """The writer as it was before it went column by column (the csv module, a cell at a time)."""
    import csv

    from par_index.common import spreadsheet

    columns = []
    for name in df.columns:
        col = df[name]
        cells = col.to_numpy(dtype=object, copy=True)
        cells[col.isna().to_numpy()] = ""
        if spreadsheet.is_text(col):
            cells = np.array([spreadsheet.csv_cell(v) for v in cells], dtype=object)
        columns.append(cells.tolist())
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(spreadsheet.csv_row([str(c) for c in df.columns]))
        writer.writerows(zip(*columns, strict=True))


@pytest.mark.parametrize("rows_per_part", [1, 2, 50_000])
def test_csv_writer_column_by_column_equals_cell_by_cell(tmp_path: Path, rows_per_part: int) -> None:
    """Issue 15 target 4: each distinct value made once per column and the lines joined by pyarrow
    give the bytes the csv module gave cell by cell: quotes, commas and line breaks in text,
    formula starts neutralised (a plain number kept), 0.0 and -0.0, NaN, NA ranks, a
    categorical, a text column holding numbers, whatever the rows per written part."""
    df = pd.DataFrame(
        {
            "unit": ["a", "b,c", 'q"q', "x\ny", "=SUM(A1)", "-5", "a"],
            "name": ["Sở Nội vụ", None, "@cmd", "\tTab", "+1", "Xã\r\nmới", "Sở Nội vụ"],
            "kind": pd.Categorical(["so", "huyen", "so", None, "so", "huyen", "so"]),
            "points": [90.0, 0.1 + 0.2, np.nan, -0.0, 0.0, 77.0, 1e-7],
            "rank": pd.array([1, None, 3, 4, None, 6, 7], dtype="Int64"),
            "mixed": ["1", 1, 1.0, True, None, "x", "=1+2"],
        }
    )
    _csv_cell_by_cell(df, tmp_path / "before.csv")
    write_csv(df, tmp_path / "now.csv", rows_per_part=rows_per_part)
    now = (tmp_path / "now.csv").read_bytes()
    assert now == (tmp_path / "before.csv").read_bytes()
    assert b"\n'=SUM(A1)," in now and b"\n-5," in now and b'\n"b,c",' in now and b",-0.0," in now and b",'=1+2\n" in now


def test_csv_writer_one_column_and_no_rows(tmp_path: Path) -> None:
    """A one-column frame quotes its empty cells as the csv module does (``""``); no rows, the header alone."""
    one = pd.DataFrame({"band": ["Tốt", None, ""]})
    _csv_cell_by_cell(one, tmp_path / "before.csv")
    write_csv(one, tmp_path / "now.csv")
    assert (tmp_path / "now.csv").read_bytes() == (tmp_path / "before.csv").read_bytes() == 'band\nTốt\n""\n""\n'.encode()
    write_csv(one.iloc[:0], tmp_path / "empty.csv")
    assert (tmp_path / "empty.csv").read_bytes() == b"band\n"


def _documents(results: object) -> tuple[bytes, bytes]:
    from par_index.scoring.results import json_units_block, to_json_dict
    from par_index.scoring.writers import json_bytes

    plain = json_bytes(to_json_dict(results))  # type: ignore[arg-type]
    fast = json_bytes(to_json_dict(results, include_units=False), {"units": json_units_block(results)})  # type: ignore[arg-type]
    return plain, fast


@pytest.mark.parametrize("units_per_chunk", [500, 1, 2, 7])
def test_json_units_built_fast_equal_the_json_encoder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, units_per_chunk: int) -> None:
    """The writer's units block equals ``json`` encoding of ``to_json_dict`` byte for byte: two
    criteria sets with a label and problems, and a unit with nothing applicable (null index);
    whatever the number of units per chunk made (and written) at a time."""
    monkeypatch.setattr("par_index.scoring.results._UNITS_PER_CHUNK", units_per_chunk)
    import json
    import shutil

    from par_index.criteria.compiled import load
    from par_index.pipeline import read_data
    from par_index.scoring.engine import score

    bac_giang = score([load("criteria/bac-giang/2024/so.yaml"), load("criteria/bac-giang/2024/huyen.yaml")], read_data("evidence/bac-giang/2024"))
    data = tmp_path / "data"
    shutil.copytree("tests/data/mini/data", data)
    with (data / "units.csv").open("a", encoding="utf-8") as f:
        f.write("so-na,Sở Không áp dụng,so\n")
    with (data / "assessments.csv").open("a", encoding="utf-8") as f:
        f.writelines(f"so-na,{code},na,{'survey' if code == '3.1' else 'self'},,\n" for code in ("1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "3.1"))
    mini = score(load("tests/data/mini/criteria.yaml"), read_data(data))
    for results in (bac_giang, mini):
        plain, fast = _documents(results)
        assert fast == plain
    doc = json.loads(_documents(mini)[1])
    unit = next(u for u in doc["units"] if u["unit"] == "so-na")
    assert (unit["index"], unit["rank"], unit["band"], unit["nodes"]["1"]) == (None, None, None, {"points": 0.0, "max": 0.0, "index": None})
    assert len(json.loads(_documents(bac_giang)[1])["units"]) == 30


def test_json_parts_are_made_as_they_are_written() -> None:
    """The JSON writer streams: parts come from a generator, the units block is not asked for
    before the parts before it are written, and a list without a block is written in parts."""
    import json

    from par_index.scoring.writers import json_parts

    asked: list[str] = []

    def units() -> Iterator[bytes]:
        asked.append("units")
        yield b'  {"unit": "a"},\n  {"unit": "b"}'

    doc = {"criteria": "x", "units": [], "problems": [{"n": i} for i in range(2500)], "empty": []}
    parts = json_parts(doc, {"units": units(), "empty": iter(())})
    assert not isinstance(parts, list)
    assert next(parts) == b"{\n" and next(parts) == b' "criteria": "x",\n' and asked == []
    rest = list(parts)
    assert asked == ["units"]
    text = b"{\n" + b' "criteria": "x",\n' + b"".join(rest)
    assert json.loads(text) == {"criteria": "x", "units": [{"unit": "a"}, {"unit": "b"}], "problems": doc["problems"], "empty": []}
    # units: head, block, tail; problems: head, 3 parts of ≤ 1,000, tail; the empty list; the closing brace
    assert len(rest) == 3 + 5 + 1 + 1


def _variant(tmp_path: Path, bands: bool, two_sets: bool, minimal: bool) -> tuple[list[str], str]:
    """Criteria files and a data folder for one combination of the writers' test matrix."""
    from support.paths import DATA

    text = (DATA / "mini" / "criteria.yaml").read_text(encoding="utf-8")
    if not bands:
        head, rest = text.split("bands:\n", 1)
        text = head + "agencies:" + rest.split("agencies:", 1)[1]
    paths = []
    if two_sets:
        so = text.replace('unit_kinds: {so: "Sở, ban, ngành", huyen: "UBND huyện"}', 'unit_kinds: {so: "Sở, ban, ngành"}')
        so = so.replace("        applies_to: [huyen]\n", "")
        huyen = text.replace("id: mini-2024", "id: mini-huyen").replace('unit_kinds: {so: "Sở, ban, ngành", huyen: "UBND huyện"}', 'unit_kinds: {huyen: "UBND huyện"}')
        for name, body in (("so.yaml", so), ("huyen.yaml", huyen)):
            (tmp_path / name).write_text(body, encoding="utf-8")
            paths.append(str(tmp_path / name))
    else:
        (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / "c.yaml"))
    data = tmp_path / "data"
    data.mkdir()
    source = DATA / "mini" / "data"
    units = pd.read_csv(source / "units.csv", dtype=str, keep_default_na=False)
    rows = pd.read_csv(source / "assessments.csv", dtype=str, keep_default_na=False)
    if minimal:  # every optional column absent: no stage, note or points, no evidence.csv
        rows = rows[rows["stage"] == "self"][["unit", "criterion", "value"]]
    units.to_csv(data / "units.csv", index=False)
    rows.to_csv(data / "assessments.csv", index=False)
    return paths, str(data)


@pytest.mark.parametrize("ext", ["json", "csv", "xlsx", "html"])
@pytest.mark.parametrize("bands", [True, False])
@pytest.mark.parametrize("two_sets", [False, True])
@pytest.mark.parametrize("minimal", [False, True])
def test_every_output_format_with_and_without_bands(tmp_path: Path, ext: str, bands: bool, two_sets: bool, minimal: bool) -> None:
    """Issue 10 item 13: ``--out results.csv`` with a set without bands ended in an internal error."""
    from par_index.cli.main import main

    criteria, data = _variant(tmp_path, bands, two_sets, minimal)
    out = tmp_path / f"r.{ext}"
    args = ["score", *[a for c in criteria for a in ("--criteria", c)], "--data", data, "--out", str(out)]
    assert main(args) == 0
    assert out.stat().st_size > 0
    labels = {"Xuất sắc", "Tốt", "Khá", "Trung bình"} if bands else {None}
    if ext == "json":
        import json

        first = json.loads(out.read_text(encoding="utf-8"))["units"][0]
        assert first["unit"] == "so-a" and first["band"] in labels
    elif ext == "csv":
        df = pd.read_csv(out, dtype=str, keep_default_na=False)
        assert df["unit"].iloc[0] == "so-a" and (df["band"].iloc[0] or None) in labels
        assert len(df) == 3
    elif ext == "xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(out).worksheets[0]
        assert any(c.value == "so-a" for row in ws.iter_rows() for c in row)
    else:
        assert "so-a" in out.read_text(encoding="utf-8")


# a problem of every shape the problems CSV meets: a formula start in a message, a unit and a
# file, a line and none, a comma, a quote and a line break, a negative line, a field, a cell
_PROBLEMS = [
    Problem("value_unreadable", "=1+2 không đọc được", file="assessments.csv", line=12, unit="-u1", criterion="1.1"),
    Problem("points_above_max", 'giá trị "5,5" vượt, điểm tối đa\r\nmới', file="a,b.csv", line=None, unit="u2", severity="warning"),
    Problem("unit_unknown", "@x", file="+f.csv", line=-3, cell="B7", unit="u3", criterion="=2", field="value"),
    Problem("file_not_read", "tệp 'x' không được đọc", severity="warning"),
    Problem("value_missing", "\tchưa có", unit="u4", criterion="2.1"),
]


_ODD_PROBLEMS = [  # one value throughout, None in a text field, an unknown severity, values not texts
    Problem("value_missing", "m", file="f.csv", line=4, unit="u1", severity="note"),
    Problem("value_missing", "m", file="f.csv", line=None, unit=None, criterion="-1", severity="note"),  # type: ignore[arg-type]
    Problem("value_missing", "m", file="f.csv", line=3.0, unit=5, field=1.5, severity="note"),  # type: ignore[arg-type]
    Problem("value_missing", "m", file="f.csv", line=2**70, unit="=u", severity="note"),
]


@pytest.mark.parametrize("rows_per_block", [1, 2, 20_000])
@pytest.mark.parametrize("which", ["shapes", "one throughout", "odd"])
def test_problems_csv_column_by_column_equals_row_by_row(tmp_path: Path, rows_per_block: int, which: str) -> None:
    """write_problems writes the problems column by column in blocks: the file is byte for byte
    what the csv module writes row by row into a utf-8-sig file, each cell through people_cell
    and csv_cell (the writer before); whether a field has one value throughout, None, a value
    that is not a text (1,5 with a decimal comma) or a severity without a Vietnamese name."""
    import csv

    from par_index.common.csv_out import people_cell
    from par_index.common.spreadsheet import csv_cell
    from par_index.scoring.engine import Results
    from par_index.scoring.writers import PROBLEM_HEADERS_VI, SEVERITY_VI, write_problems

    problems = {"shapes": _PROBLEMS * 3, "one throughout": _PROBLEMS[:1] * 5, "odd": _ODD_PROBLEMS * 2}[which]
    write_problems(Results([], "final", list(problems)), tmp_path / "p.csv", rows_per_block=rows_per_block)
    with (tmp_path / "ref.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow([csv_cell(people_cell(h)) for h in PROBLEM_HEADERS_VI.values()])
        for p in problems:
            row = (SEVERITY_VI.get(p.severity, p.severity), p.reason, p.file, "" if p.line is None else int(p.line), p.cell, p.unit, p.criterion, p.field, p.message)
            w.writerow([csv_cell(people_cell(v)) for v in row])
    assert (tmp_path / "p.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()
    assert (tmp_path / "p.csv").read_bytes().startswith("\ufeffMức độ,Mã lỗi,".encode())
    line = {"shapes": b"\r\nl\xe1\xbb\x97i,value_unreadable,assessments.csv,12,,'-u1,1.1,,'=1+2 kh",
            "one throughout": "\r\nlỗi,value_unreadable,assessments.csv,12,,'-u1,1.1,,'=1+2 không đọc được\r\n".encode(),
            "odd": b"\r\nnote,value_missing,f.csv,3,,5,,\"1,5\",m\r\nnote,value_missing,f.csv,1180591620717411303424,,'=u,,,m\r\n"}[which]
    assert line in (tmp_path / "p.csv").read_bytes()


def test_problems_csv_without_problems_is_its_header(tmp_path: Path) -> None:
    from par_index.scoring.engine import Results
    from par_index.scoring.writers import write_problems

    write_problems(Results([], "final", []), tmp_path / "p.csv")
    assert (tmp_path / "p.csv").read_bytes() == "\ufeffMức độ,Mã lỗi,Tệp,Dòng,Ô,Đơn vị,Tiêu chí,Trường,Nội dung\r\n".encode()


def test_risky_mask_is_the_string_kernels_predicate() -> None:
    """_risky_mask (numpy over the UTF-8 bytes) marks exactly the texts that start a formula or
    hold a comma, a quote or a line break, as pyarrow's starts_with / match_substring find them,
    on a sliced array, with empty texts, non-ASCII letters and the characters at the ends."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from par_index.common.spreadsheet import FORMULA_START
    from par_index.scoring.writers import _risky_mask

    rng = np.random.default_rng(7)
    alphabet = ["a", "ỗ", "đ", "中", ",", '"', "\r", "\n", "=", "+", "-", "@", "\t", " ", "'", "1"]
    texts = ["".join(rng.choice(alphabet, size=rng.integers(0, 4))) for _ in range(3000)]
    for arr in (pa.array(texts), pa.array(texts).slice(17, 2000), pa.array(["", ""]), pa.array([], pa.string())):
        expected = pc.starts_with(arr, FORMULA_START[0])
        for start in FORMULA_START[1:]:
            expected = pc.or_(expected, pc.starts_with(arr, start))
        for ch in (",", '"', "\r", "\n"):
            expected = pc.or_(expected, pc.match_substring(arr, ch))
        assert _risky_mask(arr).to_pylist() == expected.to_pylist()
    assert _risky_mask(pa.array(["x", "ỗ,", "-3", ""])).to_pylist() == [False, True, True, False]


def test_problem_as_dict_is_asdict_without_the_unset_fields() -> None:
    """Problem.as_dict (each problem of --out .json) reads the fields in order, without
    dataclasses.asdict's deep copy: the same dicts."""
    from dataclasses import asdict

    assert all(p.as_dict() == {k: v for k, v in asdict(p).items() if v not in ("", None)} for p in _PROBLEMS)
    assert list(_PROBLEMS[2].as_dict()) == ["reason", "message", "file", "line", "cell", "unit", "criterion", "field", "severity"]
    assert _PROBLEMS[1].as_dict() == {
        "reason": "points_above_max", "message": 'giá trị "5,5" vượt, điểm tối đa\r\nmới', "file": "a,b.csv", "unit": "u2", "severity": "warning",
    }


@pytest.mark.parametrize("per_part", [1, 2, 1000])
def test_json_problems_built_by_column_equal_the_json_encoder(per_part: int) -> None:
    """--out .json's problems (json_problems_block, each distinct text encoded once) are the lines
    json's encoder writes of each Problem.as_dict(), in parts, and the document reads back."""
    import json

    from par_index.scoring.engine import Results
    from par_index.scoring.results import json_problems_block
    from par_index.scoring.writers import json_bytes

    problems = [*_PROBLEMS, Problem("value_missing", "m", line=0), *_PROBLEMS]
    results = Results([], "final", problems)
    enc = json.JSONEncoder(ensure_ascii=False)
    parts = list(json_problems_block(results, per_part=per_part))
    assert len(parts) == -(-len(problems) // per_part)
    assert b"".join(parts).decode() == ",\n".join(f"  {enc.encode(p.as_dict())}" for p in problems)
    doc = json.loads(json_bytes({"problems": []}, {"problems": json_problems_block(results, per_part)}))
    assert doc["problems"] == [p.as_dict() for p in problems]
    assert doc["problems"][5] == {"reason": "value_missing", "message": "m", "line": 0, "severity": "error"}
    assert json_bytes({"problems": []}, {"problems": json_problems_block(Results([], "final", []))}) == b'{\n "problems": []\n}\n'


def _edge_problems() -> list[Problem]:
    """Problems whose fields take every path of the column-wise JSON writer: one value
    throughout or not, '' and None beside texts, quotes, backslashes, control characters,
    non-ASCII, and values that are not what the field's type says (a float, a bool, a 70-bit
    int, an int where a text is expected): json's encoder writes each of them its own way."""
    made = [
        Problem("value_missing", "m", line=None, unit="u1"),
        Problem("value_missing", 'a "quoted" \\ back\\slash', line=7, unit="", criterion="1.1"),
        Problem("value_missing", "tab\there, nul \x00, \x1f, line\nbreak, CRLF\r\n, \x7f, \u2028, ỗ ẫ đ 中", line=0, unit="u\x01"),
        Problem("value_missing", "", line=-12, unit="u2", field='"'),
        Problem("value_missing", "m", line=2**70, unit="u3"),
        Problem("value_missing", "m", line=float("nan"), unit="u3"),  # type: ignore[arg-type]
        Problem("value_missing", "m", line=True, unit=None),  # type: ignore[arg-type]
        Problem("value_missing", "m", line=3, unit=5, criterion=None, field=1.5),  # type: ignore[arg-type]
    ]
    return made


@pytest.mark.parametrize("per_part", [1, 2, 3, 5000])
@pytest.mark.parametrize("picks", [[0, 1, 2, 3], [0, 0, 0], [1, 3, 2], [4, 0], [5, 0], [6, 0], [7, 1], list(range(8))])
def test_json_problems_edge_cases_equal_the_json_encoder(per_part: int, picks: list[int]) -> None:
    """The problems block is, byte for byte, json's encoding (ensure_ascii=False) of each
    Problem.as_dict(): fields left out when '' or None, texts escaped exactly as json escapes
    them (\\", \\\\, \\n, \\t, \\u0000, \\u001f; not \\x7f, U+2028 or non-ASCII), ints by str,
    NaN as NaN, True as true, 1.5 as 1.5, whatever the mix of values in a part."""
    import json

    from par_index.scoring.engine import Results
    from par_index.scoring.results import json_problems_block

    edge = _edge_problems()
    problems = [edge[k] for k in picks]
    enc = json.JSONEncoder(ensure_ascii=False)
    made = b"".join(json_problems_block(Results([], "final", problems), per_part=per_part)).decode()
    assert made == ",\n".join(f"  {enc.encode(p.as_dict())}" for p in problems)


def test_json_problems_escapes_written_out() -> None:
    """The escapes of one problem, written out (not only compared with json's encoder)."""
    from par_index.scoring.engine import Results
    from par_index.scoring.results import json_problems_block

    problems = [_edge_problems()[k] for k in (1, 2, 3)]
    made = b"".join(json_problems_block(Results([], "final", problems))).decode()
    assert made.split(",\n") == [
        '  {"reason": "value_missing", "message": "a \\"quoted\\" \\\\ back\\\\slash", "line": 7, "criterion": "1.1", "severity": "error"}',
        '  {"reason": "value_missing", "message": "tab\\there, nul \\u0000, \\u001f, line\\nbreak, CRLF\\r\\n, \x7f, \u2028, ỗ ẫ đ 中", "line": 0, '
        '"unit": "u\\u0001", "severity": "error"}',
        '  {"reason": "value_missing", "line": -12, "unit": "u2", "field": "\\"", "severity": "error"}',
    ]


@pytest.mark.parametrize("most", [1, 3, 4, 2**20])
def test_write_bytes_writes_long_parts_in_slices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, most: int) -> None:
    """write_bytes writes each part longer than ``most`` bytes in slices of ``most`` (the kernel
    takes a 12 MB write at ~3× the system time of 1 MB ones) and the file holds the parts' bytes
    in order: bytes, memoryviews (a pyarrow text handed over without a copy), an empty part."""
    import pyarrow as pa

    from par_index.common.arrow_text import utf8_text
    from par_index.common.text_files import write_bytes

    arrow = utf8_text(pa.array(["ỗ ẫ", "", "đ,\n"]))
    parts = [b"{\n", memoryview(b"0123456789"), b"", arrow, b"}\n"]
    sizes: list[int] = []
    real_open = Path.open

    class Counted:  # the file write_bytes opens, counting the bytes of each write
        def __init__(self, f: Any) -> None:
            self.f = f

        def __enter__(self) -> Counted:
            return self

        def __exit__(self, *exc: object) -> None:
            self.f.close()

        def write(self, data: bytes) -> int:
            sizes.append(len(data))
            return int(self.f.write(data))

    monkeypatch.setattr(Path, "open", lambda self, *a, **k: Counted(real_open(self, *a, **k)))
    write_bytes(tmp_path / "out.json", parts, most=most)
    monkeypatch.undo()
    assert (tmp_path / "out.json").read_bytes() == "{\n0123456789ỗ ẫđ,\n}\n".encode()
    assert max(sizes) == min(most, 11)  # the longest part: the pyarrow text, 11 bytes
    assert sum(sizes) == len("{\n0123456789ỗ ẫđ,\n}\n".encode())
