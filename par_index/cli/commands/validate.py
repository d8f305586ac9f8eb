"""``par-index validate CRITERIA...``: load criteria files strictly and summarise them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from par_index.cli.commands.options import load_all
from par_index.cli.console import console
from par_index.errors import InputError, Problem

if TYPE_CHECKING:
    from par_index.criteria.compiled import CompiledCriteria, Leaf, NodeInfo

# What each provenance means, as the summary prints it (the YAML keyword stays in the files).
PROVENANCE_VI = {
    "official": "Điểm chính thức (theo quyết định áp dụng cho bộ này)",
    "reference": "Điểm tham chiếu (mức quốc gia, có trích nguồn)",
    "derived": "Điểm suy ra từ chỉ tiêu kế hoạch",
    "illustrative": "Điểm minh họa",
}


@click.command("validate")
@click.argument("criteria", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Coi tiêu chí chưa ghi nguồn gốc số liệu (provenance) là lỗi (mã thoát 2).")
def command(criteria: tuple[Path, ...], strict: bool) -> None:
    """Kiểm tra tệp tiêu chí và tóm tắt: số lĩnh vực, tiêu chí, tiêu chí thành phần, điểm thưởng/trừ, điểm tối đa, nguồn gốc điểm."""
    from rich.table import Table  # rich loads when a table is printed (par_index/cli/console.py)

    from par_index.common.values import format_number, kind_name

    sets = load_all(criteria)
    out = console()
    for c in sets:
        t = Table(title=f"{c.path}: {c.spec.title} ({c.id}, năm {c.spec.year})", title_justify="left", show_header=False)
        t.add_column("", style="bold")
        t.add_column("")
        counts = c.counts()
        t.add_row("Số lĩnh vực", str(counts["areas"]))
        t.add_row("Số tiêu chí", str(counts["criteria"]))
        t.add_row("Số tiêu chí thành phần", str(counts["sub_criteria"]))
        outside = [leaf.code for leaf in c.leaves if leaf.outside_max]
        t.add_row(
            "Số điểm thưởng/trừ (ngoài điểm tối đa)",
            f"{counts['bonus_penalty']}" + (f" ({', '.join(outside)})" if outside else ""),
        )
        t.add_row("Số nút / số mục được chấm điểm (lá)", f"{len(c.nodes)} / {len(c.leaves)}")
        for kind, label in c.kinds.items():
            t.add_row(f"Điểm tối đa — {label} ({kind_name(kind)})", format_number(float(c.max_for_kind(kind))))
        prov = c.points_by_provenance()
        t.add_row(PROVENANCE_VI["official"], format_number(float(prov["official"])))
        if prov["reference"]:
            t.add_row(PROVENANCE_VI["reference"], format_number(float(prov["reference"])))
        t.add_row(PROVENANCE_VI["derived"], format_number(float(prov["derived"])))
        t.add_row(PROVENANCE_VI["illustrative"], format_number(float(prov["illustrative"])))
        unsourced = c.without_provenance()
        if unsourced:
            t.add_row("Điểm chưa ghi nguồn (không có provenance)", f"{format_number(float(prov['missing']))} ({len(unsourced)} tiêu chí thành phần)")
        for kind, label in (("official", "Tổng điểm chính thức (theo quyết định)"), ("reference", "Tổng điểm tham chiếu")):
            parents = _own_parents(c, kind)
            if parents:
                t.add_row(label, "; ".join(f"{n.code}: {format_number(float(n.max))}" for n in parents))
                for source in dict.fromkeys(n.source for n in parents if n.source):
                    t.add_row("  nguồn", source)
        out.print(t)
    missing = [(c, c.without_provenance()) for c in sets]
    missing = [(c, leaves) for c, leaves in missing if leaves]
    if strict and missing:
        raise InputError([_unsourced(c, leaves, "error") for c, leaves in missing])
    for c, leaves in missing:  # once per file, not once per leaf
        console(stderr=True).print(f"Lưu ý — {c.path}: {_unsourced(c, leaves, 'warning').message}")
    out.print(f"Hợp lệ: {len(sets)} tệp tiêu chí.")


def _unsourced(c: CompiledCriteria, leaves: list[Leaf], severity: str) -> Problem:
    codes = ", ".join(leaf.code for leaf in leaves[:5]) + (", …" if len(leaves) > 5 else "")
    message = (
        f"{len(leaves)} tiêu chí thành phần chưa ghi nguồn gốc số liệu ({codes}); ghi 'provenance: official/reference/"
        "derived/illustrative' cho tiêu chí, tiêu chí cha hoặc cả tệp"
    )
    return Problem("provenance_missing", message, file=str(c.path or c.id), field="provenance", severity=severity)


def _own_parents(c: CompiledCriteria, provenance: str) -> list[NodeInfo]:
    """Parents labelled ``provenance`` whose own parent is not: the totals that label vouches for."""
    marked = [n for n in c.nodes if not n.is_leaf and n.provenance == provenance]
    return [n for n in marked if not n.parent or c.nodes[c.node_index[n.parent]].provenance != provenance]
