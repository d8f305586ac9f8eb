"""``par-index validate CRITERIA...``: load criteria files strictly and summarise them."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from ..console import console
from ..values import format_number
from .options import load_all


@click.command("validate")
@click.argument("criteria", nargs=-1, required=True, type=click.Path(path_type=Path))
def command(criteria: tuple[Path, ...]) -> None:
    """Kiểm tra tệp tiêu chí và tóm tắt: số nút, số tiêu chí thành phần, điểm tối đa, nguồn gốc điểm."""
    sets = load_all(criteria)
    out = console()
    for c in sets:
        t = Table(title=f"{c.path}: {c.spec.title} ({c.id}, năm {c.spec.year})", title_justify="left", show_header=False)
        t.add_column("", style="bold")
        t.add_column("")
        t.add_row("Số nút", str(len(c.nodes)))
        t.add_row("Số tiêu chí thành phần (lá)", str(len(c.leaves)))
        t.add_row("Số lĩnh vực", str(len(c.areas())))
        for kind, label in c.kinds.items():
            t.add_row(f"Điểm tối đa — {label} ({kind})", format_number(float(c.max_for_kind(kind))))
        prov = c.points_by_provenance()
        t.add_row("Điểm official (có căn cứ)", format_number(float(prov["official"])))
        t.add_row("Điểm derived (từ chỉ tiêu kế hoạch)", format_number(float(prov["derived"])))
        t.add_row("Điểm illustrative (minh họa)", format_number(float(prov["illustrative"])))
        official_parents = [n for n in c.nodes if not n.is_leaf and n.provenance == "official"]
        own = {n.code for n in official_parents if not n.parent or c.nodes[c.node_index[n.parent]].provenance != "official"}
        if own:
            t.add_row(
                "Tổng điểm tiêu chí cha có căn cứ (official)",
                ", ".join(f"{n.code}: {format_number(float(n.max))}" for n in official_parents if n.code in own),
            )
        outside = [leaf.code for leaf in c.leaves if leaf.outside_max]
        if outside:
            t.add_row("Điểm thưởng/trừ (ngoài điểm tối đa)", ", ".join(outside))
        out.print(t)
    out.print(f"Hợp lệ: {len(sets)} tệp tiêu chí.")
