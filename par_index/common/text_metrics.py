"""How much room text takes in a spreadsheet cell, from the font's own metrics.

Every workbook we write is in Times New Roman (:data:`par_index.common.spreadsheet.FONT_NAME`).
Its advance widths are those of Liberation Serif 2 (metric-compatible with Times New Roman, and
with every Vietnamese letter), regular and bold, in font units, kept in
:mod:`par_index.common.font_widths` — generated from the font files by
``python -m par_index.common.text_metrics /usr/share/fonts/truetype/liberation2`` (Debian's
``fonts-liberation2``; Pillow, a development dependency, reads them). A test checks the table
against the installed font.

From these, :func:`wrapped_lines` wraps a text as a spreadsheet does (at spaces, a word longer
than the column broken where it must, each paragraph on its own lines) in a column ``width``
characters wide, and :func:`row_height` gives the height of so many lines. The one owner of
row heights for every workbook we write (:func:`par_index.common.spreadsheet.fit_row_heights`,
the report workbook's header, the self-assessment form's instructions).
"""

from __future__ import annotations

import math
import sys
from functools import lru_cache
from pathlib import Path

from par_index.common.font_widths import BOLD, REGULAR, UNITS_PER_EM

DEFAULT_SIZE = 11.0  # points: the size of every font we write
# A column ``w`` characters wide is ``w`` maximum digit widths of the default font (Times New
# Roman 11 pt: 0,5 em = 7,33 px, which Excel takes as 7 whole pixels at 96 dpi) plus its padding;
# the text fits in the ``w`` digit widths: 7 px = 5,25 pt each.
DIGIT_POINTS = 7 * 72 / 96
FILL = 0.97  # wrap a little before the edge: renderers differ by a pixel here and there
# A line: the font's ascent + descent is 1,107 em; LibreOffice adds the font's line gap (1,149 em
# in all), Excel more (its default row for 11 pt text is 15 pt, 1,36 em with its padding). 1,3 em a
# line covers both, and one line of 11 pt text is then the default row, 15 pt.
LINE_EM = 1.3
ROW_PADDING = 0.5  # points above and below the lines of a row
MAX_ROW_HEIGHT = 409.0  # the most a spreadsheet row can be
FALLBACK = 1024  # a character the table lacks (not Vietnamese, not Latin): as wide as a digit, 0,5 em


def text_width(text: str, size: float = DEFAULT_SIZE, bold: bool = False) -> float:
    """The advance width of ``text`` in points (one line, no kerning)."""
    table = BOLD if bold else REGULAR
    return sum(table.get(ch, FALLBACK) for ch in text) * size / UNITS_PER_EM


def column_points(width: float) -> float:
    """The room for text in a column ``width`` characters wide, in points."""
    return max(width, 1.0) * DIGIT_POINTS * FILL


def wrapped_lines(text: str, width: float, size: float = DEFAULT_SIZE, bold: bool = False) -> int:
    """How many lines ``text`` takes wrapped in a column ``width`` characters wide."""
    return _lines(text, column_points(width), size, bold)


@lru_cache(maxsize=65536)
def _lines(text: str, room: float, size: float, bold: bool) -> int:
    table = BOLD if bold else REGULAR
    per_point = size / UNITS_PER_EM
    space = table[" "] * per_point
    n = 0
    for paragraph in text.split("\n"):
        n += 1
        used = 0.0
        for word in paragraph.split(" "):
            w = sum(table.get(ch, FALLBACK) for ch in word) * per_point
            if used and used + space + w <= room:
                used += space + w
                continue
            if used:  # the word starts a new line
                n += 1
            if w <= room:
                used = w
                continue
            used = 0.0  # a word wider than the column: broken where it must
            for ch in word:
                cw = table.get(ch, FALLBACK) * per_point
                if used and used + cw > room:
                    n += 1
                    used = 0.0
                used += cw
    return n


def line_height(size: float = DEFAULT_SIZE) -> float:
    """The height of one line of text in points."""
    return LINE_EM * size


def row_height(lines: int, size: float = DEFAULT_SIZE) -> float:
    """The height of a row holding ``lines`` lines, in points (rounded up to a quarter point)."""
    return min(MAX_ROW_HEIGHT, math.ceil((line_height(size) * lines + ROW_PADDING) * 4) / 4)


# -- the table, from the font files ----------------------------------------------------------------

#: the characters the table holds: Latin and every Vietnamese letter, the punctuation and signs
#: our texts use (the font has each of them)
RANGES = ((0x20, 0x7E), (0xA0, 0x17F), (0x1A0, 0x1B0), (0x300, 0x309), (0x323, 0x323), (0x1EA0, 0x1EF9), (0x2010, 0x2010), (0x2012, 0x2022), (0x2026, 0x2026), (0x2030, 0x2030), (0x20AB, 0x20AB))


def measure(font_dir: Path) -> dict[str, object]:
    """Advance widths (font units) and vertical metrics of Liberation Serif in ``font_dir``."""
    from PIL import ImageFont

    out: dict[str, object] = {}
    for name, file in (("REGULAR", "LiberationSerif-Regular.ttf"), ("BOLD", "LiberationSerif-Bold.ttf")):
        font = ImageFont.truetype(str(font_dir / file), 2048, layout_engine=ImageFont.Layout.BASIC)  # 2048 px a em = font units
        missing = font.getmask("\uffff").getbbox(), font.getlength("\uffff")
        widths = {}
        for lo, hi in RANGES:
            for code in range(lo, hi + 1):
                ch = chr(code)
                w = font.getlength(ch)
                if code > 0x7E and (font.getmask(ch).getbbox(), w) == missing:
                    raise SystemExit(f"{file} has no glyph for U+{code:04X}: use Liberation Serif 2 (fonts-liberation2)")
                widths[ch] = int(w)
        out[name] = widths
        out["ASCENT"], out["DESCENT"] = font.getmetrics()
    out["UNITS_PER_EM"] = 2048
    return out


def write_table(font_dir: Path, path: Path) -> None:
    import textwrap

    m = measure(font_dir)
    lines = [
        '"""Advance widths of Liberation Serif 2 (Times New Roman\'s metrics), in font units: one number',
        "per character of ``RANGES`` in order, regular then bold.",
        "",
        "Generated by ``python -m par_index.common.text_metrics FONT_DIR``; do not edit.",
        '"""',
        "",
        f"UNITS_PER_EM = {m['UNITS_PER_EM']}",
        f"ASCENT = {m['ASCENT']}",
        f"DESCENT = {m['DESCENT']}",
        f"RANGES = {RANGES!r}",
    ]
    for name in ("REGULAR", "BOLD"):
        widths = m[name]
        assert isinstance(widths, dict)
        lines.append(f"_{name} = (")
        lines += textwrap.wrap(", ".join(str(w) for w in widths.values()) + ",", 96, initial_indent="    ", subsequent_indent="    ")
        lines.append(")")
    lines += [
        "",
        "",
        "def _table(widths: tuple[int, ...]) -> dict[str, int]:",
        "    chars = [chr(code) for lo, hi in RANGES for code in range(lo, hi + 1)]",
        "    return dict(zip(chars, widths, strict=True))",
        "",
        "",
        "REGULAR = _table(_REGULAR)",
        "BOLD = _table(_BOLD)",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - a developer's tool
    write_table(Path(sys.argv[1]), Path(__file__).with_name("font_widths.py"))
