"""Reading numbers back out of a rendered report (for the tests).

Every number a report shows sits in an element with ``data-points`` (the value with a dot)
and, on it or an ancestor, ``data-unit`` / ``data-code`` / ``data-field``. :func:`numbers`
returns one :class:`Shown` per such element with the text the reader sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

VOID = {"br", "img", "meta", "link", "hr", "input", "col", "wbr", "source"}


@dataclass(frozen=True)
class Shown:
    unit: str
    code: str
    field: str
    points: str  # data-points, e.g. "88.50"
    text: str  # what is displayed, e.g. "88,50"
    kind: str = ""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[dict[str, str]] = []
        self.open: list[tuple[int, dict[str, str], list[str]]] = []  # (depth, context, text parts)
        self.found: list[Shown] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in VOID:
            return
        self.stack.append(a)
        if "data-points" in a:
            ctx = {key: self._nearest(key) for key in ("data-unit", "data-code", "data-field", "data-kind")}
            ctx["data-points"] = a["data-points"]
            self.open.append((len(self.stack), ctx, []))

    def _nearest(self, key: str) -> str:
        for a in reversed(self.stack):
            if key in a:
                return a[key]
        return ""

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not self.stack:
            return
        depth = len(self.stack)
        if self.open and self.open[-1][0] == depth:
            _, ctx, parts = self.open.pop()
            self.found.append(Shown(ctx["data-unit"], ctx["data-code"], ctx["data-field"], ctx["data-points"], "".join(parts).strip(), ctx["data-kind"]))
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for _, _, parts in self.open:
            parts.append(data)


def numbers(html: str) -> list[Shown]:
    p = _Parser()
    p.feed(html)
    p.close()
    assert not p.open, "unclosed elements with data-points"
    return p.found
