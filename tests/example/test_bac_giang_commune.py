"""The commune set (criteria/bac-giang/2024/xa.yaml) in the demo, and `validate` on the three
Bắc Giang sets: counts in the words official tables use, provenance as labelled."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from support.paths import REPO

from par_index.cli.demo import BAC_GIANG_CRITERIA, _commune_outputs
from par_index.cli.main import main

SETS = [REPO / "criteria/bac-giang/2024" / f"{k}.yaml" for k in ("so", "huyen", "xa")]


def test_demo_scores_the_communes(tmp_path: Path) -> None:
    ctx = SimpleNamespace(criteria_paths=BAC_GIANG_CRITERIA, out=tmp_path)
    written = _commune_outputs(ctx)  # type: ignore[arg-type]
    assert [p.name for _, p in written] == ["ket-qua-cap-xa.json", "ket-qua-cap-xa.csv", "ket-qua-cap-xa.html"]
    assert all("6 xã, thị trấn của huyện Yên Thế, số liệu giả định" in what for what, _ in written)
    doc = json.loads((tmp_path / "ket-qua-cap-xa.json").read_text(encoding="utf-8"))
    assert doc["criteria"] == "bac-giang-2024-xa"
    got = [(u["unit"], u["points"], u["max"], round(u["index"], 2), u["rank"], u["band"]) for u in doc["units"]]
    assert got == [
        ("tt-phon-xuong", 98.41, 100.0, 98.41, 1, "Xuất sắc"),
        ("tt-bo-ha", 95.94, 100.0, 95.94, 2, "Xuất sắc"),
        ("xa-dong-tam", 93.13, 100.0, 93.13, 3, "Xuất sắc"),
        ("xa-xuan-luong", 80.85, 100.0, 80.85, 4, "Tốt"),
        ("xa-tam-tien", 74.53, 96.0, 77.64, 5, "Khá"),  # 3.4 not applicable: maximum 96
        ("xa-canh-nau", 53.42, 100.0, 53.42, 6, "Trung bình"),  # late plan: 3 of 6, claimed 6
    ]
    reasons = {(p.get("unit"), p.get("criterion"), p["reason"]) for p in doc["problems"]}
    assert ("xa-tam-tien", "2.2", "evidence_missing") in reasons
    assert any(u == "xa-canh-nau" and c == "1.1" for u, c, _ in reasons)
    html = (tmp_path / "ket-qua-cap-xa.html").read_text(encoding="utf-8")
    assert "UBND thị trấn Phồn Xương" in html and "giả định" in html


def test_demo_skips_the_communes_for_other_example_data(tmp_path: Path) -> None:
    ctx = SimpleNamespace(criteria_paths=(REPO / "tests/data/mini/criteria.yaml",), out=tmp_path)
    assert _commune_outputs(ctx) == []  # type: ignore[arg-type]


def test_validate_prints_counts_and_provenance_of_the_three_sets(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "240")  # one table row per line
    code = main(["validate", *map(str, SETS)])
    out = capsys.readouterr().out
    assert code == 0
    blocks = out.split("criteria/bac-giang/2024/")[1:]
    assert len(blocks) == 3

    def row(block: str, label: str) -> str:
        for line in block.splitlines():
            cells = [c.strip() for c in line.strip("│ ").split("│")]
            if len(cells) == 2 and cells[0] == label:
                return cells[1]
        raise AssertionError(f"no row {label!r}")

    expected = {
        # lĩnh vực, tiêu chí, tiêu chí thành phần, điểm thưởng/trừ, nodes / leaves, derived, illustrative
        "so.yaml": ("8", "37", "45", "2 (9.1, 9.2)", "93 / 66", "47,5", "52,5"),
        "huyen.yaml": ("8", "37", "45", "2 (9.1, 9.2)", "93 / 67", "48,5", "51,5"),
        "xa.yaml": ("6", "18", "2", "1 (7.1)", "28 / 20", "56", "44"),
    }
    for block in blocks:
        name = block.split(":")[0]
        areas, criteria, sub, bonus, nodes, derived, illustrative = expected[name]
        assert row(block, "Số lĩnh vực") == areas, name
        assert row(block, "Số tiêu chí") == criteria, name
        assert row(block, "Số tiêu chí thành phần") == sub, name
        assert row(block, "Số điểm thưởng/trừ (ngoài điểm tối đa)") == bonus, name
        assert row(block, "Số nút / số mục được chấm điểm (lá)") == nodes, name
        assert row(block, "Điểm suy ra từ chỉ tiêu kế hoạch") == derived, name
        assert row(block, "Điểm minh họa") == illustrative, name
        official = [line for line in block.splitlines() if "Điểm chính thức" in line]
        assert official and official[0].rstrip(" │").endswith("0"), name
        if name == "xa.yaml":
            assert "tham chiếu" not in block
        else:
            assert "3: 13; 4: 10,5; 5: 15; 8: 16,5" in block and "Tổng điểm tham chiếu" in block
    assert "Hợp lệ: 3 tệp tiêu chí." in out
