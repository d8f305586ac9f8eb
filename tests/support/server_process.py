"""A real ``par-index serve`` in a child process (uvicorn), for the upload, kill -9 and benchmark runs."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    def __init__(self, db_url: str, files: Path, max_upload_mb: float = 50, port: int | None = None) -> None:
        self.db_url, self.files, self.max_upload_mb = db_url, files, max_upload_mb
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(tempfile.mkstemp(prefix="par-index-serve-", suffix=".log")[1])

    def start(self) -> ServerProcess:
        cmd = [sys.executable, "-m", "par_index", "serve", "--db", self.db_url, "--files", str(self.files),
               "--port", str(self.port), "--max-upload-mb", str(self.max_upload_mb)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server stopped: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start within 90 s")

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()
        self.log.unlink(missing_ok=True)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    hits = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return hits[-1] if hits else None


class PgCluster:
    """A throw-away PostgreSQL cluster on a Unix socket in a temporary folder."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="par-index-pg-"))
        self.data = self.dir / "data"
        initdb, self.pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        assert initdb and self.pg_ctl
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            os.chmod(self.dir, 0o777)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run([initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"])
        opts = f"-k {self.dir} -c listen_addresses='' -c fsync=on -c max_connections=200"
        self._run([self.pg_ctl, "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start"])
        self.url = f"postgresql://postgres@/postgres?host={self.dir}"

    def _run(self, cmd: list[str]) -> None:
        subprocess.run([*self.as_user, *cmd], check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run([*self.as_user, self.pg_ctl or "pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
