"""A command's start-up (commands/options.starting_up): the cyclic garbage collector paused while
modules load and the criteria models are built, then the start-up's objects frozen; pydantic
plugins not looked for unless the user asks. Issue 9 item 7 (benchmarks/test_bench_startup.py
measures what it saves)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.paths import TESTS

from par_index.cli.commands.options import NO_PLUGINS, starting_up

MINI = str(TESTS / "data" / "mini" / "criteria.yaml")
DATA = str(TESTS / "data" / "mini" / "data")


def test_start_up_pauses_the_collector_and_skips_the_plugin_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NO_PLUGINS, raising=False)
    frozen = gc.get_freeze_count()
    with starting_up():
        inside = (gc.isenabled(), os.environ.get(NO_PLUGINS))
        objects = [[] for _ in range(1000)]
    try:
        assert inside == (False, "__all__")
        assert gc.isenabled() and NO_PLUGINS not in os.environ
        assert gc.get_freeze_count() >= frozen + len(objects)  # made during start-up: frozen
    finally:
        gc.unfreeze()


def test_start_up_keeps_the_users_plugin_setting_and_recovers_from_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NO_PLUGINS, "")  # an empty value: pydantic looks for plugins
    with pytest.raises(ValueError, match="criteria"), starting_up():
        assert os.environ[NO_PLUGINS] == ""
        raise ValueError("criteria")
    gc.unfreeze()
    assert gc.isenabled() and os.environ[NO_PLUGINS] == ""


def test_start_up_inside_a_paused_collector_changes_nothing() -> None:
    gc.disable()
    try:
        with starting_up():
            assert not gc.isenabled() and NO_PLUGINS not in os.environ
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_score_leaves_the_process_as_it_found_it(tmp_path: Path) -> None:
    # After ``main`` returns (tests and notebooks run many commands in one process): collector
    # on, nothing left frozen, the environment unchanged, and pydantic never looked for plugins.
    out = tmp_path / "out.json"
    code = (
        "import gc, os, sys, contextlib, io\nfrom par_index.cli.main import main\n"
        f"with contextlib.redirect_stderr(io.StringIO()):\n    assert main(['score', '--criteria', {MINI!r}, '--data', {DATA!r}, '--out', {str(out)!r}]) == 0\n"
        "from pydantic.plugin import _loader\n"
        f"print(gc.isenabled(), gc.get_freeze_count(), {NO_PLUGINS!r} in os.environ, _loader._plugins)"
    )
    env = {k: v for k, v in os.environ.items() if k != NO_PLUGINS}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert result.stdout.split() == ["True", "0", "False", "None"]
    assert out.stat().st_size > 0


def test_every_command_is_listed_and_loads_under_its_name() -> None:
    # cli/main.COMMAND_NAMES lists the commands; each module of cli/commands/ with a ``command``
    # (and the server's groups) must be there, so a new command cannot be left out of --help.
    import importlib.util

    from par_index.cli.commands.server import COMMANDS as SERVER_COMMANDS
    from par_index.cli.main import COMMAND_NAMES, load_command

    folder = Path(importlib.util.find_spec("par_index.cli.commands").origin).parent  # type: ignore[union-attr,arg-type]
    modules = sorted(p.stem for p in folder.glob("*.py") if "\ncommand = " in p.read_text(encoding="utf-8") or "\ndef command(" in p.read_text(encoding="utf-8"))
    assert len(modules) == 13
    assert len(COMMAND_NAMES) == len(set(COMMAND_NAMES)) == 13 + len(SERVER_COMMANDS) == 16
    assert {name.replace("-", "_") for name in COMMAND_NAMES} == set(modules) | {c.name for c in SERVER_COMMANDS}
    for name in COMMAND_NAMES:
        assert load_command(name).name == name


def test_a_command_loads_only_its_own_module() -> None:
    code = (
        "import sys, contextlib, io\nfrom par_index.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['score', '--help']) == 0\n"
        "print(*sorted(m for m in sys.modules if m.startswith('par_index.cli.commands')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["par_index.cli.commands", "par_index.cli.commands.options", "par_index.cli.commands.score"]
