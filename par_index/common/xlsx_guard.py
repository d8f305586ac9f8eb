"""Limits on .xlsx files from other offices, checked before openpyxl inflates anything.

An .xlsx is a zip of XML parts. A few kilobytes can claim gigabytes: a part that inflates to
6 GB, a ``<dimension ref="A1:XFD1048576">`` that makes a reader allocate every cell, a sheet of
ten million rows. :func:`check_workbook` reads only the zip's index (each entry's declared
uncompressed size; Python's zipfile never inflates past it, and a part that lies fails its
CRC), the file's first bytes (an encrypted workbook is an OLE compound file, not a zip) and
each sheet's row count (its declared ``<dimension>``, or its rows counted when it declares
none) against :data:`MAX_ROWS`. :func:`sheet_rows` streams a read-only sheet, ignoring its claimed dimension, up to the
documented row and column limits. The limits are listed in docs/security.md.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from par_index.errors import InputError, Problem

MAX_PART_BYTES = 128 << 20  # one part, uncompressed, for workbooks read in streaming mode
MAX_PART_BYTES_LOADED = 32 << 20  # one part, for the workbooks openpyxl loads whole (self-assessment, appraisal)
MAX_TOTAL_BYTES = 1 << 30  # all parts together, uncompressed
MAX_ROWS = 200_000  # rows of one sheet (the assessments of 2,000 units × 100 criteria)
MAX_COLUMNS = 200  # columns read of one sheet (cells further right are not read)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File Binary: .xls, or an encrypted .xlsx


def _mb(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MB".replace(",", ".")


def check_workbook(path: Path, *, loaded: bool = False) -> None:
    """Refuse an encrypted or old-format workbook, and any zip part over the size limits,
    before openpyxl opens it. A file that is not a zip at all is left to openpyxl to report."""
    name = str(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            if head == OLE_MAGIC:
                fh.seek(0)
                encrypted = b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e\x00" in fh.read(4 << 20)
    except OSError:
        return  # the reader says what is wrong with it
    if head == OLE_MAGIC:
        if encrypted:
            raise InputError(
                Problem(
                    "xlsx_encrypted",
                    "tệp được đặt mật khẩu (mã hóa) nên không đọc được; hãy mở tệp bằng Excel, vào Tệp → Thông tin → Bảo vệ sổ làm việc "
                    "→ Mã hóa bằng mật khẩu, xóa mật khẩu, lưu lại rồi gửi lại tệp",
                    file=name,
                )
            )
        raise InputError(
            Problem("xlsx_old_format", "tệp theo định dạng Excel 97-2003 (.xls), không phải .xlsx; hãy mở bằng Excel và lưu lại thành .xlsx", file=name)
        )
    cap = MAX_PART_BYTES_LOADED if loaded else MAX_PART_BYTES
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (OSError, zipfile.BadZipFile, ValueError):
        return
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > cap:
            raise InputError(
                Problem(
                    "xlsx_too_large",
                    f"phần '{info.filename}' của tệp Excel giải nén ra {_mb(info.file_size)}, vượt giới hạn {_mb(cap)} cho mỗi phần; "
                    "hãy chia dữ liệu thành nhiều tệp nhỏ hơn hoặc dùng thư mục CSV",
                    file=name,
                )
            )
    if total > MAX_TOTAL_BYTES:
        raise InputError(
            Problem(
                "xlsx_too_large",
                f"tệp Excel giải nén ra {_mb(total)}, vượt giới hạn {_mb(MAX_TOTAL_BYTES)}; hãy chia dữ liệu thành nhiều tệp nhỏ hơn hoặc dùng thư mục CSV",
                file=name,
            )
        )
    _check_sheet_rows(path)


HEAD_BYTES = 64 << 10  # where a sheet declares its ``<dimension>`` (before ``<sheetData>``)
_DIMENSION = re.compile(rb"""<(?:[\w.-]+:)?dimension\b[^>]*?\bref\s*=\s*["']([^"']*)["']""")
_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData\b")
_ROW = re.compile(rb"<(?:[\w.-]+:)?row[\s/>]")


def _check_sheet_rows(path: Path) -> None:
    """Refuse a sheet with more rows than :data:`MAX_ROWS` before openpyxl reads it.

    A sheet that declares its size (``<dimension ref="A1:F10000000"/>``, within the first
    :data:`HEAD_BYTES` of its part) is judged by that claim: only those bytes are inflated. A
    sheet that declares nothing is one openpyxl parses whole when it opens the workbook (to find
    its size), so its row elements are counted first, streaming, stopping past the limit. A
    claim smaller than the truth is caught while the rows are read (:func:`sheet_rows`)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = _sheet_names(z)
            for part in (i.filename for i in z.infolist() if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")):
                with z.open(part) as fh:
                    head = fh.read(HEAD_BYTES)
                    data = _SHEET_DATA.search(head)
                    dim = _DIMENSION.search(head, 0, data.start() if data else len(head))
                    if dim is not None:
                        ref = dim.group(1).decode("ascii", "replace")
                        rows = max((int(n) for n in re.findall(r"\d+", ref)), default=0)
                    else:
                        ref, rows = "", _count_rows(head, fh)
                if rows > MAX_ROWS:
                    raise InputError(_too_many_rows(f"{path.name}[{names.get(part, part)}]", ref, rows))
    except (OSError, zipfile.BadZipFile, ValueError, EOFError, zlib.error):
        return  # a broken zip: openpyxl says what is wrong with it


def _count_rows(head: bytes, fh: Any) -> int:
    """Row elements of a sheet part, streaming (1 MB at a time), stopping past :data:`MAX_ROWS`.
    Each chunk is cut at its last ``<`` so no tag is counted twice or split."""
    count, carry, chunk = 0, b"", head
    while chunk:
        buf = carry + chunk
        cut = buf.rfind(b"<")
        if cut < 0:
            cut = len(buf)
        count += len(_ROW.findall(buf, 0, cut))
        if count > MAX_ROWS:
            return count
        carry = buf[cut:][:64]
        chunk = fh.read(1 << 20)
    return count + len(_ROW.findall(carry))


def _sheet_names(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet part → the sheet's name as the user sees it (from the workbook part and its
    relationships; each read at most 4 MB). Empty when they cannot be read."""
    from html import unescape

    try:
        with z.open("xl/workbook.xml") as fh:
            book = fh.read(4 << 20).decode("utf-8", "replace")
        with z.open("xl/_rels/workbook.xml.rels") as fh:
            rels = fh.read(4 << 20).decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile, EOFError, zlib.error):
        return {}
    target = {}
    for rel in re.findall(r"<(?:[\w.-]+:)?Relationship\b[^>]*>", rels):
        rid, tgt = re.search(r'\bId="([^"]*)"', rel), re.search(r'\bTarget="([^"]*)"', rel)
        if rid and tgt:
            t = tgt.group(1)
            target[rid.group(1)] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    out = {}
    for sheet in re.findall(r"<(?:[\w.-]+:)?sheet\b[^>]*>", book):
        nm, rid = re.search(r'\bname="([^"]*)"', sheet), re.search(r'\b(?:[\w.-]+:)?id="([^"]*)"', sheet)
        if nm and rid and rid.group(1) in target:
            out[target[rid.group(1)]] = unescape(nm.group(1))
    return out


def _too_many_rows(where: str, ref: str, rows: int) -> Problem:
    limit = f"{MAX_ROWS:,}".replace(",", ".")
    if ref:
        shown = f"{rows:,}".replace(",", ".")
        message = (
            f"trang tính khai báo vùng dữ liệu {ref} ({shown} dòng), vượt giới hạn {limit} dòng; nếu dữ liệu thật ít hơn, "
            "hãy xóa các ô thừa ở xa (Ctrl+End cho biết ô cuối) rồi lưu lại, nếu không hãy chia dữ liệu hoặc dùng thư mục CSV"
        )
    else:
        message = f"trang tính có hơn {limit} dòng — vượt giới hạn; hãy chia dữ liệu hoặc dùng thư mục CSV"
    return Problem("xlsx_too_many_rows", message, file=where)


def sheet_rows(ws: Any, where: str, values_only: bool = True) -> Iterator[tuple[Any, ...]]:
    """The rows of a read-only sheet (values, or cells), at most :data:`MAX_COLUMNS` wide, ignoring the
    sheet's own ``<dimension>`` claim (a far corner cell would otherwise pad every row); more
    than :data:`MAX_ROWS` rows (counting the empty rows between) is refused."""
    from openpyxl.cell.read_only import EMPTY_CELL

    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    filler = None if values_only else EMPTY_CELL  # what openpyxl pads a row with, up to MAX_COLUMNS
    for n, row in enumerate(ws.iter_rows(max_col=MAX_COLUMNS, values_only=values_only), start=1):
        if n > MAX_ROWS:
            raise InputError(
                Problem(
                    "xlsx_too_many_rows",
                    f"trang tính có hơn {MAX_ROWS:,} dòng (kể cả dòng trống ở giữa) — vượt giới hạn; hãy chia dữ liệu hoặc dùng thư mục CSV".replace(",", "."),
                    file=where,
                    line=n,
                )
            )
        end = len(row)
        if end and row[-1] is filler:  # padded: drop the padding by identity, not by reading cells
            if row[0] is filler and _all_filler(row, filler):
                end = 0
            while end and row[end - 1] is filler:
                end -= 1
        while end and (row[end - 1] if values_only else getattr(row[end - 1], "value", None)) is None:
            end -= 1
        yield row[:end]  # trailing empty cells dropped: memory follows what is written, not the width read


def _all_filler(row: tuple[Any, ...], filler: object) -> bool:
    """``row`` is nothing but ``filler`` (counted in C: identical items compare equal without a call)."""
    try:
        return row.count(filler) == len(row)
    except AttributeError:  # a read-only cell's own == fails on the filler: a cell, so not empty
        return False


def check_loaded_sheet(ws: Any, where: str) -> None:
    """For a sheet openpyxl loaded whole: refuse one whose used range reaches beyond the row or
    column limit (a stray far cell would make the readers' loops visit every cell up to it)."""
    if ws.max_row > MAX_ROWS or ws.max_column > MAX_COLUMNS:
        from openpyxl.utils import get_column_letter

        far = f"{get_column_letter(min(ws.max_column, 16384))}{ws.max_row}"
        raise InputError(
            Problem(
                "xlsx_too_many_rows",
                f"trang tính có ô dùng tới {far}, vượt giới hạn {MAX_ROWS:,} dòng × {MAX_COLUMNS} cột; "
                "hãy xóa các ô thừa ở xa (Ctrl+End cho biết ô cuối) rồi lưu lại".replace(",", "."),
                file=where,
            )
        )
