"""The one strict pydantic base for every YAML file a user writes (criteria, reform plan,
scenario, robustness configuration), and the field types they share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """No unknown key (a misspelt key is an error, never ignored) and frozen once read.

    Each model's validator is built when it is first used (``defer_build``), not when its module
    is imported: a criteria file is validated by one model, whose validator takes in the models
    it holds, so building every model's own at import was start-up time spent for nothing
    (~25 ms of every command's start)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# An identifier a user writes: a criterion code, a task id (letters, digits, ``_ . -``).
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z_.\-]+$")]
# Text that must not be empty.
Text = Annotated[str, Field(min_length=1)]
