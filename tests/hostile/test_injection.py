"""Items 1–2 of issue 11: user text never runs as script in an HTML output, nor as a formula in
an .xlsx or .csv output. Every field a user controls carries a payload through every writer."""

from __future__ import annotations

import csv
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook
from support.paths import DATA

from par_index.cli.main import main
from par_index.common.spreadsheet import csv_cell, put

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
LINK = '<a href="javascript:alert(3)">x</a>'
FORMULA = '=HYPERLINK("http://evil.example","x")'
CMD = "=cmd|' /C calc'!A0"


class ActiveParts(HTMLParser):
    """What in a page could run: script elements, on* attributes, javascript: links, <img> tags."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "img", "iframe", "object", "embed"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}={value}")


def active_parts(text: str) -> list[str]:
    parser = ActiveParts()
    parser.feed(text)
    return parser.found


def yaml_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("hostile")
    crit = (DATA / "mini" / "criteria.yaml").read_text(encoding="utf-8")
    swaps = {
        '"Bộ tiêu chí thử nghiệm (tổng hợp)"': yaml_quote(SCRIPT + " bộ tiêu chí"),
        'name: "Sở Nội vụ"': "name: " + yaml_quote("+cmd " + IMG),
        'name: "Ban hành kế hoạch CCHC năm"': "name: " + yaml_quote(CMD + " " + SCRIPT),
        'name: "Chỉ đạo, điều hành"': "name: " + yaml_quote("@SUM(1+1) " + LINK),
        'so: "Sở, ban, ngành"': "so: " + yaml_quote("-2+3 " + IMG),
    }
    for a, b in swaps.items():
        assert a in crit
        crit = crit.replace(a, b)
    (root / "criteria.yaml").write_text(crit, encoding="utf-8")
    data = root / "data"
    shutil.copytree(DATA / "mini" / "data", data)
    units = (data / "units.csv").read_text(encoding="utf-8")
    units = units.replace("Sở A (tổng hợp)", '"' + '=HYPERLINK(""javascript:alert(1)"",""<script>alert(1)</script>"")' + '"')
    units = units.replace("Sở B (tổng hợp)", IMG)
    units = units.replace("Huyện C (tổng hợp)", '"@SUM(1+1)' + LINK.replace('"', '""') + '"')
    (data / "units.csv").write_text(units, encoding="utf-8")
    rows = (data / "assessments.csv").read_text(encoding="utf-8").splitlines()
    rows[2] = rows[2].replace(",self,,", ",self," + '"' + CMD.replace('"', '""') + SCRIPT + '"' + ",", 1)
    (data / "assessments.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root / "criteria.yaml", data


def outputs(hostile: tuple[Path, Path], out: Path) -> list[Path]:
    crit, data = (str(p) for p in hostile)
    base = ["--criteria", crit, "--data", data]
    runs = [
        ["score", *base, "--out", str(out / "r.html")],
        ["score", *base, "--out", str(out / "r.xlsx")],
        ["score", *base, "--out", str(out / "r.csv"), "--problems", str(out / "problems.csv")],
        ["whatif", *base, "--set", "so-b:1.2=95%", "--out", str(out / "w.html")],
        ["headroom", *base, "--unit", "so-b", "--out", str(out / "h.html")],
        ["plan", *base, "--unit", "so-b", "--target-rank", "1", "--out", str(out / "p.html")],
        ["robustness", *base, "--draws", "20", "--out", str(out / "rb.html")],
        ["robustness", *base, "--draws", "20", "--out", str(out / "rb.csv")],
        ["report", *base, "--out", str(out / "report")],
        ["template", "--criteria", crit, "--data", data, "--unit", "so-a", "--out", str(out / "t.xlsx")],
        ["evidence", *base, "--out", str(out / "m.html")],
        ["evidence", *base, "--out", str(out / "m.xlsx")],
    ]
    for args in runs:
        assert main(args) == 0, args
    return sorted(p for p in out.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def written(hostile: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return outputs(hostile, tmp_path_factory.mktemp("out"))


def test_every_output_kind_is_written(written: list[Path]) -> None:
    kinds = {p.suffix for p in written}
    assert kinds >= {".html", ".xlsx", ".csv"}
    assert len([p for p in written if p.suffix == ".html"]) >= 10  # score, whatif, headroom, plan, robustness, evidence, report pages
    assert not [p for p in written if p.name.endswith(".tmp")]  # no temporary file left behind


def test_html_outputs_escape_user_text(written: list[Path]) -> None:
    for page in (p for p in written if p.suffix == ".html"):
        text = page.read_text(encoding="utf-8")
        assert active_parts(text) == [], page.name
    score = (next(p for p in written if p.name == "r.html")).read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(2)&gt;" in score  # shown as text, not dropped


def test_the_check_finds_what_would_run() -> None:
    assert active_parts(f"<p>{SCRIPT}{IMG}{LINK}</p><!-- {SCRIPT} -->") == [
        "<script>", "<img>", "img onerror=alert(2)", "a href=javascript:alert(3)",
    ]


def test_xlsx_outputs_hold_user_text_as_text(written: list[Path]) -> None:
    seen = 0
    for book in (p for p in written if p.suffix == ".xlsx"):
        wb = load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and ("HYPERLINK" in cell.value or "cmd|" in cell.value or "SUM(1+1)" in cell.value):
                        assert cell.data_type == "s", (book.name, ws.title, cell.coordinate, cell.value)
                        seen += 1
                    if book.name != "t.xlsx":  # only the self-assessment template holds formulas (its own sums)
                        assert cell.data_type != "f", (book.name, ws.title, cell.coordinate, cell.value)
    assert seen >= 6


def test_csv_outputs_never_start_a_cell_with_a_formula(written: list[Path]) -> None:
    seen = 0
    for table in (p for p in written if p.suffix == ".csv"):
        with table.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                        assert re.fullmatch(r"[+-]?\d+(?:[.,]\d+)*%?", cell), (table.name, cell)
                    if "HYPERLINK" in cell or "SUM(1+1)" in cell or "cmd|" in cell:
                        assert cell.startswith("'"), (table.name, cell)
                        seen += 1
    assert seen >= 2


def test_csv_cell_neutralises_owasp_leading_characters() -> None:
    assert [csv_cell(v) for v in ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx", "a=b", "-5", "+1,5", "-3.25%", 7]] == [
        "'=1+1", "'+1+1", "'-1+1", "'@SUM(A1)", "'\tx", "'\rx", "a=b", "-5", "+1,5", "-3.25%", 7,
    ]


def test_xlsx_put_escapes_control_characters_and_keeps_text() -> None:
    from openpyxl import Workbook

    ws = Workbook().active
    cell = put(ws["A1"], "Sở\x1b[31m đỏ\x00")
    assert (cell.value, cell.data_type) == ("Sở\\x1b[31m đỏ\\x00", "s")
    cell = put(ws["A2"], "=1+1")
    assert (cell.value, cell.data_type) == ("=1+1", "s")
    cell = put(ws["A3"], "#N/A")
    assert (cell.value, cell.data_type) == ("#N/A", "s")


def test_the_server_pages_escape_too() -> None:
    """The web pages (par_index/server/web) have their own environment: autoescape on for them too."""
    from par_index.server.web.render import environment

    env = environment()
    on = env.autoescape("unit_form.html.j2") if callable(env.autoescape) else env.autoescape
    assert on is True
    assert env.from_string("{{ x }}").render(x=SCRIPT) == "&lt;script&gt;alert(1)&lt;/script&gt;"
