"""Self-assessment workbooks: template → filled with openpyxl → scored equals the same values
scored from CSV, exactly, for every example unit (tests/data/mini and Bắc Giang 2024)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from support.paths import REPO
from support.workbook_recalc import CachedEvaluator, expected_cells, mismatches, omitted_nodes_are_zero, recalc_full

from par_index.cli.main import main
from par_index.criteria.compiled import CompiledCriteria, load
from par_index.pipeline import read_data
from par_index.scoring.engine import Results, score
from par_index.unit_data.reader import UnitData
from par_index.workbook import layout as wl
from par_index.workbook.reader import read_workbooks  # importing it registers the reader
from par_index.workbook.template import Layout, UnitInfo, input_cell_value, prefill_from_data, write_workbook

MINI = ([REPO / "tests/data/mini/criteria.yaml"], REPO / "tests/data/mini/data")
BAC_GIANG = (
    [REPO / "criteria/bac-giang/2024/so.yaml", REPO / "criteria/bac-giang/2024/huyen.yaml"],
    REPO / "evidence/bac-giang/2024",
)


# The shipped example must load: a failure here is a failure of the data, never a skip.
EXAMPLES = [pytest.param(MINI, id="mini"), pytest.param(BAC_GIANG, id="bac-giang")]


def self_values(results: Results) -> pd.DataFrame:
    """unit, criterion, value, stage: what each unit's self-assessment holds (self overlaid by
    survey; a survey leaf's value is Sở Nội vụ's, stage survey)."""
    rows = []
    for s in results.sets:
        for i, unit in enumerate(s.units["unit"]):
            for j, leaf in enumerate(s.criteria.leaves):
                status = s.status[i, j]
                stage = "survey" if leaf.is_survey else "self"
                if status == "na":
                    rows.append((unit, leaf.code, "na", stage))
                elif s.value_text[i, j].strip():
                    rows.append((unit, leaf.code, s.value_text[i, j], stage))
    return pd.DataFrame(rows, columns=["unit", "criterion", "value", "stage"])


def fill_blank_workbook(c: CompiledCriteria, unit: UnitInfo, values: pd.DataFrame, evidence: pd.DataFrame, path: Path) -> Layout:
    """Write a blank template, then type the unit's values and evidence into it with openpyxl."""
    layout = write_workbook(c, unit, path)
    wb = openpyxl.load_workbook(path)
    ws = wb[wl.MAIN_SHEET]
    for r in values.itertuples():
        leaf = layout.leaves[r.criterion]
        ws[layout.cell(r.criterion, "value")] = input_cell_value(leaf, str(r.value))
    extra = wb[wl.EVIDENCE_SHEET]
    next_row = wl.EVIDENCE_HEADER_ROW + 1
    seen: set[str] = set()
    for r in evidence.itertuples():
        issued = _date_or_text(str(r.issued_on))
        if r.criterion in layout.rows and r.criterion not in seen:
            seen.add(r.criterion)
            for key, v in (("document", r.document), ("issued_on", issued), ("issuer", r.issuer), ("file", r.file)):
                ws[layout.cell(r.criterion, key)] = v or None
        else:
            for key, v in (("code", r.criterion), ("document", r.document), ("issued_on", issued), ("issuer", r.issuer), ("file", r.file)):
                extra[f"{wl.EVIDENCE_COLUMNS[key][0]}{next_row}"] = v or None
            next_row += 1
    wb.save(path)
    return layout


def _date_or_text(text: str) -> object:
    from par_index.common.values import parse_date_scalar

    return parse_date_scalar(text) or text or None


def _norm_evidence(ev: pd.DataFrame) -> list[tuple[str, ...]]:
    from par_index.common.values import parse_date_scalar

    out = []
    for r in ev.itertuples():
        d = parse_date_scalar(str(r.issued_on))
        out.append((r.unit, r.criterion, r.document, d.isoformat() if d else str(r.issued_on), r.issuer, r.file))
    return sorted(out)


def assert_same_scores(a: Results, b: Results) -> None:
    assert [s.criteria.id for s in a.sets] == [s.criteria.id for s in b.sets]
    for sa, sb in zip(a.sets, b.sets, strict=True):
        order = [sb.unit_row(u) for u in sa.units["unit"]]
        for name in ("leaf_points", "leaf_max", "node_points", "node_max"):
            np.testing.assert_array_equal(getattr(sa, name), getattr(sb, name)[order], err_msg=name)
        for name in ("total_points", "total_max", "index", "rank"):
            np.testing.assert_array_equal(getattr(sa, name), getattr(sb, name)[order], err_msg=name)
        assert sa.band == [sb.band[k] for k in order]


@dataclass
class Example:
    sets: list[CompiledCriteria]
    data: UnitData
    results: Results  # the original data scored at stage self
    books: Path  # one filled workbook per unit
    csv: Path  # the same values as CSV
    layouts: dict[str, Layout]
    read_back: UnitData  # the folder of workbooks read by the workbook reader
    data_name: str


@pytest.fixture(scope="module", params=EXAMPLES)
def example(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Example:
    criteria_paths, data_path = request.param
    sets = [load(p) for p in criteria_paths]
    data = read_data(data_path)
    results = score(sets, data, "self")
    values = self_values(results)
    base = tmp_path_factory.mktemp(data_path.parent.name)
    books, csv = base / "books", base / "csv"
    csv.mkdir()
    layouts = {}
    for s in results.sets:
        for u in s.units.itertuples():
            layouts[u.unit] = fill_blank_workbook(
                s.criteria, UnitInfo(u.unit, u.name, u.kind), values[values["unit"] == u.unit], data.evidence[data.evidence["unit"] == u.unit], books / f"{u.unit}.xlsx"
            )
    units = pd.concat([s.units for s in results.sets])
    units.to_csv(csv / "units.csv", index=False)
    values.to_csv(csv / "assessments.csv", index=False)
    data.evidence[["unit", "criterion", "document", "issued_on", "issuer", "file"]].to_csv(csv / "evidence.csv", index=False)
    return Example(sets, data, results, books, csv, layouts, read_data(books), data_path.parent.name)


def test_workbooks_score_exactly_like_csv(example: Example) -> None:
    from_books = score(example.sets, example.read_back, "self")
    from_csv = score(example.sets, read_data(example.csv), "self")
    assert_same_scores(from_books, from_csv)
    assert_same_scores(from_books, example.results)
    n_units = sum(len(s.units) for s in example.results.sets)
    assert sum(len(s.units) for s in from_books.sets) == n_units == len(list(example.books.glob("*.xlsx")))
    assert n_units == {"mini": 3, "bac-giang": 30}[example.data_name]


def test_workbooks_carry_the_evidence(example: Example) -> None:
    scored = {u for s in example.results.sets for u in s.units["unit"]}
    want = example.data.evidence[example.data.evidence["unit"].isin(scored)]
    got = example.read_back.evidence
    assert _norm_evidence(got) == _norm_evidence(want)
    assert len(got) == len(want)


def test_mini_workbook_rows_point_at_cells(tmp_path: Path) -> None:
    c = load(MINI[0][0])
    layout = write_workbook(c, UnitInfo("so-a", "Sở A", "so"), tmp_path / "so-a.xlsx")
    assert layout.rows == {"1": 11, "1.1": 12, "1.2": 13, "1.3": 14, "1.4": 15, "2": 16, "2.1": 17, "2.2": 18, "3": 19, "3.1": 20, "9": 21, "9.1": 22, "9.2": 23}
    assert "2.3" not in layout.rows  # applies to districts only: omitted for a department
    assert layout.total_row == 24 and layout.band_row == 25
    wb = openpyxl.load_workbook(tmp_path / "so-a.xlsx")
    ws = wb[wl.MAIN_SHEET]
    ws[layout.cell("1.2", "value")] = 1.2
    wb.save(tmp_path / "so-a.xlsx")
    data = read_workbooks(tmp_path / "so-a.xlsx")
    row = data.assessments.iloc[0]
    assert (row["criterion"], row["value"], row["at_cell"], row["at_line"]) == ("1.2", "120%", "E13", 13)
    res = score(c, data, "self")
    (p,) = [p for p in res.problems if p.reason == "value_above_100"]
    assert p.message == "120% vượt quá 100%; tỷ lệ phải từ 0% đến 100%; được tính 0 điểm"
    assert p.severity == "error"
    assert p.cell == "E13"
    assert p.where() == f"so-a.xlsx[{wl.MAIN_SHEET}] ô E13, đơn vị so-a, tiêu chí 1.2"


def test_template_command_prefills_and_score_reads_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "so-b.xlsx"
    code = main(["template", "--criteria", str(MINI[0][0]), "--unit", "so-b", "--data", str(MINI[1]), "--out", str(out)])
    assert code == 0
    assert f"Đã ghi phiếu tự đánh giá của Sở B (tổng hợp) (so-b, bộ tiêu chí mini-2024) (đã điền sẵn dữ liệu hiện có) vào {out}" in capsys.readouterr().err.replace("\n", "")
    ws = openpyxl.load_workbook(out)[wl.MAIN_SHEET]
    assert [ws[f"{c}{r}"].value for c, r in (("B", 3), ("B", 4), ("B", 5), ("C", 5), ("B", 6))] == ["so-b", "Sở B (tổng hợp)", "so", None, "mini-2024"]
    assert ws["B5"].number_format == '@" — Sở, ban, ngành"'  # the kind's name shown after the code the reader reads
    assert ws["E12"].value == dt.datetime(2024, 1, 20)  # 1.1 deadline: a real date cell
    assert (ws["E13"].value, ws["E13"].number_format) == (0.805, "0.00%")  # 80,5% as a percent cell
    assert ws["E14"].value == "không"
    assert ws["E15"].value == "không áp dụng"
    assert ws["E17"].value == 1  # 2.1: 100%
    assert ws.protection.sheet is True
    assert ws["E12"].protection.locked is False and ws["F12"].protection.locked is True
    direct = score(load(MINI[0][0]), read_data(MINI[1]), "self")
    from_book = score(load(MINI[0][0]), read_data(out), "self")
    s, i = direct.find("so-b")
    np.testing.assert_array_equal(from_book.sets[0].node_points[0], s.node_points[i])
    assert from_book.sets[0].total_points[0] == 5_720_000  # 5.72 points, in units of 10**-6


def test_template_without_data_needs_a_kind_when_the_set_has_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["template", "--criteria", str(MINI[0][0]), "--unit", "so-z", "--out", str(tmp_path / "z.xlsx")])
    assert code == 2
    assert "hãy cho biết loại đơn vị bằng --kind (một trong: so, huyen)" in capsys.readouterr().err.replace("\n", "")
    code = main(["template", "--criteria", str(MINI[0][0]), "--unit", "so-z", "--kind", "huyen", "--name", "Huyện Z", "--out", str(tmp_path / "z.xlsx")])
    assert code == 0
    ws = openpyxl.load_workbook(tmp_path / "z.xlsx")[wl.MAIN_SHEET]
    assert (ws["B3"].value, ws["B4"].value, ws["B5"].value, ws["A19"].value) == ("so-z", "Huyện Z", "huyen", "2.3")


def test_workbook_formulas_agree_with_the_engine_for_every_unit(example: Example) -> None:
    """Every formula cell of every unit's workbook, evaluated with the ``formulas`` package's
    Excel functions (each formula shape compiled once), equals the engine: leaf, criterion,
    area, total points, maxima, indexes and the band."""
    evaluator = CachedEvaluator()
    checked = 0
    for s in example.results.sets:
        for unit in s.units["unit"]:
            layout = example.layouts[unit]
            want = expected_cells(s, unit, layout)
            got = evaluator.evaluate(example.books / f"{unit}.xlsx")
            assert mismatches(got, want) == [], unit
            assert omitted_nodes_are_zero(s, unit, layout) == [], unit
            checked += len(want)
    # points, counted maximum and index of every node row, the total row's three, the band
    assert checked == sum(3 * len(lay.rows) + 3 + (lay.band_row is not None) for lay in example.layouts.values())
    if example.data_name == "mini":
        assert checked == 2 * (3 * 13 + 4) + (3 * 14 + 4) == 132


@pytest.mark.parametrize(
    ("example_set", "unit", "total"),
    [("mini", "so-b", 5.72), ("mini", "h-c", 7.9), ("bac-giang", "h-luc-ngan", None)],
)
def test_full_excel_recalculation_agrees_with_the_engine(example_set: str, unit: str, total: float | None, tmp_path: Path) -> None:
    """The whole workbook loaded and recalculated by the ``formulas`` Excel engine."""
    criteria_paths, data_path = {"mini": MINI, "bac-giang": BAC_GIANG}[example_set]
    sets = [load(p) for p in criteria_paths]
    data = read_data(data_path)
    results = score(sets, data, "self")
    s, i = results.find(unit)
    u = s.units.iloc[i]
    path = tmp_path / f"{unit}.xlsx"
    layout = write_workbook(s.criteria, UnitInfo(unit, str(u["name"]), str(u["kind"])), path, prefill_from_data(s.criteria, data, unit, s))
    got = recalc_full(path)
    want = expected_cells(s, unit, layout)
    assert mismatches(got, want) == []
    assert len(want) == 3 * len(layout.rows) + 3 + (layout.band_row is not None)
    if total is not None:
        assert got[f"F{layout.total_row}"] == total


def test_numbers_and_dates_typed_as_text_give_the_forms_total(tmp_path: Path) -> None:
    """Issue 10, item 8: a ratio and a date typed as text count 0 in the form's formulas; the
    engine refuses both cells (value_is_text, an error, 0 points), so the total the head of the
    unit signs — recalculated by the ``formulas`` Excel engine — is the engine's total."""
    sets = [load(p) for p in BAC_GIANG[0]]
    data = read_data(BAC_GIANG[1])
    unit = "h-luc-ngan"
    s, i = score(sets, data, "self").find(unit)
    u = s.units.iloc[i]
    path = tmp_path / f"{unit}.xlsx"
    layout = write_workbook(s.criteria, UnitInfo(unit, str(u["name"]), str(u["kind"])), path, prefill_from_data(s.criteria, data, unit, s))
    wb = openpyxl.load_workbook(path)
    ws = wb[wl.MAIN_SHEET]
    ratio, date = "1.1.2", "1.1.1"
    assert (wl_kind(layout, ratio), wl_kind(layout, date)) == ("ratio", "date")
    ws[layout.cell(ratio, "value")] = "93,5%"  # pasted as text
    ws[layout.cell(date, "value")] = "04/01/2024"
    wb.save(path)
    from_book = score(sets, read_data(path), "self")
    sb, ib = from_book.find(unit)
    got = recalc_full(path)
    assert got[f"F{layout.total_row}"] == float(sb.total_points[ib]) / sb.scale
    assert sb.leaf_points[ib, sb.criteria.leaf_index[ratio]] == sb.leaf_points[ib, sb.criteria.leaf_index[date]] == 0.0
    text = [(p.reason, p.cell, p.severity) for p in from_book.problems if p.reason == "value_is_text"]
    assert text == [("value_is_text", layout.cell(date, "value"), "error"), ("value_is_text", layout.cell(ratio, "value"), "error")]
    # what to enter: the catalogue's form, the web form's hint for a ratio (messages.RATIO_FORM)
    assert [p.message for p in from_book.problems if p.reason == "value_is_text"][1] == (
        "'93,5%' được nhập dạng văn bản, không phải một tỷ lệ phần trăm (ví dụ 93% hoặc 93,5%): ô này được tính 0 điểm "
        "(trong phiếu và khi chấm); hãy xoá ô rồi nhập lại một tỷ lệ phần trăm (ví dụ 93% hoặc 93,5%)"
    )
    assert float(sb.total_points[ib]) / sb.scale < float(s.total_points[i]) / s.scale  # the two leaves' points are gone


def wl_kind(layout: Layout, code: str) -> str:
    from par_index.workbook.formulas import value_kind

    return value_kind(layout.leaves[code])


def test_a_negative_ratio_or_count_scores_0_in_the_form_as_in_the_engine(tmp_path: Path) -> None:
    """A negative ratio or count (refused by the cell's validation, but pasted anyway) was read as 0
    by the form's formulas and by the engine: full points on a lower-is-better rule. Both now score
    it 0 (the engine reports value_negative as an error); the recalculated form gives the engine's total."""
    c = tmp_path / "c.yaml"
    c.write_text(
        "id: t\ntitle: t\nyear: 2024\nunit_kinds: {so: Sở}\nprovenance: illustrative\nnodes:\n"
        "  - code: '1'\n    name: A\n    max: 4\n    children:\n"
        "      - {code: '1.1', name: Trễ hạn, max: 2, rule: {kind: bands, bands: [{below: 0.01, points: 2}, {from: 0.01, points: 0}]}}\n"
        "      - {code: '1.2', name: Vi phạm, max: 2, rule: {kind: bands, measure: count, bands: [{below: 1, points: 2}, {from: 1, points: 0}]}}\n",
        encoding="utf-8",
    )
    crit = load(c)
    path = tmp_path / "u.xlsx"
    layout = write_workbook(crit, UnitInfo("u", "Đơn vị U", "so"), path)
    wb = openpyxl.load_workbook(path)
    ws = wb[wl.MAIN_SHEET]
    ws[layout.cell("1.1", "value")] = -0.05
    ws[layout.cell("1.2", "value")] = -3
    wb.save(path)
    got = recalc_full(path)
    s, i = score([crit], read_data(path), "self").find("u")
    assert float(s.total_points[i]) / s.scale == got[f"F{layout.total_row}"] == 0.0  # both were 4 (full points)
