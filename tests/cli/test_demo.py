"""``par-index demo`` (the README's first command) on the shipped example: it runs whole, and
nothing it writes names a folder of this machine (issue 9's standard: no absolute path in an
output), not even inside a workbook's XML."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from support.paths import REPO

from par_index.cli.main import main


def _texts(folder: Path) -> dict[str, str]:
    """Every file the demo wrote, as text: a workbook by its XML parts."""
    texts = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(folder).as_posix()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                for part in book.namelist():
                    texts[f"{name}!{part}"] = book.read(part).decode("utf-8", "replace")
        else:
            texts[name] = path.read_bytes().decode("utf-8", "replace")
    return texts


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo's output folder and what it printed (run once for this module)."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("demo") / "demo-output"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["demo", "--out", str(out)]) == 0
    return out, printed.getvalue()


def test_the_demo_writes_no_absolute_path(demo: tuple[Path, str]) -> None:
    out, console = demo
    tmp_path = out.parent
    texts = _texts(out)
    assert "bao-cao/xep-hang.html" in texts and "tien-do-ke-hoach.json" in texts
    assert "de-xuat-tham-dinh-lan-1.xlsx!xl/worksheets/sheet2.xml" in texts
    # the shipped files are named as the repository names them
    assert "So sánh với kết quả năm trước: ket-qua-2023.json (bac-giang-2023-synthetic)." in texts["bao-cao/xep-hang.html"]
    assert '"file": "evidence/bac-giang/2024/plan-progress.csv"' in texts["tien-do-ke-hoach.json"]
    assert "<t>evidence/bac-giang/2024</t>" in texts["de-xuat-tham-dinh-lan-1.xlsx!xl/worksheets/sheet2.xml"]
    assert "dữ liệu: evidence/bac-giang/2024" in console
    for machine_path in (str(REPO), str(tmp_path)):
        named = [name for name, text in texts.items() if machine_path in text]
        assert named == [], f"{machine_path} is named in {named}"
    assert str(REPO) not in console  # the output folder is echoed as the user gave it


def test_no_text_in_the_demos_workbooks_is_cut_by_the_cell_beside_it(demo: tuple[Path, str]) -> None:
    """A text wider than its column, with a filled cell to its right, shows only its start (the
    report workbook cut 1,179 criterion names, the results' problems sheet every reason code):
    it wraps instead, in a row tall enough for its lines."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    from par_index.common.text_metrics import column_points, row_height, text_width, wrapped_lines

    out, _ = demo
    books = sorted(out.rglob("*.xlsx"))
    assert len(books) == 6
    checked = 0
    for book in books:
        for ws in load_workbook(book).worksheets:
            merged = {(r, c) for rng in ws.merged_cells.ranges for r in range(rng.min_row, rng.max_row + 1) for c in range(rng.min_col, rng.max_col + 1)}
            for (r, c), cell in ws._cells.items():
                v = cell.value
                if not isinstance(v, str) or v.startswith("=") or (r, c) in merged:
                    continue
                width = float(ws.column_dimensions[get_column_letter(c)].width or 8.43)
                size, bold = float(cell.font.sz or 11), bool(cell.font.b)
                if text_width(v, size, bold) <= column_points(width):
                    continue
                checked += 1
                right = ws._cells.get((r, c + 1))
                if cell.alignment.wrap_text:
                    stored = ws.row_dimensions[r].height
                    assert stored is not None and stored >= row_height(wrapped_lines(v, width, size, bold), size) - 0.01, (book.name, ws.title, cell.coordinate, v)
                else:
                    assert right is None or right.value in (None, ""), (book.name, ws.title, cell.coordinate, v)
    assert checked > 1000  # the long names are there, and wrapped
