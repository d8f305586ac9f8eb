"""The par-index command from the outside: outputs, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from support.paths import REPO, TESTS

from par_index.cli.main import main

ROOT = TESTS
MINI = str(ROOT / "data" / "mini" / "criteria.yaml")
DATA = str(ROOT / "data" / "mini" / "data")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_score_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    code, _, err = run(["score", "--criteria", MINI, "--data", DATA, "--out", str(out)], capsys)
    assert code == 0
    assert "Đã chấm 3 đơn vị" in err
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["criteria"] == "mini-2024" and doc["stage"] == "final"
    first = doc["units"][0]
    assert set(first) == {"unit", "name", "kind", "points", "max", "index", "rank", "band", "nodes"}
    assert (first["unit"], first["points"], first["max"], first["rank"], first["band"]) == ("so-a", 10.02, 11.0, 1, "Xuất sắc")
    assert first["nodes"]["1"] == {"points": 5.75, "max": 6.0, "index": 95.83333333333333}
    assert first["nodes"]["2.3"] == {"points": 0.0, "max": 0.0, "index": None}
    assert [u["unit"] for u in doc["units"]] == ["so-a", "so-b", "h-c"]
    assert {p["reason"] for p in doc["problems"]} >= {"unit_unknown", "value_unreadable", "claim_above_rule"}


def test_score_csv_and_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["score", "--criteria", MINI, "--data", DATA, "--out", str(tmp_path / "r.csv")], capsys)[0] == 0
    df = pd.read_csv(tmp_path / "r.csv", dtype=str, keep_default_na=False)
    assert list(df.columns) == ["unit", "name", "kind", "points", "max", "index", "rank", "band", "points_1", "points_2", "points_3", "points_9"]
    assert df.iloc[0].tolist() == ["so-a", "Sở A (tổng hợp)", "so", "10.02", "11.0", "91.09", "1", "Xuất sắc", "5.75", "2.64", "1.63", "0.0"]
    assert run(["score", "--criteria", MINI, "--data", DATA, "--out", str(tmp_path / "r.xlsx")], capsys)[0] == 0
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "r.xlsx")
    ws = wb["Kết quả"]
    assert [c.value for c in ws[1]][:8] == ["Mã đơn vị", "Tên đơn vị", "Loại", "Tổng điểm", "Điểm tối đa", "Chỉ số (%)", "Xếp hạng", "Xếp loại"]
    assert [c.value for c in ws[2]][:8] == ["so-a", "Sở A (tổng hợp)", "Sở, ban, ngành", 10.02, 11.0, 91.09, 1, "Xuất sắc"]  # the kind by name (the CSV keeps its code)
    assert wb["Vấn đề dữ liệu"].max_row == 5  # header + 4 problems


def test_score_table_on_stdout_and_problems_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["score", "--criteria", MINI, "--data", DATA], capsys)
    assert code == 0
    assert "Xếp hạng — Sở, ban, ngành" in out and "91,09" in out
    assert "Vấn đề dữ liệu (4)" in err


def test_strict_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["score", "--criteria", MINI, "--data", DATA, "--strict"], capsys)
    assert code == 1
    assert "Có 4 vấn đề dữ liệu (--strict)." in err


def test_stage_self(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "self.json"
    assert run(["score", "--criteria", MINI, "--data", DATA, "--stage", "self", "--out", str(out)], capsys)[0] == 0
    units = {u["unit"]: u for u in json.loads(out.read_text(encoding="utf-8"))["units"]}
    assert units["so-b"]["nodes"]["1.2"]["points"] == 1.0  # 80,5% self, before appraisal's 60%


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["score", "--criteria", "nope.yaml", "--data", DATA], "không tìm thấy tệp"),
        (["score", "--criteria", MINI, "--data", "nope-folder"], "không tìm thấy thư mục hay tệp dữ liệu"),
        (["score", "--criteria", MINI, "--data", DATA, "--out", "x.pdf"], "không hỗ trợ định dạng '.pdf'"),
        # one wording for every command's output formats (common.text_files.out_format_error)
        (["plan", "--criteria", MINI, "--data", DATA, "--unit", "so-b", "--budget", "1", "--out", "x.PDF"], "không hỗ trợ định dạng '.pdf'; dùng .json hoặc .html"),
        (["whatif", "--criteria", MINI, "--data", DATA, "--set", "so-b:1.2=95%", "--out", "x.pdf"], "không hỗ trợ định dạng '.pdf'; dùng .json hoặc .html"),
        (["headroom", "--criteria", MINI, "--data", DATA, "--unit", "so-b", "--out", "x.pdf"], "không hỗ trợ định dạng '.pdf'; dùng .json hoặc .html"),
        (["robustness", "--criteria", MINI, "--data", DATA, "--draws", "2", "--out", "x.pdf"], "không hỗ trợ định dạng '.pdf'; dùng .json, .csv hoặc .html"),
        (["score", "--criteria", MINI], "Lỗi câu lệnh"),
        (["explain", "--criteria", MINI, "--data", DATA, "--unit", "so-q"], "đơn vị 'so-q' không có trong dữ liệu đã chấm"),
        (["score", "--criteria", MINI, "--data", MINI], "dữ liệu phải là một thư mục CSV"),
        (["score", "--criteria", MINI, "--data", str(ROOT / "broken" / "data" / "no_units")], "units.csv không có đơn vị nào"),
    ],
)
def test_bad_input_exits_2_without_traceback(args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(args, capsys)
    assert code == 2
    assert fragment in err
    assert "Traceback" not in out + err


def test_garbage_workbook_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "data.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not a workbook")
    code, _, err = run(["score", "--criteria", MINI, "--data", str(bad)], capsys)
    assert code == 2
    assert "không mở được tệp Excel" in err


def test_explain_in_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["explain", "--criteria", MINI, "--data", DATA, "--unit", "so-b", "--json"], capsys)
    assert code == 0
    e = json.loads(out)
    assert (e["points"], e["max"], e["rank"], e["band"]) == (4.72, 10.0, 2, "Trung bình")
    leaf = {x["code"]: x for x in e["leaves"]}
    assert leaf["1.2"]["value"] == "60%" and leaf["1.2"]["stage"] == "thẩm định lần 1" and leaf["1.2"]["points"] == 0.0
    assert leaf["1.4"]["status"] == "không áp dụng (na): không tính vào điểm và điểm tối đa"
    assert leaf["1.1"]["rule"].startswith("Hoàn thành đến hết ngày 14/01/2024: 2 điểm")
    assert leaf["1.1"]["evidence_expected"] == ["Kế hoạch CCHC năm 2024"]
    assert leaf["2.1"]["points"] == 2.0  # 100%
    assert [n["code"] for n in e["nodes"]] == ["1", "2", "3", "9"]


def test_server_commands_say_what_database_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["db", "import", "--db", "sqlite:///khong-co.db", "--data", DATA], capsys)
    assert code == 2
    assert "sqlite:///khong-co.db: không có tệp cơ sở dữ liệu 'khong-co.db'; hãy tạo bằng par-index db init" in err
    assert not (tmp_path / "khong-co.db").exists()  # a mistyped name leaves no empty database behind
    code, _, err = run(["users", "add", "--db", "khong-co.db", "--login", "a", "--role", "viewer"], capsys)
    assert code == 2 and "không có tệp cơ sở dữ liệu 'khong-co.db'" in err and not (tmp_path / "khong-co.db").exists()
    code, _, err = run(["db", "init", "--db", "mysql://x", "--criteria", MINI, "--units", str(Path(DATA) / "units.csv")], capsys)
    assert code == 2 and "Lỗi nội bộ" not in err
    assert "mysql://x: chỉ dùng được cơ sở dữ liệu SQLite (sqlite:///đường/dẫn.db) hoặc PostgreSQL (postgresql://người_dùng:mật_khẩu@máy/tên_csdl)" in err
    code, _, err = run(["db", "init", "--db", "postgresql://ai:bi-mat@127.0.0.1:1/csdl", "--criteria", MINI, "--units", str(Path(DATA) / "units.csv")], capsys)
    assert code == 2 and "bi-mat" not in err
    assert ("postgresql://ai:***@127.0.0.1:1/csdl: không kết nối hoặc không dùng được cơ sở dữ liệu; hãy kiểm tra máy chủ PostgreSQL "
            "đang chạy và địa chỉ, cổng, tên người dùng, mật khẩu, tên cơ sở dữ liệu trong --db (chi tiết: ") in err


def test_explain_names_the_stage_in_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["explain", "--criteria", MINI, "--data", DATA, "--unit", "so-b"], capsys)
    assert code == 0
    assert "; giai đoạn: kết quả cuối cùng\n" in out  # not the code 'final'
    code, out, _ = run(["explain", "--criteria", MINI, "--data", DATA, "--unit", "so-b", "--stage", "self"], capsys)
    assert code == 0 and "; giai đoạn: tự đánh giá (chưa thẩm định)\n" in out


def test_explain_writes_evidence_dates_as_dd_mm_yyyy(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 10 item 17: explain wrote an evidence document's date as given in evidence.csv, ISO in
    the Bắc Giang example ("ngày 2024-11-12") inside a Vietnamese sentence."""
    code, out, _ = run(
        ["explain", "--criteria", str(REPO / "criteria/bac-giang/2024/so.yaml"), "--data", str(REPO / "evidence/bac-giang/2024"), "--unit", "so-y-te", "--json"], capsys
    )
    assert code == 0
    leaf = {x["code"]: x for x in json.loads(out)["leaves"]}
    assert leaf["4.2.2"]["evidence"] == [
        "Báo cáo số 510/BC-SYT ngày 12/11/2024 về kết quả thực hiện tinh giản biên chế năm 2024, ngày 12/11/2024, của so-y-te, [so-y-te/bc-510.pdf]"
    ]


def test_validate_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["validate", MINI], capsys)
    assert code == 0
    assert "Số tiêu chí thành phần" in out and "Hợp lệ: 1 tệp tiêu chí." in out
    assert "Điểm minh họa" in out
    for english in ("official", "derived", "illustrative", "reference", "(so)", "(huyen)"):
        assert english not in out, english
    assert "(sở)" in out and "(huyện)" in out


def test_provenance_is_optional(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 10 item 14: a file without provenance was refused, one error per leaf."""
    text = Path(MINI).read_text(encoding="utf-8").replace("provenance: illustrative\n", "")
    bare = tmp_path / "bare.yaml"
    bare.write_text(text, encoding="utf-8")
    code, out, err = run(["validate", str(bare)], capsys)
    assert code == 0
    assert "Điểm chưa ghi nguồn" in out and "12 (10 tiêu chí thành phần)" in " ".join(out.split())
    assert " ".join(err.split()).count("chưa ghi nguồn gốc số liệu") == 1  # once per file
    assert "10 tiêu chí thành phần chưa ghi nguồn gốc số liệu (1.1, 1.2, 1.3, 1.4, 2.1, …)" in " ".join(err.split())
    code, _, err = run(["validate", "--strict", str(bare)], capsys)
    assert code == 2 and "chưa ghi nguồn gốc số liệu" in err
    assert run(["score", "--criteria", str(bare), "--data", DATA, "--out", str(tmp_path / "r.json")], capsys)[0] == 0
    code, _, err = run(["validate", "--strict", MINI], capsys)
    assert code == 0 and "chưa ghi nguồn" not in err


def test_python_dash_m_entry_point() -> None:
    proc = subprocess.run([sys.executable, "-m", "par_index", "validate", MINI], capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 0
    assert "Hợp lệ: 1 tệp tiêu chí." in proc.stdout


def test_dataset_label_is_carried_to_every_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A data folder that says it is synthetic (dataset.yaml) is labelled so in every output."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "dataset.yaml").write_text("synthetic: true\nlabel: 'Bộ dữ liệu thử'\n", encoding="utf-8")
    label = "DỮ LIỆU GIẢ ĐỊNH: Bộ dữ liệu thử"
    for suffix in (".json", ".html", ".xlsx"):
        assert run(["score", "--criteria", MINI, "--data", str(data), "--out", str(tmp_path / f"r{suffix}")], capsys)[0] == 0
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["dataset"] == label
    assert label in (tmp_path / "r.html").read_text(encoding="utf-8")
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "r.xlsx")["Kết quả"]
    assert ws["A1"].value == label and ws["A2"].value == "Mã đơn vị" and ws["A3"].value == "so-a"
    code, out, _ = run(["score", "--criteria", MINI, "--data", str(data)], capsys)
    assert label in out
    (data / "dataset.yaml").write_text("synthetic: maybe\nlabel: x\n", encoding="utf-8")
    code, _, err = run(["score", "--criteria", MINI, "--data", str(data)], capsys)
    assert code == 2 and "dataset.yaml chỉ có 'label'" in err
