"""The plan register's loader, plan-status counts, and the share of tasks done → bands points.

tests/data/plan_mini: 10 monthly tasks led by so-a (due at each month's end, Jan–Oct 2024),
one ongoing and one 2024-2025 task led by so-b; progress.csv is hand-made (see the comments
in test_counts_as_of_30_september).
"""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from support.paths import REPO, TESTS

from par_index.cli.main import main
from par_index.common.values import parse_numbers
from par_index.criteria.compiled import load
from par_index.errors import InputError
from par_index.pipeline import read_data
from par_index.reform_plan.register import load_plan
from par_index.reform_plan.status import default_as_of, percent_text, plan_status, share_assessment, write_assessments
from par_index.scoring.engine import score

HERE = TESTS / "data" / "plan_mini"
PLAN = HERE / "plan.yaml"
PROGRESS = HERE / "progress.csv"
BG_PLAN = REPO / "criteria/bac-giang/2024/plan.yaml"
BG_PROGRESS = REPO / "evidence/bac-giang/2024/plan-progress.csv"
BG_SO = REPO / "criteria/bac-giang/2024/so.yaml"


# -- loader ------------------------------------------------------------------------------------


def test_bac_giang_plan_loads_strictly() -> None:
    p = load_plan(BG_PLAN)
    assert len(p.plan.tasks) == 74 + 19  # the appendix, then the main text's obligations
    assert sum(t.origin == "main_text" for t in p.plan.tasks) == 19
    assert p.plan.task("CV.V.1.1.2").criteria == {"bac-giang-2024-huyen": ["1.1.3"], "bac-giang-2024-xa": ["1.1"]}
    assert p.plan.task("VII.2.2.1").criteria_text == "bac-giang-2024-so: 1.1.1; bac-giang-2024-huyen: 1.1.1"
    assert p.agencies["so-noi-vu"] == "Sở Nội vụ"
    t = p.plan.task("II.2.1.1")
    assert t.due == dt.date(2024, 2, 9) and t.lead == ["cac-so-nganh", "ubnd-huyen"]
    assert p.lines["I.1.1.1"] == 54


TASK = """  - id: "{id}"
    area: "I"
    goal: "Mục tiêu"
    task: "Nhiệm vụ"
    lead: [{lead}]
    deadline: {deadline}
"""
GOOD_DEADLINE = '{text: "Tháng 3/2024", kind: month, start: 2024-03-01, due: 2024-03-31}'


def _write(tmp_path: Path, tasks: str, header: str = 'id: kh\ntitle: "Kế hoạch"\nyear: 2024\ntasks:\n') -> Path:
    (tmp_path / "agencies.yaml").write_text((HERE / "agencies.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "plan.yaml"
    path.write_text(header + tasks, encoding="utf-8")
    return path


def _problems(path: Path) -> list[tuple[str, int | None, str, str, str]]:
    with pytest.raises(InputError) as info:
        load_plan(path)
    return [(p.reason, p.line, p.criterion, p.field, p.message) for p in info.value.problems]


def test_broken_plan_unknown_key_and_missing_field(tmp_path: Path) -> None:
    tasks = TASK.format(id="A.1", lead="so-a", deadline=GOOD_DEADLINE) + "    owner: so-a\n"
    tasks += '  - id: "A.2"\n    area: "I"\n    task: "Nhiệm vụ"\n    lead: [so-a]\n'
    got = _problems(_write(tmp_path, tasks))
    assert got == [
        ("plan_extra_forbidden", 11, "A.1", "owner", "khóa này không có trong định dạng kế hoạch (xem docs/evidence-and-plan.md); hãy xóa hoặc sửa chính tả"),
        ("plan_missing", 12, "A.2", "goal", "thiếu trường bắt buộc"),
    ]


def test_broken_plan_dates(tmp_path: Path) -> None:
    tasks = TASK.format(id="A.1", lead="so-a", deadline='{text: "Tháng 2/2024", kind: month, start: 2024-02-01, due: 2024-02-30}')
    tasks += TASK.format(id="A.2", lead="so-a", deadline='{text: "Tháng 3/2024", kind: month, start: 2024-03-01}')
    tasks += TASK.format(id="A.3", lead="so-a", deadline='{text: "Thường xuyên", kind: ongoing, due: 2024-12-31}')
    tasks += TASK.format(id="A.4", lead="so-a", deadline='{text: "Quý II", kind: quarter, start: 2024-06-30, due: 2024-04-01}')
    got = _problems(_write(tmp_path, tasks))
    assert got == [
        ("plan_value_error", 10, "A.1", "deadline.due", "không đọc được ngày '2024-02-30': cần một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd"),
        ("plan_value_error", 16, "A.2", "deadline", "hạn loại 'month' (một tháng) cần ngày 'due'"),
        ("plan_value_error", 22, "A.3", "deadline", "hạn loại 'ongoing' (thường xuyên) không có ngày; bỏ 'start' và 'due'"),
        ("plan_value_error", 28, "A.4", "deadline", "ngày kết thúc 01/04/2024 trước ngày bắt đầu 30/06/2024"),
    ]


def test_broken_plan_duplicate_id_unknown_agency_duplicate_key(tmp_path: Path) -> None:
    tasks = TASK.format(id="A.1", lead="so-a", deadline=GOOD_DEADLINE)
    tasks += TASK.format(id="A.1", lead="so-x", deadline=GOOD_DEADLINE)
    tasks += TASK.format(id="A.3", lead="so-a", deadline=GOOD_DEADLINE).replace('    area: "I"\n', '    area: "I"\n    area: "II"\n')
    got = _problems(_write(tmp_path, tasks))
    assert got == [
        ("yaml_duplicate_key", 19, "", "area", "khóa 'area' xuất hiện hai lần trong cùng một mục (lần đầu ở dòng 18); mỗi khóa chỉ được viết một lần"),
        ("task_duplicate", 11, "A.1", "id", "mã nhiệm vụ 'A.1' đã dùng cho một nhiệm vụ khác (mã phải duy nhất)"),
        ("agency_undeclared", 15, "A.1", "lead", f"cơ quan 'so-x' chưa được khai báo trong {tmp_path / 'agencies.yaml'}"),
    ]


def test_broken_plan_not_a_mapping_and_plan_command_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "plan.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    assert _problems(bad) == [("plan_not_mapping", None, "", "", "tệp kế hoạch phải là một mục YAML có id, title, year, tasks")]
    code = main(["plan-status", "--plan", str(bad), "--progress", str(PROGRESS)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "tệp kế hoạch phải là một mục YAML" in err


# -- status ------------------------------------------------------------------------------------


def test_counts_as_of_30_september() -> None:
    s = plan_status(load_plan(PLAN), PROGRESS, dt.date(2024, 9, 30))
    a, b = s.agencies
    # so-a: A.1 done on time; A.2 done late (05/03 > 29/02); A.3 done (no date); A.4 in progress,
    # A.5 not started, A.9 unreadable status ('xong') → overdue; A.6, A.7 (on the due day) done;
    # A.8 done on 20/11, after the as-of date → overdue; A.10 done early (bad date kept as done).
    assert (a.agency, a.tasks, a.due, a.done, a.done_late, a.overdue, a.in_progress, a.undated, a.not_yet_due, a.expected) == (
        "so-a", 10, 9, 6, 1, 4, 1, 0, 0, 10,
    )
    assert a.share == Fraction(3, 5)
    # so-b: B.1 ongoing and done; B.2 (2024-2025) not yet due
    assert (b.tasks, b.due, b.done, b.undated, b.not_yet_due, b.expected, b.share) == (2, 0, 1, 1, 1, 1, Fraction(1))
    overdue = [t.task.id for t in s.tasks if t.overdue]
    assert overdue == ["A.4", "A.5", "A.8", "A.9"]
    reasons = [(p.reason, p.line, p.criterion) for p in s.problems]
    assert reasons == [
        ("done_on_missing", 5, "A.3"),
        ("status_unknown", 11, "A.9"),
        ("done_on_not_done", 14, "B.2"),
        ("date_unreadable", 16, "A.10"),
        ("task_duplicate", 12, "A.9"),
        ("task_unknown", 15, "Z.9"),
    ]
    msgs = {p.reason: p.message for p in s.problems}
    assert msgs["task_unknown"] == "nhiệm vụ 'Z.9' không có trong kế hoạch kh-thu; dòng này bị bỏ qua"
    assert msgs["status_unknown"].startswith("trạng thái 'xong' không hợp lệ; dùng done, in_progress, not_started")


def test_counts_at_year_end_and_missing_task(tmp_path: Path) -> None:
    progress = tmp_path / "p.csv"
    progress.write_text("task,status,done_on\nA.1,done,20/01/2024\nA.8,done,20/11/2024\n", encoding="utf-8")
    s = plan_status(load_plan(PLAN), progress, dt.date(2024, 12, 31))
    a = s.agencies[0]
    assert (a.due, a.done, a.done_late, a.overdue, a.expected, a.share) == (10, 2, 1, 8, 10, Fraction(1, 5))
    absent = [p for p in s.problems if p.reason == "task_without_progress"]
    assert absent[0].message == (
        "10 nhiệm vụ chưa có trong tệp tiến độ, được tính là chưa hoàn thành: A.2, A.3, A.4, A.5, A.6, A.7, A.9, A.10, B.1, B.2"
    )


def test_progress_file_in_cp1258_says_line_and_how_to_save_as_csv_utf8(tmp_path: Path) -> None:
    progress = tmp_path / "p.csv"
    progress.write_bytes("task,status,done_on,note\nA.1,done,20/01/2024,\nA.2,done,20/01/2024,Đúng\n".encode("cp1258"))
    with pytest.raises(InputError) as info:
        plan_status(load_plan(PLAN), progress, dt.date(2024, 12, 31))
    (p,) = info.value.problems
    assert (p.reason, p.line) == ("file_encoding", 3)
    assert p.message == (
        "tệp không phải UTF-8: byte 0xd0 ở cột 21 không đọc được (tệp có thể được lưu bằng mã Windows-1258/ANSI hay TCVN3). "
        "Trong Excel, chọn Tệp → Lưu thành, kiểu tệp «CSV UTF-8 (Comma delimited) (*.csv)» "
        "(«CSV UTF-8 (Phân tách bằng dấu phẩy)»), rồi dùng tệp mới"
    )


def test_default_as_of_is_today_capped_at_plan_year_end() -> None:
    assert default_as_of(2024, dt.date(2025, 3, 1)) == dt.date(2024, 12, 31)
    assert default_as_of(2024, dt.date(2024, 6, 15)) == dt.date(2024, 6, 15)


def test_progress_file_problems(tmp_path: Path) -> None:
    p = tmp_path / "p.csv"
    p.write_text("task,trạng thái\nA.1,done\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        plan_status(load_plan(PLAN), p)
    assert str(info.value) == f"{p} dòng 1: thiếu cột status; tệp tiến độ cần các cột task, status (tùy chọn: done_on, note)"


# -- share → assessment → bands points ----------------------------------------------------------


def test_percent_text_is_exact() -> None:
    assert percent_text(Fraction(9, 10)) == "90%"
    assert percent_text(Fraction(2, 3)) == "66.6666666667%"
    assert percent_text(Fraction(1)) == "100%"


CRITERIA = """id: kh-share
title: "Thử tỷ lệ hoàn thành kế hoạch"
year: 2024
unit_kinds: [so]
provenance: illustrative
nodes:
  - code: "1"
    name: "Chỉ đạo, điều hành"
    children:
      - code: "1.1.2"
        name: "Mức độ hoàn thành kế hoạch CCHC năm"
        max: 1.5
        rule:
          kind: bands
          measure: ratio
          bands:
            - {above: 0.9, points: 1.5}
            - {from: 0.7, to: 0.9, points: 0.75}
            - {below: 0.7, points: 0}
"""


@pytest.mark.parametrize(
    ("done", "value", "points"),
    [(10, "100%", 1.5), (9, "90%", 0.75), (7, "70%", 0.75), (6, "60%", 0.0)],
)
def test_share_scored_by_bands(tmp_path: Path, done: int, value: str, points: float) -> None:
    progress = tmp_path / "p.csv"
    lines = ["task,status,done_on"] + [f"A.{k},done,01/01/2024" for k in range(1, done + 1)]
    progress.write_text("\n".join(lines) + "\n", encoding="utf-8")
    s = plan_status(load_plan(PLAN), progress, dt.date(2024, 12, 31))
    row = share_assessment(s, "so-a", "1.1.2")
    assert row["value"] == value
    data = tmp_path / "data"
    write_assessments([row], data / "assessments.csv")
    (data / "units.csv").write_text("unit,name,kind\nso-a,Sở A,so\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text(CRITERIA, encoding="utf-8")
    r = score(load(tmp_path / "c.yaml"), read_data(data), "self")
    assert r.sets[0].leaf_points[0, 0] / r.sets[0].scale == points


def test_bac_giang_share_for_so_noi_vu_gives_1_point(tmp_path: Path) -> None:
    """19 of Sở Nội vụ's 21 tasks done (20 appendix rows and the main text's V.2.1): 90,48 %, short
    of the plan's "100% nhiệm vụ" → 1 of 1,5 (band "từ 90% đến dưới 100%")."""
    s = plan_status(load_plan(BG_PLAN), BG_PROGRESS, dt.date(2024, 12, 31))
    row = share_assessment(s, "so-noi-vu", "1.1.2")
    assert row["value"] == "90.4761904762%"
    assert row["note"] == "Tỷ lệ hoàn thành kế hoạch kh-213-2024: 19/21 nhiệm vụ do Sở Nội vụ chủ trì, tính đến ngày 31/12/2024"
    c = load(BG_SO)
    leaf = c.leaves[c.leaf_index["1.1.2"]]
    x, _ = parse_numbers(pd.Series([row["value"]]))
    assert float(leaf.rule.points(x, float(leaf.max))[0]) == 1.0


def test_plan_status_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, emit = tmp_path / "s.json", tmp_path / "a.csv"
    code = main([
        "plan-status", "--plan", str(PLAN), "--progress", str(PROGRESS), "--as-of", "30/09/2024",
        "--out", str(out), "--unit", "so-a", "--criterion", "1.1.2", "--emit-assessments", str(emit),
    ])
    assert code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["as_of"] == "2024-09-30"
    assert [(a["agency"], a["done"], a["overdue"], a["share"]) for a in doc["agencies"]] == [("so-a", 6, 4, 0.6), ("so-b", 1, 0, 1.0)]
    assert emit.read_text(encoding="utf-8").splitlines()[1].startswith("so-a,1.1.2,60%,self,")
    code = main(["plan-status", "--plan", str(PLAN), "--progress", str(PROGRESS), "--unit", "so-a"])
    assert code == 2
    assert "--unit, --criterion và --emit-assessments phải dùng cùng nhau" in capsys.readouterr().err
    code = main(["plan-status", "--plan", str(PLAN), "--progress", str(PROGRESS), "--as-of", "31/02/2024"])
    assert code == 2
    assert "trường 'as-of': không đọc được ngày '31/02/2024': cần một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd" in capsys.readouterr().err
    code = main(["plan-status", "--plan", str(PLAN), "--progress", str(PROGRESS), "--unit", "so-c", "--criterion", "1.1.2", "--emit-assessments", str(emit)])
    assert code == 2
    assert "không có nhiệm vụ nào do 'so-c' chủ trì trong kế hoạch kh-thu; các cơ quan chủ trì: so-a, so-b" in capsys.readouterr().err


def test_plan_status_xlsx_and_csv(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    assert main(["plan-status", "--plan", str(PLAN), "--progress", str(PROGRESS), "--as-of", "30/09/2024", "--out", str(tmp_path / "s.xlsx")]) == 0
    wb = load_workbook(tmp_path / "s.xlsx")
    assert wb.sheetnames == ["Theo cơ quan", "Chi tiết nhiệm vụ", "Vấn đề"]
    ws = wb["Theo cơ quan"]
    assert ws["A1"].value == "Kế hoạch thử nghiệm — tiến độ tính đến ngày 30/09/2024"
    assert [c.value for c in ws[3]] == ["so-a", "Sở A", 10, 9, 6, 1, 4, 1, 0, 0, 60.0]
    detail = [list(r) for r in wb["Chi tiết nhiệm vụ"].iter_rows(min_row=2, max_row=3, values_only=True)]
    assert detail[1][:9] == ["A.2", "I", "Nhiệm vụ 2", "Sở A", "Tháng 2/2024", "29/02/2024", "đã hoàn thành", "05/03/2024", "hoàn thành muộn"]
    assert main(["plan-status", "--plan", str(PLAN), "--progress", str(PROGRESS), "--as-of", "30/09/2024", "--out", str(tmp_path / "s.csv")]) == 0
    raw = (tmp_path / "s.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel on Windows reads the diacritics
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Mã cơ quan,Cơ quan chủ trì,Số nhiệm vụ,Đến hạn,Đã hoàn thành")
    assert lines[1] == "so-a,Sở A,10,9,6,1,4,1,0,0,60"


def test_bac_giang_example_progress() -> None:
    s = plan_status(load_plan(BG_PLAN), BG_PROGRESS, dt.date(2024, 12, 31))
    by = {a.agency: a for a in s.agencies}
    assert (by["so-noi-vu"].done, by["so-noi-vu"].overdue, by["so-noi-vu"].share) == (19, 2, Fraction(19, 21))
    assert (by["so-tttt"].done, by["so-tttt"].done_late, by["so-tttt"].overdue) == (9, 1, 1)
    assert [(p.reason, p.criterion) for p in s.problems] == [("task_unknown", "VIII.1.1.1"), ("task_without_progress", "")]
    assert "SYNTHETIC" in BG_PROGRESS.read_text(encoding="utf-8").splitlines()[0]


def test_plan_status_shows_the_criteria_that_score_each_task(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.json"
    code = main(["plan-status", "--plan", str(BG_PLAN), "--progress", str(BG_PROGRESS), "--as-of", "31/12/2024", "--out", str(out)])
    assert code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    tasks = {t["id"]: t for t in doc["tasks"]}
    assert tasks["VI.2.1.1"]["criteria"] == {
        "bac-giang-2024-so": ["7.2.3", "7.2.4", "7.2.6"],
        "bac-giang-2024-huyen": ["7.2.3", "7.2.4", "7.2.6"],
    }
    assert tasks["VI.2.1.1"]["origin"] == "appendix" and tasks["CV.V.1.4.1"]["origin"] == "main_text"
    assert tasks["CV.V.2.10.1"]["criteria"] == {}
    capsys.readouterr()
    assert main(["plan-status", "--plan", str(BG_PLAN), "--progress", str(BG_PROGRESS), "--as-of", "31/12/2024"]) == 0
    text = capsys.readouterr().out
    assert "51/93 nhiệm vụ có tiêu chí chấm điểm (19 nhiệm vụ lấy từ phần chính văn của kế hoạch" in " ".join(text.split())
    assert "Chỉ tiêu của kế hoạch và tiêu chí chấm điểm" in text
    xlsx = tmp_path / "s.xlsx"
    assert main(["plan-status", "--plan", str(BG_PLAN), "--progress", str(BG_PROGRESS), "--as-of", "31/12/2024", "--out", str(xlsx)]) == 0
    from openpyxl import load_workbook

    ws = load_workbook(xlsx)["Chi tiết nhiệm vụ"]
    header = [c.value for c in ws[1]]
    assert header[-3:] == ["Nguồn trong kế hoạch", "Tiêu chí chấm điểm", "Ghi chú của kế hoạch"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["VII.3.2.1"][-2] == "bac-giang-2024-so: 1.3.1; bac-giang-2024-huyen: 1.3.1"
    assert rows["CV.III.3.1"][-3] == "phần chính văn"


def test_the_console_table_fits_80_columns_without_cutting_a_word(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Eleven columns at 80 characters cut the headings and codes mid-word ("Tron g đó", "so-n oi-v")
    and "90,48" into "90,4"/"8": the agency by name, the counts five wide, the headings by word."""
    from par_index.reform_plan.report import AGENCY_HEADERS

    monkeypatch.setenv("COLUMNS", "80")
    assert main(["plan-status", "--plan", str(BG_PLAN), "--progress", str(BG_PROGRESS), "--as-of", "31/12/2024"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    row = next(line for line in lines if line.strip().startswith("Sở Nội vụ"))
    assert row.split() == ["Sở", "Nội", "vụ", "21", "21", "19", "0", "2", "1", "0", "0", "90,48"]
    rule = next(i for i, line in enumerate(lines) if line.strip().startswith("───"))
    head_words = {w for line in lines[2:rule] for w in line.split()}
    wanted = {w for k, label in AGENCY_HEADERS.items() if k != "agency" for w in label.split()}
    assert head_words == wanted, head_words ^ wanted
