"""``par-index robustness``: Monte Carlo over appraisal uncertainty — median rank, 5–95 % rank
interval and the probability of each band, per unit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from par_index.cli.commands.options import criteria_option, data_option, load_all, stage_option
from par_index.cli.console import console
from par_index.common.text_files import out_format_error, out_suffix, write_text

if TYPE_CHECKING:
    from par_index.planning.robustness import Robustness
    from par_index.scoring.engine import Stage


def print_robustness(rb: Robustness) -> None:
    from rich.table import Table  # rich loads when a table is printed (par_index/cli/console.py)

    from par_index.common.values import format_fixed, format_number

    out = console()
    out.print(rb.summary(), markup=False)
    for g in rb.groups:
        t = Table(title=g.label, title_justify="left")
        for col, just in (("Mã", "left"), ("Chỉ số", "right"), ("Hạng", "right"), ("Trung vị", "right"), ("5–95%", "right")):
            t.add_column(col, justify=just)  # type: ignore[arg-type]
        for b in g.band_labels:
            t.add_column(b, justify="right")
        for r in g.rows:
            t.add_row(
                r.unit, format_fixed(r.index), "" if r.rank is None else str(r.rank), format_number(r.median_rank, 1),
                f"{r.rank_low}–{r.rank_high}", *[format_number(p * 100, 1) + "%" for p in r.band_probability],
            )
        out.print(t)


def check_seed(value: int) -> int:
    if not 0 <= value < 2**64:
        raise click.UsageError(f"--seed phải là số nguyên từ 0 đến 2^64 − 1, không phải {value}")
    return value


ROBUSTNESS_HEADERS_VI = {
    "unit": "Mã đơn vị", "name": "Tên đơn vị", "kind": "Nhóm", "index": "Chỉ số", "rank": "Xếp hạng",
    "median_rank": "Xếp hạng trung vị", "rank_5": "Xếp hạng (phân vị 5%)", "rank_95": "Xếp hạng (phân vị 95%)",
    "band": "Xếp loại",
}


@click.command("robustness")
@criteria_option
@data_option
@stage_option
@click.option("--draws", type=click.IntRange(1, 1_000_000), default=1000, show_default=True, help="Số lần mô phỏng.")
@click.option("--seed", type=int, default=0, callback=lambda _c, _p, v: check_seed(v), show_default=True, help="Hạt giống ngẫu nhiên (cùng hạt giống → cùng kết quả).")
@click.option("--down", type=click.FloatRange(0, 1), default=None, help="Xác suất mỗi tiêu chí bị chấm thấp đi một bước (mặc định 0,1).")
@click.option("--up", type=click.FloatRange(0, 1), default=None, help="Xác suất được chấm cao lên một bước (mặc định 0,05).")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Tệp YAML: xác suất riêng từng tiêu chí, phương án quy tắc, bộ ngưỡng xếp loại.")
@click.option("--out", type=click.Path(path_type=Path), help="Ghi kết quả .json, .csv hoặc .html.")
def command(
    criteria_paths: tuple[Path, ...], data_path: Path, stage: Stage, draws: int, seed: int, down: float | None,
    up: float | None, config_path: Path | None, out: Path | None,
) -> None:
    """Độ vững của xếp hạng trước sai số thẩm định (mô phỏng Monte Carlo có hạt giống)."""
    import pandas as pd

    from par_index.pipeline import read_data
    from par_index.planning.report import robustness_section, write_html
    from par_index.planning.robustness import Uncertainty, robustness
    from par_index.planning.robustness_config import load_config
    from par_index.scoring.engine import score

    if out is not None:
        out_suffix(out, (".json", ".csv", ".html"))  # before the draws, not after
    sets = load_all(criteria_paths)
    data = read_data(data_path)
    base = score(sets, data, stage)
    cfg = load_config(config_path, sets, data, stage) if config_path else None
    unc = cfg.uncertainty if cfg else Uncertainty()
    unc = Uncertainty(down if down is not None else unc.down, up if up is not None else unc.up, unc.leaves)
    if unc.down + unc.up > 1:
        raise click.UsageError("--down + --up phải ≤ 1")
    rb = robustness(base.sets, draws, seed, unc, cfg.alternatives if cfg else None, cfg.band_sets if cfg else None)
    if out is None:
        print_robustness(rb)
        return
    suffix = out.suffix.lower()
    if suffix == ".json":
        write_text(out, json.dumps(rb.as_dict(), ensure_ascii=False, indent=1))
    elif suffix == ".csv":
        from par_index.common.csv_out import write_people_frame

        frame = pd.DataFrame(rb.rows_flat())
        names = {c: ROBUSTNESS_HEADERS_VI.get(c) or f"Xác suất xếp loại {c[2:]}" for c in frame.columns}
        write_people_frame(frame, out, names, decimals=4)
    elif suffix == ".html":
        write_html(out, "Độ vững của xếp hạng", [robustness_section(rb)])
    else:
        raise out_format_error(out, (".json", ".csv", ".html"))
    console(stderr=True).print(f"Đã ghi {out}", markup=False)
