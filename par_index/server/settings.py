"""Server settings: one object handed to :func:`par_index.server.factory.create_app`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DB = "sqlite:///par-index.db"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Settings:
    db_url: str = DEFAULT_DB
    files_dir: Path = Path("par-index-files")
    max_upload_mb: float = 50.0
    session_hours: float = 12.0
    # Cookies marked Secure (set when the server sits behind HTTPS, see docs/server.md).
    secure_cookies: bool = False
    # Server time; tests replace it to move past a deadline.
    now: Callable[[], dt.datetime] = field(default=utc_now)
    # Failed logins in a row before each further attempt waits (doubling, at most 15 minutes).
    login_free_failures: int = 5

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)
