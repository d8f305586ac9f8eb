"""The province server composed: the JSON API (:mod:`par_index.server.app`) with the web pages
(:mod:`par_index.server.web`) mounted on it. The pages build on the API's helpers (account,
CSRF, services); the API does not know the pages, so imports flow one way."""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi import FastAPI

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
    """The app for ``uvicorn`` (one per worker), from the settings ``serve`` put in the environment."""
    url, files, mb, secure = json.loads(os.environ["PAR_INDEX_SERVE"])
    return create_app(Settings(db_url=url, files_dir=Path(files), max_upload_mb=float(mb), secure_cookies=bool(secure)))
