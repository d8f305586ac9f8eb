"""The rich console every command prints with (imported only when something is printed with
rich: see :mod:`par_index.cli.console`)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from par_index.cli.terminal import terminal_text


class SafeConsole(Console):
    """A console that prints data as text: no rich markup (``Sở Tài chính [cũ]`` keeps its
    ``[cũ]``, ``[/x]`` does not crash), no ``:emoji:`` codes, control characters escaped.
    Our own emphasis is given as :class:`rich.text.Text` styles, never as markup in a string."""

    def __init__(self, **options: Any) -> None:
        super().__init__(markup=False, emoji=False, **options)

    def render_str(self, text: str, **options: Any) -> Text:
        options["markup"] = False
        options["emoji"] = False
        return super().render_str(terminal_text(text), **options)
