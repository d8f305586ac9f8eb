"""Timing one child process: the one helper the process benchmarks share."""

from __future__ import annotations

import resource
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def child_seconds(cmd: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one fresh process running ``cmd`` in the repository: its user +
    system time, all threads (the growth of this process's finished children's, as nothing else runs
    a child meanwhile). Fails the benchmark, with the child's stderr, if the command fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall
