"""The plan, headroom and explain --headroom commands: JSON contract, HTML, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.paths import TESTS

from par_index.cli.main import main

MINI = TESTS / "data" / "mini"
BASE = ["--criteria", str(MINI / "criteria.yaml"), "--data", str(MINI / "data")]


def test_plan_json(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    assert main(["plan", *BASE, "--unit", "so-b", "--target-rank", "1", "--out", str(out)]) == 0
    doc = json.loads(out.read_text("utf-8"))
    assert set(doc) >= {"unit", "baseline", "actions", "result", "total_cost"}
    assert doc["unit"] == "so-b"
    assert (doc["baseline"]["index"], doc["baseline"]["rank"]) == (47.2, 2)
    assert (doc["result"]["index"], doc["result"]["rank"]) == (92.2, 1)
    assert [(a["criterion"], a["from"], a["to"], a["points"], a["cost"]) for a in doc["actions"]] == [
        ("1.1", 1.0, 2.0, 1.0, 1.0), ("1.2", 0.0, 2.0, 2.0, 2.0), ("1.3", 0.0, 1.0, 1.0, 1.0), ("9.1", 0.0, 0.5, 0.5, 1.0),
    ]
    assert doc["total_cost"] == 5.0


def test_plan_html_and_unreachable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan.html"
    assert main(["plan", *BASE, "--unit", "h-c", "--target-index", "120", "--out", str(out)]) == 0
    html = out.read_text("utf-8")
    assert "Kế hoạch tăng điểm — Huyện C (tổng hợp)" in html
    assert "Không thể đạt mục tiêu chỉ số ≥ 120: tốt nhất có thể là chỉ số 108,33, xếp hạng 1" in html


def test_plan_argument_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", *BASE, "--unit", "so-b"]) == 2
    assert "chọn đúng một mục tiêu: --target-index, --target-rank hoặc --budget" in capsys.readouterr().err
    assert main(["plan", *BASE, "--unit", "zz", "--budget", "2"]) == 2
    assert "đơn vị 'zz' không có trong dữ liệu đã chấm; các đơn vị: h-c, so-a, so-b" in capsys.readouterr().err
    assert main(["plan", *BASE, "--unit", "so-b", "--budget", "hai"]) == 2
    assert "--budget 'hai' không phải là số; cần một số (ví dụ 12,5)" in capsys.readouterr().err
    # the wording of a negative cost in a costs file (messages.NOT_NEGATIVE)
    assert main(["plan", *BASE, "--unit", "so-b", "--budget", "-1"]) == 2
    assert "--budget '-1' phải là một số ≥ 0" in capsys.readouterr().err


def test_headroom_json() -> None:
    import subprocess
    import sys

    got = subprocess.run([sys.executable, "-m", "par_index", "headroom", *BASE, "--unit", "so-b", "--json"], capture_output=True, text=True, check=True)
    doc = json.loads(got.stdout)
    assert doc["unit"] == "so-b"
    assert doc["lines"][1]["message"] == "1.2: tỷ lệ 60% → cần ≥ 70% để được thêm 1 điểm"


def test_explain_with_headroom(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", *BASE, "--unit", "so-b", "--json", "--headroom"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [ln["code"] for ln in doc["headroom"]["lines"]] == ["1.1", "1.2", "1.3", "2.1", "2.2", "3.1", "9.1", "9.2"]
    assert doc["headroom"]["lines"][2]["message"] == "1.3: chưa đạt → cần có (đạt) để được thêm 1 điểm"
