"""Limits on .xlsx files from other offices, checked before openpyxl inflates anything.

An .xlsx is a zip of XML parts. A few kilobytes can claim gigabytes: a part that inflates to
6 GB, a ``<dimension ref="A1:XFD1048576">`` that makes a reader allocate every cell, a sheet of
ten million rows. :func:`check_workbook` reads only the zip's index (each entry's declared
uncompressed size; Python's zipfile never inflates past it, and a part that lies fails its
CRC) and the file's first bytes (an encrypted workbook is an OLE compound file, not a zip).
:func:`sheet_rows` streams a read-only sheet, ignoring its claimed dimension, up to the
documented row and column limits. The limits are listed in docs/security.md.
"""

from __future__ import annotations

import zipfile
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


def sheet_rows(ws: Any, where: str, values_only: bool = True) -> Iterator[tuple[Any, ...]]:
    """The rows of a read-only sheet (values, or cells), at most :data:`MAX_COLUMNS` wide, ignoring the
    sheet's own ``<dimension>`` claim (a far corner cell would otherwise pad every row); more
    than :data:`MAX_ROWS` rows (counting the empty rows between) is refused."""
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
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
        while end and (row[end - 1] if values_only else getattr(row[end - 1], "value", None)) is None:
            end -= 1
        yield row[:end]  # trailing empty cells dropped: memory follows what is written, not the width read


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
