"""Options shared by several commands, and the steps they share (load criteria and data)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from par_index.criteria.compiled import CompiledCriteria

F = TypeVar("F", bound=Callable[..., Any])

criteria_option = click.option(
    "--criteria",
    "criteria_paths",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    help="Tệp tiêu chí YAML (có thể lặp lại: mỗi tệp một nhóm loại đơn vị).",
)
data_option = click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Dữ liệu đơn vị: thư mục CSV, tệp .xlsx, hoặc phiếu tự đánh giá.",
)
stage_option = click.option(
    "--stage",
    type=click.Choice(["self", "final"]),
    default="final",
    show_default=True,
    help="self: chỉ tự đánh giá; final: lấy vòng thẩm định cuối cùng có.",
)
strict_option = click.option("--strict", is_flag=True, help="Thoát với mã 1 nếu có vấn đề dữ liệu.")


def load_all(paths: tuple[Path, ...]) -> list[CompiledCriteria]:
    """Load every criteria file, collecting the problems of all of them before failing."""
    from par_index.pipeline import load_criteria

    return load_criteria(*paths)
