"""The recipe of a what-if run: what went in, so the run can be replayed to the same numbers.

A recipe (JSON) records the sha256 of every input file (criteria files and the agencies file
they include, every file of the data folder or the workbook), the stage, the overrides
themselves and the par-index version. Paths are stored relative to the recipe's folder.
Replaying refuses to run when any input's hash differs: the numbers could not be the same.

The recipe's own content is sealed too (``seal``: a sha256 per field — format, version, name,
stage, criteria and data paths, inputs, overrides — and one over them all): a hand-edited
recipe is refused naming the fields that differ. The inputs listed must be exactly the files the
run reads (so ``data`` cannot be pointed at other data, nor ``inputs`` emptied), and a malformed
recipe (not JSON, missing keys, wrong types) is exit 2 naming the field. The seal detects
edits, it does not authenticate: anyone can write a new, consistent recipe for other inputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from par_index.common.text_files import write_text
from par_index.common.yaml_strict import load_yaml
from par_index.errors import InputError, Problem
from par_index.messages import FILE_MISSING, STAGE_UNKNOWN, json_invalid
from par_index.planning.scenario import Located, Scenario, parse_override
from par_index.scoring.engine import Stage, is_stage

FORMAT = "par-index-recipe/2"  # /2: the recipe's own content is sealed (seal.fields)


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


SEALED = ("format", "par_index_version", "name", "stage", "criteria", "data", "inputs", "overrides")
_FIELD_VI = {
    "format": "định dạng", "par_index_version": "phiên bản par-index", "name": "tên kịch bản", "stage": "giai đoạn",
    "criteria": "đường dẫn tệp tiêu chí", "data": "đường dẫn dữ liệu", "inputs": "danh sách tệp đầu vào", "overrides": "các thay đổi",
}


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def seal(recipe: dict[str, Any]) -> dict[str, Any]:
    """The sha256 of each sealed field and of all of them together: the recipe's own content
    (paths, overrides, stage, version) is covered, not only the input files it lists."""
    fields = {key: hashlib.sha256(_canonical(recipe.get(key))).hexdigest() for key in SEALED}
    return {"sha256": hashlib.sha256(_canonical(fields)).hexdigest(), "fields": fields}


def make_recipe(scenario: Scenario, base_dir: Path) -> dict[str, Any]:
    recipe = {
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
    return {**recipe, "seal": seal(recipe)}


def write_recipe(recipe: dict[str, Any], path: Path) -> None:
    write_text(path, json.dumps(recipe, ensure_ascii=False, indent=1))


_SHA = re.compile(r"[0-9a-f]{64}")


def _shape_problems(doc: dict[str, Any], name: str) -> list[Problem]:
    """Every missing key and wrong type, each naming the field (a hand-edited recipe)."""
    out: list[Problem] = []

    def bad(field: str, expected: str) -> None:
        what = "thiếu" if field not in doc else f"sai kiểu ({type(doc[field]).__name__})"
        out.append(Problem("recipe_shape", f"trường '{field}' {what}: cần {expected}", file=name, field=field))

    for key in sorted(set(doc) - {*SEALED, "seal"}):
        out.append(Problem("recipe_shape", f"khóa lạ '{key}' trong tệp công thức", file=name, field=key))
    for key in ("par_index_version", "name", "stage", "data"):
        if not isinstance(doc.get(key), str):
            bad(key, "một chuỗi")
    if not (isinstance(doc.get("criteria"), list) and doc["criteria"] and all(isinstance(c, str) and c for c in doc["criteria"])):
        bad("criteria", "danh sách đường dẫn tệp tiêu chí (ít nhất một)")
    inputs = doc.get("inputs")
    if not isinstance(inputs, list):
        bad("inputs", "danh sách {path, sha256}")
    elif not inputs:
        out.append(Problem("recipe_inputs_empty", "danh sách tệp đầu vào ('inputs') trống: không có gì để kiểm tra; không thể chạy lại", file=name, field="inputs"))
    else:
        for i, item in enumerate(inputs, start=1):
            if not (isinstance(item, dict) and set(item) == {"path", "sha256"} and isinstance(item["path"], str) and item["path"]
                    and isinstance(item["sha256"], str) and _SHA.fullmatch(item["sha256"])):
                out.append(Problem("recipe_shape", f"mục thứ {i} của 'inputs' cần đúng hai khóa: path (chuỗi) và sha256 (64 chữ số hex)", file=name, field=f"inputs[{i}]"))
    overrides = doc.get("overrides")
    if not isinstance(overrides, list):
        bad("overrides", "danh sách các thay đổi")
    else:
        for i, item in enumerate(overrides, start=1):
            if not isinstance(item, dict):
                out.append(Problem("recipe_shape", f"thay đổi thứ {i} phải là một mục (không phải {type(item).__name__})", file=name, field=f"overrides[{i}]"))
    sealed = doc.get("seal")
    if not (isinstance(sealed, dict) and isinstance(sealed.get("sha256"), str) and isinstance(sealed.get("fields"), dict)):
        bad("seal", "niêm phong {sha256, fields} do par-index ghi")
    return out


def _seal_problems(doc: dict[str, Any], name: str) -> list[Problem]:
    """What differs from the seal written with the recipe, field by field."""
    written = doc["seal"]
    now = seal(doc)
    changed = [key for key in SEALED if written["fields"].get(key) != now["fields"][key]]
    if changed:
        names = ", ".join(f"{_FIELD_VI[k]} ('{k}')" for k in changed)
        return [
            Problem(
                "recipe_edited",
                f"tệp công thức đã bị sửa sau khi ghi: {names} khác với lúc ghi; không thể chạy lại cho cùng kết quả — "
                "hãy dùng đúng tệp đã ghi, hoặc chạy kịch bản mới (whatif --scenario …) để ghi công thức mới",
                file=name, field=",".join(changed),
            )
        ]
    if written["sha256"] != now["sha256"]:
        return [Problem("recipe_edited", "niêm phong của tệp công thức đã bị sửa (sha256 tổng không khớp); không thể chạy lại", file=name, field="seal")]
    return []


def load_recipe(path: Path) -> tuple[Scenario, list[str]]:
    """The scenario a recipe describes, after checking its shape, its seal (its own content)
    and every input's hash, and that the inputs listed are exactly the files the run reads;
    and warnings."""
    name = str(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except FileNotFoundError:
        raise InputError(Problem("file_missing", FILE_MISSING.format(what="tệp công thức (recipe)"), file=name)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(Problem("recipe_unreadable", json_invalid("tệp công thức", exc), file=name, line=getattr(exc, "lineno", None))) from None
    except (OSError, ValueError, RecursionError) as exc:
        raise InputError(Problem("recipe_unreadable", f"không đọc được tệp công thức: {exc}", file=name)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("format"), str) or not doc["format"].startswith("par-index-recipe/"):
        raise InputError(Problem("recipe_format", f"không phải tệp công thức của par-index (cần \"format\": \"{FORMAT}\")", file=name))
    if doc["format"] != FORMAT:
        raise InputError(
            Problem("recipe_format", f"công thức định dạng '{doc['format']}' (cần '{FORMAT}', có niêm phong nội dung); hãy chạy lại kịch bản để ghi công thức mới", file=name)
        )
    problems = _shape_problems(doc, name)
    if problems:
        raise InputError(problems)
    problems = _seal_problems(doc, name)
    if problems:
        raise InputError(problems)
    base = path.parent
    criteria = [base / p for p in doc["criteria"]]
    data = base / doc["data"]
    listed = {os.path.normpath(item["path"]) for item in doc["inputs"]}
    reads = {os.path.normpath(_rel(p, base)) for p in input_files(criteria, data)} if data.exists() else set()
    for missing in sorted(reads - listed):
        problems.append(Problem("recipe_input_unlisted", f"tệp '{missing}' được đọc khi chạy lại nhưng không có trong danh sách đầu vào của công thức ('data' hay 'criteria' trỏ sang dữ liệu khác); không thể chạy lại", file=name))
    for item in doc["inputs"]:
        p = base / item["path"]
        if not p.is_file():
            problems.append(Problem("recipe_input_missing", f"không tìm thấy tệp đầu vào '{item['path']}'; không thể chạy lại", file=name))
            continue
        if reads and os.path.normpath(item["path"]) not in reads:
            problems.append(Problem("recipe_input_unread", f"tệp đầu vào '{item['path']}' không thuộc tiêu chí hay dữ liệu của công thức; không thể chạy lại", file=name))
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
    for i, raw in enumerate(doc["overrides"]):
        fields = {k: v for k, v in raw.items() if k != "written_at"}
        located, more = parse_override(fields, name, None)
        problems.extend(Problem(p.reason, f"thay đổi thứ {i + 1}: {p.message}", file=name, field=p.field) for p in more)
        if located is not None:
            at = str(raw.get("written_at", ""))
            file, _, line = at.rpartition(":")
            overrides.append(Located(located.item, file or name, int(line) if line.isdigit() else None))
    given = doc["stage"]
    stage: Stage = given if is_stage(given) else "final"
    if given != stage:
        problems.append(Problem("recipe_stage", STAGE_UNKNOWN.format(stage=given), file=name, field="stage"))
    if problems:
        raise InputError(problems)
    warnings = []
    if doc["par_index_version"] != package_version():
        warnings.append(f"công thức được ghi bởi par-index {doc['par_index_version']}, đang chạy {package_version()}")
    scenario = Scenario(doc["name"], criteria, data, stage, overrides, name)
    return scenario, warnings


def _no_constant(text: str) -> Any:
    raise ValueError(f"'{text}' không phải là giá trị JSON hợp lệ trong công thức")
