"""Running ``python -m par_index`` in a subprocess under a memory/CPU budget (the hostile
corpus, issue 11): ``resource`` limits RLIMIT_AS and RLIMIT_CPU; a case over budget is killed
and fails its test."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Case:
    name: str
    args: list[str]
    code: int
    message: str
    # address space: the interpreter with numpy/pandas takes ~600 MB of it, and pyarrow's allocator
    # (mimalloc) reserves a 1 GiB arena when it first reads a CSV — reserved, never touched. With
    # pandas loaded after the reading (score: only to print a table), 1,500 MB left it ~30 MB short.
    memory_mb: int = 2000
    cpu_s: int = 30


def limit(memory_mb: int, cpu_s: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))


def _run(case: Case, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    env.pop("PAR_INDEX_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "par_index", *(a.replace("{tmp}", str(tmp_path)) for a in case.args)],
        capture_output=True, text=True, env=env, cwd=Path.cwd(), timeout=case.cpu_s * 4,
        preexec_fn=lambda: limit(case.memory_mb, case.cpu_s),
    )


def run_case(case: Case, tmp_path: Path) -> None:
    """Run one case under its budget; its exit code and message as expected, nothing internal."""
    done = _run(case, tmp_path)
    text = done.stdout + done.stderr
    assert done.returncode == case.code, text
    assert case.message in " ".join(text.split()), text
    assert "Lỗi nội bộ" not in text and "Traceback" not in text
    assert "Warning" not in text  # numpy/sympy warnings never reach the user


def measure(case: Case, tmp_path: Path) -> tuple[int, float, float, float]:
    """(exit code, wall s, CPU s, peak RSS MB) of one case run under its budget — for the figures
    in docs/security.md, never asserted (the machine is shared). Run alone: one child at a time."""
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = _run(case, tmp_path)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return done.returncode, wall, cpu, after.ru_maxrss / 1024  # peak of the largest child so far (KB on Linux)
