"""The broken-input corpus: every file fails with exactly the problems listed for it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.paths import TESTS

from par_index.cli.main import main
from par_index.criteria.loader import load_criteria
from par_index.errors import InputError

HERE = TESTS / "broken" / "criteria"
EXPECTED = yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))


def test_every_broken_file_is_listed() -> None:
    files = {p.name for p in HERE.glob("*.yaml")} - {"expected.yaml"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_criteria_file(name: str) -> None:
    with pytest.raises(InputError) as info:
        load_criteria(HERE / name)
    got = [(p.reason, p.line, p.criterion, p.field) for p in info.value.problems]
    want = [(e["reason"], e["line"], e.get("criterion", ""), e.get("field", "")) for e in EXPECTED[name]]
    assert sorted(got, key=str) == sorted(want, key=str)
    for e in EXPECTED[name]:
        hit = [p for p in info.value.problems if p.reason == e["reason"] and p.line == e["line"]]
        assert any(e["text"] in p.message for p in hit), (e, [p.message for p in hit])
        assert all(p.file.endswith(name) for p in hit)


@pytest.mark.parametrize("name", ["malformed.yaml", "many_at_once.yaml", "formula_forbidden.yaml"])
def test_validate_command_exits_2_without_traceback(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(HERE / name)])
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.out + captured.err
    assert "Không dùng được dữ liệu đầu vào" in captured.err


def test_formula_is_never_run(tmp_path: Path) -> None:
    """The forbidden formula would create a file if it were ever executed."""
    target = tmp_path / "pwned"
    src = (HERE / "formula_forbidden.yaml").read_text(encoding="utf-8").replace("echo pwned", f"touch {target}")
    bad = tmp_path / "f.yaml"
    bad.write_text(src, encoding="utf-8")
    with pytest.raises(InputError):
        load_criteria(bad)
    assert not target.exists()


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_criteria(tmp_path / "nope.yaml")
    assert info.value.problems[0].reason == "file_missing"
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("id: x\ntitle: 'Sở Nội vụ'\n".encode("cp1258", errors="replace") + b"\xff\xfe")
    with pytest.raises(InputError) as info:
        load_criteria(latin)
    assert info.value.problems[0].reason == "file_encoding"
    assert "không phải UTF-8" in info.value.problems[0].message
