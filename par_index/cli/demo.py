"""The demo: the whole pipeline on the example data shipped in the repository.

The steps are listed by name in :data:`STEPS` (one place) and run in that order; each returns
the files it wrote, with a Vietnamese description.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np

from par_index.appraisal.proposals import propose
from par_index.appraisal.workbook import write_proposals
from par_index.cli.commands.appraise import summary
from par_index.criteria.compiled import CompiledCriteria, load
from par_index.errors import InputError, Problem
from par_index.evidence.check import review_evidence
from par_index.evidence.matrix import build_matrix
from par_index.evidence.report import write_matrix
from par_index.pipeline import read_data
from par_index.planning.headroom import headroom
from par_index.planning.optimise import Goal, plan_units
from par_index.planning.report import headroom_section, plan_section, robustness_section, write_html
from par_index.planning.robustness import robustness
from par_index.reform_plan.register import load_plan
from par_index.reform_plan.report import write_status
from par_index.reform_plan.status import plan_status, share_assessment, write_assessments
from par_index.reports.build import write_reports
from par_index.reports.unit import ReportInputs
from par_index.scoring.engine import Results, score
from par_index.unit_data.reader import UnitData
from par_index.workbook.template import UnitInfo, prefill_from_data, write_workbook

REPO = Path(__file__).resolve().parents[2]
BAC_GIANG_CRITERIA = (REPO / "criteria/bac-giang/2024/so.yaml", REPO / "criteria/bac-giang/2024/huyen.yaml")
BAC_GIANG_DATA = REPO / "evidence/bac-giang/2024"
BAC_GIANG_XA = (REPO / "criteria/bac-giang/2024/xa.yaml", REPO / "evidence/bac-giang/2024-xa-yen-the")
DEMO_PLAN = REPO / "criteria/bac-giang/2024/plan.yaml"
DEMO_PROGRESS = REPO / "evidence/bac-giang/2024/plan-progress.csv"
DEMO_PREVIOUS = REPO / "evidence/bac-giang/2023/ket-qua-2023.json"
SYNTHETIC_CRITERIA = (REPO / "tests/data/mini/criteria.yaml",)
SYNTHETIC_DATA = REPO / "tests/data/mini/data"


def shown(path: Path) -> str:
    """A shipped example's path as the repository names it, for what the demo writes: no
    absolute path of this machine in an output."""
    return path.relative_to(REPO).as_posix()


@dataclass
class DemoContext:
    out: Path
    criteria_paths: tuple[Path, ...]
    data_path: Path
    criteria: list[CompiledCriteria]
    data: UnitData
    results: Results
    label: str
    outputs: list[tuple[str, Path]] = field(default_factory=list)


Step = Callable[[DemoContext], list[tuple[str, Path]]]


def example_inputs() -> tuple[tuple[Path, ...], Path, str]:
    if all(p.is_file() for p in BAC_GIANG_CRITERIA) and (BAC_GIANG_DATA / "units.csv").is_file():
        return BAC_GIANG_CRITERIA, BAC_GIANG_DATA, "Bắc Giang 2024 (số liệu đơn vị là TỔNG HỢP GIẢ ĐỊNH)"
    if all(p.is_file() for p in SYNTHETIC_CRITERIA):
        return SYNTHETIC_CRITERIA, SYNTHETIC_DATA, "bộ dữ liệu nhỏ TỔNG HỢP GIẢ ĐỊNH"
    raise InputError(
        Problem("demo_data_missing", "không tìm thấy dữ liệu mẫu; lệnh demo cần chạy từ bản sao kho mã nguồn (criteria/, evidence/)", file=str(REPO))
    )


def run_demo(out: Path) -> DemoContext:
    criteria_paths, data_path, label = example_inputs()
    criteria = [load(p) for p in criteria_paths]
    data = read_data(data_path)
    results = score(criteria, data, "final")
    from par_index.evidence.check import check_evidence

    results.problems.extend(check_evidence(results, data))
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(out, criteria_paths, data_path, criteria, data, results, label)
    for _name, step in STEPS:
        ctx.outputs.extend(step(ctx))
    return ctx


def _score_outputs(ctx: DemoContext) -> list[tuple[str, Path]]:
    from par_index.scoring.writers import write_problems, write_results

    written = []
    for suffix, what in ((".json", "kết quả (JSON)"), (".csv", "kết quả (CSV)"), (".xlsx", "kết quả (Excel)"), (".html", "bảng xếp hạng (HTML)")):
        path = ctx.out / f"ket-qua{suffix}"
        write_results(ctx.results, path)
        written.append((what, path))
    self_results = score(ctx.criteria, ctx.data, "self")
    path = ctx.out / "ket-qua-tu-danh-gia.json"
    write_results(self_results, path)
    written.append(("kết quả tự đánh giá (chưa thẩm định)", path))
    path = ctx.out / "van-de-du-lieu.csv"
    write_problems(ctx.results, path)
    written.append((f"{len(ctx.results.problems)} vấn đề dữ liệu", path))
    return written


def _commune_outputs(ctx: DemoContext) -> list[tuple[str, Path]]:
    """The commune set (xa.yaml) on six synthetic communes of huyện Yên Thế, scored apart."""
    from par_index.evidence.check import check_evidence
    from par_index.scoring.writers import write_results

    criteria_path, data_path = BAC_GIANG_XA
    if ctx.criteria_paths != BAC_GIANG_CRITERIA or not criteria_path.is_file() or not (data_path / "units.csv").is_file():
        return []
    data = read_data(data_path)
    results = score([load(criteria_path)], data, "final")
    results.problems.extend(check_evidence(results, data))
    written = []
    n = sum(len(s.units) for s in results.sets)
    for suffix, what in ((".json", "kết quả cấp xã (JSON)"), (".csv", "kết quả cấp xã (CSV)"), (".html", "xếp hạng cấp xã (HTML)")):
        path = ctx.out / f"ket-qua-cap-xa{suffix}"
        write_results(results, path)
        written.append((f"{what}: {n} xã, thị trấn của huyện Yên Thế, số liệu giả định", path))
    return written


def _explain_output(ctx: DemoContext) -> list[tuple[str, Path]]:
    from par_index.cli.console import print_explanation
    from par_index.cli.safe_console import SafeConsole
    from par_index.reports.explain import explain

    s = ctx.results.sets[0]
    if not len(s.units):
        return []
    unit = str(s.units["unit"].iat[0])
    e = explain(ctx.results, ctx.data, unit)
    path = ctx.out / f"giai-thich-{unit}.txt"
    with path.open("w", encoding="utf-8") as fh:
        print_explanation(e, SafeConsole(file=fh, width=160, highlight=False, color_system=None))
    return [(f"giải thích điểm của {e.name}", path)]


def _demo_matrix(ctx: DemoContext) -> list[tuple[str, Path]]:
    results = score(ctx.criteria, ctx.data, "self")
    matrix = build_matrix(results, review_evidence(results, ctx.data, always=True))
    written = []
    for suffix, what in ((".xlsx", "Excel"), (".html", "HTML")):
        path = ctx.out / f"ma-tran-tai-lieu-kiem-chung{suffix}"
        write_matrix(matrix, path)
        written.append((f"ma trận tài liệu kiểm chứng theo cơ quan ({what})", path))
    return written


def _demo_survey(ctx: DemoContext) -> list[tuple[str, Path]]:
    """Score a copy of the example data with the survey answer counts of ``survey/`` merged."""
    import shutil

    from par_index.common.csv_out import write_people_frame
    from par_index.scoring.engine import score
    from par_index.scoring.writers import write_results

    folder = ctx.data_path / "survey"
    if not ctx.data_path.is_dir() or not (folder / "survey.csv").is_file():
        return []
    merged = ctx.out / "du-lieu-co-dieu-tra"
    merged.mkdir(parents=True, exist_ok=True)
    for f in [*ctx.data_path.glob("*.csv"), *folder.glob("survey*")]:
        shutil.copy(f, merged / f.name)
    data = read_data(merged)
    results = score(ctx.criteria, data, "final")
    path = ctx.out / "ket-qua-co-dieu-tra.json"
    write_results(results, path)
    shares = ctx.out / "ty-le-dieu-tra.csv"
    rows = data.for_criteria(ctx.criteria).assessments
    rows = rows[(rows["stage"] == "survey") & rows["at_file"].astype(str).str.endswith("survey.csv")]
    write_people_frame(
        rows[["unit", "criterion", "value", "note"]],
        shares,
        {"unit": "Mã đơn vị", "criterion": "Mã tiêu chí", "value": "Tỷ lệ tích cực (theo trọng số nhóm)", "note": "Theo từng nhóm"},
    )
    return [
        ("kết quả khi gộp số phiếu điều tra (survey.csv, TỔNG HỢP GIẢ ĐỊNH)", path),
        (f"tỷ lệ đánh giá tích cực theo trọng số nhóm ({len(rows)} đơn vị × tiêu chí)", shares),
    ]


def _demo(ctx: DemoContext) -> list[tuple[str, Path]]:
    from par_index.appraisal.trail import TRAIL_HEADERS_VI, trails_frame
    from par_index.common.csv_out import write_people_frame

    proposals = propose(ctx.criteria, ctx.data, 1)
    path = ctx.out / "de-xuat-tham-dinh-lan-1.xlsx"
    write_proposals(proposals, path, 1, "+".join(c.id for c in ctx.criteria), shown(ctx.data_path))
    trail = ctx.out / "qua-trinh-tham-dinh.csv"
    write_people_frame(trails_frame(ctx.results, ctx.data), trail, TRAIL_HEADERS_VI)
    return [
        (f"đề xuất thẩm định lần 1 ({summary(proposals)})", path),
        ("quá trình thẩm định từng tiêu chí (tự đánh giá → lần 1 → giải trình → lần 2)", trail),
    ]


def _demo_plan_status(ctx: DemoContext) -> list[tuple[str, Path]]:
    if not (DEMO_PLAN.is_file() and DEMO_PROGRESS.is_file()):
        return []
    plan = load_plan(DEMO_PLAN)
    with contextlib.chdir(REPO):  # the progress file is named in the status as the repository names it
        status = plan_status(plan, shown(DEMO_PROGRESS), dt.date(plan.plan.year, 12, 31))
    written = []
    for suffix, what in ((".xlsx", "Excel"), (".json", "JSON")):
        path = ctx.out / f"tien-do-ke-hoach{suffix}"
        write_status(status, path)
        written.append((f"tiến độ kế hoạch CCHC theo cơ quan chủ trì ({what})", path))
    path = ctx.out / "ty-le-hoan-thanh-ke-hoach.csv"
    write_assessments([share_assessment(status, "so-noi-vu", "1.1.2")], path)
    written.append(("tỷ lệ hoàn thành kế hoạch của Sở Nội vụ, dạng dòng đánh giá tiêu chí 1.1.2", path))
    return written


def _demo_workbook(ctx: DemoContext) -> list[tuple[str, Path]]:
    """The first department's workbook, prefilled from the example data."""
    for s in ctx.results.sets:
        if len(s.units):
            unit = str(s.units["unit"].iat[0])
            name = str(s.units["name"].iat[0])
            kind = str(s.units["kind"].iat[0])
            path = ctx.out / f"phieu-tu-danh-gia-{unit}.xlsx"
            write_workbook(s.criteria, UnitInfo(unit, name, kind), path, prefill_from_data(s.criteria, ctx.data, unit))
            return [(f"phiếu tự đánh giá của {name} (điền sẵn)", path)]
    return []


def _demo_reports(ctx: DemoContext) -> list[tuple[str, Path]]:
    from par_index.reports.ranking import read_previous

    inp = ReportInputs(ctx.results, score(ctx.criteria, ctx.data, "self"), ctx.data, dt.date.today())
    bac_giang = any(c.id.startswith("bac-giang-2024") for c in ctx.criteria)
    previous = None
    if bac_giang and DEMO_PREVIOUS.is_file():
        with contextlib.chdir(REPO):  # the report names last year's file as the repository does
            previous = read_previous(shown(DEMO_PREVIOUS))
    return write_reports(inp, ctx.out / "bao-cao", previous)


def _robustness_outputs(ctx: DemoContext) -> list[tuple[str, Path]]:
    rb = robustness(ctx.results.sets, draws=2000, seed=2024)
    js = ctx.out / "do-vung-xep-hang.json"
    js.write_text(json.dumps(rb.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    html = ctx.out / "do-vung-xep-hang.html"
    write_html(html, "Độ vững của xếp hạng", [robustness_section(rb)])
    return [("độ vững của xếp hạng, 2000 lần mô phỏng (JSON)", js), ("độ vững của xếp hạng (HTML)", html)]


def _plan_outputs(ctx: DemoContext) -> list[tuple[str, Path]]:
    s = ctx.results.sets[0]
    ranked = np.flatnonzero(~np.isnan(s.rank))
    if not len(ranked):
        return []
    i = int(ranked[np.argmax(s.rank[ranked])])  # the last-ranked unit of the first set
    [plan] = plan_units(s, [i], Goal("rank", Decimal(1)))
    unit = plan.unit
    js = ctx.out / f"ke-hoach-{unit}.json"
    js.write_text(json.dumps(plan.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    html = ctx.out / f"ke-hoach-{unit}.html"
    write_html(html, f"Kế hoạch tăng điểm — {plan.name}", [headroom_section(headroom(s, i)), plan_section(plan)])
    return [(f"kế hoạch lên hạng 1 cho {plan.name} (JSON)", js), (f"dư địa và kế hoạch của {plan.name} (HTML)", html)]


# The demo's steps, in the order they run (each returns the files it wrote).
STEPS: tuple[tuple[str, Step], ...] = (
    ("score", _score_outputs),
    ("communes", _commune_outputs),
    ("explain", _explain_output),
    ("evidence", _demo_matrix),
    ("workbook", _demo_workbook),
    ("appraise", _demo),
    ("survey", _demo_survey),
    ("plan-status", _demo_plan_status),
    ("reports", _demo_reports),
    ("plan", _plan_outputs),
    ("robustness", _robustness_outputs),
)
