"""``par-index headroom``: every leaf's points lost and the smallest change that gains more."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from par_index.cli.commands.options import criteria_option, data_option, stage_option
from par_index.cli.commands.score import run_score
from par_index.cli.console import console, styled
from par_index.common.text_files import out_format_error, write_text
from par_index.errors import InputError, Problem
from par_index.messages import UNIT_UNKNOWN

if TYPE_CHECKING:
    from par_index.planning.headroom import Headroom
    from par_index.scoring.engine import Results, SetResult, Stage


def find_unit(results: Results, unit: str) -> tuple[SetResult, int]:
    """The unit's set and row, or a clear error listing the units."""
    try:
        return results.find(unit)
    except KeyError:
        known = ", ".join(sorted(u for s in results.sets for u in s.units["unit"]))
        raise InputError(Problem("unit_unknown", UNIT_UNKNOWN.format(unit=unit, where="dữ liệu đã chấm") + f"; các đơn vị: {known}", unit=unit)) from None


def print_headroom(h: Headroom) -> None:
    from rich.table import Table  # rich loads when a table is printed (par_index/cli/console.py)

    from par_index.common.values import format_fixed, format_number

    out = console()
    out.print(styled((f"{h.name} ({h.unit})", "bold"), f": {format_number(h.points)}/{format_number(h.max)} điểm, chỉ số {format_fixed(h.index)}; còn thiếu {format_number(h.lost)} điểm"))
    t = Table(title_justify="left")
    for col, just in (("Tiêu chí", "left"), ("Điểm", "right"), ("Tối đa", "right"), ("Thiếu", "right"), ("Bước tiếp theo", "left")):
        t.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    for ln in h.lines:
        t.add_row(ln.code, format_number(ln.points), format_number(ln.max), format_number(ln.lost), ln.message)
    out.print(t)


@click.command("headroom")
@criteria_option
@data_option
@click.option("--unit", required=True, help="Mã đơn vị.")
@stage_option
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
@click.option("--out", type=click.Path(path_type=Path), help="Ghi ra tệp .json hoặc .html.")
def command(criteria_paths: tuple[Path, ...], data_path: Path, unit: str, stage: Stage, as_json: bool, out: Path | None) -> None:
    """Điểm còn thiếu ở từng tiêu chí và thay đổi nhỏ nhất để được thêm điểm."""
    from par_index.planning.headroom import headroom
    from par_index.planning.report import headroom_section, write_html

    results, _ = run_score(criteria_paths, data_path, stage)
    s, i = find_unit(results, unit)
    h = headroom(s, i)
    doc = dataclasses.asdict(h)
    if out is not None:
        if out.suffix.lower() == ".html":
            write_html(out, f"Dư địa tăng điểm — {h.name}", [headroom_section(h)])
        elif out.suffix.lower() == ".json":
            write_text(out, json.dumps(doc, ensure_ascii=False, indent=1))
        else:
            raise out_format_error(out, (".json", ".html"))
        console(stderr=True).print(f"Đã ghi {out}")
    elif as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        print_headroom(h)
