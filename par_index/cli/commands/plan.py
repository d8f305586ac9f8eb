"""``par-index plan``: the cheapest set of changes that reaches a target index or rank, or the
most index a budget buys (exact; see docs/planning.md)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import click

from par_index.cli.commands.headroom import find_unit
from par_index.cli.commands.options import criteria_option, data_option, stage_option
from par_index.cli.commands.score import run_score
from par_index.cli.console import console, styled
from par_index.common.text_files import out_format_error, write_text
from par_index.messages import DECIMAL_EXPECTED, NOT_NEGATIVE, not_a_number

if TYPE_CHECKING:
    from par_index.planning.optimise import Goal, Plan
    from par_index.scoring.engine import Stage


def parse_goal(target_index: str | None, target_rank: int | None, budget: str | None) -> Goal:
    from par_index.planning.optimise import Goal

    given = [g for g in (target_index, target_rank, budget) if g is not None]
    if len(given) != 1:
        raise click.UsageError("chọn đúng một mục tiêu: --target-index, --target-rank hoặc --budget")
    if target_rank is not None:
        if target_rank < 1:
            raise click.UsageError("--target-rank phải ≥ 1")
        return Goal("rank", Decimal(target_rank))
    option = "--target-index" if target_index is not None else "--budget"
    text = str(target_index if target_index is not None else budget).replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise click.UsageError(not_a_number(option, text, DECIMAL_EXPECTED)) from None
    if not value.is_finite() or value < 0:
        raise click.UsageError(NOT_NEGATIVE.format(what=option, text=text))
    from par_index.common.values import magnitude_problem

    too_big = magnitude_problem(text)  # checked before any conversion: 1e309 is not a float
    if too_big is not None:
        raise click.UsageError(too_big)
    return Goal("index" if target_index is not None else "budget", value)


def print_plan(p: Plan) -> None:
    from rich.table import Table  # rich loads when a table is printed (par_index/cli/console.py)

    from par_index.common.values import format_fixed, format_number

    out = console()
    out.print(styled((f"{p.name} ({p.unit})", "bold"), f" — mục tiêu: {p.goal.describe()}"))
    out.print(p.message + ".", markup=False)
    t = Table(title_justify="left")
    for col, just in (("Tiêu chí", "left"), ("Việc cần làm", "left"), ("Điểm", "right"), ("Thêm", "right"), ("Chi phí", "right")):
        t.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    for a in p.actions:
        t.add_row(a.criterion, a.need, f"{format_number(a.from_points)} → {format_number(a.to_points)}", format_number(a.points), format_number(a.cost, 4))
    out.print(t)
    b, r = p.baseline, p.result
    out.print(
        f"Chỉ số {format_fixed(b.index)} → {format_fixed(r.index)}; xếp hạng {b.rank} → {r.rank}; "
        f"xếp loại {b.band or '—'} → {r.band or '—'}; tổng chi phí {format_number(p.total_cost, 4)}"
    )


@click.command("plan")
@criteria_option
@data_option
@click.option("--unit", required=True, help="Mã đơn vị.")
@click.option("--target-index", metavar="SỐ", help="Chỉ số cần đạt (ví dụ 90).")
@click.option("--target-rank", type=int, help="Xếp hạng cần đạt (so với điểm hiện tại của các đơn vị khác).")
@click.option("--budget", metavar="SỐ", help="Chi phí tối đa: tìm chỉ số cao nhất trong giới hạn này.")
@click.option("--costs", "costs_path", type=click.Path(path_type=Path), help="Tệp CSV chi phí: criterion,cost (tùy chọn unit, points). Mặc định 1 mỗi bước.")
@stage_option
@click.option("--out", type=click.Path(path_type=Path), help="Ghi ra tệp .json hoặc .html.")
def command(
    criteria_paths: tuple[Path, ...], data_path: Path, unit: str, target_index: str | None, target_rank: int | None,
    budget: str | None, costs_path: Path | None, stage: Stage, out: Path | None,
) -> None:
    """Tập thay đổi ít tốn kém nhất để đạt chỉ số hoặc xếp hạng mục tiêu, hoặc chỉ số cao nhất trong ngân sách."""
    from par_index.planning.optimise import StepCosts, plan_units, read_costs, resolve_step_points
    from par_index.planning.report import plan_section, write_html

    goal = parse_goal(target_index, target_rank, budget)
    results, _ = run_score(criteria_paths, data_path, stage)
    s, i = find_unit(results, unit)
    costs = resolve_step_points(read_costs(costs_path), s, str(costs_path)) if costs_path else StepCosts()
    [p] = plan_units(s, [i], goal, costs)
    if out is None:
        print_plan(p)
        return
    if out.suffix.lower() == ".json":
        write_text(out, json.dumps(p.as_dict(), ensure_ascii=False, indent=1))
    elif out.suffix.lower() == ".html":
        write_html(out, f"Kế hoạch tăng điểm — {p.name}", [plan_section(p)])
    else:
        raise out_format_error(out, (".json", ".html"))
    console(stderr=True).print(f"{p.message}. Đã ghi {out}")
