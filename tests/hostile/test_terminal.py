"""Item 3 of issue 11: data is printed as text, never as rich markup; control characters are
shown escaped, never sent to the terminal."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.paths import DATA

from par_index.cli.main import main

NAMES = {
    "Sở A (tổng hợp)": "Sở Tài chính [cũ]",
    "Sở B (tổng hợp)": "[/x] [link=http://evil.example]bấm[/link] [b]đậm",
    "Huyện C (tổng hợp)": "Huyện \x1b[31mđỏ\x1b]0;title\x07 :smile:",
}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("terminal") / "data"
    shutil.copytree(DATA / "mini" / "data", root)
    units = (root / "units.csv").read_text(encoding="utf-8")
    for a, b in NAMES.items():
        units = units.replace(a, b)
    (root / "units.csv").write_text(units, encoding="utf-8")
    return root


CRITERIA = str(DATA / "mini" / "criteria.yaml")


@pytest.mark.parametrize(
    "args",
    [
        ["score"],
        ["explain", "--unit", "so-b"],
        ["explain", "--unit", "h-c"],
        ["headroom", "--unit", "so-b"],
        ["plan", "--unit", "so-b", "--target-rank", "1"],
        ["whatif", "--set", "so-b:1.2=95%"],
        ["evidence"],
    ],
)
def test_data_is_printed_as_text(args: list[str], data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # no name wrapped inside a table cell
    code = main([args[0], "--criteria", CRITERIA, "--data", str(data), *args[1:]])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == 0, text
    assert "Lỗi nội bộ" not in text
    assert "\x1b" not in text and "\x07" not in text
    if args[0] == "score":
        assert "Sở Tài chính [cũ]" in text
        assert "[/x] [link=http://evil.example]bấm[/link] [b]đậm" in text
        assert "Huyện \\x1b[31mđỏ\\x1b]0;title\\x07 :smile:" in text
    if args[:3] == ["explain", "--unit", "so-b"]:
        assert "[link=http://evil.example]" in text
