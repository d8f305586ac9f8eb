"""The round as the engine sees it, for the pages: scores, the data read back, proposals.

Pages never score by themselves: the round is exported as a unit-data folder (the services'
``export_round``), read by the package's reader and scored by its engine — the same path as
``GET /api/v1/results`` and ``par-index score`` on ``db export``. Each is cached per change of the
round (the newest audit entry), so a page after a save shows the new score and otherwise costs
nothing.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from par_index.appraisal.proposals import Proposal, propose
from par_index.pipeline import read_data
from par_index.scoring.engine import Results, Stage, score
from par_index.server import scoring, services
from par_index.server.settings import Settings
from par_index.unit_data.reader import UnitData


@dataclass
class RoundData:
    year: int
    criteria: scoring.Criteria
    data: UnitData
    label: str


_CACHE: dict[tuple[Any, ...], Any] = {}


def _cached(key: tuple[Any, ...], make: Any) -> Any:
    if key not in _CACHE:
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = make()
    return _CACHE[key]


def _key(s: Session, settings: Settings, year: int, *more: Any) -> tuple[Any, ...]:
    return (settings.db_url, year, services.data_revision(s, year), *more)


def round_data(s: Session, settings: Settings, year: int) -> RoundData:
    """The round read back through the package's reader (cached per change)."""

    def make() -> RoundData:
        crit = services.criteria_of(s, year)
        with tempfile.TemporaryDirectory(prefix="par-index-web-") as tmp:
            folder = Path(tmp) / "data"
            services.export_round(s, year, folder, settings.files_dir, copy_files=False)
            data = read_data(folder)
            data.trusted_links = (settings.files_dir,)  # files/ links to the server's own store
        return RoundData(year, crit, data, data.label or "")

    return _cached(_key(s, settings, year, "data"), make)


def scores(s: Session, settings: Settings, year: int, stage: Stage) -> dict[str, Any]:
    """The score JSON of the round (``par-index score --out x.json``), parsed; no permission check:
    the caller shows each account only what the role table allows it."""

    def make() -> dict[str, Any]:
        crit = services.criteria_of(s, year)
        with tempfile.TemporaryDirectory(prefix="par-index-web-") as tmp:
            folder = Path(tmp) / "data"
            services.export_round(s, year, folder, settings.files_dir, copy_files=False)
            raw, _problems = scoring.score_folder(crit, folder, stage, None, store=settings.files_dir)
        doc: dict[str, Any] = json.loads(raw)
        return doc

    return _cached(_key(s, settings, year, "scores", stage), make)


def unit_scores(doc: dict[str, Any], unit: str) -> dict[str, Any] | None:
    for u in doc.get("units", []):
        if u["unit"] == unit:
            return dict(u)
    return None


def results(s: Session, settings: Settings, year: int, stage: Stage) -> Results:
    """Engine results (for the ranking tables and the trail)."""
    rd = round_data(s, settings, year)
    return _cached(_key(s, settings, year, "results", stage), lambda: score(rd.criteria.sets, rd.data, stage))


def proposals(s: Session, settings: Settings, year: int, round_no: int) -> list[Proposal]:
    """The cuts ``par-index appraise`` proposes for round ``round_no``."""
    rd = round_data(s, settings, year)
    return _cached(_key(s, settings, year, "proposals", round_no), lambda: propose(rd.criteria.sets, rd.data, round_no))
