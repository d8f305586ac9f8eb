"""One input widget per rule kind, and the text the widget sends turned into the value as written.

The unit enters what the leaf's rule reads (``Rule.input_kind``): yes/no as two radio buttons,
a date typed as dd/mm/yyyy (a text box, not the browser's date picker, which shows
mm/dd/yyyy on an English-language browser), a percentage as text that must carry ``%`` (``93%``; a bare ``93`` is
refused with a message instead of being guessed as 93% or 9300%), a whole count, or points in
the rule's steps. Survey leaves are never the unit's input. The value stored is the text the
engine reads from ``assessments.csv`` — the page adds nothing the CLI would read differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from par_index.common.values import NA_WORDS, NO_WORDS, YES_WORDS, format_date, format_number, nfc, parse_date_scalar
from par_index.criteria.compiled import Leaf
from par_index.messages import (
    DATE_UNREADABLE,
    DECIMAL_EXPECTED,
    DECIMAL_FORM,
    POINTS_EXPECTED,
    RATIO_EXPECTED,
    RATIO_FORM,
    WHOLE_EXPECTED,
    WHOLE_FORM,
    not_a_number,
)

_NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")


@dataclass(frozen=True)
class Widget:
    kind: str  # bool, date, ratio, count, points, number, survey
    step: str = "any"  # for <input type=number>
    min: str = "0"
    max: str = ""
    hint: str = ""


def widget_for(leaf: Leaf) -> Widget:
    rule = leaf.rule
    if rule.kind == "survey":
        return Widget("survey", hint="do Sở Nội vụ nhập từ điều tra xã hội học")
    kind = rule.input_kind()
    if kind == "bool":
        return Widget("bool")
    if kind == "date":
        return Widget("date", hint="ngày hoàn thành (dd/mm/yyyy)")
    if kind == "ratio":
        return Widget("ratio", hint=RATIO_FORM)
    if kind == "count":
        return Widget("count", step="1", hint=WHOLE_FORM)
    if kind == "points":
        step = getattr(rule, "step", None)
        top = leaf.max if leaf.max > 0 else Decimal(str(leaf.upper))
        text = f"từ 0 đến {format_number(float(top))} điểm"
        if step:
            text += f", bước {format_number(float(step))}"
        return Widget("points", step=_plain(step) if step else "any", max=_plain(top), hint=text)
    return Widget("number", hint=DECIMAL_FORM)


def _plain(x: float | Decimal) -> str:
    d = Decimal(str(x)).normalize()
    return f"{d:f}"


def shown_value(widget: Widget, stored: str) -> str:
    """The stored text as the widget shows it (a date as dd/mm/yyyy, whatever the browser's language)."""
    stored = stored.strip()
    if widget.kind == "date" and stored:
        d = parse_date_scalar(stored)
        return format_date(d) if d else stored
    if widget.kind == "bool" and stored:
        low = nfc(stored).lower()
        return "có" if low in YES_WORDS else "không" if low in NO_WORDS else stored
    if widget.kind == "ratio" and stored and "%" not in stored:
        try:
            return format_number(float(Decimal(stored.replace(",", "."))) * 100, 4) + "%"
        except (InvalidOperation, ValueError):
            return stored
    if widget.kind in ("count", "points") and _NUMBER.match(stored.replace(" ", "")):
        return stored.replace(" ", "").replace(",", ".")  # <input type=number> reads a dot
    return stored


def read_only_value(widget: Widget, stored: str) -> str:
    """The stored text as a reader sees it on a locked form: a decimal comma (``1,5``, never the
    number input's ``1.5``), ``không áp dụng`` for an item that does not apply."""
    shown = shown_value(widget, stored)
    if shown and nfc(shown).lower() in NA_WORDS:
        return "không áp dụng"
    if widget.kind in ("count", "points") and _NUMBER.match(shown):
        return shown.replace(".", ",")
    return shown


def fits_number_input(widget: Widget, shown: str) -> bool:
    """A number input cannot hold text it cannot parse: such a value is shown in a text box."""
    return widget.kind in ("count", "points") and (shown == "" or bool(_NUMBER.match(shown)))


def read_input(widget: Widget, code: str, text: str) -> tuple[str | None, str | None]:
    """(value to store, None) or (None, Vietnamese message naming the criterion)."""
    text = nfc(text).strip()
    if text == "" or text.lower() in ("na", "không áp dụng"):
        return text.lower() if text else "", None
    if widget.kind == "date":
        d = parse_date_scalar(text)
        if d is None:
            return None, f"Tiêu chí {code}: {DATE_UNREADABLE.format(what='ngày', text=text)}."
        return d.strftime("%d/%m/%Y"), None
    if widget.kind == "ratio":
        compact = text.replace(" ", "").replace("\u00a0", "")
        if compact.endswith("%") and _NUMBER.match(compact[:-1]):
            return compact, None
        if _NUMBER.match(compact):
            return None, (
                f"Tiêu chí {code}: '{text}' thiếu dấu %; tỷ lệ phải ghi kèm dấu %, ví dụ 93% "
                "(không tự đoán 93 là 93% hay 9300%)."
            )
        return None, f"Tiêu chí {code}: '{text}' không phải là tỷ lệ; {RATIO_EXPECTED}."
    if widget.kind in ("count", "points", "number"):
        compact = text.replace(" ", "")
        if not _NUMBER.match(compact):
            expected = {"count": WHOLE_EXPECTED, "points": POINTS_EXPECTED}.get(widget.kind, DECIMAL_EXPECTED)
            return None, f"Tiêu chí {code}: {not_a_number('giá trị', text, expected)}."
        return compact, None
    if widget.kind == "bool":
        low = text.lower()
        if low in YES_WORDS or low in NO_WORDS:
            return low, None
        return None, f"Tiêu chí {code}: '{text}' không phải có/không; chọn Có hoặc Không."
    return None, f"Tiêu chí {code}: số liệu do Sở Nội vụ nhập từ điều tra xã hội học, đơn vị không nhập."
