"""Issue 11 item 2: the one writer of CSVs for people (common/csv_out.py) neutralises every cell
that a spreadsheet would read as a formula — header and user text alike — and leaves numbers,
including a negative one, as numbers."""

from __future__ import annotations

from pathlib import Path

from par_index.common.csv_out import write_people_csv


def test_people_csv_neutralises_every_formula_start(tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    rows: list[list[object]] = [
        ['=HYPERLINK("x")', "+1+2"],
        ["-x", "@SUM(A1)"],
        ["\tx", "\rx"],
        [-5.5, "-5"],
        [None, "Sở Tài chính"],
    ]
    write_people_csv(out, ["=h", "đơn vị"], rows)
    assert out.read_bytes().decode("utf-8") == (
        "\ufeff'=h,đơn vị\r\n"
        "\"'=HYPERLINK(\"\"x\"\")\",'+1+2\r\n"
        "'-x,'@SUM(A1)\r\n"
        "'\tx,\"'\rx\"\r\n"
        "\"-5,5\",-5\r\n"
        ",Sở Tài chính\r\n"
    )
