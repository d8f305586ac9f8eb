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

_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(Environment):
    """``{{ row.name }}`` on a plain dict looks the key up directly. jinja2 tries the attribute
    first and the key after the ``AttributeError``, which cost a tenth of a 1,000-unit report;
    a dict has no attribute but ``dir(dict)``'s, so the result is the same."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def new_environment(loader: BaseLoader, **options: Any) -> Environment:
    """An environment with autoescape on for every template and strict undefined names; other
    jinja2 ``options`` (filters are added by the caller) may be given, autoescape may not."""
    if "autoescape" in options:
        raise ValueError("autoescape is always on")
    settings: dict[str, Any] = {"undefined": StrictUndefined, "trim_blocks": True, "lstrip_blocks": True}
    settings.update(options)
    return _Environment(loader=loader, autoescape=True, **settings)


@cache
def environment() -> Environment:
    """The environment of the package's own templates (``par_index/templates``), read once per
    process (not checked for a change on every render: two file stats a page)."""
    return new_environment(PackageLoader("par_index", "templates"), keep_trailing_newline=True, auto_reload=False)


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def trusted(text: str) -> Markup:
    """HTML the package made itself (chart SVG), never user text."""
    return Markup(text)
