"""The recipe of a what-if run: what went in, so the run can be replayed to the same numbers.

A recipe (JSON) records the sha256 of every input file (criteria files and the agencies file
they include, every file of the data folder or the workbook), the stage, the overrides
themselves and the par-index version. Paths are stored relative to the recipe's folder.
Replaying refuses to run when any input's hash differs: the numbers could not be the same.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from par_index.common.text_files import write_text
from par_index.common.yaml_strict import load_yaml
from par_index.errors import InputError, Problem
from par_index.planning.scenario import Located, Scenario, parse_override
from par_index.scoring.engine import Stage, is_stage

FORMAT = "par-index-recipe/1"


def package_version() -> str:
    try:
        return version("par-index")
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "unknown"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_files(criteria: Sequence[Path], data: Path) -> list[Path]:
    """Every file the run reads: criteria (+ an included agencies file) and the data."""
    files: list[Path] = []
    for c in criteria:
        files.append(c)
        try:
            raw, _ = load_yaml(c)
        except InputError:
            continue
        if isinstance(raw, dict) and isinstance(raw.get("agencies"), str):
            inc = c.parent / raw["agencies"]
            if inc.is_file():
                files.append(inc)
    if data.is_dir():
        files.extend(sorted(p for p in data.iterdir() if p.is_file() and not p.name.startswith(".")))
    else:
        files.append(data)
    return files


def _rel(path: Path, base: Path) -> str:
    return os.path.relpath(path.resolve(), base.resolve())


def make_recipe(scenario: Scenario, base_dir: Path) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "par_index_version": package_version(),
        "name": scenario.name,
        "stage": scenario.stage,
        "criteria": [_rel(p, base_dir) for p in scenario.criteria],
        "data": _rel(scenario.data, base_dir),
        "inputs": [{"path": _rel(p, base_dir), "sha256": sha256(p)} for p in input_files(scenario.criteria, scenario.data)],
        "overrides": [
            {**o.item.model_dump(mode="json", exclude_none=True), **({"written_at": f"{o.file}:{o.line}"} if o.line is not None else {})}
            for o in scenario.overrides
        ],
    }


def write_recipe(recipe: dict[str, Any], path: Path) -> None:
    write_text(path, json.dumps(recipe, ensure_ascii=False, indent=1))


def load_recipe(path: Path) -> tuple[Scenario, list[str]]:
    """The scenario a recipe describes, after checking every input's hash; and warnings."""
    name = str(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(Problem("file_missing", "không tìm thấy tệp công thức (recipe)", file=name)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(Problem("recipe_unreadable", f"tệp công thức không phải JSON hợp lệ: {exc}", file=name)) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(Problem("recipe_format", f"không phải tệp công thức của par-index (cần \"format\": \"{FORMAT}\")", file=name))
    base = path.parent
    problems = []
    for item in doc.get("inputs", []):
        p = base / item["path"]
        if not p.is_file():
            problems.append(Problem("recipe_input_missing", f"không tìm thấy tệp đầu vào '{item['path']}'; không thể chạy lại", file=name))
            continue
        got = sha256(p)
        if got != item["sha256"]:
            problems.append(
                Problem(
                    "recipe_input_changed",
                    f"tệp đầu vào '{item['path']}' đã thay đổi kể từ khi ghi công thức (sha256 {got[:12]}… khác {item['sha256'][:12]}…); "
                    "không thể chạy lại cho cùng kết quả — hãy dùng đúng tệp cũ hoặc chạy kịch bản mới",
                    file=name,
                )
            )
    overrides: list[Located] = []
    for i, raw in enumerate(doc.get("overrides", [])):
        data = {k: v for k, v in raw.items() if k != "written_at"}
        located, more = parse_override(data, name, None)
        problems.extend(Problem(p.reason, f"thay đổi thứ {i + 1}: {p.message}", file=name, field=p.field) for p in more)
        if located is not None:
            at = str(raw.get("written_at", ""))
            file, _, line = at.rpartition(":")
            overrides.append(Located(located.item, file or name, int(line) if line.isdigit() else None))
    given = str(doc.get("stage", "final"))
    stage: Stage = given if is_stage(given) else "final"
    if given != stage:
        problems.append(Problem("recipe_stage", f"giai đoạn '{given}' không hợp lệ; chọn self hoặc final", file=name, field="stage"))
    if problems:
        raise InputError(problems)
    warnings = []
    if doc.get("par_index_version") != package_version():
        warnings.append(f"công thức được ghi bởi par-index {doc.get('par_index_version')}, đang chạy {package_version()}")
    scenario = Scenario(str(doc.get("name", path.stem)), [base / p for p in doc["criteria"]], base / doc["data"], stage, overrides, name)
    return scenario, warnings
