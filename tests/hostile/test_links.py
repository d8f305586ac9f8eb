"""Symbolic links in the folders a run reads (issue 11 item 5): a link that resolves outside its
folder — the data folder's files, the evidence files under ``--files`` — is refused, never
followed; a link loop is named. Each case runs ``python -m par_index`` under the corpus budget
(tests/support/budget.py); the links are made here (a checkout may not keep them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.budget import Case, run_case
from support.paths import DATA

MINI = DATA / "mini"
EVIDENCE = DATA / "evidence_mini"


def _data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(MINI / "data", data)
    return data


def _score(data: Path, *more: str) -> list[str]:
    return ["score", "--criteria", str(MINI / "criteria.yaml"), "--data", str(data), *more]


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="needs /etc/passwd (a POSIX system) as the outside target")
def test_assessments_linked_to_etc_passwd(tmp_path: Path) -> None:
    data = _data(tmp_path)
    (data / "assessments.csv").unlink()
    (data / "assessments.csv").symlink_to("/etc/passwd")
    real = Path("/etc/passwd").resolve()
    run_case(Case("link-etc-passwd", _score(data), 2,
                  f"{data / 'assessments.csv'}: 'assessments.csv' là liên kết trỏ ra ngoài thư mục {data} (tới {real}) — không được đọc; "
                  "hãy chép chính tệp vào thư mục thay cho liên kết"), tmp_path)


def test_relative_link_out_of_the_folder(tmp_path: Path) -> None:
    data = _data(tmp_path)
    (tmp_path / "other").mkdir()
    shutil.copy(MINI / "data" / "units.csv", tmp_path / "other" / "units.csv")
    (data / "units.csv").unlink()
    (data / "units.csv").symlink_to("../other/units.csv")
    run_case(Case("link-relative", _score(data), 2,
                  f"'units.csv' là liên kết trỏ ra ngoài thư mục {data} (tới {(tmp_path / 'other' / 'units.csv').resolve()}) — không được đọc"), tmp_path)


def test_link_loop(tmp_path: Path) -> None:
    data = _data(tmp_path)
    (data / "assessments.csv").unlink()
    (data / "assessments.csv").symlink_to("loop.csv")
    (data / "loop.csv").symlink_to("assessments.csv")
    run_case(Case("link-loop", _score(data), 2,
                  "'assessments.csv' là liên kết vòng (trỏ lại chính nó) — không đọc được; hãy thay bằng chính tệp"), tmp_path)


def test_any_file_of_the_listing(tmp_path: Path) -> None:
    """Not only the files a reader takes by name: every file of the folder (a survey, an
    appraisal workbook or a note under any name) is checked before anything is read."""
    data = _data(tmp_path)
    secret = tmp_path / "secret.xlsx"
    secret.write_bytes(b"x")
    (data / "tham-dinh.xlsx").symlink_to(secret)
    run_case(Case("link-listing", _score(data), 2, f"'tham-dinh.xlsx' là liên kết trỏ ra ngoài thư mục {data}"), tmp_path)


def test_link_inside_the_folder_is_read(tmp_path: Path) -> None:
    data = _data(tmp_path)
    (data / "copies").mkdir()
    (data / "units.csv").rename(data / "copies" / "units.csv")
    (data / "units.csv").symlink_to("copies/units.csv")
    run_case(Case("link-inside", _score(data), 0, "Xếp hạng"), tmp_path)


def test_evidence_file_linked_out_of_files_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(EVIDENCE / "data", data)
    files = tmp_path / "files"
    shutil.copytree(EVIDENCE / "data" / "a", files / "a")
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 secret")
    (files / "a" / "bc-4.pdf").unlink(missing_ok=True)
    (files / "a" / "bc-4.pdf").symlink_to(secret)
    args = ["score", "--criteria", str(EVIDENCE / "criteria.yaml"), "--data", str(data), "--files", str(files), "--strict", "--problems", "{tmp}/van-de.csv"]
    run_case(Case("link-evidence", args, 1, "vấn đề dữ liệu (--strict)"), tmp_path)
    problems = (tmp_path / "van-de.csv").read_text(encoding="utf-8-sig")
    assert (
        f"'a/bc-4.pdf' là liên kết trỏ ra ngoài thư mục {files} (tới {secret.resolve()}) — không được đọc; "
        "hãy chép chính tệp vào thư mục thay cho liên kết — không được tính là có"
    ) in problems
