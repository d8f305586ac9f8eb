"""Text that reaches a terminal: the control characters a terminal would act on shown escaped,
and plain messages on stderr written without rich (~0.05 s to import), which ``par-index
score --out`` and ``--help`` need nothing else of."""

from __future__ import annotations

import re
import sys

# Characters a terminal acts on (ESC sequences, CSI, carriage return, bell…): shown as \xNN.
TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_text(text: str) -> str:
    """``text`` with the characters a terminal would act on shown escaped (``\\x1b``)."""
    return TERMINAL_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text) if TERMINAL_CONTROL.search(text) else text


def note(text: str) -> None:
    """One plain message on stderr: byte for byte what ``console(stderr=True).print(text)``
    writes (no markup, no emoji codes, no wrapping, control characters escaped; tests/cli/
    test_console.py compares them). A tab is left to rich, which expands it by the width of
    the characters on screen."""
    if "\t" in text:
        from rich.console import Console

        Console(stderr=True, markup=False, emoji=False, highlight=False, soft_wrap=True).print(terminal_text(text))
        return
    sys.stderr.write(terminal_text(text) + "\n")
    sys.stderr.flush()
