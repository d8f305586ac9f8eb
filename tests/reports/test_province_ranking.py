"""Province ranking on hand-made data (tests/data/ranking): ties, bands on the boundary, groups,
change against last year, self against final, area leaders; last year's file read strictly."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from support.paths import TESTS

from par_index.criteria.compiled import load
from par_index.errors import InputError
from par_index.pipeline import read_data
from par_index.reports.format import exact_index, float_to_2dp, vn
from par_index.reports.ranking import (
    area_leaders,
    claim_gaps,
    compare_previous,
    ranking_frame,
    read_previous,
    unit_groups,
)
from par_index.scoring.engine import score

HERE = TESTS / "data" / "ranking"


@pytest.fixture(scope="module")
def scored():
    c = load(HERE / "criteria.yaml")
    d = read_data(HERE / "data")
    return score(c, d, "final"), score(c, d, "self"), d


def _by_unit(df, col):
    return dict(zip(df["unit"], df[col], strict=True))


def test_ties_share_the_lower_rank_1_2_2_4(scored):
    final, _, data = scored
    r = ranking_frame(final, unit_groups(data))
    assert list(r["unit"]) == ["a", "b", "c", "d", "e"]
    assert _by_unit(r, "rank") == {"a": 1, "b": 2, "c": 2, "d": 4, "e": 1}
    # c is 6.75 of 7.5 (2.1 is na): exactly 90, the same as b's 9 of 10
    assert _by_unit(r, "index_2dp") == {"a": Decimal("95.00"), "b": Decimal("90.00"), "c": Decimal("90.00"), "d": Decimal("80.00"), "e": Decimal("65.00")}
    assert _by_unit(r, "max")["c"] == Decimal("7.50")


def test_a_total_exactly_on_90_is_in_the_90_band(scored):
    final, _, data = scored
    r = ranking_frame(final, unit_groups(data))
    assert _by_unit(r, "band") == {"a": "A", "b": "A", "c": "A", "d": "B", "e": "D"}


def test_rank_within_optional_group_column(scored):
    final, _, data = scored
    r = ranking_frame(final, unit_groups(data))
    assert unit_groups(data) == {"a": "Khối 1", "b": "Khối 1", "c": "Khối 2", "d": "Khối 2"}
    assert {u: (None if g is pd.NA else int(g)) for u, g in _by_unit(r, "group_rank").items()} == {"a": 1, "b": 2, "c": 1, "d": 2, "e": None}


def test_area_leaders_include_ties_at_the_cut(scored):
    final, _, _ = scored
    lead = area_leaders(final, top=3)
    so2 = lead[(lead["kind"] == "so") & (lead["area"] == "2")]
    assert list(zip(so2["rank"], so2["unit"], so2["index_2dp"], strict=True)) == [(1, "a", Decimal("100.00")), (1, "b", Decimal("100.00")), (3, "d", Decimal("80.00"))]
    so1 = lead[(lead["kind"] == "so") & (lead["area"] == "1")]
    assert list(zip(so1["rank"], so1["unit"], strict=True)) == [(1, "a"), (2, "c"), (3, "b")]
    assert so1["index_2dp"].tolist() == [Decimal("93.33"), Decimal("90.00"), Decimal("86.67")]


def test_self_against_final_gap_per_unit_and_area(scored):
    final, self_, _ = scored
    g = claim_gaps(self_, final)
    first = g.units.iloc[0]
    assert (first["unit"], first["self_points"], first["final_points"], first["gap"]) == ("e", Decimal("7.00"), Decimal("6.50"), Decimal("0.50"))
    assert (first["self_index"], first["final_index"]) == (Decimal("70.00"), Decimal("65.00"))
    assert set(g.units["gap"].iloc[1:]) == {Decimal("0.00")}
    assert g.areas.to_dict("records") == [
        {"unit": "e", "area": "2", "area_name": "Thể chế", "self_points": Decimal("2.00"), "final_points": Decimal("1.50"), "gap": Decimal("0.50")}
    ]


def _previous(tmp_path: Path) -> Path:
    doc = {
        "criteria": "ranking-test-2023",
        "stage": "final",
        "units": [
            {"unit": "a", "name": "Sở A", "kind": "so", "index": 93.004, "rank": 1},
            {"unit": "b", "name": "Sở B", "kind": "so", "index": 88.0, "rank": 3},
            {"unit": "d", "name": "Sở D", "kind": "huyen", "index": 81.5, "rank": 1},
            {"unit": "e", "name": "Huyện E", "kind": "huyen", "index": 70.005, "rank": 2},
            {"unit": "f", "name": "Sở F", "kind": "so", "index": 85.0, "rank": 2},
        ],
    }
    path = tmp_path / "prev.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_change_against_previous_year(scored, tmp_path):
    final, _, data = scored
    prev = read_previous(_previous(tmp_path))
    ch = compare_previous(ranking_frame(final, unit_groups(data)), prev)
    rows = {r["unit"]: r for r in ch.changes.to_dict("records")}
    assert (rows["a"]["prev_index"], rows["a"]["index_change"], rows["a"]["rank_change"]) == (Decimal("93.00"), Decimal("2.00"), 0)
    assert (rows["b"]["index_change"], rows["b"]["rank_change"]) == (Decimal("2.00"), 1)
    # 70.005 is published as 70.01 (half up): the change is what the printed numbers give
    assert rows["e"]["prev_index"] == Decimal("70.01")
    assert rows["e"]["index_change"] == Decimal("-5.01")
    assert vn(rows["e"]["index_change"], signed=True) == "-5,01"
    assert rows["e"]["rank_change"] == 1
    # d was a huyen last year: the index compares, the rank does not
    assert rows["d"]["index_change"] == Decimal("-1.50")
    assert rows["d"]["rank_change"] is None
    assert rows["d"]["note"] == "năm trước thuộc loại 'huyen': thứ hạng không so sánh được"
    assert ch.new_units == ["c"]
    assert rows["c"]["note"] == "mới (không có trong kết quả năm trước)"
    assert [u.unit for u in ch.gone_units] == ["f"]


def test_previous_csv_from_score_out(scored, tmp_path):
    path = tmp_path / "prev.csv"
    path.write_text("unit,name,kind,points,max,index,rank,band\na,Sở A,so,9.1,10,91.00,2,A\nb,Sở B,so,9.2,10,\"92,5\",1,A\n", encoding="utf-8")
    prev = read_previous(path)
    assert prev.units["a"].index == Decimal("91.00") and prev.units["a"].rank == 2
    assert prev.units["b"].index == Decimal("92.50")


def test_previous_file_errors_name_the_place(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"units": [{"unit": "a", "index": "cao"}, {"name": "x"}]}', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_previous(bad)
    msgs = [(p.field, p.message) for p in exc.value.problems]
    assert msgs[0][0] == "units[1].index"
    assert msgs[0][1].startswith("\"index\" phải là số, không phải \"cao\"")
    assert msgs[1] == ("units[2]", "mỗi phần tử của \"units\" cần khóa \"unit\" (mã đơn vị)")
    csv = tmp_path / "bad.csv"
    csv.write_text("unit,index\na,91\na,92\nb,abc\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_previous(csv)
    got = [(p.line, p.unit, p.message) for p in exc.value.problems]
    assert got[0] == (3, "a", "mã đơn vị xuất hiện hai lần trong kết quả năm trước")
    assert got[1][:2] == (4, "b") and got[1][2] == "chỉ số 'abc' không phải là số; cần một số (ví dụ 12,5)"
    with pytest.raises(InputError) as exc:
        read_previous(tmp_path / "prev.txt")
    assert exc.value.problems[0].message == "không tìm thấy tệp kết quả năm trước"
    latin = tmp_path / "cp1258.json"
    latin.write_bytes(b'{"units": [{"unit": "s\xf4", "index": 90}]}')  # not UTF-8: byte 23
    with pytest.raises(InputError) as exc:
        read_previous(latin)
    assert exc.value.problems[0].message.startswith("tệp không phải JSON hợp lệ (không phải văn bản UTF-8, byte thứ 23). ")


def test_index_rounding_is_half_up_from_the_exact_fraction():
    # 70.5 of 80 is exactly 88.125: shown 88,13 (a float printf would give 88,12)
    assert exact_index(7050, 8000) == Decimal("88.13")
    assert f"{7050 * 100 / 8000:.2f}" == "88.12"
    assert float_to_2dp(88.125) == Decimal("88.13")
    assert vn(Decimal("-0.001"), signed=True) == "0,00"
    assert vn(Decimal("1.5"), signed=True) == "+1,50"


def test_report_title_says_after_appraisal_only_when_there_was_one():
    """Issue 10 item 10 (title): the shipped example has a few appraisal decisions but many cuts
    the same run proposes are undecided, so its ranking is not "kết quả cuối cùng (sau thẩm định)"."""
    import datetime as dt

    from support.paths import REPO

    from par_index.pipeline import load_criteria
    from par_index.reports.build import prepare
    from par_index.reports.province import stage_title

    crit = load_criteria(REPO / "criteria/bac-giang/2024/so.yaml", REPO / "criteria/bac-giang/2024/huyen.yaml")
    inp = prepare(crit, read_data(REPO / "evidence/bac-giang/2024"), dt.date(2025, 3, 1))
    title = stage_title(inp)
    assert title.startswith("kết quả thẩm định chưa xong: còn ") and "chưa có quyết định và vẫn được tính" in title
    assert "sau thẩm định)" not in title


def test_over_claims_table_compares_the_units_own_claim_with_the_final_result():
    """Issue 10, item 10: the table compared the rule's score of the self values with the final
    result, so it missed the Bắc Giang example's deliberate over-claims (README gaps 6–9), whose
    self values score what the final result gives. It now uses the claimed ``points``."""
    from support.paths import REPO

    sets = [load(REPO / "criteria/bac-giang/2024/so.yaml"), load(REPO / "criteria/bac-giang/2024/huyen.yaml")]
    d = read_data(REPO / "evidence/bac-giang/2024")
    g = claim_gaps(score(sets, d, "self"), score(sets, d, "final"))
    gaps = {u: str(x) for u, x in zip(g.units["unit"], g.units["gap"], strict=True) if x != 0}
    # the four deliberate over-claims: 1.1.2 claims 1,5 for 0,5; 7.2.4 claims 1 for 120 % (0);
    # 3.3.2 claims 1,5 for 0,75; 7.1.1 claims 3 for 2,35
    assert {u: gaps[u] for u in ("so-nn-ptnt", "so-y-te", "h-tan-yen", "h-son-dong")} == {
        "so-nn-ptnt": "1.00", "so-y-te": "1.00", "h-tan-yen": "0.75", "h-son-dong": "0.65"
    }
    # and the appraisal rounds' cuts, as before
    assert {u: gaps[u] for u in ("so-gtvt", "tx-viet-yen", "h-luc-ngan", "so-vhttdl")} == {
        "so-gtvt": "0.75", "tx-viet-yen": "0.53", "h-luc-ngan": "0.50", "so-vhttdl": "0.50"
    }
    assert len(gaps) == 8
    nn = g.units[g.units["unit"] == "so-nn-ptnt"].iloc[0]
    assert (nn["self_points"], nn["final_points"], nn["self_index"]) == (Decimal("78.30"), Decimal("77.30"), Decimal("78.30"))
    area = g.areas[g.areas["unit"] == "so-nn-ptnt"].to_dict("records")
    assert [(a["area"], a["gap"]) for a in area] == [("1", Decimal("1.00"))]


def test_ranking_shows_the_index_after_the_pending_cuts(tmp_path):
    """Issue 10 item 10: the ranking is titled with the cuts the same run proposes and no
    decision has made yet; beside each unit's index it now gives the index once those cuts are
    made, in the HTML report and the report workbook (Bắc Giang 2024: 4 cuts, 3,98 points)."""
    import datetime as dt
    import re

    from openpyxl import load_workbook
    from support.paths import REPO

    from par_index.pipeline import load_criteria
    from par_index.reports.build import prepare
    from par_index.reports.province import ProvinceData, pending_cuts, render_province_report
    from par_index.reports.workbook import write_workbook

    crit = load_criteria(REPO / "criteria/bac-giang/2024/so.yaml", REPO / "criteria/bac-giang/2024/huyen.yaml")
    inp = prepare(crit, read_data(REPO / "evidence/bac-giang/2024"), dt.date(2025, 3, 1))
    pending = pending_cuts(inp)
    assert sorted((p.unit, p.criterion, p.current_points - p.proposed_points) for p in pending) == [
        ("ban-dan-toc", "1.4.2", 0.5), ("h-yen-the", "6.2", 0.98), ("so-khcn", "1.4.1", 1.0), ("so-xay-dung", "2.3.1", 1.5)
    ]
    pdata = ProvinceData(ranking_frame(inp.final, unit_groups(inp.data)), claim_gaps(inp.self_, inp.final), None, None, pending)
    # claimed index → index after the pending cuts (each unit's maximum is 100 points)
    cut = {"so-khcn": ("83.26", "82.26"), "so-xay-dung": ("77.98", "76.48"), "ban-dan-toc": ("70.52", "70.02"), "h-yen-the": ("72.93", "71.95")}
    html = render_province_report(inp, pdata)
    assert html.count('<th class="num" title="Chỉ số nếu các đề xuất cắt giảm chưa có quyết định được chấp nhận">Chỉ số sau đề xuất cắt giảm (%)</th>') == 2
    rows = re.findall(r'<tr data-unit="([^"]+)" data-kind.*?data-field="index" data-points="([^"]*)".*?data-field="index-after-cuts" data-points="([^"]*)">([^<]*)<', html)
    assert len(rows) == 30
    got = {u: (i, a) for u, i, a, _ in rows}
    assert {u: got[u] for u in cut} == cut
    assert all(i == a for u, (i, a) in got.items() if u not in cut)  # no pending cut: the same index
    assert {u: text for u, _, _, text in rows if u in cut} == {"so-khcn": "82,26", "so-xay-dung": "76,48", "ban-dan-toc": "70,02", "h-yen-the": "71,95"}
    write_workbook(inp, pdata, None, tmp_path / "bao-cao.xlsx")
    ws = load_workbook(tmp_path / "bao-cao.xlsx")["Xếp hạng"]
    head = [c.value for c in ws[1]]
    assert head[8:11] == ["Chỉ số (%)", "Chỉ số sau đề xuất cắt giảm (%)", "Xếp loại"]
    book = {r[2]: (r[8], r[9]) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert {u: book[u] for u in cut} == {u: (float(i), float(a)) for u, (i, a) in cut.items()}
    assert ws.cell(row=2, column=10).number_format == "[$-42A]0.00"
