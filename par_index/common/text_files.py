"""Reading a user's text file as UTF-8 (with or without BOM), with a clear error otherwise."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from par_index.errors import InputError, Problem


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


@contextmanager
def writing(path: Path) -> Iterator[Path]:
    """Create ``path``'s folder, then run the block; an OSError while writing becomes an
    :class:`InputError` naming the file (exit 2, no traceback)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield path
    except OSError as exc:
        raise InputError(Problem("out_unwritable", f"không ghi được tệp: {exc.strerror}", file=str(path))) from None


def out_suffix(path: Path, formats: Iterable[str], what: str = "") -> str:
    """The output format chosen by ``path``'s extension, or :class:`InputError` listing the allowed ones."""
    suffix = path.suffix.lower()
    allowed = list(formats)
    if suffix not in allowed:
        names = ", ".join(allowed[:-1]) + (f" hoặc {allowed[-1]}" if len(allowed) > 1 else allowed[0])
        raise InputError(
            Problem("out_format", f"không hỗ trợ định dạng '{suffix or path.name}'{what}; dùng {names}", file=str(path))
        )
    return suffix
