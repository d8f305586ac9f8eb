"""The hostile corpus (issue 11): each case an input, the exit code and message expected, and a
memory/time budget enforced by ``resource`` limits (RLIMIT_AS, RLIMIT_CPU) on a subprocess
running ``python -m par_index``. A case over budget is killed and fails the test."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.budget import Case, run_case
from support.paths import DATA, TESTS

CORPUS = TESTS / "hostile" / "corpus"
MINI = DATA / "mini"


CASES = [
    Case("alias-bomb", ["validate", str(CORPUS / "alias-bomb.yaml")], 2, "tệp dùng bí danh YAML"),
    Case("deep-tree", ["validate", str(CORPUS / "deep-tree.yaml")], 2, "tệp lồng nhau quá 100 cấp — vượt giới hạn"),
    Case("out-is-input", ["score", "--criteria", str(MINI / "criteria.yaml"), "--data", str(MINI / "data"), "--out", str(MINI / "data" / "units.csv")],
         2, "--out trỏ vào đầu vào của chính lệnh này (--data)"),
    Case("plan-target-1e309", ["plan", "--criteria", str(MINI / "criteria.yaml"), "--data", str(MINI / "data"), "--unit", "so-b", "--target-index", "1e309"],
         2, "'1e309' quá lớn (tối đa 10^12)"),
    Case("robustness-seed-negative", ["robustness", "--criteria", str(MINI / "criteria.yaml"), "--data", str(MINI / "data"), "--seed", "-1", "--draws", "10"],
         2, "--seed phải là số nguyên từ 0 đến 2^64 − 1, không phải -1"),
    # 9: formula constants bounded before sympy computes them; depth; relations are not numbers
    Case("formula-power-tower", ["validate", str(CORPUS / "formula-power-tower.yaml")], 2,
         "hằng số '2**64' quá lớn hoặc quá chi tiết (trị tuyệt đối tối đa 10^15", memory_mb=1200, cpu_s=20),
    Case("formula-long-sum", ["validate", str(CORPUS / "formula-long-sum.yaml")], 2, "công thức lồng nhau quá 50 cấp"),
    Case("formula-relation-number", ["validate", str(CORPUS / "formula-relation-number.yaml")], 2,
         "phép so sánh 'x > 1' không phải là một số: chỉ dùng làm điều kiện trong piecewise"),
    # 14: a draw count whose arrays cannot fit is refused before allocating, with the memory needed
    Case("robustness-draws-memory", ["robustness", "--criteria", str(MINI / "criteria.yaml"), "--data", str(CORPUS / "many-units"), "--draws", "1000000"], 2,
         "--draws 1.000.000 cần khoảng 3,0 GB bộ nhớ (giới hạn 2 GB); hãy giảm --draws xuống tối đa 670.878"),
    Case("criteria-not-utf8", ["validate", str(CORPUS / "criteria-not-utf8.yaml")], 2,
         "criteria-not-utf8.yaml dòng 2: tệp không phải UTF-8: byte 0xe0 ở cột 10 không đọc được"),
    # 12: documented tree limits (memory is linear in nodes: tests/hostile/test_tree_limits.py)
    Case("criteria-depth-25", ["validate", str(CORPUS / "criteria-depth-25.yaml")], 2, "cây tiêu chí sâu quá 20 cấp (tiêu chí '21' ở cấp 21) — vượt giới hạn"),
    Case("formula-imaginary", ["validate", str(CORPUS / "formula-imaginary.yaml")], 2,
         "hằng số 'sqrt(-4)' không phải số thực (căn của một số âm)"),  # was sympy's English "The argument '2*I' is not comparable."
    # 10: magnitude checked before converting, in criteria, overrides and previous results
    Case("criteria-max-1e300", ["validate", str(CORPUS / "criteria-max-1e300.yaml")], 2, "trường 'max': '1e300' quá lớn (tối đa 10^12)"),
    Case("criteria-int-310-digits", ["validate", str(CORPUS / "criteria-int-310-digits.yaml")], 2,
         "target: '1000000000…000000 (310 ký tự)' quá lớn (tối đa 10^12)"),
    Case("criteria-target-1e309", ["validate", str(CORPUS / "criteria-target-1e309.yaml")], 2,
         "target: số quá lớn hoặc không xác định (inf); cần một số hữu hạn, tối đa 10^12"),
    # found in session 2: a number nested in a rule (a band's points) crashed the precision check
    Case("criteria-band-points-1e30", ["validate", str(CORPUS / "criteria-band-points-1e30.yaml")], 2,
         "trường 'rule.bands[1].points': '1e+30' quá lớn (tối đa 10^12)"),
    Case("criteria-band-points-inf", ["validate", str(CORPUS / "criteria-band-points-inf.yaml")], 2,
         "trường 'rule.bands[1].points': số quá lớn hoặc không xác định (inf); cần một số hữu hạn, tối đa 10^12"),
    Case("scenario-1e309", ["whatif", "--scenario", str(CORPUS / "scenario-1e309.yaml")], 2,
         "dòng 6, tiêu chí 1.2, trường 'max': '1e309' quá lớn (tối đa 10^12)"),
    Case("whatif-set-1e309", ["whatif", "--criteria", str(MINI / "criteria.yaml"), "--data", str(MINI / "data"), "--set", "so-b:2.1=1e309"], 2,
         "so-b:2.1=1e309: '1e309' quá lớn (tối đa 10^12)"),  # was "không đọc được giá trị '1e309': cần một số"
    Case("whatif-set-inf", ["whatif", "--criteria", str(MINI / "criteria.yaml"), "--data", str(MINI / "data"), "--set", "so-b:2.1=-Infinity"], 2,
         "so-b:2.1=-Infinity: '-Infinity' không phải là một số hữu hạn"),
    Case("whatif-set-nan", ["whatif", "--criteria", str(MINI / "criteria.yaml"), "--data", str(MINI / "data"), "--set", "so-b:1.2=nan"], 2,
         "so-b:1.2=nan: 'nan' không phải là một số hữu hạn"),
    Case("previous-infinity", ["report", "--criteria", str(MINI / "criteria.yaml"), "--data", str(MINI / "data"),
                               "--previous", str(CORPUS / "previous-infinity.json"), "--out", "{tmp}/report"], 2,
         "'Infinity' không phải là một số (kết quả năm trước chỉ chứa số hữu hạn)"),
    Case("previous-1e309", ["report", "--criteria", str(MINI / "criteria.yaml"), "--data", str(MINI / "data"),
                            "--previous", str(CORPUS / "previous-1e309.json"), "--out", "{tmp}/report"], 2, "'1e309' quá lớn (tối đa 10^12)"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(case: Case, tmp_path: Path) -> None:
    run_case(case, tmp_path)
