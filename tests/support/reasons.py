"""Where the package passes a reason code, found statically (ast), for tests/test_messages.py.

Call sites write codes as plain strings (``Problem("unit_unknown", …)``); ``Problem`` refuses an
unknown code only when it is built, so a typo on a path no test runs would reach production.
This walk finds every *code position*:

* the code argument of the constructors ``Problem``, ``input_error`` and ``ValueIssue``, and of
  ``Problem.rows`` (the bulk constructor);
* the code argument of every helper that forwards its ``reason`` parameter there, found by a
  fixed point over the package (``row_problem(r, reason, …)``, a local ``add(reason, …)``, a
  method ``problem(self, reason, …)``), so a new helper is covered without being listed;
* the ``"reason"`` value of a dict that also has a ``"message"`` (the server's JSON problems;
  only a value that looks like a code: a table of column titles has the same keys).

A call by name is resolved in its module (a function defined there, else what it imports), so a
local ``add`` or ``bad`` that takes no code is not mistaken for one. A method call (``x.add(…)``)
cannot be resolved without types: there only a literal that looks like a code is checked.

At a code position the expression is read as the code(s) it can be: a literal, both branches
of ``a if c else b``, ``Reason.x``, or a name assigned such a value in the enclosing functions or
the module (``PREVIEW_REASON = "appraisal_preview"``). Anything else must be one of
:data:`FORWARDED` (a code that is already a member: a parameter passed on, ``issue.reason``) or
:data:`BUILT` (codes made at run time, each triggered by a test).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: the constructors that take a code: (module, name) → index of the code among the arguments
SEEDS = {
    ("par_index.errors", "Problem"): 0,
    ("par_index.errors", "input_error"): 0,
    ("par_index.errors", "ProblemRows"): 0,  # problems in bulk, kept as columns (checks its code as Problem does)
    ("par_index.criteria.rules.base", "ValueIssue"): 1,
}

#: the methods that take a code, by attribute name → index of the code among the arguments
#: (``Problem.rows`` builds problems in bulk and checks its code as ``Problem`` does)
METHOD_SEEDS = {"rows": 0}

#: expressions at a code position that pass on a code that is already checked (by shape)
FORWARDED = re.compile(r"^(reason|[a-z_]+\.reason)$")

#: expressions that build a code at run time (tests/test_messages.py triggers every code they make)
BUILT = re.compile(r"^(pydantic_reason\(.*\)|f'\{(node|spec)\.provenance\}_without_source')$")

CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")

Scope = tuple[ast.AST, ...]


@dataclass
class Found:
    """What the walk found: codes by where they are written, and what it could not read."""

    constructors: dict[tuple[str, str], int] = field(default_factory=dict)
    methods: dict[str, int] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # code → places
    unread: list[str] = field(default_factory=list)  # places whose code is neither a literal nor forwarded/built

    def wrong(self, members: set[str]) -> list[str]:
        return sorted(f"{place}: {code!r}" for code, places in self.codes.items() if code not in members for place in places)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_trees(root: Path) -> dict[str, ast.Module]:
    return {module_name(p, root): ast.parse(p.read_text(encoding="utf-8")) for p in sorted(root.rglob("*.py"))}


def _params(f: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[list[str], bool]:
    names = [a.arg for a in f.args.posonlyargs + f.args.args]
    method = bool(names) and names[0] in ("self", "cls")
    return (names[1:] if method else names), method


def _code_arg(call: ast.Call, pos: int) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == "reason":
            return k.value
    if any(isinstance(a, ast.Starred) for a in call.args[: pos + 1]) or len(call.args) <= pos:
        return None
    return call.args[pos]


class _Package:
    def __init__(self, trees: Mapping[str, ast.Module]) -> None:
        self.trees = trees
        self.defs: dict[str, dict[str, list[ast.AST]]] = {m: defaultdict(list) for m in trees}
        self.imports: dict[str, dict[str, tuple[str, str]]] = {m: {} for m in trees}
        self.found = Found(constructors=dict(SEEDS), methods=dict(METHOD_SEEDS))
        for m, tree in trees.items():
            for n in ast.walk(tree):
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    self.defs[m][n.name].append(n)
                elif isinstance(n, ast.ImportFrom) and n.module and n.level == 0:
                    for a in n.names:
                        self.imports[m][a.asname or a.name] = (n.module, a.name)

    def resolve(self, module: str, name: str, seen: frozenset[tuple[str, str]] = frozenset()) -> int | None:
        if (module, name) in self.found.constructors:
            return self.found.constructors[(module, name)]
        if name in self.defs.get(module, {}) or (module, name) in seen or name not in self.imports.get(module, {}):
            return None
        return self.resolve(*self.imports[module][name], seen=seen | {(module, name)})

    def position(self, module: str, call: ast.Call) -> tuple[int | None, bool]:
        """(index of the code argument or None, resolved by name)."""
        if isinstance(call.func, ast.Name):
            return self.resolve(module, call.func.id), True
        if isinstance(call.func, ast.Attribute):
            return self.found.methods.get(call.func.attr), False
        return None, False

    def grow(self) -> None:
        """Add every function whose ``reason`` parameter reaches a constructor's code, to a fixed point."""
        changed = True
        while changed:
            changed = False
            for m, names in self.defs.items():
                for name, nodes in names.items():
                    for f in nodes:
                        if isinstance(f, ast.ClassDef):
                            continue
                        assert isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                        params, method = _params(f)
                        if "reason" not in params:
                            continue
                        key = params.index("reason")
                        known = self.found.methods.get(name) if method else self.found.constructors.get((m, name))
                        if known == key or not self._forwards(m, f):
                            continue
                        if method:
                            self.found.methods[name] = key
                        else:
                            self.found.constructors[(m, name)] = key
                        changed = True

    def _forwards(self, module: str, f: ast.AST) -> bool:
        for n in ast.walk(f):
            if isinstance(n, ast.Call):
                pos, _ = self.position(module, n)
                a = None if pos is None else _code_arg(n, pos)
                if isinstance(a, ast.Name) and a.id == "reason":
                    return True
        return False

    def read(self) -> Found:
        for m, tree in self.trees.items():
            for node, scope in _walk(tree, (tree,)):
                place = f"{m.replace('.', '/')}.py:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.Call):
                    pos, by_name = self.position(m, node)
                    a = None if pos is None else _code_arg(node, pos)
                    if a is not None:
                        self._note(a, scope, place, by_name)
                elif isinstance(node, ast.Dict):
                    keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                    if {"reason", "message"} <= keys:
                        for k, v in zip(node.keys, node.values, strict=True):
                            if isinstance(k, ast.Constant) and k.value == "reason":
                                self._note(v, scope, place, False)
        return self.found

    def _note(self, a: ast.expr, scope: Scope, place: str, by_name: bool) -> None:
        codes = _codes(a, scope)
        if not by_name:  # x.add(…): maybe a set or a session; only what looks like a code counts
            codes = [c for c in codes if CODE.match(c)]
        for c in codes:
            self.found.codes[c].append(place)
        text = ast.unparse(a)
        if by_name and not codes and not FORWARDED.match(text) and not BUILT.match(text):
            self.found.unread.append(f"{place}: {text}")


def _walk(node: ast.AST, scope: Scope) -> Iterator[tuple[ast.AST, Scope]]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        scope = (node, *scope)
    yield node, scope
    for child in ast.iter_child_nodes(node):
        yield from _walk(child, scope)


def _codes(a: ast.expr, scope: Scope) -> list[str]:
    if isinstance(a, ast.Constant) and isinstance(a.value, str):
        return [a.value]
    if isinstance(a, ast.IfExp):
        return _codes(a.body, scope) + _codes(a.orelse, scope)
    if isinstance(a, ast.Attribute) and isinstance(a.value, ast.Name) and a.value.id == "Reason":
        return [a.attr]
    if isinstance(a, ast.Name):
        out: list[str] = []
        for s in scope:  # the enclosing functions, then the module's top level
            for n in s.body if isinstance(s, ast.Module) else ast.walk(s):
                targets, value = _assignment(n)
                if value is not None and any(isinstance(t, ast.Name) and t.id == a.id for t in targets):
                    out += _codes(value, ())
        return out
    return []


def _assignment(n: ast.AST) -> tuple[list[ast.expr], ast.expr | None]:
    if isinstance(n, ast.Assign):
        return n.targets, n.value
    if isinstance(n, ast.AnnAssign):
        return [n.target], n.value
    return [], None


def find(trees: Mapping[str, ast.Module]) -> Found:
    """Every code the package passes where a code goes, and where."""
    package = _Package(trees)
    package.grow()
    return package.read()
