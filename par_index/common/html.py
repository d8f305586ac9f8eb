"""The package's one jinja2 set-up for HTML: every template is autoescaped (whatever its file
name: ``select_autoescape()`` does not match ``*.html.j2``), undefined names fail loudly.

User text (unit, criterion, agency names, notes, labels, values) reaches a page only through
``{{ … }}`` and is therefore escaped; the only text marked safe is our own SVG (:func:`trusted`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import BaseLoader, Environment, PackageLoader, StrictUndefined
from markupsafe import Markup


def new_environment(loader: BaseLoader, **options: Any) -> Environment:
    """An environment with autoescape on for every template and strict undefined names; other
    jinja2 ``options`` (filters are added by the caller) may be given, autoescape may not."""
    if "autoescape" in options:
        raise ValueError("autoescape is always on")
    settings: dict[str, Any] = {"undefined": StrictUndefined, "trim_blocks": True, "lstrip_blocks": True}
    settings.update(options)
    return Environment(loader=loader, autoescape=True, **settings)


@cache
def environment() -> Environment:
    """The environment of the package's own templates (``par_index/templates``)."""
    return new_environment(PackageLoader("par_index", "templates"), keep_trailing_newline=True)


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def trusted(text: str) -> Markup:
    """HTML the package made itself (chart SVG), never user text."""
    return Markup(text)
