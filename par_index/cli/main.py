"""The ``par-index`` command: a click group whose commands live in ``par_index/commands/``.

Every command runs inside :func:`main`, which turns known input errors into a Vietnamese list
of problems (exit 2), data problems under ``--strict`` into exit 1, and anything unexpected
into a one-paragraph message — never a Python traceback (set ``PAR_INDEX_DEBUG=1`` to see one).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from par_index.errors import DataProblems, InputError

EXIT_OK, EXIT_PROBLEMS, EXIT_INPUT = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="par-index")
def cli() -> None:
    """par-index — chấm điểm Chỉ số cải cách hành chính (PAR Index).

    Bộ tiêu chí là tệp YAML; dữ liệu đơn vị là thư mục CSV hoặc tệp Excel.
    Mã thoát: 0 thành công; 1 có vấn đề dữ liệu và dùng --strict; 2 không dùng được đầu vào.
    """


def _add_commands() -> None:
    from par_index.cli.commands import (
        appraise,
        demo,
        evidence,
        explain,
        headroom,
        plan,
        plan_status,
        report,
        robustness,
        score,
        template,
        validate,
        whatif,
    )

    for module in (validate, score, explain, template, evidence, plan_status, appraise, report, whatif, headroom, plan, robustness, demo):
        cli.add_command(module.command)
    from par_index.cli.commands.server import COMMANDS as SERVER_COMMANDS  # db, users, serve (the province server)

    for command in SERVER_COMMANDS:
        cli.add_command(command)


_add_commands()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (and exits with it when run as a script)."""
    from par_index.cli.console import console, print_input_error

    err = console(stderr=True)
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="par-index", standalone_mode=False)
        code = EXIT_OK
    except InputError as exc:
        print_input_error(exc.problems, err)
        code = EXIT_INPUT
    except DataProblems as exc:
        err.print(str(exc), markup=False)
        code = EXIT_PROBLEMS
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        err.print("Đã dừng.")
        code = EXIT_INPUT
    except click.UsageError as exc:
        hint = f" Xem: par-index {exc.ctx.info_name if exc.ctx else ''} --help".rstrip()
        err.print(f"Lỗi câu lệnh: {exc.format_message()}.{hint}", markup=False)
        code = EXIT_INPUT
    except click.ClickException as exc:
        err.print(f"Lỗi: {exc.format_message()}", markup=False)
        code = EXIT_INPUT
    except KeyboardInterrupt:
        err.print("Đã dừng.")
        code = EXIT_INPUT
    except Exception as exc:  # the promise: no traceback reaches the user
        if os.environ.get("PAR_INDEX_DEBUG"):
            raise
        err.print(
            f"Lỗi nội bộ của par-index ({type(exc).__name__}: {exc}). Đây là lỗi của chương trình, "
            "không phải của dữ liệu; hãy báo lại kèm câu lệnh đã chạy. Đặt PAR_INDEX_DEBUG=1 để xem chi tiết.",
            markup=False,
        )
        code = EXIT_INPUT
    if argv is None:
        sys.exit(code)
    return code
