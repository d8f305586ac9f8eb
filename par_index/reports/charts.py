"""Charts for the reports as inline SVG text, drawn with matplotlib (Agg, SVG backend).

Text is drawn as glyph outlines in DejaVu Sans (shipped with matplotlib), so Vietnamese
diacritics look the same on every machine and the reports need no font or network. Each chart
gets its own id prefix, so several charts can sit in one HTML page without clashing ids; the
SVG carries no date, so the same data give the same bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@cache
def _pyplot() -> Any:
    """matplotlib, imported on first use so that ``par-index`` starts fast."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _comma_ticks() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{v:g}".replace(".", ","))

FINAL_COLOR = "#1f4e79"
SELF_COLOR = "#9dc3e6"
BAND_COLORS = ("#1f7a4d", "#4f9d69", "#d9a520", "#e07b39", "#c0392b", "#7f8c8d")
RC: Any = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "svg.fonttype": "path",
    "svg.hashsalt": "par-index",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _vn(x: float) -> str:
    return f"{x:.2f}".replace(".", ",")


def to_svg(fig: Figure, prefix: str) -> str:
    """The figure as ``<svg …>…</svg>`` (no XML prolog) with every id prefixed."""
    plt = _pyplot()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = re.sub(r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}-{m.group(2)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text)
    return text.replace("<svg ", '<svg role="img" ', 1)


def _short(label: str, width: int = 42) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def area_chart(labels: Sequence[str], final: Sequence[float | None], self_: Sequence[float | None] | None, prefix: str) -> str:
    """Horizontal bars: each area's sub-index (final; self-assessed beside it when given)."""
    plt = _pyplot()
    with plt.rc_context(RC):
        n = len(labels)
        fig, ax = plt.subplots(figsize=(7.2, 0.42 * n + 0.9), layout="constrained")
        ys = list(range(n))
        h = 0.38 if self_ is not None else 0.6
        fin = [v or 0.0 for v in final]
        if self_ is not None:
            ax.barh([y - h / 2 for y in ys], [v or 0.0 for v in self_], height=h, color=SELF_COLOR, label="Tự đánh giá")
            ax.barh([y + h / 2 for y in ys], fin, height=h, color=FINAL_COLOR, label="Kết quả cuối cùng")
            ax.legend(loc="lower right", fontsize=8, frameon=False, bbox_to_anchor=(1.0, 1.0), ncol=2)
        else:
            ax.barh(ys, fin, height=h, color=FINAL_COLOR)
        for y, v in zip(ys, final, strict=True):
            if v is not None:
                ax.text(min(v, 100.0) + 1, y + (h / 2 if self_ is not None else 0), _vn(v), va="center", fontsize=8)
        ax.set_yticks(ys, [_short(s) for s in labels])
        ax.invert_yaxis()
        ax.set_xlim(0, 112)
        ax.set_xticks([0, 20, 40, 60, 80, 100])
        ax.set_xlabel("Chỉ số thành phần (%)")
        return to_svg(fig, prefix)


def ranking_chart(labels: Sequence[str], values: Sequence[float], bands: Sequence[str | None],
                  band_edges: Sequence[tuple[str, float]], prefix: str) -> str:
    """Horizontal bars of the index, highest first, coloured by band, band edges as lines."""
    plt = _pyplot()
    with plt.rc_context(RC):
        n = len(labels)
        fig, ax = plt.subplots(figsize=(7.2, 0.3 * n + 1.0), layout="constrained")
        order = [b for b, _ in band_edges]
        colors = [BAND_COLORS[order.index(b) % len(BAND_COLORS)] if b in order else BAND_COLORS[-1] for b in bands]
        ys = list(range(n))
        ax.barh(ys, values, height=0.7, color=colors)
        for y, v in zip(ys, values, strict=True):
            ax.text(v + 0.5, y, _vn(v), va="center", fontsize=7.5)
        lo = min([*values, 100.0]) if values else 0.0
        left = max(0.0, min(lo - 5.0, *(e for _, e in band_edges if e > 0)) if band_edges else lo - 5.0)
        left = float(int(left // 5 * 5))
        for label, edge in band_edges:
            if left < edge <= 100:
                ax.axvline(edge, color="#555555", lw=0.7, ls="--")
                ax.text(edge, -0.9, f"{label} ≥ {_vn(edge)}", fontsize=7, ha="left", color="#333333")
        ax.set_yticks(ys, [_short(s, 34) for s in labels])
        ax.invert_yaxis()
        ax.set_xlim(left, 104)
        ax.set_ylim(n - 0.4, -1.4)
        ax.set_xlabel("Chỉ số CCHC (%)")
        return to_svg(fig, prefix)


def gap_chart(labels: Sequence[str], gaps: Sequence[float], prefix: str) -> str:
    """Bars of self-assessed minus final points per unit (positive = over-claimed)."""
    plt = _pyplot()
    with plt.rc_context(RC):
        n = len(labels)
        fig, ax = plt.subplots(figsize=(7.2, 0.3 * n + 0.9), layout="constrained")
        ys = list(range(n))
        ax.barh(ys, gaps, height=0.6, color=["#c0392b" if g > 0 else "#4f9d69" for g in gaps])
        for y, g in zip(ys, gaps, strict=True):
            ax.text(g + (0.02 if g >= 0 else -0.02), y, _vn(g), va="center", ha="left" if g >= 0 else "right", fontsize=7.5)
        ax.axvline(0, color="#333333", lw=0.8)
        ax.set_yticks(ys, [_short(s, 34) for s in labels])
        ax.invert_yaxis()
        hi = max([abs(g) for g in gaps] + [0.5])
        ax.set_xlim(min(0.0, min(gaps, default=0.0)) * 1.25 - 0.05, hi * 1.3)
        ax.xaxis.set_major_formatter(_comma_ticks())
        ax.set_xlabel("Điểm tự đánh giá trừ điểm cuối cùng")
        return to_svg(fig, prefix)
