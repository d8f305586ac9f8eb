"""``par-index report``: every report of the round into one folder, with a progress bar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from par_index.cli.commands.options import criteria_option, data_option, load_all
from par_index.cli.console import console
from par_index.errors import InputError, Problem


@click.command("report")
@criteria_option
@data_option
@click.option("--previous", type=click.Path(path_type=Path), help="Kết quả năm trước (tệp .json hoặc .csv do `score --out` ghi) để so sánh thứ hạng, chỉ số.")
@click.option("--notes", type=click.Path(path_type=Path), help="Khó khăn, đề xuất của đơn vị: CSV unit,section,text (section: kho_khan hoặc de_xuat).")
@click.option("--date", "date_text", metavar="NGÀY", help="Ngày lập báo cáo, dd/mm/yyyy (mặc định: hôm nay).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Thư mục ghi báo cáo.")
def command(criteria_paths: tuple[Path, ...], data_path: Path, previous: Path | None, notes: Path | None, date_text: str | None, out: Path) -> None:
    """Lập mọi báo cáo: xếp hạng toàn tỉnh, tài liệu kiểm chứng theo cơ quan, báo cáo tự đánh giá từng đơn vị, và tệp Excel."""
    import gc

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from par_index.common.values import parse_date_scalar
    from par_index.pipeline import read_data
    from par_index.reports.build import prepare, report_count, write_reports
    from par_index.reports.ranking import read_previous
    from par_index.reports.unit import read_notes

    # The reports make ~10⁶ small objects that hold no cycles (rows, problems, owed documents,
    # proposals); with the default thresholds the cyclic collector ran ~3,000 times over the
    # growing heap, ~9 % of a 1,000-unit report (17 full collections). A batch run's thresholds,
    # as mypy sets them; the peak memory is unchanged.
    gc.set_threshold(200_000, 30, 30)
    date = dt.date.today()
    if date_text:
        from par_index.messages import DATE_UNREADABLE

        parsed = parse_date_scalar(date_text)
        if parsed is None:
            raise InputError(Problem("date_format", DATE_UNREADABLE.format(what="ngày", text=date_text), field="--date"))
        date = parsed
    sets = load_all(criteria_paths)
    data = read_data(data_path)
    prev = read_previous(previous) if previous is not None else None
    unit_notes = read_notes(notes) if notes is not None else None
    inp = prepare(sets, data, date, unit_notes)
    err = console(stderr=True)
    columns = (TextColumn("[bold]Lập báo cáo"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"))
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("", total=report_count(inp))
        written = write_reports(inp, out, prev, progress=lambda what: bar.update(task, advance=1, description=what))
    for what, path in written:
        err.print(f"  • {what}: {path}", markup=False)
