"""The ranking printed without --out: a boxed table, or plain aligned text for long rankings; plain
messages on stderr written without rich, byte for byte as rich writes them."""

from __future__ import annotations

import io
import sys

import pytest
from rich.console import Console

from par_index.cli.console import console, print_ranking
from par_index.cli.terminal import note
from par_index.criteria.compiled import load
from par_index.pipeline import read_data
from par_index.scoring.engine import score


def test_long_rankings_print_as_aligned_text() -> None:
    results = score(load("tests/data/mini/criteria.yaml"), read_data("tests/data/mini/data"))
    buf = io.StringIO()
    print_ranking(results, Console(file=buf, width=100), boxed_rows=1)  # 2 "so" units: plain; 1 "huyen": boxed
    lines = buf.getvalue().splitlines()
    assert lines[:5] == [
        "Xếp hạng — Sở, ban, ngành (2 đơn vị)",
        "Hạng  Mã    Tên đơn vị        Điểm  Tối đa  Chỉ số  Xếp loại",
        "────  ────  ───────────────  ─────  ──────  ──────  ──────────",
        "   1  so-a  Sở A (tổng hợp)  10,02   11,00   91,09  Xuất sắc",
        "   2  so-b  Sở B (tổng hợp)   4,72   10,00   47,20  Trung bình",
    ]
    assert "│    1 │ h-c │ Huyện C (tổng hợp) │ 7,90 │  12,00 │  65,83 │ Trung bình │" in lines


NOTES = [
    "Đã chấm 1 đơn vị; kết quả ghi vào /tmp/kết quả.json",
    "",
    "trailing spaces   ",
    "x" * 300,  # longer than any terminal: stderr is never wrapped
    "Sở Tài chính [cũ] [bold]không đậm[/bold] :smile: [/x]",
    "hai dòng\nthứ hai\n",
    "e\u0301 \u200d 😀 文字 ",
    "ESC \x1b[31m đỏ \r \x07 \x9b",
    "tab\tgiữa",
]


@pytest.mark.parametrize("terminal", [False, True])
def test_note_writes_what_the_rich_console_writes(terminal: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # note() keeps rich out of ``score --out``; every message must still be byte for byte what
    # console(stderr=True).print() wrote before, on a terminal and to a file.
    for text in NOTES:
        rich_buf, note_buf = io.StringIO(), io.StringIO()
        console(stderr=True, file=rich_buf, force_terminal=terminal, width=80).print(text)
        monkeypatch.setattr(sys, "stderr", note_buf)
        if "\t" in text:  # left to rich, which writes to sys.stderr
            monkeypatch.setattr(note_buf, "isatty", lambda: terminal)
        note(text)
        monkeypatch.undo()
        assert note_buf.getvalue() == rich_buf.getvalue(), text
    assert note_buf.getvalue() == "tab     giữa\n"
