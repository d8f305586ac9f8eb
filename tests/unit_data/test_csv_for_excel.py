"""Issue 10 item 15: CSVs as Excel on Windows writes and reads them.

Reading: a semicolon-separated file (Excel in a Vietnamese locale) and a UTF-16 file with BOM
are read like the UTF-8 comma file; a CP1258 (ANSI) file gets a message saying how to save it
as «CSV UTF-8». Writing: the CSVs meant for people are UTF-8 with BOM, with Vietnamese headers
and labels, and name files relative to the data folder (no absolute path of the machine).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from support.paths import TESTS

from par_index.cli.main import main
from par_index.criteria.compiled import load
from par_index.errors import InputError
from par_index.pipeline import read_data
from par_index.scoring.engine import score

MINI = TESTS / "data" / "mini"


def _points(folder: Path) -> list[float]:
    results = score([load(MINI / "criteria.yaml")], read_data(folder))
    return [float(p) for s in results.sets for p in s.points()]


def _excel_vietnamese(text: str) -> str:
    """A comma CSV as Excel in a vi-VN locale saves it: ';' between cells, decimal commas unquoted."""
    import io

    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows(csv.reader(text.splitlines()))
    return buf.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
@pytest.mark.parametrize("semicolons", [False, True])
def test_excel_saved_csvs_score_as_the_utf8_comma_files(tmp_path: Path, encoding: str, semicolons: bool) -> None:
    expected = _points(MINI / "data")
    for name in ("units.csv", "assessments.csv"):
        text = (MINI / "data" / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(_excel_vietnamese(text) if semicolons else text, encoding=encoding)
    assert _points(tmp_path) == expected


def test_cp1258_file_says_how_to_save_as_csv_utf8(tmp_path: Path) -> None:
    shutil.copy(MINI / "data" / "assessments.csv", tmp_path / "assessments.csv")
    (tmp_path / "units.csv").write_bytes(b"unit,name,kind\nso-a,V\xe3n pho\xccng UBND,so\n")  # "Văn phòng UBND" in CP1258
    with pytest.raises(InputError) as info:
        read_data(tmp_path)
    (p,) = info.value.problems
    assert (p.reason, p.file, p.line) == ("file_encoding", str(tmp_path / "units.csv"), 2)
    assert p.message.startswith(
        "tệp không phải UTF-8: byte 0xe3 ở cột name (ký tự thứ 7 của dòng) không đọc được "
        "(tệp có thể được lưu bằng mã Windows-1258/ANSI hay TCVN3). "
    )
    assert "Tệp → Lưu thành, kiểu tệp «CSV UTF-8 (Comma delimited) (*.csv)»" in p.message


@pytest.mark.parametrize("semicolons", [False, True])
def test_cp1258_byte_far_into_a_big_file_is_reported_by_its_line(tmp_path: Path, semicolons: bool) -> None:
    """pandas decodes in chunks and reports an offset in the chunk (it said "vị trí 252479" for a
    byte at 1,038,911): the message names the line and column of the file instead (issue 11)."""
    sep = ";" if semicolons else ","
    shutil.copy(MINI / "data" / "units.csv", tmp_path / "units.csv")
    rows = [sep.join(("unit", "criterion", "value", "stage"))]
    rows += [sep.join(("so-a", "1.2", f"{i % 100}%", "self")) for i in range(100_000)]
    raw = bytearray("\n".join(rows).encode())
    line_start = raw.index(f"\nso-a{sep}1.2{sep}17%".encode(), 1_000_000) + 1  # a line past pandas' first chunk
    raw[line_start + 10] = 0xE3  # "17%" → "\xe37%" (CP1258 "ă")
    (tmp_path / "assessments.csv").write_bytes(bytes(raw))
    line = raw.count(b"\n", 0, line_start) + 1
    with pytest.raises(InputError) as info:
        read_data(tmp_path)
    (p,) = info.value.problems
    assert (p.reason, p.line) == ("file_encoding", line)
    assert line > 50_000
    assert p.message.startswith("tệp không phải UTF-8: byte 0xe3 ở cột value (ký tự thứ 11 của dòng) không đọc được")
    assert p.message.endswith("«CSV UTF-8 (Phân tách bằng dấu phẩy)»), rồi dùng tệp mới")
    assert "vị trí" not in p.message


def test_problems_csv_for_people(tmp_path: Path) -> None:
    data = tmp_path / "du lieu"
    shutil.copytree(MINI / "data", data)
    with (data / "assessments.csv").open("a", encoding="utf-8") as fh:
        fh.write("so-x,1.1,10/01/2024,self,,\n")
    out = tmp_path / "van-de.csv"
    main(["score", "--criteria", str(MINI / "criteria.yaml"), "--data", str(data.resolve()), "--problems", str(out)])
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert str(tmp_path) not in text  # no absolute path of the user's machine
    rows = list(csv.DictReader(text.splitlines()))
    assert list(rows[0]) == ["Mức độ", "Mã lỗi", "Tệp", "Dòng", "Ô", "Đơn vị", "Tiêu chí", "Trường", "Nội dung"]
    unknown = [r for r in rows if r["Đơn vị"] == "so-x"]
    assert unknown and {(r["Mức độ"], r["Tệp"]) for r in unknown} == {("lỗi", "assessments.csv")}
    assert {r["Mức độ"] for r in rows} <= {"lỗi", "lưu ý"}
