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


def test_one_changed_text_anywhere_in_a_column_is_found(tmp_path: Path) -> None:
    """A column is written as it is only when no text in it needs neutralising or quoting (one
    search over its distinct texts joined by line feeds): a single such text, first or later
    in the join, makes the column go cell by cell."""
    import csv
    import io

    from par_index.common.csv_out import _plain
    from par_index.common.spreadsheet import FORMULA_START, csv_cell

    assert _plain("so-a\n12\nSở Tài chính\n1.5")
    for special in [*FORMULA_START, ",", '"', "\r"]:
        text = special + "x" if special in FORMULA_START else "a" + special + "b"
        for joined in (text + "\nso-a\nso-b", "so-a\n" + text + "\nso-b", "so-a\nso-b\n" + text):
            assert not _plain(joined), repr(joined)
        out = tmp_path / "c.csv"
        column = [f"so-{i}" for i in range(50)]
        column[25] = text
        write_people_csv(out, ["đơn vị"], [[t] for t in column])
        expected = io.StringIO()
        csv.writer(expected, lineterminator="\r\n").writerows([["đơn vị"], *[[csv_cell(t)] for t in column]])
        assert out.read_bytes().decode("utf-8") == "\ufeff" + expected.getvalue(), repr(special)
