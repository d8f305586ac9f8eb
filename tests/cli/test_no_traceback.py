"""Whatever the input, the user sees a message, never a traceback or an internal error.

Mutations of a valid criteria file and of valid data (lines dropped, doubled, cut, characters
replaced) must end in exit 0, 1 or 2 with no "Lỗi nội bộ" (internal error) message.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.paths import TESTS

from par_index.cli.main import main

ROOT = TESTS / "data" / "mini"
CRITERIA_LINES = (ROOT / "criteria.yaml").read_text(encoding="utf-8").splitlines()
ASSESSMENT_LINES = (ROOT / "data" / "assessments.csv").read_text(encoding="utf-8").splitlines()
UNITS = (ROOT / "data" / "units.csv").read_text(encoding="utf-8")

NOISE = st.sampled_from([":", "-", "{", "}", "[", "'", '"', ",", "%", "na", "1e999", "-1", "2024-02-30", "\t", "é", "\x00", "ó", "  "])


def mutate(lines: list[str], data: st.DataObject) -> list[str]:
    lines = list(lines)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["drop", "double", "cut", "insert"]))
        if op == "drop":
            del lines[i]
        elif op == "double":
            lines.insert(i, lines[i])
        elif op == "cut":
            lines[i] = lines[i][: data.draw(st.integers(0, max(0, len(lines[i]) - 1)))]
        else:
            pos = data.draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + data.draw(NOISE) + lines[i][pos:]
        if not lines:
            lines = [""]
    return lines


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_criteria_never_crash(data: st.DataObject, capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "criteria.yaml"
        path.write_text("\n".join(mutate(CRITERIA_LINES, data)), encoding="utf-8")
        code = main(["score", "--criteria", str(path), "--data", str(ROOT / "data"), "--out", str(Path(tmp) / "r.json")])
    out = capsys.readouterr()
    assert code in (0, 2)
    assert "Lỗi nội bộ" not in out.err and "Traceback" not in out.err + out.out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_data_never_crash(data: st.DataObject, capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "units.csv").write_text(UNITS, encoding="utf-8")
        (folder / "assessments.csv").write_text("\n".join(mutate(ASSESSMENT_LINES, data)), encoding="utf-8")
        code = main(["score", "--criteria", str(ROOT / "criteria.yaml"), "--data", str(folder), "--out", str(folder / "r.json")])
    out = capsys.readouterr()
    assert code in (0, 2)
    assert "Lỗi nội bộ" not in out.err and "Traceback" not in out.err + out.out
