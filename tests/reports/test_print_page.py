"""The printed page of every HTML output people print (the brief: A4, a named font, Times New
Roman): ``score --out .html``, ``evidence --out .html``, the planning pages and the reports all
take it from one partial (templates/print_page.css.j2); and a score's stage is named in
Vietnamese. The print itself is checked in headless Chromium (``.ci/run`` installs it)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from support.browser import INSTALL_HINT, chromium_path, open_pages, probe_print
from support.paths import TESTS

from par_index.cli.main import main
from par_index.criteria.compiled import load
from par_index.pipeline import read_data
from par_index.reports.build import prepare, write_reports

MINI = ["--criteria", str(TESTS / "data/mini/criteria.yaml"), "--data", str(TESTS / "data/mini/data")]
EVIDENCE = ["--criteria", str(TESTS / "data/evidence_mini/criteria.yaml"), "--data", str(TESTS / "data/evidence_mini/data")]
FONT = 'body { font-family: "Times New Roman", "DejaVu Serif", "Noto Serif", serif; }'
TIMES = re.compile(rb"/BaseFont /(?:[A-Z]{6}\+)?(TimesNewRoman|LiberationSerif)")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("print")
    assert main(["score", *MINI, "--out", str(out / "ket-qua.html")]) == 0
    assert main(["score", *MINI, "--stage", "self", "--out", str(out / "tu-danh-gia.html")]) == 0
    assert main(["evidence", *EVIDENCE, "--out", str(out / "ma-tran.html")]) == 0
    assert main(["headroom", *MINI, "--unit", "so-b", "--out", str(out / "du-dia.html")]) == 0
    inputs = prepare([load(TESTS / "data/mini/criteria.yaml")], read_data(TESTS / "data/mini/data"), dt.date(2025, 1, 15))
    write_reports(inputs, out / "bao-cao")
    return {
        "score": out / "ket-qua.html", "self": out / "tu-danh-gia.html", "evidence": out / "ma-tran.html",
        "planning": out / "du-dia.html", "unit report": out / "bao-cao/don-vi/so-a.html",
    }


def test_every_printed_html_names_times_new_roman_and_a4(pages: dict[str, Path]) -> None:
    wide = {"score", "self", "evidence"}  # tables of many columns print across the page
    for name, page in pages.items():
        text = page.read_text("utf-8")
        assert text.count(FONT) == 1 and 'font-family: "Segoe UI"' not in text, name  # (charts keep their own font)
        size = "A4 landscape" if name in wide else "A4"
        assert f"@page {{ size: {size}; margin: 15mm 12mm; }}" in text, name


def test_the_stage_of_a_score_is_named_in_vietnamese(pages: dict[str, Path]) -> None:
    assert "giai đoạn: <strong>kết quả cuối cùng</strong>." in pages["score"].read_text("utf-8")
    assert "giai đoạn: <strong>tự đánh giá (chưa thẩm định)</strong>." in pages["self"].read_text("utf-8")


@pytest.mark.skipif(chromium_path() is None, reason=INSTALL_HINT)
def test_chromium_prints_them_on_a4_in_times_new_roman(pages: dict[str, Path]) -> None:
    names = ["score", "evidence", "planning", "unit report"]
    printed = open_pages([pages[n] for n in names])
    for name, page in zip(names, printed, strict=True):
        assert page.errors == [], name
        boxes = set(re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", page.pdf))
        want = (b"841.91998", b"594.95996") if name in ("score", "evidence") else (b"594.95996", b"841.91998")
        assert boxes == {want}, (name, boxes)  # A4, landscape for the wide tables
        assert TIMES.search(page.pdf), name  # Times New Roman, or its metric twin Liberation Serif


A4_LANDSCAPE_PX = 1032  # 297 mm less 12 mm margins each side, in CSS pixels


@pytest.mark.skipif(chromium_path() is None, reason=INSTALL_HINT)
def test_the_score_table_fits_a4_landscape_with_room_for_names(tmp_path: Path) -> None:
    """The units' names and kinds had the width of a word (the Bắc Giang example: a name on four
    lines beside 13 columns of numbers): they keep a minimum, and the table still fits the paper."""
    from support.paths import REPO

    example = [a for p in ("so", "huyen") for a in ("--criteria", str(REPO / f"criteria/bac-giang/2024/{p}.yaml"))]
    assert main(["score", *example, "--data", str(REPO / "evidence/bac-giang/2024"), "--out", str(tmp_path / "ket-qua.html")]) == 0
    widths = probe_print(tmp_path / "ket-qua.html", """[...document.querySelectorAll('table')].map(t => [Math.round(t.getBoundingClientRect().width),
      document.documentElement.clientWidth, Math.round(t.querySelector('thead th:nth-child(3)').getBoundingClientRect().width)])""", A4_LANDSCAPE_PX)
    assert widths, widths
    for width, paper, _name in widths:
        assert width <= paper, widths
    assert widths[0][2] >= 120, widths  # the names' column "Tên đơn vị": 8em of 15px at least


def test_the_score_page_names_the_unit_kind(pages: dict[str, Path]) -> None:
    assert '<td class="name">Sở A (tổng hợp)</td><td class="kind">Sở, ban, ngành</td>' in pages["score"].read_text("utf-8")
