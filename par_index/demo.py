"""The demo: the whole pipeline on the example data shipped in the repository.

Steps register themselves with :func:`demo_step` (the score step is here; the evidence
matrix, workbook, reports and plans add theirs from their own modules) and run in order.
Each step returns the files it wrote, with a Vietnamese description.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .compiled import CompiledCriteria, load
from .engine import Results, score
from .problems import InputError, Problem
from .unit_data import UnitData, read_data

REPO = Path(__file__).resolve().parents[1]
BAC_GIANG_CRITERIA = (REPO / "criteria/bac-giang/2024/so.yaml", REPO / "criteria/bac-giang/2024/huyen.yaml")
BAC_GIANG_DATA = REPO / "evidence/bac-giang/2024"
BAC_GIANG_XA = (REPO / "criteria/bac-giang/2024/xa.yaml", REPO / "evidence/bac-giang/2024-xa-yen-the")
SYNTHETIC_CRITERIA = (REPO / "tests/data/mini/criteria.yaml",)
SYNTHETIC_DATA = REPO / "tests/data/mini/data"


@dataclass
class DemoContext:
    out: Path
    criteria_paths: tuple[Path, ...]
    data_path: Path
    criteria: list[CompiledCriteria]
    data: UnitData
    results: Results
    label: str
    outputs: list[tuple[str, Path]] = field(default_factory=list)


Step = Callable[[DemoContext], list[tuple[str, Path]]]
STEPS: list[tuple[int, str, Step]] = []


def demo_step(order: int, name: str) -> Callable[[Step], Step]:
    def wrap(fn: Step) -> Step:
        STEPS.append((order, name, fn))
        STEPS.sort(key=lambda s: s[0])
        return fn

    return wrap


def example_inputs() -> tuple[tuple[Path, ...], Path, str]:
    if all(p.is_file() for p in BAC_GIANG_CRITERIA) and (BAC_GIANG_DATA / "units.csv").is_file():
        return BAC_GIANG_CRITERIA, BAC_GIANG_DATA, "Bắc Giang 2024 (số liệu đơn vị là TỔNG HỢP GIẢ ĐỊNH — synthetic)"
    if all(p.is_file() for p in SYNTHETIC_CRITERIA):
        return SYNTHETIC_CRITERIA, SYNTHETIC_DATA, "bộ dữ liệu nhỏ TỔNG HỢP GIẢ ĐỊNH (synthetic)"
    raise InputError(
        Problem("demo_data_missing", "không tìm thấy dữ liệu mẫu; lệnh demo cần chạy từ bản sao kho mã nguồn (criteria/, evidence/)", file=str(REPO))
    )


def run_demo(out: Path) -> DemoContext:
    criteria_paths, data_path, label = example_inputs()
    criteria = [load(p) for p in criteria_paths]
    data = read_data(data_path)
    results = score(criteria, data, "final")
    from .evidence_check import check_evidence

    results.problems.extend(check_evidence(results, data))
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(out, criteria_paths, data_path, criteria, data, results, label)
    for _order, _name, step in STEPS:
        ctx.outputs.extend(step(ctx))
    return ctx


@demo_step(10, "score")
def _score_outputs(ctx: DemoContext) -> list[tuple[str, Path]]:
    from .results_table import problems_frame
    from .writers import write_results

    written = []
    for suffix, what in ((".json", "kết quả (JSON)"), (".csv", "kết quả (CSV)"), (".xlsx", "kết quả (Excel)"), (".html", "bảng xếp hạng (HTML)")):
        path = ctx.out / f"ket-qua{suffix}"
        write_results(ctx.results, path)
        written.append((what, path))
    self_results = score(ctx.criteria, ctx.data, "self")
    path = ctx.out / "ket-qua-tu-danh-gia.json"
    write_results(self_results, path)
    written.append(("kết quả tự đánh giá (chưa thẩm định)", path))
    path = ctx.out / "van-de-du-lieu.csv"
    problems_frame(ctx.results).to_csv(path, index=False, encoding="utf-8")
    written.append((f"{len(ctx.results.problems)} vấn đề dữ liệu", path))
    return written


@demo_step(15, "communes")
def _commune_outputs(ctx: DemoContext) -> list[tuple[str, Path]]:
    """The commune set (xa.yaml) on six synthetic communes of huyện Yên Thế, scored apart."""
    from .evidence_check import check_evidence
    from .writers import write_results

    criteria_path, data_path = BAC_GIANG_XA
    if ctx.criteria_paths != BAC_GIANG_CRITERIA or not criteria_path.is_file() or not (data_path / "units.csv").is_file():
        return []
    data = read_data(data_path)
    results = score([load(criteria_path)], data, "final")
    results.problems.extend(check_evidence(results, data))
    written = []
    n = sum(len(s.units) for s in results.sets)
    for suffix, what in ((".json", "kết quả cấp xã (JSON)"), (".csv", "kết quả cấp xã (CSV)"), (".html", "xếp hạng cấp xã (HTML)")):
        path = ctx.out / f"ket-qua-cap-xa{suffix}"
        write_results(results, path)
        written.append((f"{what}: {n} xã, thị trấn của huyện Yên Thế, số liệu giả định", path))
    return written


@demo_step(20, "explain")
def _explain_output(ctx: DemoContext) -> list[tuple[str, Path]]:
    from rich.console import Console

    from .console import print_explanation
    from .explain import explain

    s = ctx.results.sets[0]
    if not len(s.units):
        return []
    unit = str(s.units["unit"].iat[0])
    e = explain(ctx.results, ctx.data, unit)
    path = ctx.out / f"giai-thich-{unit}.txt"
    with path.open("w", encoding="utf-8") as fh:
        print_explanation(e, Console(file=fh, width=160, highlight=False, color_system=None))
    return [(f"giải thích điểm của {e.name}", path)]
