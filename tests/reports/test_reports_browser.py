"""Every report opened in headless Chromium: no console message, no script error, no failed or
outside request, a screenshot that is not blank, and a PDF print.

Needs Chromium (Debian: ``apt-get install chromium``; ``.ci/run`` installs it). Without a
browser these tests skip and say how to install it. Screenshots are kept in the pytest temp
folder (``…/shots/``) for a person to look at.
"""

from __future__ import annotations

import datetime as dt

import pytest
from support.browser import INSTALL_HINT, blank_fraction, chromium_path, open_pages, probe_print
from support.paths import REPO

from par_index.criteria.compiled import load
from par_index.pipeline import read_data
from par_index.reports.build import prepare, write_reports
from par_index.reports.ranking import read_previous

ROOT = REPO
pytestmark = pytest.mark.skipif(chromium_path() is None, reason=INSTALL_HINT)


@pytest.fixture(scope="module")
def opened(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    crit = [load(ROOT / "criteria/bac-giang/2024/so.yaml"), load(ROOT / "criteria/bac-giang/2024/huyen.yaml")]
    inp = prepare(crit, read_data(ROOT / "evidence/bac-giang/2024"), dt.date(2025, 1, 15))
    write_reports(inp, out, read_previous(ROOT / "evidence/bac-giang/2023/ket-qua-2023.json"))
    mini = tmp_path_factory.mktemp("mini")
    write_reports(prepare([load(ROOT / "tests/data/mini/criteria.yaml")], read_data(ROOT / "tests/data/mini/data"), dt.date(2025, 1, 15)), mini)
    pages = sorted(out.rglob("*.html")) + sorted(mini.rglob("*.html"))
    printed = frozenset([out / "xep-hang.html", out / "tai-lieu-kiem-chung.html", out / "don-vi/so-xay-dung.html"])
    reports = open_pages(pages, pdf=printed)
    shots = tmp_path_factory.mktemp("shots")
    for page, rep in zip(pages, reports, strict=True):
        (shots / f"{page.parent.name}-{page.stem}.png").write_bytes(rep.screenshot)
    return dict(zip(pages, reports, strict=True)), out


def test_every_report_opens_without_errors(opened):
    reports, _out = opened
    assert len(reports) == 2 + 30 + 2 + 3  # Bắc Giang: province, agency, 30 units; mini: 2 + 3 units
    for page, rep in reports.items():
        assert rep.errors == [], page
        assert rep.title, page


def test_every_screenshot_is_not_blank_and_reports_print(opened):
    reports, _ = opened
    for page, rep in reports.items():
        white, colours = blank_fraction(rep.screenshot)
        assert rep.screenshot[:8] == b"\x89PNG\r\n\x1a\n"
        assert white < 0.97, (page, white)
        assert colours > 20, (page, colours)
    printed = [rep for rep in reports.values() if rep.pdf]
    assert len(printed) == 3  # the print stylesheet: province, agency and one unit report
    for rep in printed:
        assert rep.pdf[:5] == b"%PDF-" and len(rep.pdf) > 20_000


def test_titles_are_vietnamese(opened):
    reports, out = opened
    titles = {p.relative_to(out).as_posix(): r.title for p, r in reports.items() if out in p.parents}
    assert titles["xep-hang.html"] == "Kết quả Chỉ số CCHC năm 2024 — xếp hạng, xếp loại"
    assert titles["tai-lieu-kiem-chung.html"] == "Tài liệu kiểm chứng theo cơ quan cung cấp"
    assert titles["don-vi/so-noi-vu.html"] == "Báo cáo tự đánh giá Chỉ số CCHC năm 2024 — Sở Nội vụ"


TABLE_WIDTHS = """[...document.querySelectorAll('table')].map(t => [t.className,
  Math.round(t.getBoundingClientRect().width), document.documentElement.clientWidth,
  Math.round((t.querySelector('thead th:nth-child(2)') || t).getBoundingClientRect().width)])"""


def test_every_table_fits_the_a4_page_it_prints_on(opened):
    """A table wider than the paper makes Chromium shrink the whole page; the province ranking's
    long headings (kept on one line) did, and squeezed the units' names to a word a line."""
    _reports, out = opened
    for page in ("xep-hang.html", "tai-lieu-kiem-chung.html", "don-vi/so-noi-vu.html"):
        tables = probe_print(out / page, TABLE_WIDTHS)
        assert tables, page
        for name, width, paper, _second in tables:
            assert width <= paper, (page, name, width, paper)
    ranking = [t for t in probe_print(out / "xep-hang.html", TABLE_WIDTHS) if t[0] == "ranking"]
    assert len(ranking) == 2
    for _name, _width, _paper, unit_column in ranking:
        assert unit_column >= 90, ranking  # "Văn phòng UBND tỉnh" on two lines at most, not four
