"""The workbooks people print, printed for real (issue 10 item 16): LibreOffice headless converts
the self-assessment form and the report workbook to PDF; each page is A4, the text is set in
Times New Roman (or Liberation Serif, its metric twin, where Times New Roman is not installed)
with every Vietnamese letter, and nothing is cut: every row and the signature block are there.

Needs ``soffice`` (LibreOffice) and poppler's ``pdfinfo``/``pdffonts``/``pdftotext``; ``.ci/run``
installs them. Outside CI the test skips, saying what is missing; in CI (``CI`` or
``PAR_INDEX_CI`` set, as ``.ci/run`` does) it fails instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from support.paths import REPO

from par_index.criteria.compiled import load
from par_index.pipeline import read_data
from par_index.workbook.template import SIGN_LEFT, SIGN_RIGHT, UnitInfo, prefill_from_data, write_workbook

CRITERIA = [REPO / "criteria/bac-giang/2024/so.yaml", REPO / "criteria/bac-giang/2024/huyen.yaml"]
DATA = REPO / "evidence/bac-giang/2024"
TOOLS = ("soffice", "pdfinfo", "pdffonts", "pdftotext")
A4 = {(595, 842), (842, 595)}  # points, either way round
TIMES = re.compile(r"^(?:[A-Z]{6}\+)?(TimesNewRoman|LiberationSerif)")


def _tools() -> dict[str, str]:
    found = {t: shutil.which(t) for t in TOOLS}
    missing = [t for t, p in found.items() if p is None]
    if missing:
        why = f"{', '.join(missing)} not installed (apt-get install libreoffice-calc-nogui poppler-utils fonts-liberation2)"
        if os.environ.get("CI") or os.environ.get("PAR_INDEX_CI"):
            pytest.fail(f"in CI the PDF print check must run: {why}")
        pytest.skip(why)
    return {t: str(p) for t, p in found.items()}


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The so-gd-dt form (prefilled from the example) and the example's report workbook, as PDF."""
    import datetime as dt

    from par_index.reports.build import prepare
    from par_index.reports.province import ProvinceData, pending_cuts
    from par_index.reports.ranking import claim_gaps, ranking_frame, unit_groups
    from par_index.reports.workbook import write_workbook as write_report_workbook

    tools = _tools()
    out = tmp_path_factory.mktemp("pdf")
    sets = [load(p) for p in CRITERIA]
    data = read_data(DATA)
    write_workbook(sets[0], UnitInfo("so-gd-dt", "Sở Giáo dục và Đào tạo", "so"), out / "phieu.xlsx", prefill_from_data(sets[0], data, "so-gd-dt"))
    inp = prepare(sets, data, dt.date(2025, 3, 1))
    pdata = ProvinceData(ranking_frame(inp.final, unit_groups(inp.data)), claim_gaps(inp.self_, inp.final), None, None, pending_cuts(inp))
    write_report_workbook(inp, pdata, None, out / "bao-cao.xlsx")
    profile = (out / "profile").as_uri()  # a profile of its own: no clash with a LibreOffice already running
    done = subprocess.run(
        [tools["soffice"], f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(out), str(out / "phieu.xlsx"), str(out / "bao-cao.xlsx")],
        capture_output=True, timeout=600, check=False,
    )
    pdfs = {name: out / f"{name}.pdf" for name in ("phieu", "bao-cao")}
    assert all(p.exists() for p in pdfs.values()), done.stderr.decode("utf-8", "replace")
    return pdfs


def _run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, check=True, timeout=120).stdout.decode("utf-8")


def _pages(pdf: Path) -> list[tuple[int, int]]:
    info = _run("pdfinfo", "-f", "1", "-l", "9999", str(pdf))
    return [(round(float(w)), round(float(h))) for w, h in re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+) pts", info)]


def _fonts(pdf: Path) -> list[tuple[str, bool]]:
    lines = _run("pdffonts", str(pdf)).splitlines()[2:]
    return [(line.split()[0], line.split()[-5] == "yes") for line in lines if line.strip()]


def _text(pdf: Path) -> str:
    return unicodedata.normalize("NFC", _run("pdftotext", "-layout", str(pdf), "-"))


@pytest.mark.parametrize("name", ["phieu", "bao-cao"])
def test_every_page_is_a4_in_times_new_roman_embedded(pdfs: dict[str, Path], name: str) -> None:
    pages = _pages(pdfs[name])
    assert pages and set(pages) <= A4, pages
    fonts = _fonts(pdfs[name])
    assert any(TIMES.match(f) for f, _ in fonts), fonts  # Times New Roman, or its metric twin
    assert all(embedded for _, embedded in fonts), fonts  # every font in the file: it prints the same anywhere


def test_the_form_prints_whole_with_its_diacritics(pdfs: dict[str, Path]) -> None:
    text = _text(pdfs["phieu"])
    lines = [" ".join(line.split()) for line in text.splitlines()]
    # a Vietnamese line, intact: code, name and maximum of a criterion on one line, the maximum and
    # the points with a decimal comma (spreadsheet.NUMBER_FORMAT) in a LibreOffice of any language
    line = next((x for x in lines if x.startswith("3.3.1 ")), "")
    assert line.startswith("3.3.1 Tỷ lệ hồ sơ TTHC được giải quyết trước và đúng hạn 2,00 ") and line.endswith(" 2,00"), line
    # the unit's kind by code and name, whole (the name was cut to "Sở, ban, n" by the instructions beside it)
    assert any(x.startswith("Loại đơn vị so — Sở, ban, ngành thuộc UBND tỉnh ") for x in lines), [x for x in lines if x.startswith("Loại")]
    # nothing cut: every criterion of the form is printed, then the signatures (columns A–F on the page width)
    c = load(CRITERIA[0])
    codes = {line.split(" ", 1)[0] for line in lines if line}
    assert {n.code for n in c.nodes} <= codes, sorted({n.code for n in c.nodes} - codes)
    assert all(part in text for part in (*SIGN_LEFT, *SIGN_RIGHT))


def test_the_report_workbook_prints_every_unit(pdfs: dict[str, Path]) -> None:
    text = _text(pdfs["bao-cao"])
    units = read_data(DATA).units
    assert all(name in text for name in units["name"]), [n for n in units["name"] if n not in text]
    ranked = [" ".join(line.split()) for line in text.splitlines() if " so-noi-vu " in line]
    assert ranked and "Sở Nội vụ 90,65 100,00 90,65" in ranked[0], ranked  # points, maximum, index: decimal commas
