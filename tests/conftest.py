"""pytest setup: YAML scenario files under tests/scenarios are collected as tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.scenario_runner import ScenarioFile


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "scenarios":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None
