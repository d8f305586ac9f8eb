"""Where things are, for every test (tests live in tests/<stage>/)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
SHARED = REPO.parent / "shared"
DATA = TESTS / "data"
