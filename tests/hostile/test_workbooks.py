"""Workbooks from other offices (issue 11 item 11): read in streaming mode within documented
limits — a far ``<dimension>`` claim is not allocated, rows and zip parts are capped before
anything is inflated, encrypted and old-format files get their own message. Each file is built
here (a few kilobytes) and read by ``python -m par_index`` under the corpus's memory/CPU limits."""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from support.budget import Case, run_case
from support.paths import DATA

MINI = DATA / "mini"


def _data_workbook(path: Path) -> Path:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for name in ("units", "assessments"):
        ws = wb.create_sheet(name)
        with (MINI / "data" / f"{name}.csv").open(encoding="utf-8") as fh:
            for row in csv.reader(fh):
                ws.append(row)
    wb.save(path)
    return path


def _rewrite(path: Path, part: str, change: object) -> None:
    """Replace one part of the zip (``change``: a function of its text, or bytes to add as a new part)."""
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    if callable(change):
        parts[part] = change(parts[part].decode("utf-8")).encode("utf-8")
    else:
        assert isinstance(change, bytes)
        parts[part] = change
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def _score(book: Path) -> list[str]:
    return ["score", "--criteria", str(MINI / "criteria.yaml"), "--data", str(book)]


def _dimension(ref: str | None) -> Callable[[str], str]:
    """A change of the sheet's ``<dimension>`` claim (None: removed). openpyxl writes it as
    ``<dimension ref="A1:F27" />``; the regex once missed that space and changed nothing."""

    def change(text: str) -> str:
        new, n = re.subn(r'<dimension ref="[^"]*"\s*/>', "" if ref is None else f'<dimension ref="{ref}"/>', text)
        assert n == 1
        return new

    return change


def _rows(ref: str | None, empty_rows: int) -> Callable[[str], str]:
    """The sheet with ``empty_rows`` more ``<row/>`` elements (six bytes each: ten million stay
    under the 128 MB part limit, ~90 KB compressed) and its dimension claim changed."""

    def change(text: str) -> str:
        return _dimension(ref)(text).replace("</sheetData>", "<row/>" * empty_rows + "</sheetData>")

    return change


def _far_row(text: str) -> str:
    return text.replace("</sheetData>", '<row r="1000000"><c r="A1000000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')


def _far_column(text: str) -> str:
    return text.replace("</row>", '<c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>', 1)


def _ole(encrypted: bool) -> bytes:
    """The first bytes of a Compound File Binary (what Excel writes for a password-protected
    .xlsx, or a .xls), with the EncryptedPackage stream named in its directory when encrypted."""
    name = "EncryptedPackage".encode("utf-16-le") if encrypted else "Workbook".encode("utf-16-le")
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + name.ljust(64, b"\0") + bytes(448)


def test_far_dimension_claim_is_refused_up_front(tmp_path: Path) -> None:
    book = _data_workbook(tmp_path / "data.xlsx")
    _rewrite(book, "xl/worksheets/sheet2.xml", _dimension("A1:XFD1048576"))  # was 8 GB and minutes
    run_case(Case("far-dimension", _score(book), 2,
                  "data.xlsx[assessments]: trang tính khai báo vùng dữ liệu A1:XFD1048576 (1.048.576 dòng), vượt giới hạn 200.000 dòng; "
                  "nếu dữ liệu thật ít hơn, hãy xóa các ô thừa ở xa (Ctrl+End cho biết ô cuối) rồi lưu lại"), tmp_path)


def test_far_column_claim_is_not_allocated(tmp_path: Path) -> None:
    book = _data_workbook(tmp_path / "data.xlsx")
    _rewrite(book, "xl/worksheets/sheet2.xml", _dimension("A1:XFD27"))  # columns beyond 200 are not read
    run_case(Case("far-column-claim", _score(book), 0, "Xếp hạng"), tmp_path)


@pytest.mark.parametrize(("ref", "message"), [
    # declared: judged from the first bytes of the sheet part (was: 200,000 rows streamed first)
    ("A1:F10000000", "data.xlsx[assessments]: trang tính khai báo vùng dữ liệu A1:F10000000 (10.000.000 dòng), vượt giới hạn 200.000 dòng"),
    # no claim: openpyxl would parse the whole part to size it; its rows are counted first
    (None, "data.xlsx[assessments]: trang tính có hơn 200.000 dòng — vượt giới hạn; hãy chia dữ liệu hoặc dùng thư mục CSV"),
    # a claim smaller than the truth: the stop while streaming
    ("A1:F2", "data.xlsx[assessments] dòng 200001: trang tính có hơn 200.000 dòng (kể cả dòng trống ở giữa) — vượt giới hạn"),
], ids=["declared", "undeclared", "lying"])
def test_ten_million_rows_are_refused(tmp_path: Path, ref: str | None, message: str) -> None:
    book = _data_workbook(tmp_path / "data.xlsx")
    _rewrite(book, "xl/worksheets/sheet2.xml", _rows(ref, 10_000_000))
    assert book.stat().st_size < 1 << 20
    run_case(Case(f"ten-million-rows-{ref}", _score(book), 2, message), tmp_path)


def test_a_sheet_not_read_is_checked_too(tmp_path: Path) -> None:
    """openpyxl sizes every sheet when it opens the workbook, read or not."""
    book = _data_workbook(tmp_path / "data.xlsx")
    wb = load_workbook(book)
    wb.create_sheet("ghi chú").append(["x"])
    wb.save(book)
    _rewrite(book, "xl/worksheets/sheet3.xml", _rows(None, 300_000))
    run_case(Case("extra-sheet", _score(book), 2, "data.xlsx[ghi chú]: trang tính có hơn 200.000 dòng — vượt giới hạn"), tmp_path)


def test_far_column_is_not_read(tmp_path: Path) -> None:
    book = _data_workbook(tmp_path / "data.xlsx")
    _rewrite(book, "xl/worksheets/sheet2.xml", _far_column)
    run_case(Case("far-column", _score(book), 0, "Xếp hạng"), tmp_path)


def test_rows_beyond_the_limit_are_refused(tmp_path: Path) -> None:
    book = _data_workbook(tmp_path / "data.xlsx")
    _rewrite(book, "xl/worksheets/sheet2.xml", _far_row)
    run_case(Case("far-row", _score(book), 2, "data.xlsx[assessments] dòng 200001: trang tính có hơn 200.000 dòng (kể cả dòng trống ở giữa) — vượt giới hạn"), tmp_path)


def test_zip_part_beyond_the_limit_is_refused_before_inflating(tmp_path: Path) -> None:
    book = _data_workbook(tmp_path / "data.xlsx")
    _rewrite(book, "xl/sharedStrings.xml", b" " * ((128 << 20) + 1))  # ~130 KB compressed
    assert book.stat().st_size < 1 << 20
    run_case(Case("zip-bomb", _score(book), 2, "phần 'xl/sharedStrings.xml' của tệp Excel giải nén ra 128 MB, vượt giới hạn 128 MB cho mỗi phần",
                  memory_mb=1000), tmp_path)


@pytest.mark.parametrize(("encrypted", "message"), [
    (True, "tệp được đặt mật khẩu (mã hóa) nên không đọc được; hãy mở tệp bằng Excel"),
    (False, "tệp theo định dạng Excel 97-2003 (.xls), không phải .xlsx"),
], ids=["encrypted", "xls"])
def test_ole_files_named(tmp_path: Path, encrypted: bool, message: str) -> None:
    book = tmp_path / "data.xlsx"
    book.write_bytes(_ole(encrypted))
    run_case(Case("ole", _score(book), 2, message), tmp_path)
