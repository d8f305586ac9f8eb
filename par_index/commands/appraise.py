"""``par-index appraise``: the cuts an appraiser should confirm, in a workbook to edit."""

from __future__ import annotations

from pathlib import Path

import click

from ..appraisal_proposals import Proposal, propose
from ..appraisal_workbook import write_proposals
from ..console import console
from ..demo import DemoContext, demo_step
from ..unit_data import read_data
from ..values import format_number
from .options import criteria_option, data_option, load_all


def summary(proposals: list[Proposal]) -> str:
    units = len({p.unit for p in proposals})
    cut = sum(p.self_points - p.proposed_points for p in proposals if p.proposed_points < p.self_points)
    return f"{len(proposals)} đề xuất cho {units} đơn vị; tổng điểm đề xuất giảm so với tự chấm: {format_number(cut)}"


@click.command("appraise")
@criteria_option
@data_option
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Tệp Excel (.xlsx) ghi các đề xuất để người thẩm định sửa.")
@click.option("--round", "round_no", type=click.Choice(["1", "2"]), default="1", show_default=True, help="Vòng thẩm định.")
def command(criteria_paths: tuple[Path, ...], data_path: Path, out: Path, round_no: str) -> None:
    """Đề xuất các tiêu chí cần cắt giảm điểm khi thẩm định (thiếu hoặc muộn tài liệu kiểm chứng,
    giá trị không đúng quy tắc, tự chấm cao hơn quy tắc), ghi ra tệp Excel để người thẩm định
    quyết định; đặt tệp đã sửa vào thư mục dữ liệu (tên bắt đầu bằng 'tham-dinh' hoặc
    'appraisal') để lệnh score đọc lại."""
    if out.suffix.lower() != ".xlsx":
        raise click.UsageError(f"--out phải là tệp .xlsx, không phải '{out.name}'")
    sets = load_all(criteria_paths)
    data = read_data(data_path)
    proposals = propose(sets, data, int(round_no))
    write_proposals(proposals, out, int(round_no), "+".join(c.id for c in sets), str(data_path))
    err = console(stderr=True)
    err.print(f"Thẩm định lần {round_no}: {summary(proposals)}.", markup=False)
    err.print(f"Đã ghi {out}", markup=False)


@demo_step(40, "appraise")
def _demo(ctx: DemoContext) -> list[tuple[str, Path]]:
    from ..appraisal_trail import trails_frame

    proposals = propose(ctx.criteria, ctx.data, 1)
    path = ctx.out / "de-xuat-tham-dinh-lan-1.xlsx"
    write_proposals(proposals, path, 1, "+".join(c.id for c in ctx.criteria), str(ctx.data_path))
    trail = ctx.out / "qua-trinh-tham-dinh.csv"
    trails_frame(ctx.results, ctx.data).to_csv(trail, index=False, encoding="utf-8")
    return [
        (f"đề xuất thẩm định lần 1 ({summary(proposals)})", path),
        ("quá trình thẩm định từng tiêu chí (tự đánh giá → lần 1 → giải trình → lần 2)", trail),
    ]


@demo_step(45, "survey")
def _demo_survey(ctx: DemoContext) -> list[tuple[str, Path]]:
    """Score a copy of the example data with the survey answer counts of ``survey/`` merged."""
    import shutil

    from ..engine import score
    from ..writers import write_results

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
    rows[["unit", "criterion", "value", "note"]].rename(columns={"value": "share"}).to_csv(shares, index=False, encoding="utf-8")
    return [
        ("kết quả khi gộp số phiếu điều tra (survey.csv, TỔNG HỢP GIẢ ĐỊNH)", path),
        (f"tỷ lệ đánh giá tích cực theo trọng số nhóm ({len(rows)} đơn vị × tiêu chí)", shares),
    ]
