"""The package's shape: imports flow one way (bottom to top, no cycle, no import by string),
and the public API is exactly what docs/api.md documents."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from support.paths import REPO

import par_index

PACKAGE = REPO / "par_index"

# Layers, bottom to top: a module may import its own layer (no cycle) or a lower one.
LAYERS: list[tuple[str, ...]] = [
    ("errors",),
    ("messages",),
    ("common",),
    ("criteria",),
    ("unit_data",),
    ("scoring",),
    ("workbook", "evidence", "reform_plan", "appraisal"),
    ("reports", "planning"),
    ("pipeline",),
    ("server", "testing"),
    ("cli",),
    ("__init__", "__main__"),
]
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}
# Parts of one layer that build on another of the same layer (the rest of a layer is independent).
SAME_LAYER = {("appraisal", "evidence"), ("reports", "planning")}


def module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[str, int]]:
    """Every ``par_index`` module imported by ``path`` (module level and inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import (use absolute par_index.… imports)"
            mod = node.module or ""
            if mod == "par_index":
                out.extend((f"par_index.{a.name}", node.lineno) for a in node.names)
            elif mod.startswith("par_index."):
                # ``from par_index.pkg import sub`` imports the module ``sub`` when there is one
                folder = REPO.joinpath(*mod.split("."))
                for a in node.names:
                    is_module = (folder / f"{a.name}.py").is_file() or (folder / a.name / "__init__.py").is_file()
                    out.append((f"{mod}.{a.name}" if is_module else mod, node.lineno))
        elif isinstance(node, ast.Import):
            out.extend((a.name, node.lineno) for a in node.names if a.name.startswith("par_index"))
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            assert name not in ("import_module", "__import__"), f"{path}:{node.lineno}: import by string"
    return out


def top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def test_every_top_level_name_has_a_layer() -> None:
    names = {top(m) for m in all_modules()}
    assert names - set(LAYER_OF) == set()


def test_the_package_docstring_shows_the_whole_tree() -> None:
    # issue 9, item 1: the whole tree in par_index/__init__.py's docstring, in the layers' order
    import par_index

    doc = par_index.__doc__ or ""
    entries = sorted(p.name + ("/" if p.is_dir() else "") for p in PACKAGE.iterdir()
                     if not p.name.startswith(("_", ".")) and p.name != "py.typed" and (p.is_dir() or p.suffix == ".py"))
    assert [e for e in entries if f"\n    {e} " not in doc] == []
    shown = [line.split()[0].rstrip("/").removesuffix(".py") for line in doc.split("::")[1].lstrip("\n").split("\n\n")[0].splitlines() if line.strip()]
    assert len(shown) == len(entries) and shown == sorted(shown, key=lambda name: LAYER_OF.get(name, len(LAYERS)))


def test_every_html_environment_is_built_by_the_one_set_up() -> None:
    # issue 9, item 5: one jinja2 set-up (common/html.py: autoescape always on, strict undefined)
    # for the reports and the server's pages; nothing else builds an Environment
    built = [
        f"{path.relative_to(REPO)}:{node.lineno}"
        for path in PACKAGE.rglob("*.py") if path != PACKAGE / "common" / "html.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) in ("Environment", "Template")
    ]
    assert built == []


def test_one_strict_pydantic_base() -> None:
    # issue 9, item 5: every model of a file a user writes builds on common.schema.Strict (no
    # unknown key, frozen); only the plan as loaded (built in code, never from a file) does not
    direct = sorted(
        f"{path.relative_to(REPO)}:{node.name}"
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and any(getattr(b, "id", getattr(b, "attr", "")) == "BaseModel" for b in node.bases)
    )
    assert direct == ["par_index/common/schema.py:Strict", "par_index/reform_plan/register.py:LoadedPlan"]


def test_no_fallback_for_a_part_of_the_package() -> None:
    # issue 9, item 4: no "when installed" fallback left from parallel work: a part of the package
    # is always there, so importing it is never wrapped in ``except ImportError``
    guarded = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Try):
                continue
            caught = {getattr(h.type, "id", "") for h in node.handlers} | {
                getattr(e, "id", "") for h in node.handlers if isinstance(h.type, ast.Tuple) for e in h.type.elts
            }
            if caught & {"ImportError", "ModuleNotFoundError"} and any(
                isinstance(n, ast.ImportFrom) and (n.module or "").startswith("par_index") for b in node.body for n in ast.walk(b)
            ):
                guarded.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert guarded == []


def test_imports_point_down_or_within_a_part() -> None:
    wrong = []
    for mod, path in all_modules().items():
        here = top(mod)
        for target, line in imports_of(path):
            there = top(target)
            if there == here or (there in ("__init__",) and target == "par_index"):
                continue
            if LAYER_OF[there] < LAYER_OF[here] or (here, there) in SAME_LAYER:
                continue
            wrong.append(f"{path.relative_to(REPO)}:{line} imports {target} ({here} → {there})")
    assert wrong == []


def test_no_import_cycle() -> None:
    modules = all_modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        for target, _ in imports_of(path):
            # ``from par_index.x import y`` may name a module y or a symbol of x
            cand = target if target in modules else target.rsplit(".", 1)[0]
            if cand in modules and cand != mod:
                graph[mod].add(cand)
    seen: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:
        seen[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if seen.get(n) == 1:
                cycles.append([*stack[stack.index(n) :], n])
            elif n not in seen:
                visit(n)
        stack.pop()
        seen[m] = 2

    for m in sorted(graph):
        if m not in seen:
            visit(m)
    assert cycles == []


def test_public_api_is_pinned() -> None:
    # Changing this list changes the public API: update docs/api.md with it.
    assert par_index.__all__ == [
        "DataProblems",
        "InputError",
        "Problem",
        "Results",
        "UnitData",
        "__version__",
        "explain",
        "load_criteria",
        "plan",
        "read_data",
        "score",
        "to_frame",
        "to_json_dict",
        "whatif",
    ]
    for name in par_index.__all__:
        assert getattr(par_index, name) is not None, name


def test_version_matches_the_installed_metadata() -> None:
    from importlib.metadata import version

    assert par_index.__version__ == version("par-index")


HEAVY = ("pandas", "numpy", "openpyxl", "jinja2", "pydantic", "sympy", "yaml", "matplotlib", "PIL", "sqlalchemy", "fastapi", "rich")


def loaded_after(code: str) -> list[str]:
    """The heavy libraries a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport sys\nprint('loaded:', *[m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)"
    err = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stderr
    [line] = [ln for ln in err.splitlines() if ln.startswith("loaded:")]
    return line.split()[1:]


def test_import_par_index_is_light() -> None:
    assert loaded_after("import par_index") == []


def test_cli_help_does_not_import_pandas() -> None:
    # What ``par-index --help`` runs: the group with every command registered, the help printed.
    code = "from par_index.cli.main import main\nassert main(['--help']) == 0"
    assert loaded_after(code) == []
    # A command's own help loads no more (its options and help text are plain click).
    code = "from par_index.cli.main import main\nassert main(['score', '--help']) == 0"
    assert loaded_after(code) == []


def test_score_of_csv_data_does_not_load_excel_or_html() -> None:
    # ``par-index score`` on a CSV folder pays for the core only: no openpyxl, jinja2, plotting.
    crit, data = REPO / "tests/data/mini/criteria.yaml", REPO / "tests/data/mini/data"
    code = (
        "import contextlib, io\nfrom par_index.cli.main import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    main(['score', '--criteria', {str(crit)!r}, '--data', {str(data)!r}])"
    )
    loaded = loaded_after(code)
    assert "pandas" in loaded and "pydantic" in loaded
    assert {"openpyxl", "jinja2", "matplotlib", "PIL", "sqlalchemy", "fastapi"} & set(loaded) == set()


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_score_to_a_file_loads_only_what_it_uses(tmp_path: Path, suffix: str) -> None:
    # ``par-index score --out`` (issue 9 item 7): the core only — numpy (with pyarrow), pydantic,
    # the criteria YAML. No pandas (issue 15: ~0.3 s of start-up; reading, scoring and writing
    # run on numpy and pyarrow, the frames are built when asked for), no rich (nothing is printed
    # as a table: the problems go to --problems), no Excel, HTML, algebra, plotting or server
    # libraries.
    crit, data = REPO / "tests/data/mini/criteria.yaml", REPO / "tests/data/mini/data"
    out, problems = tmp_path / f"out{suffix}", tmp_path / "problems.csv"
    code = (
        "import contextlib, io\nfrom par_index.cli.main import main\n"
        f"assert main(['score', '--criteria', {str(crit)!r}, '--data', {str(data)!r}, '--out', {str(out)!r}, '--problems', {str(problems)!r}]) == 0"
    )
    assert loaded_after(code) == ["numpy", "pydantic", "yaml"]
    assert out.stat().st_size > 0 and problems.read_text(encoding="utf-8-sig").count("\n") == 5  # header + 4 problems


def test_reading_and_laying_out_data_loads_no_pandas() -> None:
    # Issue 15: the score path's input half — a CSV data folder read (units, assessments, the
    # appraisal records of its rows), coded and laid out — runs on numpy and pyarrow alone
    # (unit_data/table.py); pandas (~0.3 s of start-up) loads only when a frame is asked for.
    crit, data = REPO / "tests/data/mini/criteria.yaml", REPO / "tests/data/mini/data"
    code = (
        "from pathlib import Path\nfrom par_index.unit_data.reader import read_folder, coded\n"
        "from par_index.appraisal.read import add_tables\nfrom par_index.criteria.compiled import load\n"
        "from par_index.scoring.layout import lay_out\n"
        f"data = read_folder(Path({str(data)!r}))\nadd_tables(data, Path({str(data)!r}))\ncoded(data)\n"
        f"layout = lay_out([load(Path({str(crit)!r}))], data)\n"
        "assert [p.reason for s in layout.sets for p in s.problems] == ['value_unreadable']\n"
        "assert [p.reason for p in layout.problems] == ['unit_unknown']\n"
        "assert layout.sets[0].units.texts('unit').tolist() == ['so-a', 'so-b', 'h-c']\n"
    )
    assert loaded_after(code) == ["numpy", "pydantic", "yaml"]
    # the frames are still there for every reader, built on first access
    assert "pandas" in loaded_after(code + "assert data.units['unit'].tolist() == ['so-a', 'so-b', 'h-c']")


def test_score_with_formula_leaves_loads_no_sympy() -> None:
    # formula leaves are checked and scored from their syntax tree (criteria/formula_eval.py);
    # sympy (~1 s to import) is for algebra only: inverse planner, Excel formulas, reference
    crit, data = REPO / "tests/data/mini/criteria.yaml", REPO / "tests/data/mini/data"
    assert "kind: formula" in crit.read_text(encoding="utf-8")
    code = (
        "import contextlib, io\nfrom par_index.cli.main import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    main(['score', '--criteria', {str(crit)!r}, '--data', {str(data)!r}])"
    )
    assert "sympy" not in loaded_after(code)
