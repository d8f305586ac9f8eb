"""Workbooks from other offices (issue 11 item 11): read in streaming mode within documented
limits — a far ``<dimension>`` claim is not allocated, rows and zip parts are capped before
anything is inflated, encrypted and old-format files get their own message. Each file is built
here (a few kilobytes) and read by ``python -m par_index`` under the corpus's memory/CPU limits."""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
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


def _far_dimension(text: str) -> str:
    return re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', text)


def _far_row(text: str) -> str:
    return text.replace("</sheetData>", '<row r="1000000"><c r="A1000000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')


def _far_column(text: str) -> str:
    return text.replace("</row>", '<c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>', 1)


def _ole(encrypted: bool) -> bytes:
    """The first bytes of a Compound File Binary (what Excel writes for a password-protected
    .xlsx, or a .xls), with the EncryptedPackage stream named in its directory when encrypted."""
    name = "EncryptedPackage".encode("utf-16-le") if encrypted else "Workbook".encode("utf-16-le")
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + name.ljust(64, b"\0") + bytes(448)


def test_far_dimension_claim_is_not_allocated(tmp_path: Path) -> None:
    book = _data_workbook(tmp_path / "data.xlsx")
    _rewrite(book, "xl/worksheets/sheet2.xml", _far_dimension)  # was 8 GB and minutes
    run_case(Case("far-dimension", _score(book), 0, "Xếp hạng"), tmp_path)


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
