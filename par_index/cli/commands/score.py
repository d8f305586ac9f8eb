"""``par-index score``: score every unit; write JSON, CSV, Excel or HTML, or print a ranking."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from par_index.cli.commands.options import criteria_option, data_option, load_all, stage_option, strict_option
from par_index.cli.console import console, print_problems, print_ranking
from par_index.cli.terminal import note

if TYPE_CHECKING:
    from par_index.scoring.engine import Results, Stage
    from par_index.unit_data.reader import UnitData


def run_score(
    criteria_paths: tuple[Path, ...],
    data_path: Path,
    stage: Stage,
    preview_appraisal: bool = False,
    files: Path | None = None,
) -> tuple[Results, UnitData]:
    """Load and score; the evidence register's problems are added (see ``evidence_check``).

    ``preview_appraisal``: self-scored leaves without evidence score 0, as on appraisal.
    """
    sets = load_all(criteria_paths)  # the start-up: loads the pipeline's modules
    from par_index import pipeline

    data = pipeline.read_data(data_path)
    return pipeline.score(sets, data, stage, preview=preview_appraisal, files=files), data


def finish(results: Results, strict: bool, problems_out: Path | None, quiet_table: bool) -> None:
    """Show (or write) the problems, and fail under ``--strict``."""
    from par_index.errors import DataProblems

    count = results.problem_count()  # the engine's problems are written from their columns, not made
    if problems_out is not None:
        from par_index.scoring.writers import write_problems

        write_problems(results, problems_out)
        note(f"Đã ghi {count} vấn đề dữ liệu vào {problems_out}")
    elif not quiet_table and count:
        print_problems(results.problems, console(stderr=True))
    if strict and count:
        raise DataProblems(f"Có {count} vấn đề dữ liệu (--strict).")


@click.command("score")
@criteria_option
@data_option
@stage_option
@click.option("--out", type=click.Path(path_type=Path), help="Tệp kết quả: .json, .csv, .xlsx hoặc .html.")
@click.option("--problems", "problems_out", type=click.Path(path_type=Path), help="Ghi toàn bộ vấn đề dữ liệu ra tệp CSV.")
@strict_option
@click.option(
    "--preview-appraisal",
    is_flag=True,
    help="Chấm như khi thẩm định: tiêu chí tự chấm mà không có tài liệu kiểm chứng được 0 điểm.",
)
@click.option(
    "--files",
    type=click.Path(path_type=Path, file_okay=False),
    help="Thư mục chứa tệp tài liệu kiểm chứng (cột file của evidence.csv); mặc định: thư mục dữ liệu.",
)
def command(
    criteria_paths: tuple[Path, ...],
    data_path: Path,
    stage: Stage,
    out: Path | None,
    problems_out: Path | None,
    strict: bool,
    preview_appraisal: bool = False,
    files: Path | None = None,
) -> None:
    """Chấm điểm mọi đơn vị trong dữ liệu; không có --out thì in bảng xếp hạng."""
    results = run_score(criteria_paths, data_path, stage, preview_appraisal, files)[0]  # the data read can go: not written
    if preview_appraisal:
        from par_index.evidence.check import preview_note

        note(preview_note(results))
    if out is None:
        print_ranking(results, console())
    else:
        from par_index.scoring.writers import write_results

        write_results(results, out)
        n = sum(len(s.unit_column("unit")) for s in results.sets)  # not len(s.units): the frame (pandas) is not built
        note(f"Đã chấm {n} đơn vị; kết quả ghi vào {out}")
    finish(results, strict, problems_out, quiet_table=False)
