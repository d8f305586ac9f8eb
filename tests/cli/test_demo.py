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


def test_the_demo_writes_no_absolute_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo-output"
    assert main(["demo", "--out", str(out)]) == 0
    console = capsys.readouterr().out
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
