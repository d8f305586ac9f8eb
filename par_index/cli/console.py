"""Terminal output: ranked tables, problem tables, explanations, summaries (rich), and plain
lines on stderr (:func:`note`, without rich).

rich (~0.05 s to import) loads only when a console is built or a table printed: ``par-index
--help`` and ``score --out`` with no problems to show (which only says where it wrote) never
load it. The renderers import what they show, so ``--help`` does not load pandas either."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from par_index.cli.terminal import terminal_text
from par_index.errors import Problem

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from par_index.reports.explain import Explanation
    from par_index.scoring.engine import Results

MAX_PROBLEM_ROWS = 40


def console(stderr: bool = False, **options: Any) -> Console:
    """A :class:`~par_index.cli.safe_console.SafeConsole` (data printed as text); on stderr it
    never wraps lines (``soft_wrap``)."""
    from par_index.cli.safe_console import SafeConsole

    return SafeConsole(stderr=stderr, highlight=False, soft_wrap=stderr, **options)


def bold(text: str, style: str = "bold") -> Text:
    from rich.text import Text

    return Text(terminal_text(text), style=style)


def styled(*parts: str | tuple[str, str]) -> Text:
    """``Text.assemble`` of plain and ``(text, style)`` parts, control characters escaped."""
    from rich.text import Text

    return Text.assemble(*(terminal_text(p) if isinstance(p, str) else (terminal_text(p[0]), p[1]) for p in parts))


RANKING_COLUMNS = (("Hạng", "right"), ("Mã", "left"), ("Tên đơn vị", "left"), ("Điểm", "right"), ("Tối đa", "right"), ("Chỉ số", "right"), ("Xếp loại", "left"))
BOXED_ROWS = 300  # longer rankings are printed as plain aligned text: a boxed table of 10,000 rows takes seconds


def print_ranking(results: Results, out: Console, boxed_rows: int = BOXED_ROWS) -> None:
    import pandas as pd
    from rich.table import Table

    from par_index.common.values import format_fixed
    from par_index.scoring.results import units_frame

    if results.label:
        out.print(bold(results.label, "bold yellow"))
    df = units_frame(results)
    for kind, part in df.groupby("kind", sort=False):
        label = kind
        for s in results.sets:
            label = s.criteria.kinds.get(str(kind), label)
        columns = (part[c].tolist() for c in ("rank", "unit", "name", "points", "max", "index", "band"))
        rows: list[tuple[str, ...]] = [
            ("" if pd.isna(rank) else str(rank), str(unit), str(name), format_fixed(points), format_fixed(mx), format_fixed(index), str(band or ""))
            for rank, unit, name, points, mx, index, band in zip(*columns, strict=True)
        ]
        title = f"Xếp hạng — {label}"
        if len(rows) > boxed_rows:
            out.out(_plain_table(f"{title} ({len(rows)} đơn vị)", rows), highlight=False)
            continue
        t = Table(title=title, title_justify="left")
        for col, just in RANKING_COLUMNS:
            t.add_column(col, justify=just)  # type: ignore[arg-type]
        for row in rows:
            t.add_row(*row)
        out.print(t)


def _plain_table(title: str, rows: list[tuple[str, ...]]) -> str:
    """Columns aligned by their width on screen (``cell_len``), a rule under the header."""
    from rich.cells import cell_len

    header = tuple(name for name, _ in RANKING_COLUMNS)
    cells = [header, *rows]
    widths = [max(cell_len(row[k]) for row in cells) for k in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        parts = []
        for k, (text, (_, just)) in enumerate(zip(row, RANKING_COLUMNS, strict=True)):
            pad = " " * (widths[k] - cell_len(text))
            parts.append(pad + text if just == "right" else text + pad)
        return "  ".join(parts).rstrip()

    rule = "  ".join("─" * w for w in widths)
    return "\n".join([title, line(header), rule, *(line(r) for r in rows)])


def print_problems(problems: Iterable[Problem], out: Console, title: str = "Vấn đề dữ liệu") -> None:
    items = list(problems)
    if not items:
        return
    from rich.table import Table

    t = Table(title=f"{title} ({len(items)})", title_justify="left", show_lines=False)
    t.add_column("Mức")
    t.add_column("Vị trí")
    t.add_column("Đơn vị")
    t.add_column("Tiêu chí")
    t.add_column("Nội dung", overflow="fold")
    for p in items[:MAX_PROBLEM_ROWS]:
        loc = p.file
        if p.cell:
            loc += f" ô {p.cell}"
        elif p.line is not None:
            loc += f" dòng {p.line}"
        if p.field:
            loc += f" [{p.field}]"
        t.add_row("lỗi" if p.severity == "error" else "lưu ý", loc, p.unit, p.criterion, p.message)
    out.print(t)
    if len(items) > MAX_PROBLEM_ROWS:
        counts = Counter(p.reason for p in items)
        out.print(
            f"… và {len(items) - MAX_PROBLEM_ROWS} vấn đề khác. Theo loại: "
            + ", ".join(f"{k}: {v}" for k, v in counts.most_common())
            + ". Dùng --problems TỆP.csv để ghi toàn bộ."
        )


def print_input_error(problems: list[Problem], out: Console) -> None:
    out.print(styled(("Không dùng được dữ liệu đầu vào.", "bold red"), " Các lỗi tìm thấy:"))
    for p in problems:
        out.print(f"  • {p}", markup=False)


def print_explanation(e: Explanation, out: Console) -> None:
    from rich.table import Table

    from par_index.common.values import format_fixed
    from par_index.reports.explain import pts, summary_line
    from par_index.scoring.writers import STAGE_VI

    out.print(bold(summary_line(e)))
    out.print(f"Bộ tiêu chí {e.criteria}; giai đoạn: {STAGE_VI.get(e.stage, e.stage)}")
    areas = {n.code: n for n in e.nodes if n.depth == 1}
    current = ""
    for leaf in e.leaves:
        area = next((c for c in areas if leaf.code == c or leaf.code.startswith(c + ".")), "")
        if area and area != current:
            current = area
            n = areas[area]
            out.print(styled("\n", (f"{n.code}. {n.name}", "bold underline"), f" — {pts(n.points)}/{pts(n.max)} điểm"))
        out.print(styled((leaf.code, "bold"), f" {leaf.name} — ", (pts(leaf.points), "bold"), f"/{pts(leaf.max)} điểm"))
        out.print(f"    Cách chấm: {leaf.rule}", markup=False)
        value = leaf.value or "(không có)"
        if leaf.stage:
            value += f" ({leaf.stage})"
        if leaf.claimed is not None:
            value += f"; đơn vị tự chấm {pts(leaf.claimed)} điểm"
        out.print(f"    Giá trị: {value}", markup=False)
        if leaf.evidence:
            out.print("    Tài liệu kiểm chứng: " + "; ".join(leaf.evidence), markup=False)
        elif leaf.evidence_expected:
            out.print("    Tài liệu kiểm chứng: chưa có — cần: " + "; ".join(leaf.evidence_expected), markup=False)
        if leaf.agency:
            out.print(f"    Cơ quan cung cấp tài liệu: {leaf.agency}", markup=False)
        for note in ([leaf.status] if leaf.status else []) + leaf.problems:
            out.print(styled("    ", ("!", "yellow"), f" {note}"), highlight=False)
    s = Table(title="Tổng hợp theo lĩnh vực và tiêu chí", title_justify="left")
    s.add_column("Mã")
    s.add_column("Tên")
    s.add_column("Điểm", justify="right")
    s.add_column("Tối đa", justify="right")
    s.add_column("Chỉ số", justify="right")
    for n in e.nodes:
        s.add_row(
            n.code,
            ("  " * (n.depth - 1)) + n.name,
            pts(n.points),
            pts(n.max),
            format_fixed(n.index),
        )
    s.add_row("", bold("Tổng"), pts(e.points), pts(e.max), format_fixed(e.index))
    out.print(s)
    changed = [leaf for leaf in e.leaves if len(leaf.trail) > 1]
    if changed:
        out.print(styled(("Quá trình thẩm định", "bold"), " (tự đánh giá → thẩm định lần 1 → giải trình → thẩm định lần 2):"))
        for leaf in changed:
            out.print(f"  {leaf.code} {leaf.name}", markup=False)
            for step in leaf.trail:
                out.print(f"    – {step.line()}", markup=False)
    if e.unit_problems:
        out.print("Vấn đề của đơn vị:")
        for text in e.unit_problems:
            out.print(f"  • {text}", markup=False)
