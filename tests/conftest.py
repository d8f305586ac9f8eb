"""pytest setup: YAML scenario files under tests/scenarios are collected as tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.scenario_runner import ScenarioFile


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "scenarios":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


# The slow tests, in one list (``make test-fast`` = ``pytest -m "not slow"`` leaves them out;
# ``make test`` and CI run them): a real browser, a real PostgreSQL, the big property tests,
# LibreOffice printing the workbooks to PDF.
SLOW_FILES = {"test_reports_browser.py", "test_web_browser.py", "test_property_engine.py", "test_pdf_print.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        params = getattr(item, "callspec", None)
        on_postgresql = params is not None and params.params.get("env") == "postgresql"
        if item.path.name in SLOW_FILES or on_postgresql or "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
