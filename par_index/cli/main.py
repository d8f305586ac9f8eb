"""The ``par-index`` command: a click group whose commands live in ``par_index/commands/``.

Every command runs inside :func:`main`, which turns known input errors into a Vietnamese list
of problems (exit 2), data problems under ``--strict`` into exit 1, and anything unexpected
into a one-paragraph message — never a Python traceback (set ``PAR_INDEX_DEBUG=1`` to see one).
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from par_index.cli import click_vi
from par_index.errors import DataProblems, InputError, Problem

if TYPE_CHECKING:
    from rich.console import Console

click_vi.install()  # click's own words (Usage, Options, Missing option, …) in Vietnamese

EXIT_OK, EXIT_PROBLEMS, EXIT_INPUT = 0, 1, 2


class Commands(click.Group):
    """The group of every command, each loaded when it is called (or listed by ``--help``): a
    command's module is imported by :func:`load_command`, so ``par-index score`` does not import
    the twelve other commands' modules and what they import."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_NAMES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_NAMES:
            command = load_command(cmd_name)
            _guarded(command)
            click_vi.localise(command)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="par-index")
def cli() -> None:
    """par-index — chấm điểm Chỉ số cải cách hành chính (PAR Index).

    Bộ tiêu chí là tệp YAML; dữ liệu đơn vị là thư mục CSV hoặc tệp Excel.
    Mã thoát: 0 thành công; 1 có vấn đề dữ liệu và dùng --strict; 2 không dùng được đầu vào.
    """


# db, users, serve: the province server
COMMAND_NAMES = (
    "validate", "score", "explain", "template", "evidence", "plan-status", "appraise", "report", "whatif", "headroom",
    "plan", "robustness", "demo", "db", "users", "serve",
)  # fmt: skip


def load_command(name: str) -> click.Command:
    """The command called ``name``, its module imported now (plain imports, one per command)."""
    if name == "validate":
        from par_index.cli.commands import validate

        return validate.command
    if name == "score":
        from par_index.cli.commands import score

        return score.command
    if name == "explain":
        from par_index.cli.commands import explain

        return explain.command
    if name == "template":
        from par_index.cli.commands import template

        return template.command
    if name == "evidence":
        from par_index.cli.commands import evidence

        return evidence.command
    if name == "plan-status":
        from par_index.cli.commands import plan_status

        return plan_status.command
    if name == "appraise":
        from par_index.cli.commands import appraise

        return appraise.command
    if name == "report":
        from par_index.cli.commands import report

        return report.command
    if name == "whatif":
        from par_index.cli.commands import whatif

        return whatif.command
    if name == "headroom":
        from par_index.cli.commands import headroom

        return headroom.command
    if name == "plan":
        from par_index.cli.commands import plan

        return plan.command
    if name == "robustness":
        from par_index.cli.commands import robustness

        return robustness.command
    if name == "demo":
        from par_index.cli.commands import demo

        return demo.command
    from par_index.cli.commands.server import COMMANDS as SERVER_COMMANDS

    [command] = [c for c in SERVER_COMMANDS if c.name == name]
    return command


OUTPUT_PARAMS = ("out", "problems_out", "emit", "recipe_out")
DATA_SUFFIXES = (".csv", ".xlsx", ".yaml", ".yml")  # what a data folder's readers may read


def outputs_that_are_inputs(params: dict[str, object]) -> list[tuple[str, Path, str]]:
    """(output option, output path, input option) for every output of a run that is one of its
    inputs, or would replace a data file inside an input folder (``score --data D --out
    D/assessments.csv``)."""
    def paths(value: object) -> list[Path]:
        items = value if isinstance(value, (list, tuple)) else [value]
        return [Path(v) for v in items if isinstance(v, (str, Path))]

    inputs = [(name, p.resolve()) for name, v in params.items() if name not in OUTPUT_PARAMS for p in paths(v)]
    clashes = []
    for out_name in OUTPUT_PARAMS:
        for out in paths(params.get(out_name)):
            o = out.resolve()
            for in_name, i in inputs:
                if o == i or (i.is_dir() and o.is_file() and i in o.parents and o.suffix.lower() in DATA_SUFFIXES):
                    clashes.append((out_name, out, in_name))
    return clashes


def _guarded(command: click.Command) -> None:
    """Refuse, before any work, an output path that is an input of the same run (exit 2)."""
    callback = command.callback
    if callback is None:
        return
    flags = {p.name: p.opts[0] for p in command.params if p.name and p.opts}

    @functools.wraps(callback)
    def run(**params: object) -> object:
        clashes = outputs_that_are_inputs(params)
        if clashes:
            raise InputError(
                [
                    Problem(
                        "out_is_input",
                        f"{flags.get(out_name, out_name)} trỏ vào đầu vào của chính lệnh này ({flags.get(in_name, in_name)}); "
                        "ghi ra sẽ thay thế dữ liệu gốc — hãy chọn tệp hoặc thư mục khác",
                        file=str(out),
                    )
                    for out_name, out, in_name in clashes
                ]
            )
        return callback(**params)

    command.callback = run


click_vi.localise(cli)  # the group's own usage line; each command's when it is loaded


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (and exits with it when run as a script)."""
    from par_index.cli.console import console, print_input_error
    from par_index.cli.terminal import note

    def err() -> Console:  # rich loads only when there is something to report
        return console(stderr=True)

    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="par-index", standalone_mode=False)
        code = EXIT_OK
    except InputError as exc:
        print_input_error(exc.problems, err())
        code = EXIT_INPUT
    except DataProblems as exc:
        note(str(exc))
        code = EXIT_PROBLEMS
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        note("Đã dừng.")
        code = EXIT_INPUT
    except click.exceptions.NoArgsIsHelpError as exc:  # a command group alone (par-index users): its help, not an error
        note(exc.format_message())
        code = EXIT_INPUT
    except click.UsageError as exc:
        path = exc.ctx.command_path if exc.ctx is not None else "par-index"
        given = [a for a in (list(argv) if argv is not None else sys.argv[1:]) if not a.startswith("-")]
        if path == "par-index" and given and given[0] in COMMAND_NAMES:  # an option of the command, read before its context
            path += f" {given[0]}"
        message = exc.format_message()
        note(f"Lỗi câu lệnh: {message if message.endswith(('.', '?')) else message + '.'} Xem: {path} --help")
        code = EXIT_INPUT
    except click.ClickException as exc:
        note(f"Lỗi: {exc.format_message()}")
        code = EXIT_INPUT
    except KeyboardInterrupt:
        note("Đã dừng.")
        code = EXIT_INPUT
    except Exception as exc:  # the promise: no traceback reaches the user
        if os.environ.get("PAR_INDEX_DEBUG"):
            raise
        note(
            f"Lỗi nội bộ của par-index ({type(exc).__name__}: {exc}). Đây là lỗi của chương trình, "
            "không phải của dữ liệu; hãy báo lại kèm câu lệnh đã chạy. Đặt PAR_INDEX_DEBUG=1 để xem chi tiết."
        )
        code = EXIT_INPUT
    finally:
        if argv is not None:  # called in a running process (tests, notebooks): what the command's
            gc.unfreeze()  # start-up froze (commands/options.starting_up) goes back to the collector;
            # run as ``par-index``, the process ends here and the exit's collection skips it
    if argv is None:
        sys.exit(code)
    return code
