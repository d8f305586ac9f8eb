"""``par-index explain``: why one unit got each point."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from par_index.cli.commands.headroom import find_unit
from par_index.cli.commands.options import criteria_option, data_option, stage_option
from par_index.cli.commands.score import run_score
from par_index.cli.console import console, print_explanation

if TYPE_CHECKING:
    from par_index.scoring.engine import Stage


@click.command("explain")
@criteria_option
@data_option
@click.option("--unit", required=True, help="Mã đơn vị cần giải thích.")
@stage_option
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
@click.option("--headroom", "with_headroom", is_flag=True, help="Thêm dư địa tăng điểm từng tiêu chí (xem lệnh headroom).")
def command(criteria_paths: tuple[Path, ...], data_path: Path, unit: str, stage: Stage, as_json: bool, with_headroom: bool) -> None:
    """Giải thích từng điểm của một đơn vị: quy tắc, giá trị, điểm, tài liệu kiểm chứng, vấn đề."""
    from par_index.reports.explain import explain

    results, data = run_score(criteria_paths, data_path, stage)
    find_unit(results, unit)  # a clear error listing the units
    e = explain(results, data, unit)
    doc = dataclasses.asdict(e)
    if with_headroom:
        from par_index.cli.commands.headroom import print_headroom
        from par_index.planning.headroom import headroom

        h = headroom(*find_unit(results, unit))
        doc["headroom"] = dataclasses.asdict(h)
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        print_explanation(e, console())
        if with_headroom:
            print_headroom(h)
