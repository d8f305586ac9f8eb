"""Rendering the pages: one jinja2 environment (autoescaped, strict), Vietnamese formats as filters.

Templates compute nothing: the page routes hand them plain values, and the filters below turn
numbers and dates into what a Vietnamese reader expects (decimal comma, dd/mm/yyyy), using the
package's own format helpers so a page and a report never disagree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader

from par_index.common.html import new_environment
from par_index.common.values import format_date, format_number
from par_index.reports.format import vn
from par_index.server.web import labels


def num(x: float | Decimal | str | None, decimals: int = 2) -> str:
    """``1.5`` → ``1,5``; ``None`` → ``—``; text (as a unit wrote it) is shown as it is."""
    if x is None or x == "":
        return "—"
    if isinstance(x, str):
        return x
    if isinstance(x, Decimal):
        x = float(x)
    if x != x:
        return "—"
    return format_number(x, decimals)


def fixed(x: float | Decimal | None) -> str:
    """Exactly two decimals, as the reports show an index: ``88,50``."""
    if x is None:
        return "—"
    d = x if isinstance(x, Decimal) else Decimal(repr(float(x)))
    return vn(d)


def signed(x: float | Decimal | None) -> str:
    if x is None:
        return "—"
    d = x if isinstance(x, Decimal) else Decimal(repr(float(x)))
    return vn(d, signed=True)


def date(d: dt.date | dt.datetime | str | None) -> str:
    if d is None or d == "":
        return ""
    if isinstance(d, str):
        return d
    if isinstance(d, dt.datetime):
        d = d.date()
    return format_date(d)


def datetime(d: dt.datetime | None) -> str:
    """``dd/mm/yyyy hh:mm`` in Vietnam time (UTC+7)."""
    if d is None:
        return ""
    if d.tzinfo is not None:
        d = d.astimezone(dt.timezone(dt.timedelta(hours=7)))
    return d.strftime("%d/%m/%Y %H:%M")


@cache
def environment() -> Environment:
    env = new_environment(PackageLoader("par_index.server", "templates"))  # the package's one set-up: autoescaped, strict
    env.filters.update(num=num, fixed=fixed, signed=signed, date=date, datetime=datetime,
                       role=labels.role, state=labels.state, action=labels.action)
    env.globals.update(labels=labels)
    return env


def render_text(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
