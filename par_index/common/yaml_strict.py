"""Strict YAML reading: duplicate keys, line numbers, and nothing executable.

Built on PyYAML's ``SafeLoader`` (no Python objects are ever constructed from tags). On top:

* every mapping remembers its line and the line of each key, so errors can point at them;
* a key written twice in one mapping is recorded as a problem instead of silently winning;
* a date-looking value that is not a real date (``2024-02-30``) stays text, so validation
  can report it as "not a date" instead of crashing;
* ``code:`` values are kept exactly as written (``1.10`` stays ``"1.10"``, not the float 1.1);
* aliases are refused, nesting and size are bounded (:func:`check_nodes`).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import yaml

from par_index.common.text_files import read_utf8
from par_index.errors import InputError, Problem


class LineDict(dict[str, Any]):
    """A mapping that knows the line it started on and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _StrictLoader(yaml.SafeLoader):
    def __init__(self, stream: str, filename: str) -> None:
        super().__init__(stream)
        self.filename = filename
        self.problems: list[Problem] = []


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            code = result.get("code", "")
            loader.problems.append(
                Problem(
                    "yaml_duplicate_key",
                    f"khóa '{key}' xuất hiện hai lần trong cùng một mục "
                    f"(lần đầu ở dòng {result.key_lines[key]}); mỗi khóa chỉ được viết một lần",
                    file=loader.filename,
                    line=line,
                    criterion=str(code),
                    field=key,
                )
            )
        if key == "code" and isinstance(value_node, yaml.ScalarNode):
            value: Any = value_node.value
        else:
            value = loader.construct_object(value_node, deep=True)
        result[key] = value
        result.key_lines[key] = line
    return result


def _construct_timestamp(loader: _StrictLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return str(node.value)


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_StrictLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    _construct_timestamp,
)

_FastLoader: Any = None
if getattr(yaml, "__with_libyaml__", False):

    class _CStrictLoader(yaml.CSafeLoader):
        """The same loader with libyaml's scanner and parser (~10× faster on a criteria file);
        the constructors — and so the data — are the Python ones above."""

        def __init__(self, stream: str, filename: str) -> None:
            super().__init__(stream)
            self.filename = filename
            self.problems: list[Problem] = []

    _CStrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
    _CStrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
    _FastLoader = _CStrictLoader


def nfc_strings(value: Any) -> Any:
    """Every string in parsed YAML in NFC form, keeping the line information of mappings."""
    if isinstance(value, LineDict):
        out = LineDict({k: nfc_strings(v) for k, v in value.items()})
        out.line, out.key_lines = value.line, value.key_lines
        return out
    if isinstance(value, dict):
        return {k: nfc_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc_strings(v) for v in value]
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    return value


MAX_DEPTH = 100  # nested mappings and lists; a criteria tree of 40 levels takes ~80
MAX_NODES = 2_000_000  # scalars, mappings and lists; a 250-unit, 1,000-leaf file takes a few hundred thousand


def check_nodes(root: yaml.Node | None, name: str) -> None:
    """Refuse YAML aliases (``*name``: nothing in our files needs them, and a few of them nest
    into gigabytes — the "billion laughs"), nesting deeper than :data:`MAX_DEPTH` and more than
    :data:`MAX_NODES` nodes. Walks the composed nodes once, without recursion."""
    if root is None:
        return
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            raise InputError(
                Problem(
                    "yaml_alias",
                    "tệp dùng bí danh YAML (&tên … *tên) — không được phép trong tệp này; hãy viết đầy đủ nội dung ở mỗi chỗ",
                    file=name,
                    line=node.start_mark.line + 1,
                )
            )
        seen.add(id(node))
        if len(seen) > MAX_NODES:
            raise InputError(Problem("yaml_too_large", f"tệp có hơn {MAX_NODES:,} phần tử YAML — vượt giới hạn".replace(",", "."), file=name))
        if depth > MAX_DEPTH:
            raise InputError(
                Problem("yaml_too_deep", f"tệp lồng nhau quá {MAX_DEPTH} cấp — vượt giới hạn", file=name, line=node.start_mark.line + 1)
            )
        if isinstance(node, yaml.MappingNode):
            stack.extend((n, depth + 1) for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((n, depth + 1) for n in node.value)


def _single_document(loader: Any, name: str) -> Any:
    node = loader.get_single_node()
    check_nodes(node, name)
    return loader.construct_document(node) if node is not None else None


def load_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """Read one YAML file. Returns (data, duplicate-key problems).

    Raises :class:`InputError` when the file cannot be read or is not valid YAML, naming
    the line.
    """
    name = str(path)
    text = read_utf8(path)
    if _FastLoader is not None:
        fast = _FastLoader(text, name)
        try:
            return _single_document(fast, name), fast.problems
        except yaml.YAMLError:
            pass  # read again below: the pure-Python parser words the error as users see it
        finally:
            fast.dispose()
    try:
        loader = _StrictLoader(text, name)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise InputError(
            Problem("yaml_character", f"ký tự không được phép trong YAML (mã #x{exc.character:04x}); hãy xóa ký tự này", file=name, line=line)
        ) from None
    try:
        data = _single_document(loader, name)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at: int | None = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "cú pháp không hợp lệ"
        if exc.context and exc.context_mark is not None and exc.problem:
            what += f" ({exc.context}, bắt đầu ở dòng {exc.context_mark.line + 1})"
        raise InputError(
            Problem(
                "yaml_syntax",
                f"YAML không hợp lệ: {what}; kiểm tra thụt lề, dấu ':' và dấu ngoặc kép",
                file=name,
                line=at,
            )
        ) from None
    except yaml.reader.ReaderError as exc:
        raise InputError(
            Problem(
                "yaml_character",
                f"ký tự không được phép trong YAML (mã #x{exc.character:04x}); hãy xóa ký tự này",
                file=name,
                line=text.count("\n", 0, exc.position) + 1,
            )
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem("yaml_syntax", f"YAML không hợp lệ: {exc}", file=name)) from None
    finally:
        loader.dispose()
    return data, loader.problems
