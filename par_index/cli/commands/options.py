"""Options shared by several commands, and the steps they share (load criteria and data)."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def starting_up() -> Iterator[None]:
    """Run a command's start-up with Python's cyclic garbage collector paused.

    Start-up (importing pandas, pydantic and the pipeline, building the criteria models) makes
    hundreds of thousands of objects that live as long as the process; the collector's full
    passes over them are wasted work (~0.1-0.2 s CPU of a one-unit ``score``, docs/benchmarks.md).
    Afterwards everything made so far moves to the permanent generation (:func:`gc.freeze`) and
    the collector runs again, so the work's own collections do not walk the modules either.
    The garbage of start-up itself stays frozen: a few cycles, freed when the command ends.

    The criteria models are built without looking for pydantic plugins (par-index uses none;
    looking reads the metadata of every installed package, ~0.03 s), unless the user set
    ``PYDANTIC_DISABLE_PLUGINS`` themselves (an empty value looks for them)."""
    if not gc.isenabled():  # nested, or paused by the caller
        yield
        return
    plugins = os.environ.get(NO_PLUGINS)
    if plugins is None:
        os.environ[NO_PLUGINS] = "__all__"
    gc.disable()
    try:
        yield
    finally:
        if plugins is None:
            del os.environ[NO_PLUGINS]
        gc.freeze()
        gc.enable()


NO_PLUGINS = "PYDANTIC_DISABLE_PLUGINS"


def load_all(paths: tuple[Path, ...]) -> list[CompiledCriteria]:
    """Load every criteria file, collecting the problems of all of them before failing. This is
    the start-up of every command that reads criteria (see :func:`starting_up`): the pipeline's
    modules load here."""
    with starting_up():
        from par_index.pipeline import load_criteria

        return load_criteria(*paths)
