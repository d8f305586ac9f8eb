"""Charts for the reports as inline SVG text, written directly from the numbers.

Each chart is a horizontal bar chart laid out the way the reports always drew them (7.2 inches
wide, DejaVu Sans 9 pt, left and bottom axis lines, values printed beside the bars, decimal
commas). The SVG is built as plain text: no plotting library, no start-up cost, about 0.1 ms
per chart. Text is real SVG ``<text>`` (DejaVu Sans, else the reader's sans-serif font), so
Vietnamese diacritics show in every browser, can be searched and copied, and the page needs no
font file or network. Every text from the data (area and unit names) is XML-escaped. A chart
has no ids and no date, so several charts sit in one page and the same data give the same
bytes. Label widths (for the left margin) are measured with DejaVu Sans advance widths.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from typing import Any

FINAL_COLOR = "#1f4e79"
SELF_COLOR = "#9dc3e6"
BAND_COLORS = ("#1f7a4d", "#4f9d69", "#d9a520", "#e07b39", "#c0392b", "#7f8c8d")
FONT = "'DejaVu Sans', Verdana, 'Segoe UI', Arial, sans-serif"
WIDTH = 518.4  # points: 7.2 inches
FONT_SIZE = 9.0
TICK = 3.5  # tick length, and the gap between a tick and its label
PAD = 3.0  # space kept free at the chart's edges

# DejaVu Sans advance widths of the printable ASCII characters, in thousandths of an em.
_ASCII_WIDTHS = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636,
    636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775,
    752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390,
    337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
)
_OTHER_WIDTHS = {"đ": 635, "Đ": 775, "…": 1000, "≥": 838, "−": 838}


def text_width(text: str, size: float) -> float:
    """Width in points of ``text`` set in DejaVu Sans at ``size`` (a letter with marks as its base)."""
    total = 0
    for ch in unicodedata.normalize("NFD", text):
        code = ord(ch)
        if 32 <= code < 127:
            total += _ASCII_WIDTHS[code - 32]
        elif unicodedata.combining(ch):
            continue
        else:
            total += _OTHER_WIDTHS.get(ch, 700)
    return total * size / 1000.0


def _vn(x: float) -> str:
    return f"{x:.2f}".replace(".", ",")


def _tick_text(v: float) -> str:
    return f"{v:g}".replace(".", ",")


def _n(x: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _short(label: str, width: int = 42) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def nice_ticks(lo: float, hi: float, max_bins: int = 9) -> list[float]:
    """Round tick positions in [lo, hi]: the smallest step of 1, 2, 2.5, 5 × 10ᵏ giving ≤ max_bins bins."""
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / max_bins
    k = 10.0 ** math.floor(math.log10(raw))
    step = next(m * k for m in (1, 2, 2.5, 5, 10) if m * k >= raw * (1 - 1e-9))
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [round(i * step, 10) + 0.0 for i in range(first, last + 1)]


@dataclass
class _Bars:
    """One horizontal bar chart being written: a data box mapped onto the chart's points."""

    height: float
    x_lim: tuple[float, float]
    y_lim: tuple[float, float]  # (value at the bottom edge, value at the top edge); categories count down
    left: float
    top: float
    bottom: float
    parts: list[str] = field(default_factory=list)

    @property
    def right(self) -> float:
        return WIDTH - PAD

    def x(self, v: float) -> float:
        lo, hi = self.x_lim
        return self.left + (v - lo) / (hi - lo) * (self.right - self.left)

    def y(self, v: float) -> float:
        bot, top = self.y_lim
        return self.height - self.bottom - (v - bot) / (top - bot) * (self.height - self.bottom - self.top)

    def bar(self, y: float, h: float, v: float, color: str, base: float = 0.0) -> None:
        x0, x1 = sorted((self.x(base), self.x(v)))
        y0, y1 = sorted((self.y(y - h / 2), self.y(y + h / 2)))
        self.parts.append(f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(x1 - x0)}" height="{_n(y1 - y0)}" fill="{color}"/>')

    def text(self, x: float, y: float, text: str, size: float, anchor: str = "start", color: str = "",
             middle: bool = True) -> None:
        """Text at (x, y) in points; ``middle``: y is the text's vertical centre, else its baseline."""
        base = y + 0.36 * size if middle else y
        fill = f' fill="{color}"' if color else ""
        a = f' text-anchor="{anchor}"' if anchor != "start" else ""
        self.parts.append(f'<text x="{_n(x)}" y="{_n(base)}" font-size="{_n(size)}"{a}{fill}>{escape(text, quote=False)}</text>')

    def vline(self, v: float, color: str, width: float, dashed: bool = False) -> None:
        x = _n(self.x(v))
        dash = ' stroke-dasharray="2.6 1.1"' if dashed else ""
        self.parts.append(f'<path d="M{x} {_n(self.top)}V{_n(self.height - self.bottom)}" stroke="{color}" stroke-width="{_n(width)}"{dash}/>')

    def axes(self, labels: Sequence[str], ticks: Sequence[float], xlabel: str) -> None:
        """Left and bottom axis lines, category labels on the left, value ticks and the axis title below."""
        ybot = self.height - self.bottom
        p = self.parts
        p.append(f'<path d="M{_n(self.left)} {_n(self.top)}V{_n(ybot)}H{_n(self.right)}" fill="none" stroke="#000" stroke-width="0.8" stroke-linecap="square"/>')
        marks = []
        for i, label in enumerate(labels):
            y = self.y(i)
            marks.append(f"M{_n(self.left)} {_n(y)}h-{TICK}")
            self.text(self.left - 2 * TICK, y, label, FONT_SIZE, anchor="end")
        for t in ticks:
            x = self.x(t)
            marks.append(f"M{_n(x)} {_n(ybot)}v{TICK}")
            self.text(x, ybot + 2 * TICK + FONT_SIZE * 0.76, _tick_text(t), FONT_SIZE, anchor="middle", middle=False)
        p.append(f'<path d="{"".join(marks)}" stroke="#000" stroke-width="0.8"/>')
        self.text((self.left + self.right) / 2, ybot + 2 * TICK + FONT_SIZE * 2.1, xlabel, FONT_SIZE, anchor="middle", middle=False)

    def svg(self, title: str) -> str:
        head = (f'<svg role="img" xmlns="http://www.w3.org/2000/svg" width="{_n(WIDTH)}pt" height="{_n(self.height)}pt" '
                f'viewBox="0 0 {_n(WIDTH)} {_n(self.height)}" font-family="{FONT}">'
                f"<title>{escape(title, quote=False)}</title>")
        return head + "".join(self.parts) + "</svg>"


def _label_margin(labels: Sequence[str]) -> float:
    return PAD + max([text_width(s, FONT_SIZE) for s in labels] + [0.0]) + 2 * TICK


def _bar_limits(n: int, h: float) -> tuple[float, float]:
    """The category axis as a plotting library autoscales bars: 5 % margin at each end, first bar on top."""
    lo, hi = -h / 2, n - 1 + h / 2
    m = 0.05 * (hi - lo)
    return hi + m, lo - m


BOTTOM = 2 * TICK + FONT_SIZE * 2.6 + PAD  # tick labels and axis title under the bars


def area_chart(labels: Sequence[str], final: Sequence[float | None], self_: Sequence[float | None] | None) -> str:
    """Horizontal bars: each area's sub-index (final; self-assessed beside it when given)."""
    legend = self_ is not None
    f = _area_frame(tuple(labels), legend)
    made, x, xb = f.made, f.bars.x, f.x_base
    parts = [f.head]

    def bar(y: int, v: float, own: bool) -> None:
        """A bar of a chart with these labels (as :meth:`_Bars.bar` draws it from the base 0; the
        row's y and height written once per frame), drawn once (a thousand unit reports share
        most of them) and kept, up to MADE_KEPT of them; a zero is always drawn (0.0 and -0.0
        are one key)."""
        key = (y, v, own)
        text = made.get(key) if v else None
        if text is None:
            xv = x(v)
            x0, x1 = (xb, xv) if xb <= xv else (xv, xb)
            y0, height, color = (f.own_rows if own else f.final_rows)[y]
            text = f'<rect x="{_n(x0)}" y="{y0}" width="{_n(x1 - x0)}" height="{height}" fill="{color}"/>'
            if v and len(made) < MADE_KEPT:
                made[key] = text
        parts.append(text)

    if legend:
        assert self_ is not None
        for y, v in enumerate(self_):
            bar(y, v or 0.0, True)
        for y, v in enumerate(final):
            bar(y, v or 0.0, False)
        parts.append(f.legend)
    else:
        for y, v in enumerate(final):
            bar(y, v or 0.0, False)
    for y, v in enumerate(final):
        if v is not None:
            key = (y, v, "text")
            text = made.get(key) if v else None
            if text is None:  # as _Bars.text writes a value (8 pt, from the start, its y the row's middle)
                text = f'<text x="{_n(x(min(v, 100.0) + 1))}" y="{f.text_rows[y]}" font-size="8">{escape(_vn(v), quote=False)}</text>'
                if v and len(made) < MADE_KEPT:
                    made[key] = text
            parts.append(text)
    parts.append(f.axes)
    return "".join(parts)


MADE_KEPT = 100_000  # bars and value texts kept per set of area labels (about 100 bytes each)
AREA_TITLE = "Biểu đồ chỉ số thành phần theo lĩnh vực"


@dataclass
class _AreaFrame:
    """What an area chart's labels alone decide (:func:`_area_frame`)."""

    bars: _Bars  # the box
    head: str  # the svg element's start and the title
    legend: str
    axes: str  # the axes and the end of the svg element
    x_base: float  # where a bar starts (the value 0)
    own_rows: list[tuple[str, str, str]]  # per row, the self bar's y, height and colour as written
    final_rows: list[tuple[str, str, str]]  # the same for the final bar
    text_rows: list[str]  # per row, the value text's y as written
    made: dict[tuple[Any, ...], str]  # the bars and value texts drawn so far (by row, value and kind)


@lru_cache(maxsize=64)
def _area_frame(labels: tuple[str, ...], legend: bool) -> _AreaFrame:
    """What an area chart's labels alone decide, worked out once for every unit report with the
    same areas: the box, the svg head, the legend and the axes (SVG text), each row's place; and
    the bars and value texts drawn so far in that box."""
    n = len(labels)
    shown = [_short(s) for s in labels]
    top = PAD + (14.0 if legend else 0.0)
    c = _Bars((0.42 * n + 0.9) * 72, (0.0, 112.0), _bar_limits(n, 0.76 if legend else 0.6), _label_margin(shown), top, BOTTOM)
    if legend:  # the legend above the bars' top right corner, as two entries side by side
        entries = (("Tự đánh giá", SELF_COLOR), ("Kết quả cuối cùng", FINAL_COLOR))
        size = 8.0
        x = c.right - sum(2.0 * size + 0.8 * size + text_width(t, size) for t, _ in entries) - 2.0 * size - 0.4 * size
        ymid = PAD + 7.0
        for t, color in entries:
            c.parts.append(f'<rect x="{_n(x)}" y="{_n(ymid - 0.35 * size)}" width="{_n(2 * size)}" height="{_n(0.7 * size)}" fill="{color}"/>')
            x += 2.8 * size
            c.text(x, ymid, t, size)
            x += text_width(t, size) + 2.0 * size
    legend_svg = "".join(c.parts)
    c.parts.clear()
    c.axes(shown, [0, 20, 40, 60, 80, 100], "Chỉ số thành phần (%)")
    head, end = c.svg(AREA_TITLE).split("</title>", 1)
    h = 0.38 if legend else 0.6

    def row(middle: float, color: str) -> tuple[str, str, str]:
        y0, y1 = sorted((c.y(middle - h / 2), c.y(middle + h / 2)))  # as _Bars.bar
        return _n(y0), _n(y1 - y0), color

    own_rows = [row(y - h / 2, SELF_COLOR) for y in range(n)]
    final_rows = [row(y + h / 2 if legend else y, FINAL_COLOR) for y in range(n)]
    text_rows = [_n(c.y(y + (h / 2 if legend else 0)) + 0.36 * 8.0) for y in range(n)]
    return _AreaFrame(c, head + "</title>", legend_svg, end, c.x(0.0), own_rows, final_rows, text_rows, {})


def ranking_chart(labels: Sequence[str], values: Sequence[float], bands: Sequence[str | None],
                  band_edges: Sequence[tuple[str, float]]) -> str:
    """Horizontal bars of the index, highest first, coloured by band, band edges as lines."""
    n = len(labels)
    shown = [_short(s, 34) for s in labels]
    order = [b for b, _ in band_edges]
    colors = [BAND_COLORS[order.index(b) % len(BAND_COLORS)] if b in order else BAND_COLORS[-1] for b in bands]
    lo = min([*values, 100.0]) if values else 0.0
    left = max(0.0, min(lo - 5.0, *(e for _, e in band_edges if e > 0)) if band_edges else lo - 5.0)
    left = float(int(left // 5 * 5))
    c = _Bars((0.3 * n + 1.0) * 72, (left, 104.0), (n - 0.4, -1.4), _label_margin(shown), PAD, BOTTOM)
    for y, (v, color) in enumerate(zip(values, colors, strict=True)):
        c.bar(y, 0.7, v, color, base=left)
    for label, edge in band_edges:
        if left < edge <= 100:
            c.vline(edge, "#555555", 0.7, dashed=True)
            c.text(c.x(edge), c.y(-0.9), f"{label} ≥ {_vn(edge)}", 7.0, color="#333333", middle=False)
    for y, v in enumerate(values):
        c.text(c.x(v + 0.5), c.y(y), _vn(v), 7.5)
    c.axes(shown, nice_ticks(left, 104.0), "Chỉ số CCHC (%)")
    return c.svg("Biểu đồ chỉ số CCHC, xếp loại")


def gap_chart(labels: Sequence[str], gaps: Sequence[float]) -> str:
    """Bars of self-assessed minus final points per unit (positive = over-claimed)."""
    n = len(labels)
    shown = [_short(s, 34) for s in labels]
    hi = max([abs(g) for g in gaps] + [0.5])
    x_lim = (min(0.0, min(gaps, default=0.0)) * 1.25 - 0.05, hi * 1.3)
    c = _Bars((0.3 * n + 0.9) * 72, x_lim, _bar_limits(n, 0.6), _label_margin(shown), PAD, BOTTOM)
    for y, g in enumerate(gaps):
        c.bar(y, 0.6, g, "#c0392b" if g > 0 else "#4f9d69")
    for y, g in enumerate(gaps):
        c.text(c.x(g + (0.02 if g >= 0 else -0.02)), c.y(y), _vn(g), 7.5, anchor="start" if g >= 0 else "end")
    c.vline(0.0, "#333333", 0.8)
    c.axes(shown, nice_ticks(*x_lim), "Điểm tự đánh giá trừ điểm cuối cùng")
    return c.svg("Biểu đồ chênh lệch điểm tự đánh giá và điểm cuối cùng")
