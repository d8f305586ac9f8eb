"""Every report rendered for every example unit; the numbers read back from the HTML (data
attributes and the displayed text) equal the engine's, computed here independently with
fractions. Also the workbook, the notes input, and the ``report`` command."""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from support.paths import REPO
from support.report_html import numbers

from par_index.criteria.compiled import load
from par_index.errors import InputError
from par_index.pipeline import read_data
from par_index.reports.build import prepare, write_reports
from par_index.reports.ranking import read_previous
from par_index.reports.unit import read_notes, render_unit_report, units_in

ROOT = REPO
EXAMPLES = {
    "mini": ((ROOT / "tests/data/mini/criteria.yaml",), ROOT / "tests/data/mini/data"),
    "ranking": ((ROOT / "tests/data/ranking/criteria.yaml",), ROOT / "tests/data/ranking/data"),
    "bac-giang": ((ROOT / "criteria/bac-giang/2024/so.yaml", ROOT / "criteria/bac-giang/2024/huyen.yaml"), ROOT / "evidence/bac-giang/2024"),
}
DATE = dt.date(2025, 1, 15)


def two(x: Fraction) -> str:
    """Half up to 2 decimals, with a dot (independent of par_index.reports.format)."""
    q = (x * 100 + Fraction(1, 2)).__floor__() if x >= 0 else -((-x * 100 + Fraction(1, 2)).__floor__())
    sign = "-" if q < 0 else ""
    q = abs(q)
    return f"{sign}{q // 100}.{q % 100:02d}"


def pts(units: float, scale: int) -> str:
    return two(Fraction(int(units), scale))


def idx(p: float, m: float) -> str:
    return two(Fraction(int(p) * 100, int(m))) if m > 0 else ""


def comma(s: str) -> str:
    return s.replace(".", ",")


@pytest.fixture(scope="module", params=list(EXAMPLES))
def example(request):
    crit, data_path = EXAMPLES[request.param]
    sets = [load(p) for p in crit]
    return request.param, prepare(sets, read_data(data_path), DATE)


def _expected_unit(inp, unit):
    fs, i = inp.final.find(unit)
    ss, k = inp.self_.find(unit)
    c = fs.criteria
    exp = {}
    for n, node in enumerate(c.nodes):
        j = c.leaf_index.get(node.code) if node.is_leaf else None
        if j is not None:
            m, f, s = fs.leaf_max[i, j], fs.leaf_points[i, j], ss.leaf_points[k, j]
        else:
            m, f, s = fs.node_max[i, n], fs.node_points[i, n], ss.node_points[k, n]
        exp[(node.code, "max")] = pts(m, fs.scale) if m > 0 else ""
        exp[(node.code, "self")] = pts(s, fs.scale)
        exp[(node.code, "final")] = pts(f, fs.scale)
        exp[(node.code, "final-index")] = idx(f, m)
    exp[("", "self-points")] = pts(ss.total_points[k], fs.scale)
    exp[("", "final-points")] = pts(fs.total_points[i], fs.scale)
    exp[("", "max")] = pts(fs.total_max[i], fs.scale)
    exp[("", "self-index")] = idx(ss.total_points[k], ss.total_max[k])
    exp[("", "final-index")] = idx(fs.total_points[i], fs.total_max[i])
    return exp


def test_every_unit_report_shows_the_engines_numbers(example):
    name, inp = example
    units = units_in(inp.final)
    assert len(units) == {"mini": 3, "ranking": 5, "bac-giang": 30}[name]
    for unit in units:
        html = render_unit_report(inp, unit)
        shown = numbers(html)
        exp = _expected_unit(inp, unit)
        checked = 0
        for s in shown:
            assert s.unit == unit
            assert s.points == exp[(s.code, s.field)], (unit, s)
            if not s.points:
                assert s.text in ("", "—"), (unit, s)  # no maximum (bonus, penalty, na) or no index
            elif s.text:
                assert s.text == comma(s.points), (unit, s)
            checked += 1
        fs, i = inp.final.find(unit)
        applicable = int(np.sum(fs.status[i] != "not_applicable"))
        assert checked >= 3 * applicable  # every leaf's max, self (and final when appraised)
        assert f'<title>Báo cáo tự đánh giá Chỉ số CCHC năm {fs.criteria.spec.year} — ' in html
        assert "Ngày lập báo cáo: 15/01/2025" in html
        assert not re.search(r"(src|href)=\"(https?:)?//|url\((https?:)?//|@import", html)  # nothing fetched from outside


def test_province_report_ranks_and_indexes(example, tmp_path):
    _name, inp = example
    write_reports(inp, tmp_path)
    html = (tmp_path / "xep-hang.html").read_text(encoding="utf-8")
    ranks = dict(re.findall(r'<tr data-unit="([^"]+)" data-kind="[^"]+"><td class="c" data-field="rank" data-value="(\d*)">', html))
    shown = {(s.unit, s.field): s for s in numbers(html) if s.kind}
    n = 0
    for s in inp.final.sets:
        for i, unit in enumerate(s.units["unit"]):
            assert ranks[unit] == ("" if np.isnan(s.rank[i]) else str(int(s.rank[i])))
            ix = shown[(unit, "index")]
            assert ix.points == idx(s.total_points[i], s.total_max[i]) and ix.text == comma(ix.points)
            assert shown[(unit, "points")].points == pts(s.total_points[i], s.scale)
            n += 1
    assert n == len(ranks)


def test_province_report_on_hand_made_data(tmp_path):
    crit, data_path = EXAMPLES["ranking"]
    inp = prepare([load(p) for p in crit], read_data(data_path), DATE)
    prev = tmp_path / "prev.csv"
    prev.write_text("unit,name,kind,index,rank\na,Sở A,so,93.00,1\nb,Sở B,so,88.00,3\nf,Sở F,so,85,2\n", encoding="utf-8")
    write_reports(inp, tmp_path / "out", read_previous(prev))
    html = (tmp_path / "out/xep-hang.html").read_text(encoding="utf-8")
    assert '<strong data-band="A" data-count="3">3</strong>' in html
    assert '<strong data-band="B" data-count="1">1</strong>' in html
    changes = {s.unit: s.text for s in numbers(html) if s.field == "index-change"}
    assert changes == {"a": "+2,00", "b": "+2,00", "c": "—", "d": "—", "e": "—"}
    assert "Đơn vị mới (không có trong kết quả năm trước): c (Sở C); d (Sở D); e (Huyện E)." in html
    assert "nhưng không có năm nay: f (Sở F)." in html
    gaps = {s.unit: s.text for s in numbers(html) if s.field == "gap"}
    assert gaps == {"e": "+0,50"}
    assert "2. Thể chế: +0,50" in html
    leaders = re.findall(r'<span data-unit="([a-e])" data-rank="(\d)" data-points="([\d.]+)">', html)
    assert leaders[:3] == [("a", "1", "93.33"), ("c", "2", "90.00"), ("b", "3", "86.67")]
    assert leaders[3:6] == [("a", "1", "100.00"), ("b", "1", "100.00"), ("d", "3", "80.00")]


def test_unit_report_explains_gaps_and_drafts_sections():
    crit, data_path = EXAMPLES["mini"]
    inp = prepare([load(p) for p in crit], read_data(data_path), DATE)
    html = render_unit_report(inp, "so-b")
    # an appraisal cut, with the appraiser's reason
    assert "điểm thay đổi khi thẩm định: 1,00 → 0,00 (thẩm định lần 1: Không đủ tài liệu)" in html
    assert "không đọc được giá trị &#39;abc&#39;" in html
    assert "Bản nháp lập tự động từ kết quả chấm điểm" in html
    assert "<h2>III. KHÓ KHĂN, VƯỚNG MẮC</h2>" in html and "<h2>IV. ĐỀ XUẤT, KIẾN NGHỊ</h2>" in html


def test_unit_report_uses_the_units_notes(tmp_path):
    crit, data_path = EXAMPLES["mini"]
    notes_file = tmp_path / "notes.csv"
    notes_file.write_text("unit,section,text\nso-a,kho_khan,Thiếu cán bộ chuyên trách CCHC.\nso-a,đề xuất,Bổ sung kinh phí số hóa hồ sơ.\n", encoding="utf-8")
    inp = prepare([load(p) for p in crit], read_data(data_path), DATE, read_notes(notes_file))
    html = render_unit_report(inp, "so-a")
    assert "<li>Thiếu cán bộ chuyên trách CCHC.</li>" in html
    assert "<li>Bổ sung kinh phí số hóa hồ sơ.</li>" in html
    assert "Bản nháp lập tự động" not in html
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,section,text\nso-a,khac,x\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_notes(bad)
    p = exc.value.problems[0]
    assert (p.line, p.field) == (2, "section")
    assert p.message == "mục 'khac' không hợp lệ; dùng kho_khan (khó khăn, vướng mắc) hoặc de_xuat (đề xuất, kiến nghị)"


def test_workbook_has_the_same_numbers(tmp_path):
    crit, data_path = EXAMPLES["ranking"]
    inp = prepare([load(p) for p in crit], read_data(data_path), DATE)
    write_reports(inp, tmp_path)
    wb = load_workbook(tmp_path / "bao-cao.xlsx")
    assert wb.sheetnames == ["Xếp hạng", "Dẫn đầu lĩnh vực", "Chênh lệch tự chấm", "Chênh lệch theo lĩnh vực", "Điểm chi tiết", "Tài liệu kiểm chứng"]
    ws = wb["Xếp hạng"]
    head = [c.value for c in ws[1]]
    # the hand-made data have no evidence: every claimed point is a pending cut (index after the cuts)
    assert head[:11] == ["Loại đơn vị", "Hạng", "Mã đơn vị", "Tên đơn vị", "Nhóm", "Hạng trong nhóm", "Điểm", "Điểm tối đa", "Chỉ số (%)",
                         "Chỉ số sau đề xuất cắt giảm (%)", "Xếp loại"]
    rows = {r[2]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["c"][1] == 2 and rows["c"][5] == 1 and rows["c"][7] == 7.5 and rows["c"][8] == 90.0 and rows["c"][9] == 0.0 and rows["c"][10] == "A"
    assert rows["e"][6:11] == (6.5, 10.0, 65.0, 15.0, "D")  # 6,5 − 5 points of 1.1 without evidence = 1,5 of 10
    assert ws.cell(row=2, column=9).number_format == "[$-42A]0.00"
    gap = next(wb["Chênh lệch tự chấm"].iter_rows(min_row=2, values_only=True))
    assert gap[:6] == ("e", "Huyện E", "huyen", 7.0, 6.5, 0.5)


def test_workbook_detail_sheet_has_every_applicable_leaf(example, tmp_path):
    """The detail sheet, written from the score arrays: every applicable leaf of every unit, in
    unit and leaf order, set after set (Bắc Giang: two sets; mini: leaves not applicable to a kind)."""
    name, inp = example
    write_reports(inp, tmp_path)
    detail = list(load_workbook(tmp_path / "bao-cao.xlsx")["Điểm chi tiết"].iter_rows(min_row=2, values_only=True))
    expected = []
    skipped = 0
    for fs in inp.final.sets:
        ss = next(s for s in inp.self_.sets if s.criteria.id == fs.criteria.id)
        for i, unit in enumerate(fs.units["unit"]):
            k = ss.unit_row(unit)
            for j, leaf in enumerate(fs.criteria.leaves):
                if fs.status[i, j] == "not_applicable":
                    skipped += 1
                    continue
                mx = fs.leaf_max[i, j] / fs.scale if fs.leaf_max[i, j] > 0 else None
                expected.append((unit, leaf.code, leaf.name, mx, ss.leaf_points[k, j] / ss.scale, fs.leaf_points[i, j] / fs.scale,
                                 str(fs.value_text[i, j]).strip() or None))
    assert detail == expected
    assert (len(inp.final.sets), skipped > 0) == {"mini": (1, True), "ranking": (1, False), "bac-giang": (2, False)}[name]


def test_report_command_writes_every_file(tmp_path):
    from par_index.cli.commands.report import command

    crit, data_path = EXAMPLES["mini"]
    out = tmp_path / "out"
    res = CliRunner().invoke(command, ["--criteria", str(crit[0]), "--data", str(data_path), "--date", "15/01/2025", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["bao-cao.xlsx", "don-vi", "tai-lieu-kiem-chung.html", "xep-hang.html"]
    assert sorted(p.name for p in (out / "don-vi").iterdir()) == ["h-c.html", "so-a.html", "so-b.html"]
    with pytest.raises(InputError) as exc:
        command.main(["--criteria", str(crit[0]), "--data", str(data_path), "--date", "2025-13-40", "--out", str(out)], standalone_mode=False)
    assert exc.value.problems[0].message == "không đọc được ngày '2025-13-40': cần một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd"


def test_unit_pages_are_the_same_from_kept_rows_or_made_anew(example, monkeypatch):
    """Each distinct appendix and section II row (worked out for every unit of a set at once) is
    written once and kept up to ROWS_KEPT: the pages are the same when none is kept, in any order of units."""
    from par_index.reports import unit as unit_module
    from par_index.reports.unit import render_unit_report, units_in

    _, inp = example
    units = units_in(inp.final)
    kept = {u: render_unit_report(inp, u) for u in units}
    monkeypatch.setattr(unit_module, "ROWS_KEPT", 0)
    inp.cache.clear()
    assert {u: render_unit_report(inp, u) for u in reversed(units)} == kept
    monkeypatch.setattr(unit_module, "ROWS_KEPT", 3)
    inp.cache.clear()
    assert {u: render_unit_report(inp, u) for u in units} == kept


def test_unit_page_is_the_template_with_its_tables_in_place(example):
    """A unit page is assembled as UTF-8: the template rendered with a mark where each big table
    goes, the table's bytes (rows encoded once for all pages) put in its place. It is the page the
    template renders with the tables in it; user text cannot make a mark (escaped, it holds no "<")."""
    from markupsafe import Markup, escape

    from par_index.reports.render import render
    from par_index.reports.unit import APPENDIX, EXPLANATIONS, unit_report_context, unit_report_html

    _, inp = example
    for unit in units_in(inp.final):
        r = unit_report_context(inp, unit)
        tables = {k: Markup(v.decode("utf-8")) for k, v in r["parts"].items()}
        whole = render("unit_report.html.j2", r={**r, "appendix": tables[APPENDIX], "explanations": tables.get(EXPLANATIONS, "")},
                       dataset_label=inp.data.label)
        page = unit_report_html(inp, unit)
        assert page == whole.encode("utf-8")
        assert b"\x00" not in page and "<tr" in tables[APPENDIX]
    for mark in (APPENDIX, EXPLANATIONS):
        assert mark not in str(escape(mark)) and mark not in str(escape(f"x{mark}y"))


def test_draft_proposals_name_the_three_leaves_that_lost_most(example):
    """Section IV's draft: per weakest area, the leaves that lost most (at most 3; equal losses by
    code), worked out for every unit of a set at once: as sorting each unit's leaves gives them."""
    from par_index.reports.format import units_to_points, vn
    from par_index.reports.unit import unit_report_context

    name, inp = example
    for s in inp.final.sets:
        c = s.criteria
        for i, unit in enumerate(s.units["unit"].tolist()):
            r = unit_report_context(inp, unit)
            if name == "mini" and unit == "so-b":
                assert r["proposals"][0] == ("Tập trung khắc phục lĩnh vực 1: 1.2 Mức độ hoàn thành kế hoạch (thiếu 2,00 điểm); "
                                             "1.1 Ban hành kế hoạch CCHC năm (thiếu 1,00 điểm); 1.3 Có báo cáo CCHC định kỳ (thiếu 1,00 điểm).")
            if r["generated"]:
                expected = []
                for line in r["difficulties"]:
                    area = line.removeprefix("Lĩnh vực ").split(".")[0]
                    lost = sorted((-(s.leaf_max[i, j] - s.leaf_points[i, j]), leaf.code, j) for j, leaf in enumerate(c.leaves)
                                  if leaf.ancestors[0] == area and not leaf.outside_max and s.leaf_max[i, j] > 0
                                  and s.leaf_max[i, j] - s.leaf_points[i, j] > 0)
                    items = "; ".join(f"{code} {c.leaves[j].name} (thiếu {vn(units_to_points(-g, s.scale))} điểm)" for g, code, j in lost[:3])
                    if items:
                        expected.append(f"Tập trung khắc phục lĩnh vực {area}: {items}.")
                assert r["proposals"] == expected, unit


def test_section_two_rows_per_leaf_without_a_review():
    """Section II (worked out for every unit of a set at once): a row per applicable leaf with a
    problem, points without an evidence row (no review), or points changed at appraisal; the
    row's notes in order, problems first."""
    import re

    crit, data_path = EXAMPLES["mini"]
    inp = prepare([load(p) for p in crit], read_data(data_path), DATE)
    no_doc = "chưa có tài liệu kiểm chứng trong evidence.csv cho {} điểm tự đánh giá"

    def rows(unit: str) -> list[tuple[str, list[str]]]:
        page = render_unit_report(inp, unit)
        html = page.split('<table class="explanations">', 1)[1].split("</table>", 1)[0] if '<table class="explanations">' in page else ""
        return [(code, re.findall(r"<li>(.*?)</li>", body)) for code, body in re.findall(r'data-code="([^"]+)"(.*?)</tr>', html)]

    assert rows("so-a") == [
        ("1.1", [no_doc.format("2,00")]), ("1.2", [no_doc.format("2,00")]), ("1.3", [no_doc.format("1,00")]), ("1.4", [no_doc.format("0,75")]),
        ("2.1", ["tự chấm 2 điểm nhưng giá trị &#39;0.9&#39; chỉ được 1,89 điểm theo quy tắc", no_doc.format("1,89")]),
        ("2.2", [no_doc.format("0,75")]),
    ]
    assert rows("so-b") == [
        ("1.1", ["tự chấm 2 điểm nhưng giá trị &#39;2024-01-20&#39; chỉ được 1 điểm theo quy tắc", no_doc.format("1,00")]),
        ("1.2", [no_doc.format("1,00"), "điểm thay đổi khi thẩm định: 1,00 → 0,00 (thẩm định lần 1: Không đủ tài liệu)"]),
        ("2.1", [no_doc.format("2,00")]),
        ("2.2", ["không đọc được giá trị &#39;abc&#39;: cần một số (ví dụ 0,5 hoặc 93%); được tính 0 điểm"]),
    ]


def test_agency_view_without_a_review_and_its_workbook_rows(tmp_path):
    """Without the evidence review (``requirements`` None) the agency view lists each self-scored
    leaf with no evidence row; the workbook's evidence sheet has one row per unit lacking it."""
    from openpyxl import load_workbook

    from par_index.reports.agency import agency_context
    from par_index.reports.province import ProvinceData
    from par_index.reports.ranking import claim_gaps, ranking_frame, unit_groups
    from par_index.reports.workbook import write_workbook

    crit, data_path = EXAMPLES["mini"]
    inp = prepare([load(p) for p in crit], read_data(data_path), DATE)
    r = agency_context(inp, None)
    first = r["agencies"][0]
    assert (first["id"], first["owed"], first["lacking"], r["full_review"]) == ("so-noi-vu", 9, 9, False)
    assert str(first["entries"][0]["lacking_html"]) == ('<span data-unit="so-a">Sở A (tổng hợp) (thiếu)</span>; '
                                                        '<span data-unit="so-b">Sở B (tổng hợp) (thiếu)</span>')
    pdata = ProvinceData(ranking_frame(inp.final, unit_groups(inp.data)), claim_gaps(inp.self_, inp.final), None, None, [])
    sheet = load_workbook(write_workbook(inp, pdata, None, tmp_path / "b.xlsx"))["Tài liệu kiểm chứng"]
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == 15 and rows[0] == ("so-noi-vu", "1.1", rows[0][2], rows[0][3], "so-a", "Sở A (tổng hợp)", "thiếu")


def test_evidence_sheet_by_column_is_the_sheet_of_its_rows(tmp_path):
    """The workbook's evidence sheet is written from columns (one list per column, ~70,000 rows
    for 1,000 units): it is the sheet written from one row per owed document, on Bắc Giang's
    evidence register (every status, issuers, documents that repeat)."""
    import zipfile

    from par_index.common.xlsx_table import Table, write_tables
    from par_index.evidence.check import STATUS_WORDS
    from par_index.reports.agency import review_self
    from par_index.reports.province import ProvinceData
    from par_index.reports.ranking import claim_gaps, ranking_frame, unit_groups
    from par_index.reports.workbook import write_workbook

    crit, data_path = EXAMPLES["bac-giang"]
    inp = prepare([load(p) for p in crit], read_data(data_path), DATE)
    requirements = list(review_self(inp).requirements)
    assert len({q.status for q in requirements}) >= 3
    pdata = ProvinceData(ranking_frame(inp.final, unit_groups(inp.data)), claim_gaps(inp.self_, inp.final), None, None, [])
    with zipfile.ZipFile(write_workbook(inp, pdata, requirements, tmp_path / "b.xlsx")) as z:
        by_column = z.read("xl/worksheets/sheet6.xml")
    rows = [[q.agency, q.leaf, q.leaf_name, q.document, q.unit, q.unit_name, STATUS_WORDS.get(q.status, q.status)] for q in requirements]
    headers = ["Cơ quan", "Tiêu chí", "Nội dung", "Tài liệu", "Mã đơn vị", "Tên đơn vị", "Tình trạng"]
    with zipfile.ZipFile(write_tables(tmp_path / "r.xlsx", [Table("Tài liệu kiểm chứng", headers, rows, set(), {1: 16, 3: 40, 4: 50, 6: 36})])) as z:
        assert by_column == z.read("xl/worksheets/sheet1.xml")


def test_the_agency_report_follows_the_order_the_agencies_are_declared_in():
    """agencies.yaml lists them as the plan does (Sở Nội vụ, Sở Tư pháp, Văn phòng UBND tỉnh, …);
    sorted by code point the report began with Bưu điện tỉnh and put Sở Khoa học before Sở Kế hoạch."""
    from par_index.reports.agency import agency_context

    sets = [load(ROOT / f"criteria/bac-giang/2024/{kind}.yaml") for kind in ("so", "huyen")]
    declared = list(dict.fromkeys(a.name for c in sets for a in c.spec.agencies or []))
    inp = prepare(sets, read_data(ROOT / "evidence/bac-giang/2024"), DATE)
    shown = [a["name"] for a in agency_context(inp, None)["agencies"] if a["id"]]
    assert shown == [name for name in declared if name in shown] and len(shown) >= 9, (shown, declared)
    assert shown[0] == "Sở Nội vụ"
