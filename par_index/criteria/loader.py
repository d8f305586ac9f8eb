"""Loading criteria files strictly, reporting every problem at once.

Order of work: read YAML (syntax, duplicate keys) → resolve an ``agencies`` include →
validate the shape with pydantic (unknown keys, types, dates, rule parameters) → check the
tree as a whole (codes, maxima, agencies, unit kinds, provenance). All problems found in a
file are raised together in one :class:`~par_index.errors.InputError`, each with the file,
line, node code and field.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from par_index.common.values import magnitude_problem
from par_index.common.yaml_strict import LineDict, load_yaml, nfc_strings
from par_index.criteria.model import CriteriaSet, Node
from par_index.errors import InputError, Problem, Reason
from par_index.messages import AGENCY_UNDECLARED, DATE_FORMS, KEY_UNKNOWN, NOT_A_MAPPING, UNIT_KIND_UNKNOWN

# Provenance values that must cite where the number comes from.
SOURCED = {
    "official": "số liệu 'official' phải ghi nguồn (source: số, ngày của quyết định áp dụng cho bộ tiêu chí này)",
    "reference": "số liệu 'reference' (tham chiếu) phải ghi nguồn (source: văn bản và trang đã đọc được số liệu)",
}


def load_criteria(path: str | Path) -> CriteriaSet:
    """Read and check one criteria file; :class:`InputError` lists every problem."""
    path = Path(path)
    name = str(path)
    raw, problems = load_yaml(path)
    if not isinstance(raw, dict):
        raise InputError(
            Problem("criteria_not_mapping", NOT_A_MAPPING.format(what="tiêu chí", keys="id, title, year, unit_kinds, nodes"), file=name)
        )
    shape = _tree_size(raw, name)
    if shape is not None:
        raise InputError([*problems, shape])
    raw = nfc_strings(raw)
    agencies_ok = True
    if isinstance(raw.get("agencies"), str):
        included, more = _load_agencies(path.parent / raw["agencies"], name, raw)
        problems.extend(more)
        agencies_ok = included is not None
        raw["agencies"] = included
    problems.extend(check_references(raw, name, check_agencies=agencies_ok))
    try:
        spec = CriteriaSet.model_validate(raw)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, raw, name))
        raise InputError(sorted(problems, key=lambda p: p.line or 0)) from None
    problems.extend(check_tree(spec, raw, name))
    if problems:
        raise InputError(problems)
    return spec


MAX_NODES = 100_000  # criteria nodes in one set (the Bắc Giang sets have under 100)
MAX_TREE_DEPTH = 20  # levels of nodes (official sets have 3 or 4)


def _tree_size(raw: dict[str, Any], name: str) -> Problem | None:
    """A tree beyond the documented limits, measured without recursion before anything else
    walks it (scoring memory is linear in nodes, see :mod:`par_index.criteria.compiled`)."""
    count = 0
    stack: list[tuple[Any, int, int | None]] = [(raw.get("nodes"), 1, raw.key_lines.get("nodes") if isinstance(raw, LineDict) else None)]
    while stack:
        items, depth, line = stack.pop()
        if not isinstance(items, list):
            continue
        for node in items:
            if not isinstance(node, dict):
                continue
            count += 1
            at = node.line if isinstance(node, LineDict) else line
            if depth > MAX_TREE_DEPTH:
                return Problem(
                    "criteria_too_deep", f"cây tiêu chí sâu quá {MAX_TREE_DEPTH} cấp (tiêu chí '{node.get('code')}' ở cấp {depth}) — vượt giới hạn", file=name, line=at
                )
            if count > MAX_NODES:
                return Problem("criteria_too_large", f"bộ tiêu chí có hơn {MAX_NODES:,} tiêu chí — vượt giới hạn".replace(",", "."), file=name, line=at)
            stack.append((node.get("children"), depth + 1, at))
    return None


def _load_agencies(path: Path, referrer: str, raw: dict[str, Any]) -> tuple[Any, list[Problem]]:
    line = raw.key_lines.get("agencies") if isinstance(raw, LineDict) else None
    if not path.is_file():
        return None, [
            Problem("agencies_missing", f"không tìm thấy tệp danh sách cơ quan '{path}'", file=referrer, line=line, field="agencies")
        ]
    return read_agencies(path)


def read_agencies(path: Path) -> tuple[list[Any] | None, list[Problem]]:
    """The one reader of an agencies file (``agencies: [{id, name, role}, …]``), for criteria
    sets and reform plans: its items as read (NFC, with line numbers), or None and the problems."""
    data, problems = load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("agencies"), list):
        problems.append(Problem("agencies_shape", "tệp cơ quan phải có khóa 'agencies' là một danh sách {id, name, role}", file=str(path)))
        return None, problems
    return nfc_strings(data["agencies"]), problems


# -- pydantic errors → our problems ------------------------------------------------------------

_TYPE_WORDS = {
    "string_type": "một chuỗi văn bản",
    "float_type": "một số",
    "float_parsing": "một số",
    "decimal_type": "một số",
    "decimal_parsing": "một số",
    "int_type": "một số nguyên",
    "int_parsing": "một số nguyên",
    "int_from_float": "một số nguyên",
    "list_type": "một danh sách",
    "dict_type": "một mục (mapping)",
    "model_type": "một mục (mapping)",
    "model_attributes_type": "một mục (mapping)",
    "bool_type": "có/không (true/false)",
    "date_type": DATE_FORMS,
    "date_parsing": DATE_FORMS,
    "date_from_datetime_inexact": "một ngày (không kèm giờ)",
}


def pydantic_message(err: Any) -> str:
    """One pydantic error in Vietnamese."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "extra_forbidden":
        return KEY_UNKNOWN.format(key="này", format="tiêu chí (xem docs/criteria-format.md)")
    if kind == "missing":
        return "thiếu trường bắt buộc"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        from par_index.criteria.rules import RULES

        known = ", ".join(sorted(RULES))
        if kind == "union_tag_not_found":
            return f"quy tắc thiếu 'kind'; chọn một trong: {known}"
        return f"loại quy tắc '{ctx.get('tag')}' không tồn tại; chọn một trong: {known}"
    if kind in _TYPE_WORDS:
        return f"cần {_TYPE_WORDS[kind]}, nhận được {value!r}"
    if kind == "literal_error":
        return f"giá trị {value!r} không hợp lệ; chọn một trong: {ctx.get('expected')}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind in ("greater_than_equal", "greater_than"):
        sign = "≥" if kind == "greater_than_equal" else ">"
        bound = ctx.get("ge", ctx.get("gt"))
        return f"giá trị {value!r} phải {sign} {bound}"
    if kind in ("less_than_equal", "less_than"):
        sign = "≤" if kind == "less_than_equal" else "<"
        return f"giá trị {value!r} phải {sign} {ctx.get('le', ctx.get('lt'))}"
    if kind == "too_short":
        return "danh sách không được để trống"
    if kind == "string_too_short":
        return "không được để trống"
    if kind == "string_too_long":
        return f"quá dài (tối đa {ctx.get('max_length')} ký tự)"
    if kind == "string_pattern_mismatch":
        return f"mã {value!r} chỉ được gồm chữ, số, dấu chấm, gạch ngang, gạch dưới"
    return f"giá trị không hợp lệ ({err['msg']})"


# pydantic's error types, folded into the few reasons a user can act on (errors.Reason):
# ``{prefix}_missing``, ``_extra_forbidden``, ``_value_error``, ``_union_tag_invalid``, else ``_invalid``.
_PYDANTIC_REASONS = {
    "missing": "missing",
    "extra_forbidden": "extra_forbidden",
    "value_error": "value_error",
    "assertion_error": "value_error",
    "union_tag_invalid": "union_tag_invalid",
    "union_tag_not_found": "union_tag_invalid",
}


def pydantic_reason(prefix: str, err_type: str) -> str:
    """The reason code of one pydantic error in a file of kind ``prefix`` (criteria, plan, …)."""
    code = f"{prefix}_{_PYDANTIC_REASONS.get(err_type, 'invalid')}"
    return code if code in Reason.__members__ else f"{prefix}_invalid"


def pydantic_problems(
    exc: ValidationError, raw: Any, name: str, prefix: str = "criteria", id_key: str = "code", extra_message: str | None = None
) -> list[Problem]:
    """Pydantic's errors as problems with file, line, the id of the item (``code`` of a node,
    ``id`` of a plan task) and the field; one problem per place and kind of error."""
    out: list[Problem] = []
    seen: set[tuple[Any, ...]] = set()
    for err in exc.errors():
        item, line, field = locate(raw, tuple(err["loc"]), id_key)
        key = (item, line, field, err["type"])
        if key in seen:
            continue
        seen.add(key)
        message = extra_message if extra_message and err["type"] == "extra_forbidden" else pydantic_message(err)
        out.append(Problem(pydantic_reason(prefix, err["type"]), message, file=name, line=line, criterion=item, field=field))
    return out


def locate(raw: Any, loc: tuple[Any, ...], id_key: str = "code") -> tuple[str, int | None, str]:
    """Walk the raw YAML along a pydantic error location: (item id, line, field path)."""
    current: Any = raw
    code = ""
    line = raw.line if isinstance(raw, LineDict) else None
    parts: list[str] = []
    tagged: Any = None  # the dict whose union tag was passed over (the tag may also be a key: kind bands, key bands)
    for part in loc:
        if isinstance(current, dict):
            if isinstance(part, str) and current.get("kind") == part and tagged is not current:
                tagged = current
                continue  # the tag pydantic inserts for a discriminated union
            if part not in current:
                if isinstance(part, str) and part.startswith("function-"):
                    continue  # the tag pydantic inserts for a validator
                parts.append(str(part))
                if isinstance(current, LineDict):
                    line = current.key_lines.get(str(part), current.line)
                current = None
                continue
            if isinstance(current, LineDict):
                line = current.key_lines.get(str(part), line)
            current = current[part]
            parts.append(str(part))
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            parts.append(f"[{part + 1}]")
            if isinstance(current, LineDict):
                line = current.line
        else:
            parts.append(str(part))
            current = None
        if isinstance(current, dict) and id_key in current:
            code = str(current[id_key])
            parts = []
            if isinstance(current, LineDict):
                line = current.line
    return code, line, ".".join(parts).replace(".[", "[")


# -- whole-tree checks -------------------------------------------------------------------------


def iter_nodes(nodes: list[Node], parent: Node | None = None) -> Iterator[tuple[Node, Node | None]]:
    for node in nodes:
        yield node, parent
        if node.children:
            yield from iter_nodes(node.children, node)


def _raw_nodes(raw: Any) -> dict[str, LineDict]:
    """Node code → its raw mapping (for line numbers); the first one wins."""
    found: dict[str, LineDict] = {}

    def walk(items: Any) -> None:
        if not isinstance(items, list):
            return
        for item in items:
            if isinstance(item, LineDict) and "code" in item:
                found.setdefault(str(item["code"]), item)
                walk(item.get("children"))

    walk(raw.get("nodes") if isinstance(raw, dict) else None)
    return found


def node_max(node: Node) -> Decimal:
    """A node's maximum: its own for a leaf, else the sum over its children (bonus counts 0)."""
    if node.rule is not None:
        return Decimal(0) if node.rule.sign else (node.max or Decimal(0))
    return sum((node_max(c) for c in node.children or []), Decimal(0))


def check_tree(spec: CriteriaSet, raw: Any, name: str) -> list[Problem]:
    """Checks on the validated tree: maxima, rule parameters, precision, provenance, bands."""
    problems: list[Problem] = []
    lines = _raw_nodes(raw)

    def add(reason: str, message: str, node: Node | None = None, field: str = "", line: int | None = None) -> None:
        if node is not None and line is None:
            rawnode = lines.get(node.code)
            if rawnode is not None:
                line = rawnode.key_lines.get(field.split(".")[0].split("[")[0], rawnode.line)
        problems.append(Problem(reason, message, file=name, line=line, criterion=node.code if node else "", field=field))

    scale = Decimal(1).scaleb(-spec.precision)
    for node, _parent in iter_nodes(spec.nodes):
        if node.rule is not None:
            if node.rule.sign == 0 and node.max is None:
                add("leaf_max_missing", "tiêu chí thành phần (có 'rule') cần 'max' (điểm tối đa)", node, "max")
            for field, message in node.rule.check(node.max):
                add("rule_parameter", message, node, f"rule.{field}" if field != "max" else "max")
            for field, value in node.rule.point_values():
                too_big = magnitude_problem(value)
                if too_big is not None:  # judged before any Decimal arithmetic (1e30 % scale fails)
                    add("rule_parameter", too_big, node, f"rule.{field}")
                elif Decimal(repr(value)) % scale:
                    add("points_precision", f"{value} điểm có nhiều hơn {spec.precision} chữ số thập phân", node, f"rule.{field}")
            if node.max is not None and node.max % scale:
                add("points_precision", f"điểm tối đa {node.max} có nhiều hơn {spec.precision} chữ số thập phân", node, "max")
        elif node.max is not None:
            total = node_max(node)
            if total != node.max:
                parts = " + ".join(f"{node_max(c)} ({c.code})" for c in node.children or [])
                add("parent_max_mismatch", f"điểm tối đa {node.max} khác tổng các tiêu chí con {total} = {parts}", node, "max")
    # provenance: official and reference need a source (own, inherited, or the file's)
    def prov(nodes: list[Node], inherited: str | None, source: str | None) -> None:
        for node in nodes:
            p = node.provenance or inherited
            s = node.source or source
            if node.provenance in SOURCED and not s:
                add(f"{node.provenance}_without_source", SOURCED[node.provenance], node, "provenance")
            # no provenance at all is allowed (interfaces.md: optional): ``validate`` counts those
            # points as "chưa ghi nguồn" and refuses them only with --strict
            if node.children:
                prov(node.children, p, s)

    if spec.provenance in SOURCED and not spec.source:
        add(f"{spec.provenance}_without_source", SOURCED[spec.provenance], field="provenance")
    prov(spec.nodes, spec.provenance, spec.source)
    if spec.bands:
        labels = [b.label for b in spec.bands]
        mins = [b.min for b in spec.bands]
        if len(set(labels)) != len(labels):
            add("band_duplicate", "nhãn xếp loại bị trùng", field="bands", line=raw.key_lines.get("bands") if isinstance(raw, LineDict) else None)
        if len(set(mins)) != len(mins):
            add("band_duplicate", "ngưỡng 'min' của xếp loại bị trùng", field="bands", line=raw.key_lines.get("bands") if isinstance(raw, LineDict) else None)
    return problems


def check_references(raw: Any, name: str, check_agencies: bool = True) -> list[Problem]:
    """Checks that need only the raw tree, run even when the schema check fails so every
    problem is reported at once: unique codes, declared agencies, known unit kinds."""
    problems: list[Problem] = []
    kinds_raw = raw.get("unit_kinds")
    kinds = {str(k) for k in kinds_raw} if isinstance(kinds_raw, list | dict) else set()
    agencies_raw = raw.get("agencies")
    ids = [str(a.get("id")) for a in agencies_raw if isinstance(a, dict)] if isinstance(agencies_raw, list) else []
    agencies = set(ids)
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(Problem("agency_duplicate", f"cơ quan '{dup}' được khai báo hai lần", file=name, field="agencies"))
    seen: dict[str, int] = {}

    def add(reason: str, message: str, node: LineDict, field: str) -> None:
        problems.append(
            Problem(reason, message, file=name, line=node.key_lines.get(field, node.line), criterion=str(node.get("code", "")), field=field)
        )

    def walk(items: Any) -> None:
        if not isinstance(items, list):
            return
        for node in items:
            if not isinstance(node, LineDict):
                continue
            code = node.get("code")
            if isinstance(code, str):
                if code in seen:
                    add("code_duplicate", f"mã '{code}' đã dùng ở dòng {seen[code]} (mã phải duy nhất trong tệp)", node, "code")
                else:
                    seen[code] = node.key_lines.get("code", node.line)
            applies = node.get("applies_to")
            if isinstance(applies, list) and kinds:
                for kind in applies:
                    if str(kind) not in kinds:
                        add("applies_to_unknown_kind", UNIT_KIND_UNKNOWN.format(kind=kind, where=f"unit_kinds ({', '.join(sorted(kinds))})"), node, "applies_to")
            agency = node.get("agency")
            if check_agencies and isinstance(agency, str) and agency not in agencies:
                known = ", ".join(sorted(agencies)) or "chưa khai báo cơ quan nào"
                add("agency_undeclared", AGENCY_UNDECLARED.format(agency=agency, where=f"'agencies' ({known})"), node, "agency")
            evidence = node.get("evidence")
            if check_agencies and isinstance(evidence, list):
                for i, ev in enumerate(evidence):
                    issuer = ev.get("issuer") if isinstance(ev, dict) else None
                    if isinstance(issuer, str) and issuer != "unit" and issuer not in agencies:
                        add("agency_undeclared", f"nơi ban hành '{issuer}' (tài liệu thứ {i + 1}) không phải 'unit' hay một cơ quan đã khai báo", node, "evidence")
            walk(node.get("children"))

    walk(raw.get("nodes"))
    return problems
