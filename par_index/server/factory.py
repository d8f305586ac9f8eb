"""The province server composed: the JSON API (:mod:`par_index.server.app`) with the web pages
(:mod:`par_index.server.web`) mounted on it. The pages build on the API's helpers (account,
CSRF, services); the API does not know the pages, so imports flow one way."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

from fastapi import FastAPI

from par_index.server import services
from par_index.server.app import create_api
from par_index.server.db import Database
from par_index.server.settings import Settings
from par_index.server.web import mount


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    """The whole server: JSON API under /api/v1 and the web pages."""
    app = create_api(settings, db)
    mount(app)
    return app


def app_from_env() -> FastAPI:
    """The app for ``uvicorn`` (one per worker), from the settings ``serve`` put in the
    environment; the worker warms up in the background (:func:`start_warm_up`)."""
    url, files, mb, secure = json.loads(os.environ["PAR_INDEX_SERVE"])
    app = create_app(Settings(db_url=url, files_dir=Path(files), max_upload_mb=float(mb), secure_cookies=bool(secure)))
    start_warm_up(app)
    return app


def start_warm_up(app: FastAPI) -> threading.Thread:
    """:func:`services.warm_up` in a background thread: the newest round read and scored once
    at start, so the first ``GET /results`` of the process does not read every row. One JSON
    line on standard error says what it did (or the error: never a traceback)."""

    def run() -> None:
        t0 = time.perf_counter()
        try:
            entry = services.warm_up(app.state.db, app.state.settings)
        except Exception as exc:  # a database that went away: the requests will say so
            entry = {"event": "warm-up", "error": f"{type(exc).__name__}: {exc}", "ms": round((time.perf_counter() - t0) * 1000, 1)}
        entry = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **entry}
        sys.stderr.write(json.dumps(entry, ensure_ascii=False) + "\n")

    thread = threading.Thread(target=run, name="par-index-warm-up", daemon=True)
    thread.start()
    return thread
