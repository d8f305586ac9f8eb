"""``par-index template``: write the self-assessment workbook (phiếu tự đánh giá) of one unit
(``score --data`` reads the filled workbooks back: :func:`par_index.pipeline.read_data`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from par_index.cli.commands.options import criteria_option, load_all
from par_index.cli.console import console
from par_index.errors import InputError, Problem
from par_index.messages import UNIT_KIND_UNKNOWN, UNIT_UNKNOWN

if TYPE_CHECKING:
    from par_index.criteria.compiled import CompiledCriteria
    from par_index.workbook.template import UnitInfo


def pick_set(sets: list[CompiledCriteria], kind: str, unit: str) -> CompiledCriteria:
    for c in sets:
        if kind in c.kinds:
            return c
    kinds = ", ".join(k for c in sets for k in c.kinds)
    raise InputError(Problem("unit_kind_unknown", UNIT_KIND_UNKNOWN.format(kind=kind, where=f"bộ tiêu chí đã cho ({kinds})"), unit=unit))


def make_workbook(sets: list[CompiledCriteria], unit: str, out: Path, data_path: Path | None, name: str | None, kind: str | None) -> tuple[UnitInfo, CompiledCriteria]:
    from par_index.pipeline import read_data
    from par_index.workbook.template import Prefill, UnitInfo, prefill_from_data, write_workbook

    prefill = Prefill()
    if data_path is not None:
        data = read_data(data_path)
        hit = data.units[data.units["unit"] == unit]
        if hit.empty:
            raise InputError(Problem("unit_unknown", UNIT_UNKNOWN.format(unit=unit, where="units của dữ liệu"), file=data.source, unit=unit))
        kind = kind or str(hit["kind"].iat[0])
        name = name or str(hit["name"].iat[0])
        c = pick_set(sets, kind, unit)
        prefill = prefill_from_data(c, data, unit)
    else:
        if kind is None:
            kinds = [k for c in sets for k in c.kinds]
            if len(kinds) != 1:
                raise InputError(Problem("unit_kind_missing", f"hãy cho biết loại đơn vị bằng --kind (một trong: {', '.join(kinds)})", unit=unit))
            kind = kinds[0]
        c = pick_set(sets, kind, unit)
    info = UnitInfo(unit, name or unit, kind)
    write_workbook(c, info, out, prefill)
    return info, c


@click.command("template")
@criteria_option
@click.option("--unit", required=True, help="Mã đơn vị (cột unit trong units.csv).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Tệp phiếu .xlsx sẽ ghi.")
@click.option("--data", "data_path", type=click.Path(path_type=Path), help="Dữ liệu hiện có của đơn vị để điền sẵn (giá trị, tài liệu kiểm chứng).")
@click.option("--name", help="Tên đơn vị (mặc định: lấy từ --data, hoặc mã đơn vị).")
@click.option("--kind", help="Loại đơn vị (mặc định: lấy từ --data, hoặc loại duy nhất của bộ tiêu chí).")
def command(criteria_paths: tuple[Path, ...], unit: str, out: Path, data_path: Path | None, name: str | None, kind: str | None) -> None:
    """Tạo phiếu tự đánh giá (Excel) cho một đơn vị: nhập giá trị, tài liệu kiểm chứng, tự tính điểm."""
    if out.suffix.lower() != ".xlsx":
        raise InputError(Problem("out_format", "tệp phiếu phải có đuôi .xlsx", file=str(out)))
    info, c = make_workbook(load_all(criteria_paths), unit, out, data_path, name, kind)
    filled = " (đã điền sẵn dữ liệu hiện có)" if data_path is not None else ""
    console(stderr=True).print(f"Đã ghi phiếu tự đánh giá của {info.name} ({info.unit}, bộ tiêu chí {c.id}){filled} vào {out}", markup=False)


