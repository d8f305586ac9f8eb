"""Reading a user's text file as UTF-8 (with or without BOM), with a clear error otherwise;
writing every output file whole or not at all (:func:`writing`)."""

from __future__ import annotations

import io
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO, NamedTuple

from par_index.errors import InputError, Problem
from par_index.messages import FILE_MISSING, FILE_NOT_UTF8, FILE_UNREADABLE


def read_utf8(path: Path, missing: str = FILE_MISSING.format(what="tệp"), hint: str = "; hãy lưu lại với mã UTF-8") -> str:
    """The file's text; :class:`InputError` naming the file when it is missing, unreadable or not
    UTF-8 (by line and column, then ``hint``: how to save it as UTF-8)."""
    name = str(path)
    try:
        data = path.read_bytes()
        return data.decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(Problem("file_missing", missing, file=name)) from None
    except UnicodeDecodeError:
        bad = undecodable(io.BytesIO(data))
        assert bad is not None
        message = FILE_NOT_UTF8.format(byte=f"{bad.byte:02x}", where=f"cột {bad.column}") + hint
        raise InputError(Problem("file_encoding", message, file=name, line=bad.line)) from None
    except OSError as exc:
        raise InputError(Problem("file_unreadable", FILE_UNREADABLE.format(reason=exc.strerror), file=name)) from None


class Undecodable(NamedTuple):
    """Where a text file first stops being UTF-8 (or UTF-16)."""

    line: int  # 1-based
    column: int  # 1-based, in characters of the line
    byte: int  # the first byte that cannot be read
    before: str  # the line's text before it


def undecodable(fh: BinaryIO, encoding: str = "utf-8") -> Undecodable | None:
    """The first place a file cannot be decoded, by line and column (None: it can be read).

    Decoders report a byte offset, and readers that decode in chunks (pandas) an offset in the
    chunk, which nobody can find in a file; this reads the file once more, line by line, on the
    error path only. UTF-16 (Excel's «Unicode Text») is decoded whole: its lines are not split
    at the byte b"\\n"."""
    if encoding.startswith("utf-16"):
        data = fh.read()
        try:
            data.decode(encoding)
            return None
        except UnicodeDecodeError as exc:
            text = data[: exc.start].decode(encoding, "replace")
            before = text[text.rfind("\n") + 1 :]
            return Undecodable(text.count("\n") + 1, len(before) + 1, data[exc.start], before)
    for number, raw in enumerate(fh, start=1):
        line = raw[3:] if number == 1 and raw.startswith(b"\xef\xbb\xbf") else raw
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            before = line[: exc.start].decode("utf-8")
            return Undecodable(number, len(before) + 1, line[exc.start], before)
    return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what a plain open(path, "w") would give a new file
_FOLDER_MODE = 0o777 & ~_umask()  # and mkdir a new folder


def _unwritable(path: Path, exc: OSError) -> InputError:
    reason = exc.strerror or str(exc)
    return InputError(Problem("out_unwritable", f"không ghi được tệp: {reason}", file=str(path)))


@contextmanager
def _temporary(path: Path) -> Iterator[tuple[int, Path]]:
    """The one owner of writing whole or not at all: a temporary file in ``path``'s folder (which
    is created), yielded as (its open descriptor, its path); when the block ends without error it
    gets the mode ``path`` had (a new file: what a plain ``open`` gives) and is moved onto
    ``path`` by ``os.replace``; otherwise it is removed and ``path`` is left as it was. An OSError
    becomes an :class:`InputError` naming the file (exit 2). A few system calls a file: a report
    writes a thousand pages."""
    tmp: Path | None = None
    fd = -1
    try:
        folder = path.parent
        if not os.path.isdir(folder):
            folder.mkdir(parents=True, exist_ok=True)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            mode = _MODE
        else:
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(21, "đường dẫn là một thư mục")
            mode &= 0o7777
        fd, name = tempfile.mkstemp(prefix=f".{path.name[:80]}.", suffix=".tmp", dir=folder)
        tmp = Path(name)
        yield fd, tmp
        os.chmod(fd if os.chmod in os.supports_fd else tmp, mode)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise _unwritable(path, exc) from None
    finally:
        if fd >= 0:
            with suppress(OSError):
                os.close(fd)
        if tmp is not None:
            with suppress(OSError):
                tmp.unlink()


@contextmanager
def writing(path: Path) -> Iterator[Path]:
    """Write ``path`` whole or not at all: the block writes the temporary file this yields (in
    ``path``'s folder, which is created), moved onto ``path`` by ``os.replace`` only when the block
    ends without error; otherwise it is removed and ``path`` is left as it was. Two runs writing
    the same file each replace it with a complete file. An OSError (folder not writable, disk
    full, ``path`` a folder) becomes an :class:`InputError` naming the file (exit 2)."""
    with _temporary(path) as (_, tmp):
        yield tmp


def write_text(path: Path, text: str | bytes) -> None:
    """``path`` with ``text`` in UTF-8 (or ``text`` the UTF-8 bytes), written whole or not at all
    (:func:`writing`), through the temporary file's own descriptor."""
    with _temporary(path) as (fd, _):
        _write_all(fd, memoryview(text if isinstance(text, bytes) else text.encode("utf-8")))


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data):]


@contextmanager
def writing_folder(path: Path) -> Iterator[Callable[[str, str | bytes], Path]]:
    """Text files into the folder ``path``, each whole: the block calls ``write(name, text)``
    (``name`` a plain file name, ``text`` a str written as UTF-8 or its UTF-8 bytes) and gets
    the file's path. A folder that does not exist yet is
    written as a temporary folder beside it, renamed to ``path`` when the block ends without
    error: a reader sees no folder, then every file whole; after an error there is no folder
    (and a plain write a file: a thousand report pages without a temporary file each). Into a
    folder that exists each file is replaced as :func:`write_text` replaces it."""
    if os.path.lexists(path):
        def replace(name: str, text: str | bytes) -> Path:
            write_text(path / _plain(name), text)
            return path / name

        yield replace
        return
    try:
        if not os.path.isdir(path.parent):
            path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name[:80]}.", suffix=".tmp", dir=path.parent))
    except OSError as exc:
        raise _unwritable(path, exc) from None
    moved = False

    def write(name: str, text: str | bytes) -> Path:
        try:
            with open(tmp / _plain(name), "xb") as fh:  # a fresh folder of ours: a new file, as open(path, "w") makes it
                fh.write(text if isinstance(text, bytes) else text.encode("utf-8"))
        except OSError as exc:
            raise _unwritable(path / name, exc) from None
        return path / name

    try:
        yield write
        os.chmod(tmp, _FOLDER_MODE)
        os.rename(tmp, path)
        moved = True
    except OSError as exc:
        raise _unwritable(path, exc) from None
    finally:
        if not moved:
            shutil.rmtree(tmp, ignore_errors=True)


def _plain(name: str) -> str:
    if not name or name in (".", "..") or "/" in name or os.sep in name or "\x00" in name:
        raise ValueError(f"not a plain file name: {name!r}")
    return name


def write_bytes(path: Path, parts: Iterable[bytes | memoryview], most: int = 2**20) -> None:
    """``path`` with the bytes of ``parts``, written whole or not at all (:func:`writing`); a
    part longer than ``most`` bytes is written in slices of ``most`` (without a copy): on this
    machine the kernel took ~3× the system time to take 625 MB of JSON in writes of 12 MB
    (0.9 s against 0.3 s; docs/benchmarks.md)."""
    with writing(path) as tmp, tmp.open("wb") as f:
        for part in parts:
            if len(part) <= most:
                f.write(part)
            else:
                view = memoryview(part)
                for lo in range(0, len(view), most):
                    f.write(view[lo : lo + most])


def out_suffix(path: Path, formats: Iterable[str], what: str = "") -> str:
    """The output format chosen by ``path``'s extension, or :class:`InputError` listing the allowed ones."""
    suffix = path.suffix.lower()
    allowed = list(formats)
    if suffix not in allowed:
        raise out_format_error(path, allowed, what)
    return suffix


def out_format_error(path: Path, formats: Iterable[str], what: str = "") -> InputError:
    """An output file name whose extension no writer of the command supports; ``formats`` lists those that are."""
    allowed = list(formats)
    names = ", ".join(allowed[:-1]) + (f" hoặc {allowed[-1]}" if len(allowed) > 1 else allowed[0])
    return InputError(Problem("out_format", f"không hỗ trợ định dạng '{path.suffix.lower() or path.name}'{what}; dùng {names}", file=str(path)))
