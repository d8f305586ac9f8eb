"""Reading a user's text file as UTF-8 (with or without BOM), with a clear error otherwise;
writing every output file whole or not at all (:func:`writing`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from par_index.errors import InputError, Problem
from par_index.messages import FILE_MISSING, FILE_UNREADABLE


def read_utf8(path: Path, missing: str = FILE_MISSING.format(what="tệp")) -> str:
    """The file's text; :class:`InputError` naming the file when it is missing, unreadable or not UTF-8."""
    name = str(path)
    try:
        data = path.read_bytes()
        return data.decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(Problem("file_missing", missing, file=name)) from None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            Problem(
                "file_encoding",
                f"tệp không phải UTF-8: byte 0x{data[exc.start]:02x} ở cột {column} không đọc được "
                "(tệp có thể được lưu bằng mã Windows-1258 hay TCVN3); hãy lưu lại với mã UTF-8",
                file=name,
                line=line,
            )
        ) from None
    except OSError as exc:
        raise InputError(Problem("file_unreadable", FILE_UNREADABLE.format(reason=exc.strerror), file=name)) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what a plain open(path, "w") would give a new file


def _unwritable(path: Path, exc: OSError) -> InputError:
    reason = exc.strerror or str(exc)
    return InputError(Problem("out_unwritable", f"không ghi được tệp: {reason}", file=str(path)))


@contextmanager
def writing(path: Path) -> Iterator[Path]:
    """Write ``path`` whole or not at all: the block writes the temporary file this yields (in
    ``path``'s folder, which is created), moved onto ``path`` by ``os.replace`` only when the block
    ends without error; otherwise it is removed and ``path`` is left as it was. Two runs writing
    the same file each replace it with a complete file. An OSError (folder not writable, disk
    full, ``path`` a folder) becomes an :class:`InputError` naming the file (exit 2)."""
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise IsADirectoryError(21, "đường dẫn là một thư mục")
        fd, name = tempfile.mkstemp(prefix=f".{path.name[:80]}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        yield tmp
        mode = _MODE
        with suppress(OSError):
            mode = path.stat().st_mode & 0o7777
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise _unwritable(path, exc) from None
    finally:
        if tmp is not None:
            with suppress(OSError):
                tmp.unlink()


def write_text(path: Path, text: str) -> None:
    """``path`` with ``text`` in UTF-8, written whole or not at all (:func:`writing`)."""
    with writing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: Path, parts: Iterable[bytes]) -> None:
    """``path`` with the bytes of ``parts``, written whole or not at all (:func:`writing`)."""
    with writing(path) as tmp, tmp.open("wb") as f:
        f.writelines(parts)


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
