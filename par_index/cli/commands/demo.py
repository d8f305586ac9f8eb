"""``par-index demo``: run the whole pipeline on the shipped example data."""

from __future__ import annotations

from pathlib import Path

import click

from par_index.cli.console import bold, console, print_ranking, styled


@click.command("demo")
@click.option("--out", type=click.Path(path_type=Path), default=Path("demo-output"), show_default=True, help="Thư mục ghi kết quả.")
def command(out: Path) -> None:
    """Chạy toàn bộ quy trình trên dữ liệu mẫu có sẵn và ghi kết quả."""
    from par_index.cli.demo import run_demo, shown

    ctx = run_demo(out)
    con = console()
    con.print(styled(("Dữ liệu mẫu:", "bold"), f" {ctx.label}"))
    con.print(f"Tiêu chí: {', '.join(shown(p) for p in ctx.criteria_paths)}; dữ liệu: {shown(ctx.data_path)}")
    print_ranking(ctx.results, con)
    con.print(bold(f"Kết quả đã ghi vào {out}/:"))
    for what, path in ctx.outputs:
        con.print(f"  • {what}: {path}", markup=False, soft_wrap=True)
