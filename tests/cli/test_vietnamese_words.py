"""Issue 10 item 17: what a user reads is Vietnamese — click's own words, the formula rules."""

from __future__ import annotations

import pytest
from support.paths import REPO, TESTS

from par_index.cli.main import main
from par_index.criteria.compiled import load
from par_index.criteria.formula import describe_formula

MINI = str(TESTS / "data" / "mini" / "criteria.yaml")


@pytest.mark.parametrize("argv", [["--help"], ["score", "--help"], ["validate", "--help"], ["db", "--help"]])
def test_help_in_vietnamese(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("Cách dùng: par-index")
    assert "Tùy chọn:" in out and "Hiện hướng dẫn này rồi thoát." in out
    for english in ("Usage", "Options", "Show this message", "[OPTIONS]", "Commands:", "TEXT", "PATH", "required]", "default:"):
        assert english not in out, english


def commands() -> list[list[str]]:
    from par_index.cli.main import COMMAND_NAMES, load_command

    out = []
    for name in COMMAND_NAMES:
        out.append([name])
        out += [[name, sub] for sub in getattr(load_command(name), "commands", {})]
    return out


def test_every_commands_help_names_its_values_in_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    names = commands()
    assert len(names) >= 20  # 16 commands, db init/import/export, users add
    for argv in names:
        assert main([*argv, "--help"]) == 0
        out = capsys.readouterr().out
        for english in ("TEXT", "PATH", "INTEGER", "FLOAT", "RANGE", "FILENAME", "BOOLEAN", "DIRECTORY"):
            assert english not in out, (argv, english)
    main(["robustness", "--help"])
    out = capsys.readouterr().out
    assert "--draws SỐ_NGUYÊN" in out and "--down SỐ" in out and "--up SỐ" in out
    main(["plan", "--help"])
    out = capsys.readouterr().out
    assert "--target-index SỐ" in out and "--budget SỐ" in out
    main(["report", "--help"])
    assert "--date NGÀY" in capsys.readouterr().out
    main(["plan-status", "--help"])
    assert "--as-of NGÀY" in capsys.readouterr().out
    main(["users", "add", "--help"])
    out = capsys.readouterr().out
    assert "--role VAI_TRÒ" in out and "appraiser (thẩm định)" in out
    assert "postgresql://người_dùng:mật_khẩu@máy/tên_csdl" in out  # not cut in two by the wrapping


def test_the_example_data_says_it_is_made_up_in_vietnamese_only() -> None:
    from par_index.pipeline import read_data

    for folder in ("2024", "2024-xa-yen-the"):
        label = read_data(REPO / "evidence" / "bac-giang" / folder).label or ""
        assert label.startswith("Dữ liệu minh họa tổng hợp giả định: tên "), label
        assert "synthetic" not in label.lower()


def test_a_synthetic_flag_adds_a_vietnamese_prefix(tmp_path) -> None:
    from par_index.unit_data.reader import read_label

    (tmp_path / "dataset.yaml").write_text("synthetic: true\nlabel: 'Bộ dữ liệu thử'\n", encoding="utf-8")
    assert read_label(tmp_path) == "DỮ LIỆU GIẢ ĐỊNH: Bộ dữ liệu thử"


def test_click_errors_in_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--criteria", MINI]) == 2
    assert capsys.readouterr().err.strip() == "Lỗi câu lệnh: Thiếu tùy chọn '--data'. Xem: par-index score --help"
    assert main(["score", "--criteria", MINI, "--data", "x", "--stage", "cuoi"]) == 2
    assert "Giá trị không hợp lệ cho '--stage': 'cuoi' không phải một trong 'self', 'final'." in capsys.readouterr().err
    assert main(["scor"]) == 2
    assert " ".join(capsys.readouterr().err.split()) == "Lỗi câu lệnh: Không có lệnh 'scor'. Có phải ý bạn là 'score'? Xem: par-index --help"


def test_a_usage_error_points_to_the_help_of_its_own_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "--criteria", MINI, "--criteria"]) == 2
    assert capsys.readouterr().err.strip() == "Lỗi câu lệnh: Tùy chọn '--criteria' cần một giá trị. Xem: par-index score --help"
    assert main(["users", "add", "--login", "a"]) == 2
    said = " ".join(capsys.readouterr().err.split())
    assert said.startswith("Lỗi câu lệnh: Thiếu tùy chọn '--role'.") and said.endswith(" Xem: par-index users add --help")
    assert main(["users"]) == 2  # a group alone: its help, not "Lỗi câu lệnh: Cách dùng: …"
    err = capsys.readouterr().err
    assert err.startswith("Cách dùng: par-index users [TÙY_CHỌN] LỆNH [THAM_SỐ]...") and "Lỗi câu lệnh" not in err


def test_formula_rule_in_words_not_sympy() -> None:
    assert describe_formula("piecewise((2, x > 0.95), (1.5 * x / 0.95, True))", ratio=True) == (
        "x trên 95%: 2 điểm; còn lại: 1,5 × x / 0,95 điểm"
    )
    assert describe_formula("2 * min(1, x / 0.9)") == "2 × nhỏ hơn trong (1; x / 0,9) điểm"
    c = load(REPO / "criteria/bac-giang/2024/so.yaml")
    leaf = c.leaves[c.leaf_index["7.1.1"]]
    text = leaf.rule.describe(float(leaf.max))
    assert text == "Theo công thức (x là tỷ lệ): x trên 95%: 2 điểm; còn lại: 1,5 × x / 0,95 điểm; trong khoảng 0 đến 2 điểm"
    assert "piecewise" not in text
