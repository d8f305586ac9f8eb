"""Timing one child process: the one helper the process benchmarks share."""

from __future__ import annotations

import compileall
import functools
import resource
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@functools.cache
def compile_package() -> None:
    """Compile par_index's bytecode once, as ``pip install`` does for an installed package. With
    PYTHONDONTWRITEBYTECODE set (as in some CI and agent shells) an editable install has none, and
    every timed process would compile ~60 modules from source (0.16 s CPU of each ``score`` run on
    this machine, docs/benchmarks.md): a cost no installed par-index pays."""
    compileall.compile_dir(REPO / "par_index", quiet=1)


def child_seconds(cmd: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one fresh process running ``cmd`` in the repository: its user +
    system time, all threads (the growth of this process's finished children's, as nothing else runs
    a child meanwhile). Fails the benchmark, with the child's stderr, if the command fails.
    par_index's bytecode is compiled first (:func:`compile_package`)."""
    compile_package()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall
