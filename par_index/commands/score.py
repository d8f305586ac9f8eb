"""``par-index score``: score every unit; write JSON, CSV, Excel or HTML, or print a ranking."""

from __future__ import annotations

from pathlib import Path

import click

from ..console import console, print_problems, print_ranking
from ..engine import Results, score
from ..results_table import problems_frame
from ..unit_data import read_data
from ..writers import write_results
from .options import criteria_option, data_option, load_all, stage_option, strict_option


def run_score(criteria_paths: tuple[Path, ...], data_path: Path, stage: str) -> tuple[Results, object]:
    sets = load_all(criteria_paths)
    data = read_data(data_path)
    return score(sets, data, stage), data  # type: ignore[arg-type]


def finish(results: Results, strict: bool, problems_out: Path | None, quiet_table: bool) -> None:
    """Show (or write) the problems, and fail under ``--strict``."""
    from ..cli import DataProblems

    err = console(stderr=True)
    if problems_out is not None:
        problems_frame(results).to_csv(problems_out, index=False, encoding="utf-8")
        err.print(f"Đã ghi {len(results.problems)} vấn đề dữ liệu vào {problems_out}")
    elif not quiet_table:
        print_problems(results.problems, err)
    if strict and results.problems:
        raise DataProblems(f"Có {len(results.problems)} vấn đề dữ liệu (--strict).")


@click.command("score")
@criteria_option
@data_option
@stage_option
@click.option("--out", type=click.Path(path_type=Path), help="Tệp kết quả: .json, .csv, .xlsx hoặc .html.")
@click.option("--problems", "problems_out", type=click.Path(path_type=Path), help="Ghi toàn bộ vấn đề dữ liệu ra tệp CSV.")
@strict_option
def command(criteria_paths: tuple[Path, ...], data_path: Path, stage: str, out: Path | None, problems_out: Path | None, strict: bool) -> None:
    """Chấm điểm mọi đơn vị trong dữ liệu; không có --out thì in bảng xếp hạng."""
    results, _ = run_score(criteria_paths, data_path, stage)
    if out is None:
        print_ranking(results, console())
    else:
        write_results(results, out)
        n = sum(len(s.units) for s in results.sets)
        console(stderr=True).print(f"Đã chấm {n} đơn vị; kết quả ghi vào {out}")
    finish(results, strict, problems_out, quiet_table=False)
