"""Files read from a folder stay in that folder: a symbolic link that resolves outside it is
refused, never followed (issue 11, docs/security.md).

Every reader of a folder — the data folder (units.csv, assessments.csv, the survey, appraisal
and self-assessment workbooks, every file of its listing) and the evidence files under
``--files`` — asks :func:`escape` about the path it is about to read. The path is resolved with
:func:`os.path.realpath` (every link on the way, ``..`` included) and must lie under the
folder's own real path. A link loop and a link to nothing are named as such.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from par_index.errors import Problem
from par_index.messages import LINK_LOOP, LINK_OUTSIDE


def _under(real: str, base: str) -> bool:
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


class Escape(NamedTuple):
    loop: bool  # a link loop (else: a link leading out of the folder)
    message: str


def escape(root: Path, path: Path, trusted: Sequence[Path] = (), name: str | None = None) -> Escape | None:
    """Why reading ``path`` (in the folder ``root``; ``name``: as the user wrote it) would leave
    the folder, or None.

    ``trusted``: folders a link may lead to besides ``root`` — only the province server's own
    file store, linked into the temporary folder it scores; never anything from user input."""
    try:
        real = os.path.realpath(path, strict=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Escape(True, LINK_LOOP.format(name=name or path.name))
        return None  # not there (or a link to nothing): the reader says the file is missing
    if _under(real, os.path.realpath(root)) or any(_under(real, os.path.realpath(t)) for t in trusted):
        return None
    return Escape(False, LINK_OUTSIDE.format(name=name or path.name, folder=root, target=real))


def folder_links(folder: Path) -> list[Problem]:
    """A problem for every file directly in ``folder`` that is a link leading out of it (or a
    loop). Sub-folders are not listed here: the evidence files under them are checked one by
    one where they are counted (a link there is not counted as present)."""
    problems = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []  # the readers say what is wrong with the folder
    for p in entries:
        if not p.is_symlink():
            continue
        why = escape(folder, p)
        if why is not None and not p.is_dir():
            problems.append(Problem("link_outside", why.message, file=str(p)))
    return problems
