"""``par-index whatif``: baseline against a scenario (a copy with overrides), with a recipe that
replays the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from par_index.cli.commands.options import load_all
from par_index.cli.console import console, styled
from par_index.common.text_files import out_format_error, out_suffix, write_text

if TYPE_CHECKING:
    from par_index.planning.scenario import WhatIf
    from par_index.scoring.engine import Stage


def print_whatif(w: WhatIf) -> None:
    from rich.table import Table  # rich loads when a table is printed (par_index/cli/console.py)

    from par_index.common.values import format_fixed

    out = console()
    out.print(styled(("Kịch bản:", "bold"), f" {w.name}"))
    for text in w.override_texts:
        out.print(f"  • {text}", markup=False)
    for note in w.notes:
        out.print(f"  ({note})", markup=False)
    for g in w.groups():
        t = Table(title=f"{g.label}: gốc → giả định", title_justify="left")
        for col, just in (("Hạng", "right"), ("Đổi", "right"), ("Mã", "left"), ("Tên đơn vị", "left"), ("Điểm", "right"), ("Chỉ số", "right"), ("Xếp loại", "left")):
            t.add_column(col, justify=just)  # type: ignore[arg-type]
        for r in g.rows:
            move = "" if not r.rank_move else (f"▲{r.rank_move}" if r.rank_move > 0 else f"▼{-r.rank_move}")
            band = r.new.band or "—" if r.base.band == r.new.band else f"{r.base.band or '—'} → {r.new.band or '—'}"
            mark = "*" if r.changed else ""
            t.add_row(
                f"{r.base.rank or '—'} → {r.new.rank or '—'}", move, r.unit + mark, r.name,
                f"{format_fixed(r.base.points)} → {format_fixed(r.new.points)}",
                f"{format_fixed(r.base.index)} → {format_fixed(r.new.index)}", band,
            )
        out.print(t)
    out.print("(* đơn vị có thay đổi)")


@click.command("whatif")
@click.option("--scenario", "scenario_path", type=click.Path(path_type=Path), help="Tệp kịch bản YAML (baseline + overrides).")
@click.option("--criteria", "criteria_paths", multiple=True, type=click.Path(path_type=Path), help="Tệp tiêu chí (khi không dùng --scenario).")
@click.option("--data", "data_path", type=click.Path(path_type=Path), help="Dữ liệu đơn vị (khi không dùng --scenario).")
@click.option("--set", "sets", multiple=True, help="Giá trị giả định ĐƠN_VỊ:TIÊU_CHÍ=GIÁ_TRỊ (lặp lại được).")
@click.option("--stage", type=click.Choice(["self", "final"]), default=None, help="Giai đoạn (mặc định: theo kịch bản, hoặc final).")
@click.option("--replay", "replay", type=click.Path(path_type=Path), help="Chạy lại từ tệp công thức (recipe) đã ghi.")
@click.option("--out", type=click.Path(path_type=Path), help="Ghi kết quả .json hoặc .html (công thức ghi bên cạnh: TỆP.recipe.json).")
@click.option("--recipe", "recipe_out", type=click.Path(path_type=Path), help="Nơi ghi công thức chạy lại (mặc định bên cạnh --out).")
def command(
    scenario_path: Path | None, criteria_paths: tuple[Path, ...], data_path: Path | None, sets: tuple[str, ...],
    stage: Stage | None, replay: Path | None, out: Path | None, recipe_out: Path | None,
) -> None:
    """So sánh kết quả gốc với kịch bản giả định: điểm, chỉ số, xếp hạng, xếp loại từng lĩnh vực."""
    from par_index.pipeline import read_data
    from par_index.planning.recipe import load_recipe, make_recipe, write_recipe
    from par_index.planning.report import whatif_section, write_html
    from par_index.planning.scenario import Located, Scenario, load_scenario, parse_set_option, run_whatif

    err = console(stderr=True)
    if sum(x is not None and x != () for x in (scenario_path, replay, criteria_paths or None)) != 1:
        raise click.UsageError("dùng một trong: --scenario TỆP, --replay CÔNG_THỨC, hoặc --criteria … --data … --set …")
    if replay is not None:
        if sets:
            raise click.UsageError("--replay không dùng cùng --set: công thức đã ghi đủ các thay đổi")
        scenario, warnings = load_recipe(replay)
        for warning in warnings:
            err.print(f"Lưu ý: {warning}", markup=False)
    elif scenario_path is not None:
        scenario = load_scenario(scenario_path)
    else:
        if data_path is None:
            raise click.UsageError("thiếu --data")
        scenario = Scenario("--set", list(criteria_paths), data_path, "final", [])
    extra = [Located(parse_set_option(t), "--set", None) for t in sets]
    scenario.overrides = [*scenario.overrides, *extra]
    if stage is not None:
        scenario.stage = stage
    if not scenario.overrides:
        raise click.UsageError("kịch bản không có thay đổi nào (thêm overrides hoặc --set)")
    if out is not None:
        out_suffix(out, (".json", ".html"))  # before anything is written (the recipe)
    compiled = load_all(tuple(scenario.criteria))
    data = read_data(scenario.data)
    w = run_whatif(scenario.name, compiled, data, scenario.stage, scenario.overrides)
    recipe_path = recipe_out or (out.with_name(out.name + ".recipe.json") if out is not None else None)
    recipe = make_recipe(scenario, recipe_path.parent if recipe_path else Path.cwd())
    if recipe_path is not None:
        write_recipe(recipe, recipe_path)
    if out is None:
        print_whatif(w)
    elif out.suffix.lower() == ".json":
        write_text(out, json.dumps({**w.as_dict(), "recipe": recipe}, ensure_ascii=False, indent=1))
    elif out.suffix.lower() == ".html":
        write_html(out, f"Kịch bản giả định — {w.name}", [whatif_section(w, str(recipe_path or ""))])
    else:
        raise out_format_error(out, (".json", ".html"))
    written = [str(p) for p in (out,) if p is not None]
    if recipe_path is not None:
        written.append(f"công thức chạy lại: {recipe_path} (par-index whatif --replay {recipe_path})")
    if written:
        err.print("Đã ghi " + "; ".join(written), markup=False)
