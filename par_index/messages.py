"""The Vietnamese wordings used in more than one place, each written once.

A wording is a template with named ``{placeholders}``, filled with ``str.format`` by the module
that reports the problem (which adds what follows, e.g. "dòng này không được chấm"). Below
everything but :mod:`par_index.errors`, so every layer can use it. ``docs/messages.md`` is
generated from this catalogue and :class:`par_index.errors.Reason`:
``python -m par_index.messages > docs/messages.md`` (a test checks that it is up to date).
"""

from __future__ import annotations

from collections.abc import Sequence

# -- dates ------------------------------------------------------------------------------------
#: the forms of a date (every reader of dates accepts both)
DATE_FORMS = "một ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd"
#: what a date must look like
DATE_EXPECTED = "cần " + DATE_FORMS
#: a date that cannot be read; ``what`` names it ("ngày thẩm định", "ngày hoàn thành", …)
DATE_UNREADABLE = "không đọc được {what} '{text}': " + DATE_EXPECTED

# -- values -----------------------------------------------------------------------------------
# What to enter, per kind of value: the hint under a web form's field, the end of a workbook
# cell's message, and (after "cần") the end of a message about a value that cannot be read.
#: the form of a ratio (web form, workbook)
RATIO_FORM = "một tỷ lệ phần trăm (ví dụ 93% hoặc 93,5%)"
#: the form of a whole number (a count)
WHOLE_FORM = "một số nguyên (ví dụ 4)"
#: the form of a plain number (a maximum, an index, a target)
DECIMAL_FORM = "một số (ví dụ 12,5)"
#: the form of points
POINTS_FORM = "số điểm (ví dụ 0,75)"
#: what a number must look like
NUMBER_EXPECTED = "cần một số (ví dụ 0,5 hoặc 93%)"
#: what points must look like
POINTS_EXPECTED = "cần " + POINTS_FORM
#: what a yes/no value must look like
YES_NO_EXPECTED = "cần có/không"
#: what a ratio must look like
RATIO_EXPECTED = "cần " + RATIO_FORM
#: what a plain number must look like (a maximum, an index, a target)
DECIMAL_EXPECTED = "cần " + DECIMAL_FORM
#: what a whole number must look like (a count)
WHOLE_EXPECTED = "cần " + WHOLE_FORM
#: a value a rule cannot read; ``expected`` is one of the ``…_EXPECTED`` wordings
VALUE_UNREADABLE = "không đọc được giá trị '{text}': {expected}"
#: a number that must not be negative (``what``: "chi phí", "--budget", …)
NOT_NEGATIVE = "{what} '{text}' phải là một số ≥ 0"
#: a text that is not a number; ``what`` names it ("điểm tự chấm", "chỉ số", …), ``expected`` is one of the ``…_EXPECTED`` wordings (filled by :func:`not_a_number`)
NOT_A_NUMBER = "{what} '{text}' không phải là số; {expected}"


def not_a_number(what: str, text: object, expected: str) -> str:
    """NOT_A_NUMBER filled in: ``what`` names the field, ``text`` is what was written, ``expected``
    says what to write instead (``NUMBER_EXPECTED``, ``POINTS_EXPECTED``, ``DECIMAL_EXPECTED``, …)."""
    return NOT_A_NUMBER.format(what=what, text=text, expected=expected)


def json_invalid(what: str, exc: ValueError, line: bool = False) -> str:
    """JSON_INVALID filled in from a ``json.JSONDecodeError`` (the parser's error, then the column,
    and the line when ``line`` — a problem that carries no line of its own) or a ``UnicodeDecodeError``."""
    if isinstance(exc, UnicodeDecodeError):
        detail = f"không phải văn bản UTF-8, byte thứ {exc.start + 1}"
    else:
        msg, lineno, colno = getattr(exc, "msg", str(exc)), getattr(exc, "lineno", 0), getattr(exc, "colno", 0)
        detail = f"{msg}, dòng {lineno}, cột {colno}" if line else f"{msg}, cột {colno}"
    return JSON_INVALID.format(what=what, detail=detail)


# -- points ---------------------------------------------------------------------------------
#: a parameter of a rule that gives more points than the leaf's maximum (``what``: "mức trần 3", "2 điểm", …)
ABOVE_MAX = "{what} lớn hơn điểm tối đa {max}"

# -- spreadsheet cells -----------------------------------------------------------------------
#: a typed-in formula where a value belongs (``cell``: "ô", "ô nhập liệu"; ``kinds``: the values the cell takes); never evaluated
FORMULA_IN_CELL = "{cell} chứa công thức '{formula}'; hãy nhập giá trị ({kinds}), không nhập công thức"

# -- formulas (the sympy builder and formula_eval say the same) --------------------------------
#: a name other than x
FORMULA_NAME = "tên '{name}' không được phép; chỉ dùng biến x"
#: a construct the whitelist does not allow (``text``: the piece of the formula)
FORMULA_NOT_ALLOWED = "'{text}' không được phép trong công thức"
#: a constant that is not a number (a string, True)
FORMULA_ONLY_NUMBERS = "chỉ được dùng số, không dùng {value}"
#: a constant whose value is not real
FORMULA_NOT_REAL = "hằng số '{text}' không phải số thực (căn của một số âm)"
#: a division by a constant zero
FORMULA_DIVISION_BY_ZERO = "chia cho 0"
#: an exponent above the limit
FORMULA_EXPONENT_TOO_BIG = "số mũ quá lớn (tối đa {max})"
#: an exponent that depends on x
FORMULA_EXPONENT_NOT_NUMBER = "số mũ phải là một số (x ** 2), không phải biểu thức của x"
#: a comparison used as a value
FORMULA_COMPARISON_AS_VALUE = (
    "phép so sánh '{text}' không phải là một số: "
    "chỉ dùng làm điều kiện trong piecewise((giá trị, điều kiện), …, (giá trị, True))"
)
#: a comparison operator the whitelist does not allow
FORMULA_COMPARISON_NOT_ALLOWED = "phép so sánh '{text}' không được phép"
#: a piecewise condition that is not a comparison
FORMULA_CONDITION = "điều kiện '{text}' phải là một phép so sánh hoặc True"
#: a piecewise without branches
FORMULA_PIECEWISE_EMPTY = "piecewise cần ít nhất một cặp (giá trị, điều kiện)"
#: a piecewise branch that is not a (value, condition) pair
FORMULA_PIECEWISE_PAIR = "mỗi nhánh của piecewise là một cặp (giá trị, điều kiện)"

# -- values the engine cannot score ----------------------------------------------------------
#: what the engine does with a value its rule cannot read, after the reason
SCORED_ZERO = "; được tính 0 điểm"


def refused(message: str) -> str:
    """An engine message about a value, for a refusal at entry (``whatif --set``, the server's
    422): nothing is scored there, so the message does not end in :data:`SCORED_ZERO`."""
    return message.removesuffix(SCORED_ZERO)


# -- ratios -----------------------------------------------------------------------------------
#: a ratio written with "%" above 100 %
RATIO_ABOVE_100 = "{value} vượt quá 100%; tỷ lệ phải từ 0% đến 100%" + SCORED_ZERO
#: a ratio above 1 written without "%" (85 meant as 85 %?)
RATIO_WITHOUT_PERCENT = "{value} — có phải {value}%? Tỷ lệ ghi dạng {value}% hoặc số từ 0 đến 1" + SCORED_ZERO
#: the share of a survey answer outside 0..1
ANSWER_SHARE_RANGE = "tỷ lệ của đáp án {answer} phải từ 0 đến 1, không phải {value}"

# -- file formats ---------------------------------------------------------------------------
#: a key a strict YAML format does not have (``key``: "này" or the key quoted; ``format``: which format, where it is described)
KEY_UNKNOWN = "khóa {key} không có trong định dạng {format}; hãy xóa hoặc sửa chính tả"
#: two keys of which exactly one must be given (``first``, ``second``: the keys, quoted)
ONE_OF_TWO = "cần đúng một trong hai: {first} hoặc {second}"
#: text that does not parse as JSON (``what``: "tệp công thức", "nội dung gửi lên", …; ``detail``: the parser's error and where; filled by :func:`json_invalid`)
JSON_INVALID = "{what} không phải JSON hợp lệ ({detail})"
#: a workbook in a data folder or an upload that is not the self-assessment form
NOT_SELF_ASSESSMENT = "không phải phiếu tự đánh giá (không có trang «Tự đánh giá»)"
#: a YAML file whose top level is not a mapping (``what``: "tiêu chí", "kế hoạch", …; ``keys``: the keys it takes)
NOT_A_MAPPING = "tệp {what} phải là một mục YAML có {keys}"

# -- stages ----------------------------------------------------------------------------------
#: a stage to score that is neither self nor final (a --stage, a scenario's or a recipe's stage)
STAGE_UNKNOWN = "giai đoạn '{stage}' không hợp lệ; chọn self hoặc final"

#: a unit's own value for a survey criterion (ignored when read, refused at entry)
SURVEY_NOT_BY_UNIT = (
    "tiêu chí {criterion} là tiêu chí điều tra xã hội học: do Sở Nội vụ điền từ kết quả điều tra, "
    "không phải đơn vị tự đánh giá"
)
#: a survey-stage row (or a workbook cell marked as Sở Nội vụ's) on a criterion that is not a survey one
SURVEY_STAGE_ON_UNIT_LEAF = (
    "tiêu chí {criterion} không phải tiêu chí điều tra xã hội học: giá trị ở đây không thể là kết quả "
    "điều tra do Sở Nội vụ điền (giai đoạn survey)"
)

# -- tables ---------------------------------------------------------------------------------
#: a table without a column it needs (``table``: "bảng 'units'", "tệp tiến độ", …; filled by :func:`column_missing`, which adds the optional columns)
COLUMN_MISSING = "thiếu cột {missing}; {table} cần các cột {columns}"
#: a column a table does not use (``table`` as above; ``columns``: every column it uses)
COLUMN_UNKNOWN = "cột '{column}' không được dùng ({table} có các cột {columns}); dữ liệu của cột này bị bỏ qua"


def column_missing(missing: Sequence[str], table: str, required: Sequence[str], optional: Sequence[str] = ()) -> str:
    """COLUMN_MISSING filled in, with "(tùy chọn: …)" when the table has optional columns."""
    text = COLUMN_MISSING.format(missing=", ".join(missing), table=table, columns=", ".join(required))
    return text + (f" (tùy chọn: {', '.join(optional)})" if optional else "")


#: a CSV row with more cells than the header (an unquoted comma)
CSV_TOO_MANY_CELLS = "dòng có {cells} cột trong khi tiêu đề có {header} cột (thừa dấu phẩy? hãy đặt văn bản có dấu phẩy trong ngoặc kép)"

# -- appraisal ------------------------------------------------------------------------------
#: an appraisal change without its reason (``where``: "cột reason", "trường reason", …)
REASON_REQUIRED = "mọi thay đổi khi thẩm định phải có lý do ({where})"

# -- server ---------------------------------------------------------------------------------
#: an action the account may not take (``who``: "tài khoản này", "vai trò unit")
NOT_ALLOWED = "{who} không được phép thực hiện thao tác này"
#: a login refused after too many wrong passwords (the server adds how many seconds to wait)
LOGIN_LOCKED = "đăng nhập sai quá nhiều lần; hãy thử lại sau"

# -- agencies and rounds --------------------------------------------------------------------
#: an agency id that the agencies list does not declare (``where``: the list, its file)
AGENCY_UNDECLARED = "cơ quan '{agency}' chưa được khai báo trong {where}"
#: an appraisal round other than 1 or 2
ROUND_UNKNOWN = "vòng thẩm định '{round}' không hợp lệ: ghi 1 hoặc 2"

# -- identifiers -----------------------------------------------------------------------------
#: a table row without its id (``what``: "đơn vị", "tiêu chí", "nhiệm vụ"; ``column``: the column's name)
ID_MISSING = "thiếu mã {what} (cột {column})"

# -- units ------------------------------------------------------------------------------------
#: a unit id that is not in the units (``where``: "units", "dữ liệu đã chấm", …)
UNIT_UNKNOWN = "đơn vị '{unit}' không có trong {where}"
#: a criterion code that is not in the criteria (``where``: "bộ tiêu chí so-2024", …)
CRITERION_UNKNOWN = "tiêu chí '{criterion}' không có trong {where}"
#: a code that is not a leaf criterion (one with a rule) where only a leaf will do
LEAF_UNKNOWN = "tiêu chí thành phần '{criterion}' không có trong {where}"
#: a unit kind the criteria set does not have (``where``: "bộ tiêu chí (…)", …)
UNIT_KIND_UNKNOWN = "loại đơn vị '{kind}' không có trong {where}"

# -- files ------------------------------------------------------------------------------------
#: a file that is not there; ``what`` names it ("tệp", "tệp tiến độ", "tệp chi phí", …)
FILE_MISSING = "không tìm thấy {what}"
#: an upload of a kind the server does not take (the upload store adds which kinds it takes)
FILE_TYPE_REFUSED = "loại tệp không được chấp nhận"
#: an upload above the server's limit (``limit``: "10 MB")
FILE_TOO_LARGE = "tệp lớn hơn giới hạn {limit}"
#: a file the system cannot read (permissions, a folder given as a file, …)
FILE_UNREADABLE = "không đọc được tệp: {reason}"
#: a file that is not a workbook Excel can open
EXCEL_UNREADABLE = "không mở được tệp Excel: {error}"
#: a file in a data folder that no reader took
FILE_NOT_READ = "tệp '{name}' trong thư mục dữ liệu không được đọc: {hint}"
#: a file or sheet whose first line (the header) is missing
FILE_EMPTY = "{what} trống, không có dòng tiêu đề"
#: a symbolic link in a folder that resolves outside it (``target``: where it leads)
LINK_OUTSIDE = (
    "'{name}' là liên kết trỏ ra ngoài thư mục {folder} (tới {target}) — không được đọc; "
    "hãy chép chính tệp vào thư mục thay cho liên kết"
)
#: a symbolic link that leads back to itself
LINK_LOOP = "'{name}' là liên kết vòng (trỏ lại chính nó) — không đọc được; hãy thay bằng chính tệp"
#: a text file that is not UTF-8; ``byte`` the first bad byte (hex), ``where`` its place in the line
FILE_NOT_UTF8 = (
    "tệp không phải UTF-8: byte 0x{byte} ở {where} không đọc được "
    "(tệp có thể được lưu bằng mã Windows-1258/ANSI hay TCVN3)"
)
#: how to save a CSV as UTF-8 in Excel (after :data:`FILE_NOT_UTF8` for a CSV)
SAVE_AS_CSV_UTF8 = (
    "Trong Excel, chọn Tệp → Lưu thành, kiểu tệp «CSV UTF-8 (Comma delimited) (*.csv)» "
    "(«CSV UTF-8 (Phân tách bằng dấu phẩy)»), rồi dùng tệp mới"
)


def catalogue() -> list[tuple[str, str, str]]:
    """Every wording as (name, what it is for, template), in the order of this module."""
    import inspect

    out: list[tuple[str, str, str]] = []
    comment = ""
    for line in inspect.getsource(inspect.getmodule(catalogue)).splitlines():  # type: ignore[arg-type]
        if line.startswith("#: "):
            comment = line[3:]
        elif comment and " = " in line and line.split(" = ")[0].isupper():
            name = line.split(" = ")[0]
            out.append((name, comment, str(globals()[name])))
            comment = ""
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    """docs/messages.md: every reason code and every catalogued wording."""
    from par_index.errors import Reason

    lines = [
        "# Problems and messages",
        "",
        "<!-- Generated by `python -m par_index.messages > docs/messages.md`; do not edit by hand",
        "     (tests/test_messages.py checks that this file is up to date). -->",
        "",
        "Every problem the package reports has a stable English *reason* code (`Problem.reason`,",
        "a member of `par_index.errors.Reason`) and a Vietnamese message. Scripts and tests rely on",
        "the codes; the messages may be reworded.",
        "",
        "## Reason codes",
        "",
        "| reason | when |",
        "|---|---|",
    ]
    lines += [f"| `{r.value}` | {r.description} |" for r in Reason]
    lines += [
        "",
        "## Wordings used in more than one place (`par_index/messages.py`)",
        "",
        "Templates: `{name}` is filled in by the module that reports the problem.",
        "",
        "| name | for | wording |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}` | {doc} | {_cell(text)} |" for name, doc, text in catalogue()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    sys.stdout.write(markdown())
