"""docs/api.md runs: its ``python`` blocks, in order and in one namespace, from the repository's
root (the numbers in its asserts are the Bắc Giang 2024 example's)."""

from __future__ import annotations

import re

import pytest
from support.paths import REPO

DOC = REPO / "docs" / "api.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)


def test_the_api_page_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) == 9
    monkeypatch.chdir(REPO)
    namespace: dict[str, object] = {"__name__": "api_doc"}
    for i, code in enumerate(blocks, 1):
        exec(compile(code, f"{DOC}:block {i}", "exec"), namespace)  # our own documentation, not input
    assert namespace["reasons"] and namespace["p"] is not None


def test_the_api_page_lists_the_whole_public_api() -> None:
    import par_index

    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in par_index.__all__ if f"`{name}" not in text]
    assert missing == []
