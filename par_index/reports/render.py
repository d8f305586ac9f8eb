"""Rendering the reports through the package's one autoescaped jinja2 environment
(:mod:`par_index.common.html`), templates in ``par_index/templates``.

Templates hold no computation: every number arrives formatted (:mod:`par_index.reports.format`)
and every chart as SVG text (:mod:`par_index.reports.charts`), marked safe here. Two tables are
written in Python: a unit report's appendix and its section II (~200 and ~70 rows a page, 1,000
pages a province), whose rows :func:`par_index.reports.unit.unit_report_context` makes as HTML
with markupsafe's escape (the template's own) on every text from the data; jinja2 took ~15 µs
a row. Those two tables stay UTF-8 bytes (each distinct row encoded once for all pages) and
:func:`par_index.reports.unit.unit_report_html` puts them into the rendered page in place of a
mark: encoding each 70 KB page took longer than making it. Likewise the agency report's lists of units lacking a document
(:func:`par_index.reports.agency.agency_context`, tens of thousands of entries).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup

from par_index.common import html
from par_index.common.text_files import write_text as _write_text


def svg(text: str) -> Markup:
    """Chart SVG made by :mod:`par_index.reports.charts` (our own output, not user text)."""
    return html.trusted(text)


def render(template: str, **context: Any) -> str:
    return html.render(template, **context)


def write_text(path: Path, text: str) -> Path:
    _write_text(path, text)
    return path
