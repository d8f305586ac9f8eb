"""``par-index evidence``: per agency, the evidence it owes, and what is missing or late."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from par_index.cli.commands.options import criteria_option, data_option, load_all, strict_option
from par_index.cli.console import console, print_problems

if TYPE_CHECKING:
    from par_index.errors import Problem
    from par_index.evidence.matrix import AgencyMatrix
    from par_index.scoring.engine import Stage
    from par_index.unit_data.reader import UnitData


def agency_matrix(
    criteria_paths: tuple[Path, ...], data: UnitData, stage: Stage, files: Path | None
) -> tuple[AgencyMatrix, list[Problem]]:
    from par_index.evidence.check import review_evidence
    from par_index.evidence.matrix import build_matrix
    from par_index.scoring.engine import score

    sets = load_all(criteria_paths)
    results = score(sets, data, stage)
    review = review_evidence(results, data, files, always=True)
    return build_matrix(results, review), review.problems


@click.command("evidence")
@criteria_option
@data_option
@click.option(
    "--stage",
    type=click.Choice(["self", "final"]),
    default="self",
    show_default=True,
    help="self: tài liệu cho điểm tự chấm (trước thẩm định); final: sau các vòng thẩm định.",
)
@click.option("--out", type=click.Path(path_type=Path), help="Ghi ma trận ra tệp .xlsx hoặc .html.")
@click.option(
    "--files",
    type=click.Path(path_type=Path, file_okay=False),
    help="Thư mục chứa tệp tài liệu kiểm chứng (cột file); mặc định: thư mục dữ liệu.",
)
@click.option("--all", "show_all", is_flag=True, help="In cả các tài liệu đã đủ (mặc định chỉ in tài liệu cần xử lý).")
@strict_option
def command(
    criteria_paths: tuple[Path, ...],
    data_path: Path,
    stage: Stage,
    out: Path | None,
    files: Path | None,
    show_all: bool,
    strict: bool,
) -> None:
    """Ma trận tài liệu kiểm chứng: mỗi cơ quan cần cung cấp tài liệu nào, cho tiêu chí và đơn vị nào, còn thiếu hay muộn."""
    from par_index.errors import DataProblems
    from par_index.evidence.report import print_matrix, write_matrix
    from par_index.pipeline import read_data

    data = read_data(data_path)
    matrix, problems = agency_matrix(criteria_paths, data, stage, files)
    err = console(stderr=True)
    if out is None:
        print_matrix(matrix, console(), show_all)
    else:
        write_matrix(matrix, out)
        err.print(
            f"Đã ghi ma trận tài liệu kiểm chứng ({len(matrix.rows)} dòng, {len(matrix.summary)} cơ quan) vào {out}"
        )
    print_problems(problems, err, "Vấn đề về tài liệu kiểm chứng")
    if strict and problems:
        raise DataProblems(f"Có {len(problems)} vấn đề về tài liệu kiểm chứng (--strict).")


