"""Items 6 and 8 of issue 11: an output that is an input of the run is refused before any work;
YAML aliases are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.paths import DATA

from par_index.cli.main import main


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    shutil.copytree(DATA / "mini", tmp_path / "mini")
    return tmp_path / "mini"


@pytest.mark.parametrize(("target", "flag"), [("data/assessments.csv", "--data"), ("criteria.yaml", "--criteria"), ("data", "--data")])
def test_out_that_is_an_input_is_refused(mini: Path, target: str, flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p: p.read_bytes() for p in mini.rglob("*") if p.is_file()}
    code = main(["score", "--criteria", str(mini / "criteria.yaml"), "--data", str(mini / "data"), "--out", str(mini / target)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"--out trỏ vào đầu vào của chính lệnh này ({flag})" in err
    assert {p: p.read_bytes() for p in mini.rglob("*") if p.is_file()} == before


def test_out_beside_the_inputs_is_written(mini: Path) -> None:
    out = mini / "data" / "r.json"
    for _ in range(2):  # the second run replaces the first's output
        assert main(["score", "--criteria", str(mini / "criteria.yaml"), "--data", str(mini / "data"), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("{")
    assert sorted(p.name for p in (mini / "data").iterdir()) == ["assessments.csv", "r.json", "units.csv"]  # no temporary file left


def test_yaml_alias_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    crit = (DATA / "mini" / "criteria.yaml").read_text(encoding="utf-8")
    crit = crit.replace('agencies:', 'lol: &a ["x", "x"]\nmore: [*a, *a]\nagencies:')
    path = tmp_path / "c.yaml"
    path.write_text(crit, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    assert "tệp dùng bí danh YAML (&tên … *tên) — không được phép" in capsys.readouterr().err


@pytest.mark.parametrize("unit", ["../../x", "/abs/path", "a\x00b", "x" * 300, ".hidden", "a/b", "a\nb"])  # a\nb: two plain words, one id
def test_unit_ids_that_are_not_plain_words_are_refused(mini: Path, unit: str, capsys: pytest.CaptureFixture[str]) -> None:
    units = mini / "data" / "units.csv"
    units.write_text(units.read_text(encoding="utf-8").replace("so-b,", f'"{unit}",'), encoding="utf-8")
    out = mini / "out"
    code = main(["report", "--criteria", str(mini / "criteria.yaml"), "--data", str(mini / "data"), "--out", str(out)])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert "không hợp lệ: mã chỉ gồm chữ cái, chữ số, '_', '.', '-', không bắt đầu bằng '.' hay '-', tối đa 64 ký tự" in err
    assert "units.csv dòng 3" in err
    assert not out.exists()
    assert sorted(p.name for p in mini.parent.rglob("*.html")) == []


def test_report_file_names_stay_under_out(tmp_path: Path) -> None:
    from par_index.errors import InputError
    from par_index.reports.build import unit_report_path

    assert unit_report_path(tmp_path, "so-a") == tmp_path / "don-vi" / "so-a.html"
    for unit in ("../x", "/etc/x", ".."):
        with pytest.raises(InputError):
            unit_report_path(tmp_path, unit)
    # a page that is a link leading out of the folder is refused, with the folder resolved once or not
    (tmp_path / "don-vi").mkdir()
    (tmp_path / "don-vi" / "so-b.html").symlink_to(tmp_path / "outside.html")
    (tmp_path / "don-vi" / "so-c.html").symlink_to(tmp_path / "don-vi" / "so-a.html")  # a link inside it: as before, allowed
    folder = (tmp_path / "don-vi").resolve()
    for given in (None, folder):
        with pytest.raises(InputError) as exc:
            unit_report_path(tmp_path, "so-b", given)
        assert exc.value.problems[0].message == "mã đơn vị 'so-b' không dùng được làm tên tệp"
        assert unit_report_path(tmp_path, "so-c", given) == tmp_path / "don-vi" / "so-c.html"
        assert unit_report_path(tmp_path, "so-a", given) == tmp_path / "don-vi" / "so-a.html"


def test_a_file_is_replaced_whole_or_left_as_it_was(tmp_path: Path) -> None:
    """common.text_files: the written file keeps the mode the old one had (a new one: what open
    gives); an error in the block leaves the old file and no temporary file; a folder is refused."""
    import os

    from par_index.common.text_files import _MODE, write_text, writing
    from par_index.errors import InputError

    path = tmp_path / "sub" / "a.html"
    write_text(path, "một")
    assert path.read_text(encoding="utf-8") == "một" and path.stat().st_mode & 0o7777 == _MODE
    path.chmod(0o640)
    write_text(path, "hai " * 100_000)
    assert path.read_text(encoding="utf-8") == "hai " * 100_000 and path.stat().st_mode & 0o7777 == 0o640
    with pytest.raises(RuntimeError), writing(path) as tmp:
        tmp.write_text("nửa", encoding="utf-8")
        raise RuntimeError
    assert path.read_text(encoding="utf-8") == "hai " * 100_000 and os.listdir(path.parent) == ["a.html"]
    with pytest.raises(InputError) as exc:
        write_text(tmp_path / "sub", "x")
    assert exc.value.problems[0].message == "không ghi được tệp: đường dẫn là một thư mục"
    assert exc.value.problems[0].file == str(tmp_path / "sub")


def test_a_new_folder_of_pages_appears_whole(tmp_path: Path) -> None:
    """common.text_files.writing_folder: a new folder is written beside it and renamed when the
    block ends (not there before; no folder and no temporary one after an error); modes as mkdir
    and open give; into a folder that exists each file is replaced and the others stay."""
    import os

    from par_index.common.text_files import _FOLDER_MODE, _MODE, writing_folder

    out = tmp_path / "out" / "don-vi"
    with writing_folder(out) as write:
        assert write("a.html", "trang A") == out / "a.html"
        assert not out.exists()
        write("b.html", "trang B")
        write("c.html", "trang C đã mã hoá".encode())  # a page given as its UTF-8 bytes
    assert sorted(os.listdir(out)) == ["a.html", "b.html", "c.html"] and (out / "a.html").read_text(encoding="utf-8") == "trang A"
    assert (out / "c.html").read_bytes() == "trang C đã mã hoá".encode()
    (out / "c.html").unlink()
    assert out.stat().st_mode & 0o7777 == _FOLDER_MODE and (out / "b.html").stat().st_mode & 0o7777 == _MODE
    assert os.listdir(out.parent) == ["don-vi"]
    other = tmp_path / "out" / "khac"
    with pytest.raises(RuntimeError), writing_folder(other) as write:
        write("a.html", "x")
        raise RuntimeError
    assert os.listdir(out.parent) == ["don-vi"]
    (out / "a.html").chmod(0o640)
    with writing_folder(out) as write:
        write("a.html", "trang A mới")
        assert (out / "a.html").read_text(encoding="utf-8") == "trang A mới"
        write("a.html", "trang A mới hơn".encode())
        assert (out / "a.html").read_bytes() == "trang A mới hơn".encode()
        with pytest.raises(ValueError):
            write("../x.html", "x")
    assert sorted(os.listdir(out)) == ["a.html", "b.html"] and (out / "a.html").stat().st_mode & 0o7777 == 0o640


def test_survey_count_magnitude_is_checked_before_converting() -> None:
    import time

    from par_index.appraisal.survey import _count

    start = time.process_time()
    assert [_count(t) for t in ["12", "12.0", "1e10000000", "9" * 310, "1e12", "Infinity"]] == [12, 12, None, None, 10**12, None]
    assert time.process_time() - start < 1


def test_evidence_files_outside_the_folder_do_not_count(tmp_path: Path) -> None:
    from par_index.criteria.compiled import load
    from par_index.evidence.check import review_evidence
    from par_index.pipeline import read_data
    from par_index.scoring.engine import score

    src = DATA / "evidence_mini"
    data = tmp_path / "data"
    shutil.copytree(src / "data", data)
    files = tmp_path / "files"
    (files / "a").mkdir(parents=True)
    (files / "a" / "kh-1.pdf").write_text("x", encoding="utf-8")
    secret = tmp_path / "secret.pdf"
    secret.write_text("x", encoding="utf-8")
    (files / "a" / "link.pdf").symlink_to(secret)
    ev = data / "evidence.csv"
    rows = ev.read_text(encoding="utf-8").splitlines()
    rows[2] = rows[2].replace("a/cv-2.pdf", "../secret.pdf")
    rows[3] = rows[3].replace("a/bc-3.pdf", str(secret))
    rows[4] = rows[4].replace("a/bc-4.pdf", "a/link.pdf")
    ev.write_text("\n".join(rows) + "\n", encoding="utf-8")
    d = read_data(data)
    review = review_evidence(score([load(src / "criteria.yaml")], d), d, files)
    outside = sorted((p.line, p.message) for p in review.problems if p.reason == "evidence_file_outside")
    assert [(line, msg.split("'")[1]) for line, msg in outside] == [(3, "../secret.pdf"), (4, str(secret)), (5, "a/link.pdf")]
    # a link written inside the folder that leads out of it is not followed (it was, for db export's files/ link)
    assert outside[2][1] == (
        f"'a/link.pdf' là liên kết trỏ ra ngoài thư mục {files} (tới {secret.resolve()}) — không được đọc; "
        "hãy chép chính tệp vào thư mục thay cho liên kết — không được tính là có"
    )
    assert not [p for p in review.problems if p.reason == "evidence_file_missing" and p.line == 2]
