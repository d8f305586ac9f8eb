"""The ranking printed without --out: a boxed table, or plain aligned text for long rankings."""

from __future__ import annotations

import io

from rich.console import Console

from par_index.cli.console import print_ranking
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
