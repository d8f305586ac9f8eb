"""Reading a user's text file as UTF-8 (with or without BOM), with a clear error otherwise."""

from __future__ import annotations

from pathlib import Path

from .problems import InputError, Problem


def read_utf8(path: Path, missing: str = "không tìm thấy tệp") -> str:
    """The file's text; :class:`InputError` naming the file when it is missing, unreadable or not UTF-8."""
    name = str(path)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(Problem("file_missing", missing, file=name)) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(
                "file_encoding",
                f"tệp không phải UTF-8 (byte lỗi ở vị trí {exc.start}); hãy lưu lại với mã UTF-8",
                file=name,
            )
        ) from None
    except OSError as exc:
        raise InputError(Problem("file_unreadable", f"không đọc được tệp: {exc.strerror}", file=name)) from None
