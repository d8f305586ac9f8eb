"""par-index — the Vietnamese PAR Index (Chỉ số cải cách hành chính) scored exactly.

The package reads as the method, bottom up (imports only point down this list;
``tests/test_architecture.py`` checks it)::

    errors.py       Problem, InputError, DataProblems, Reason (every problem code): what a user is told about
    messages.py     the Vietnamese wordings used in more than one place, each written once
    common/         values (numbers, %, dates, yes/no), UTF-8 text files, strict YAML
    criteria/       stage 1: the criteria set — model, strict loader, formula whitelist, rules/, compiled tree
    unit_data/      stage 2: units, assessments, evidence tables; each value text read once
    scoring/        stage 3: layout onto units × leaves, engine, ranking, results, explain, writers
    workbook/       the self-assessment workbook (phiếu tự đánh giá): write, formulas, read back
    evidence/       the evidence register: who owes which document, what is missing or late
    reform_plan/    the province's reform plan (KH 213) as data and its progress
    appraisal/      appraisal rounds, records, proposals, explanations, survey merge, trail
    reports/        province ranking, unit and agency reports (HTML, Excel)
    planning/       what-if and recipes, headroom, cheapest plans, robustness
    pipeline.py     the use cases the CLI, the demo, the server and notebooks call
    server/         the province server: database, accounts and roles, workflow, JSON API, web/ pages
    testing/        oracles: the per-unit reference scorer, synthetic data, brute force
    cli/            the ``par-index`` command: group, options, console, demo, commands/
    templates/      the jinja2 templates of the reports (data, no code)

The public API (``__all__``) is re-exported from :mod:`par_index.pipeline` and loaded on
first use, so ``import par_index`` stays light::

    import par_index as pi
    sets = pi.load_criteria("criteria/bac-giang/2024/so.yaml", "criteria/bac-giang/2024/huyen.yaml")
    data = pi.read_data("evidence/bac-giang/2024")
    results = pi.score(sets, data)
    pi.to_frame(results); pi.to_json_dict(results); pi.explain(results, data, "so-tu-phap")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

__all__ = [
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

if TYPE_CHECKING:
    from par_index.errors import DataProblems, InputError, Problem
    from par_index.pipeline import (
        Results,
        UnitData,
        explain,
        load_criteria,
        plan,
        read_data,
        score,
        to_frame,
        to_json_dict,
        whatif,
    )


def __getattr__(name: str) -> Any:
    if name in ("DataProblems", "InputError", "Problem"):
        from par_index import errors

        return getattr(errors, name)
    if name in __all__:
        from par_index import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'par_index' has no attribute {name!r}")
