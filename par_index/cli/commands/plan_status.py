"""``par-index plan-status``: the reform plan's tasks due, done and overdue, per lead agency."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from par_index.cli.commands.options import strict_option
from par_index.cli.console import console, print_problems
from par_index.errors import InputError, Problem


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    from par_index.common.values import parse_date_scalar
    from par_index.messages import DATE_UNREADABLE

    d = parse_date_scalar(value)
    if d is None:
        raise InputError(
            Problem(
                "as_of_unreadable",
                DATE_UNREADABLE.format(what="ngày", text=value),
                field="as-of",
            )
        )
    return d


@click.command("plan-status")
@click.option(
    "--plan",
    "plan_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Tệp kế hoạch YAML (ví dụ criteria/bac-giang/2024/plan.yaml).",
)
@click.option(
    "--progress",
    "progress_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Tệp tiến độ CSV: task,status,done_on,note.",
)
@click.option(
    "--agencies",
    "agencies_path",
    type=click.Path(path_type=Path),
    help="Tệp cơ quan (mặc định: agencies.yaml cạnh tệp kế hoạch hoặc ở thư mục cha).",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="NGÀY",
    callback=_date,
    help="Tính đến ngày dd/mm/yyyy (mặc định: hôm nay, nhưng không quá 31/12 của năm kế hoạch).",
)
@click.option("--out", type=click.Path(path_type=Path), help="Ghi kết quả ra .json, .csv hoặc .xlsx.")
@click.option("--unit", help="Đơn vị nhận tỷ lệ hoàn thành (dùng với --criterion và --emit-assessments).")
@click.option("--agency", help="Cơ quan chủ trì có nhiệm vụ được tính cho --unit (mặc định: trùng mã đơn vị).")
@click.option("--criterion", help="Mã tiêu chí 'mức độ hoàn thành kế hoạch CCHC' (ví dụ 1.1.2).")
@click.option(
    "--emit-assessments",
    "emit",
    type=click.Path(path_type=Path),
    help="Ghi dòng đánh giá (unit,criterion,value,stage,note) ra tệp CSV.",
)
@strict_option
def command(
    plan_path: Path,
    progress_path: Path,
    agencies_path: Path | None,
    as_of: dt.date | None,
    out: Path | None,
    unit: str | None,
    agency: str | None,
    criterion: str | None,
    emit: Path | None,
    strict: bool,
) -> None:
    """Tiến độ thực hiện kế hoạch CCHC: nhiệm vụ đến hạn, đã hoàn thành, quá hạn theo cơ quan chủ trì."""
    from par_index.common.values import format_date
    from par_index.errors import DataProblems
    from par_index.reform_plan.register import load_plan
    from par_index.reform_plan.report import print_status, write_status
    from par_index.reform_plan.status import plan_status, share_assessment, write_assessments

    given = [name for name, v in (("--unit", unit), ("--criterion", criterion), ("--emit-assessments", emit)) if v]
    if given and len(given) != 3:
        raise click.UsageError("--unit, --criterion và --emit-assessments phải dùng cùng nhau")
    plan = load_plan(plan_path, agencies_path)
    status = plan_status(plan, progress_path, as_of)
    err = console(stderr=True)
    if out is None:
        print_status(status, console())
    else:
        write_status(status, out)
        err.print(f"Đã ghi tiến độ {len(status.tasks)} nhiệm vụ, tính đến ngày {format_date(status.as_of)}, vào {out}")
    if emit is not None and unit and criterion:
        row = share_assessment(status, unit, criterion, agency)
        write_assessments([row], emit)
        err.print(f"Đã ghi dòng đánh giá {unit} / {criterion} = {row['value']} vào {emit}")
    print_problems(status.problems, err, "Vấn đề trong tệp tiến độ")
    if strict and status.problems:
        raise DataProblems(f"Có {len(status.problems)} vấn đề trong tệp tiến độ (--strict).")


