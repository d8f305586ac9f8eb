"""``par-index appraise``: the cuts an appraiser should confirm, in a workbook to edit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from par_index.cli.commands.options import criteria_option, data_option, load_all
from par_index.cli.console import console

if TYPE_CHECKING:
    from par_index.appraisal.proposals import Proposal


def summary(proposals: list[Proposal]) -> str:
    from par_index.common.values import format_number

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
    quyết định; đặt tệp đã sửa vào thư mục dữ liệu (giữ tên tệp hoặc đặt tên khác, giữ trang
    «Đề xuất») để lệnh score đọc lại."""
    if out.suffix.lower() != ".xlsx":
        raise click.UsageError(f"--out phải là tệp .xlsx, không phải '{out.name}'")
    from par_index.appraisal.proposals import propose
    from par_index.appraisal.workbook import write_proposals
    from par_index.pipeline import read_data

    sets = load_all(criteria_paths)
    data = read_data(data_path)
    proposals = propose(sets, data, int(round_no))
    write_proposals(proposals, out, int(round_no), "+".join(c.id for c in sets), str(data_path))
    err = console(stderr=True)
    err.print(f"Thẩm định lần {round_no}: {summary(proposals)}.", markup=False)
    err.print(f"Đã ghi {out}", markup=False)




