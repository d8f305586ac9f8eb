"""Evidence files: the type by content (magic bytes), stored content-addressed (sha256).

A file is never stored under a name the client chose: it goes to ``FILES/ab/abcdef…`` (its
sha256), written to a temporary file in the same folder first and renamed when complete, so
a half-written file is never visible under its hash.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any

from par_index.messages import FILE_TYPE_REFUSED
from par_index.server.errors import ApiError, file_too_large

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ALLOWED = "PDF, DOC/DOCX, XLS/XLSX, ODT/ODS, PNG, JPEG"


def sniff(head: bytes, path: Path) -> str | None:
    """The content type of a file from its first bytes (and, for ZIP and OLE, its parts); None if not allowed."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(OLE):
        return _ole_type(path)
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(path)
    return None


def _ole_type(path: Path) -> str | None:
    """Word 97–2003 or Excel 97–2003: the directory names a ``WordDocument`` or ``Workbook`` stream."""
    with path.open("rb") as f:
        data = f.read(4 * 1024 * 1024)
    if "WordDocument".encode("utf-16-le") in data:
        return "application/msword"
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "application/vnd.ms-excel"
    return None


def _zip_type(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "mimetype" in names:
                mime = z.read("mimetype")[:100].decode("ascii", "replace").strip()
                if mime in ("application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet"):
                    return mime
                return None
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                if "xl/workbook.xml" in names:
                    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    return None


def store(src: IO[bytes], files_dir: Path, max_bytes: int) -> dict[str, Any]:
    """Copy an uploaded file into the store; its ``file`` path (for ``evidence.csv``), sha256, size, type.

    413 when it is larger than ``max_bytes`` (counted while copying), 415 when its content is
    not an allowed type.
    """
    files_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=files_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := src.read(1024 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise ApiError(413, file_too_large(max_bytes), {"max_bytes": max_bytes})
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise ApiError(422, "tệp trống", {"field": "file"})
        with tmp.open("rb") as f:
            head = f.read(16)
        ctype = sniff(head, tmp)
        if ctype is None:
            raise ApiError(415, FILE_TYPE_REFUSED + f" (xét theo nội dung tệp); chỉ nhận {ALLOWED}", {"allowed": ALLOWED})
        sha = digest.hexdigest()
        dest = files_dir / sha[:2] / sha
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            tmp.unlink()
        else:
            os.replace(tmp, dest)
        return {"file": f"files/{sha[:2]}/{sha}", "sha256": sha, "size": size, "content_type": ctype}
    finally:
        if tmp.exists():
            tmp.unlink()


def blob_path(files_dir: Path, sha: str) -> Path:
    return files_dir / sha[:2] / sha


EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
