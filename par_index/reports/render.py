"""Rendering the reports: one jinja2 environment, autoescaped, templates in ``par_index/templates``.

Templates hold no computation: every number arrives formatted (:mod:`par_index.reports.format`)
and every chart as SVG text (:mod:`par_index.reports.charts`), marked safe here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from par_index.common.text_files import writing


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("par_index", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def svg(text: str) -> Markup:
    """Chart SVG made by :mod:`par_index.reports.charts` (our own output, not user text)."""
    return Markup(text)


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def write_text(path: Path, text: str) -> Path:
    with writing(path):
        path.write_text(text, encoding="utf-8")
    return path
