"""click's own words in Vietnamese (Usage, Options, Missing option, Error, …).

click marks its user-facing strings with ``gettext`` (``from gettext import gettext as _`` and
``ngettext`` in each of its modules). :func:`install` rebinds those two names in click's modules
to look up :data:`MESSAGES` (a string not listed keeps click's English), so ``--help`` and every
usage error read in Vietnamese without a compiled catalogue. Placeholders (``{name}``,
``%(prog)s``) are kept as click fills them.
"""

from __future__ import annotations

from collections.abc import Callable

import click
import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types
import click.utils

MESSAGES: dict[str, str] = {
    "Usage:": "Cách dùng:",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "Positional arguments": "Tham số vị trí",
    "Show this message and exit.": "Hiện hướng dẫn này rồi thoát.",
    "Show the version and exit.": "Hiện phiên bản rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "Error: {message}": "Lỗi: {message}",
    "Try '{command} {option}' for help.": "Xem hướng dẫn: '{command} {option}'.",
    "Missing argument": "Thiếu tham số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing {param_type}": "Thiếu {param_type}",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "Missing command.": "Thiếu tên lệnh.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "No such option {name!r}.": "Không có tùy chọn {name!r}.",
    "Option {name!r} does not take a value.": "Tùy chọn {name!r} không nhận giá trị.",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: {message}",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Got unexpected extra argument ({args})": "Thừa tham số ({args})",
    "Got unexpected extra arguments ({args})": "Thừa các tham số ({args})",
    "Option {name!r} requires an argument.": "Tùy chọn {name!r} cần một giá trị.",
    "Option {name!r} requires {nargs} arguments.": "Tùy chọn {name!r} cần {nargs} giá trị.",
    "Did you mean {possibility}?": "Có phải ý bạn là {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Có phải ý bạn là một trong: {possibilities}?)",
    "{value!r} is not {choice}.": "{value!r} không phải {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} không phải một trong {choices}.",
    "{value!r} is not a valid {number_type}.": "{value!r} không phải {number_type} hợp lệ.",
    "{value} is not in the range {range}.": "{value} không nằm trong khoảng {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} không phải có/không hợp lệ. Giá trị nhận được: {states}",
    "{value!r} does not match the format {format}.": "{value!r} không đúng định dạng {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} không đúng các định dạng {formats}.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} không tồn tại.",
    "{name} {filename!r} is a file.": "{name} {filename!r} là một tệp.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} là một thư mục.",
    "{name} {filename!r} is not readable.": "Không đọc được {name} {filename!r}.",
    "{name} {filename!r} is not writable.": "Không ghi được {name} {filename!r}.",
    "{name} {filename!r} is not executable.": "Không chạy được {name} {filename!r}.",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: {message}",
    "file": "tệp",
    "directory": "thư mục",
    "path": "đường dẫn",
    "default: {default}": "mặc định: {default}",
    "env var: {var}": "biến môi trường: {var}",
    "required": "bắt buộc",
    "(dynamic)": "(động)",
    "Aborted!": "Đã dừng.",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "Takes {nargs} values but 1 was given.": "Cần {nargs} giá trị nhưng chỉ có 1.",
    "Takes {nargs} values but {len} were given.": "Cần {nargs} giá trị nhưng có {len}.",
    "Argument {name!r} takes {nargs} values.": "Tham số {name!r} cần {nargs} giá trị.",
    "Repeat for confirmation": "Nhập lại để xác nhận",
    "Error: The two entered values do not match.": "Lỗi: hai giá trị đã nhập không khớp nhau.",
    "Error: invalid input": "Lỗi: giá trị nhập không hợp lệ",
    "Do you want to continue?": "Tiếp tục?",
    "Confirm the action without prompting.": "Xác nhận mà không hỏi lại.",
    "Press any key to continue...": "Nhấn một phím bất kỳ để tiếp tục...",
    "unknown error": "lỗi không rõ",
}

MODULES = (
    click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.termui, click.types, click.utils,
)


def gettext(message: str) -> str:
    """click's ``gettext``: the Vietnamese text of ``message``, or ``message`` itself."""
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """click's ``ngettext``: Vietnamese has one form, but click's two English texts differ."""
    return gettext(singular if n == 1 else plural)


METAVARS = {
    "text": "VĂN_BẢN", "integer": "SỐ_NGUYÊN", "integer range": "SỐ_NGUYÊN", "float": "SỐ", "float range": "SỐ",
    "path": "ĐƯỜNG_DẪN", "file": "TỆP", "directory": "THƯ_MỤC",
}


def localise(command: click.Command) -> None:
    """Vietnamese placeholders in ``command``'s usage lines and of all its sub-commands:
    ``[TÙY CHỌN]``, ``LỆNH [THAM SỐ]...`` and one word per value type (``ĐƯỜNG_DẪN``, ``SỐ``)."""
    command.options_metavar = "[TÙY_CHỌN]"
    for param in command.params:
        if isinstance(param, click.Option) and param.metavar is None and not param.is_flag:
            name = getattr(param.type, "name", "")
            if isinstance(param.type, click.Path):
                name = "directory" if param.type.dir_okay and not param.type.file_okay else "path"
            if name in METAVARS:
                param.metavar = METAVARS[name]
    if isinstance(command, click.Group):
        command.subcommand_metavar = "LỆNH [THAM_SỐ]..."
        for sub in command.commands.values():
            localise(sub)


def install() -> None:
    """Rebind ``_`` and ``ngettext`` in click's modules (idempotent)."""
    for module in MODULES:
        bindings: dict[str, Callable[..., str]] = {"_": gettext, "ngettext": ngettext}
        for attr, fn in bindings.items():
            if hasattr(module, attr):
                setattr(module, attr, fn)
