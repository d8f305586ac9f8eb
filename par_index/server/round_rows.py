"""The round's assessment and evidence rows kept in memory between two ``GET /results``.

Reading a million rows back from the database costs more than scoring them, so each server
process keeps the rows it last read and, on the next request, applies only what the audit
table says changed since (every change writes an audit entry in its own transaction):
``assessment.write`` re-reads that one row, ``evidence.upload`` that one evidence row; anything
else that touches these tables (``db import``, ``db init``, a workbook upload, an action this
module does not know) makes it read everything again. The rows stay in ``ORDER BY id`` order,
exactly what ``db export`` writes.

Commit order is not id order on PostgreSQL (a transaction may take audit id 100 and commit
after the one that took 101), so ids not seen yet below the newest one are kept as *gaps* and
asked for again on every sync; a gap older than ``GAP_SECONDS`` is a transaction that rolled
back and is forgotten. The results cache is keyed by (number of audit entries, newest id), which
changes whenever any entry becomes visible.
"""

from __future__ import annotations

import bisect
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from par_index.server.models import Assessment, AuditEntry, Evidence

GAP_SECONDS = 300.0
MAX_DELTA = 5000  # more changed rows than this: read everything again
# Actions that change neither the assessment nor the evidence rows (their tables are re-read
# on every scoring, or they do not hold unit data).
NO_ROWS = frozenset({"appraisal.write", "explanation.write", "unit.submit", "unit.withdraw", "unit.advance", "calendar.write", "users.write", "publish", "survey.import"})

ASSESSMENT_COLUMNS = ["unit", "criterion", "value", "stage", "note", "points"]
EVIDENCE_COLUMNS = ["unit", "criterion", "document", "issued_on", "issuer", "file"]


def audit_revision(s: Session) -> tuple[int, int]:
    """(number of audit entries, newest id): changes when any entry becomes visible."""
    count, newest = s.execute(select(func.count(AuditEntry.id), func.max(AuditEntry.id))).one()
    return int(count or 0), int(newest or 0)


@dataclass
class _Rows:
    ids: list[int] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    where: dict[Any, int] = field(default_factory=dict)  # key → id

    def put(self, row_id: int, key: Any, row: tuple[Any, ...]) -> None:
        old = self.where.get(key)
        if old is not None and old != row_id:  # the same key under a new id (deleted and added)
            self.drop(old)
        i = bisect.bisect_left(self.ids, row_id)
        if i < len(self.ids) and self.ids[i] == row_id:
            self.rows[i] = row
        else:
            self.ids.insert(i, row_id)
            self.rows.insert(i, row)
        self.where[key] = row_id

    def drop(self, row_id: int) -> None:
        i = bisect.bisect_left(self.ids, row_id)
        if i < len(self.ids) and self.ids[i] == row_id:
            del self.ids[i]
            del self.rows[i]


@dataclass
class RoundRows:
    year: int
    seen_max: int = 0
    gaps: dict[int, float] = field(default_factory=dict)  # audit id → when first missed
    assessments: _Rows = field(default_factory=_Rows)
    evidence: _Rows = field(default_factory=_Rows)
    loaded: bool = False

    def sync(self, s: Session) -> None:
        """Bring the rows up to what ``s`` sees."""
        newest = int(s.scalar(select(func.max(AuditEntry.id))) or 0)  # read first: rows are at least this new
        if not self.loaded:
            self._load_all(s, newest)
            return
        wanted = list(self.gaps)
        cond = AuditEntry.id > self.seen_max
        if wanted:
            cond = or_(cond, AuditEntry.id.in_(wanted))
        entries = s.execute(select(AuditEntry.id, AuditEntry.action, AuditEntry.year, AuditEntry.unit, AuditEntry.criterion, AuditEntry.after).where(cond).order_by(AuditEntry.id)).all()
        keys: set[tuple[str, str]] = set()
        evidence_ids: set[int] = set()
        for e in entries:
            if e.year not in (None, self.year) or e.action in NO_ROWS:
                continue
            if e.action == "assessment.write" and e.unit and e.criterion:
                keys.add((e.unit, e.criterion))
            elif e.action == "evidence.upload" and e.after:
                evidence_ids.add(int(json.loads(e.after)["id"]))
            else:
                self._load_all(s, newest)
                return
        if len(keys) + len(evidence_ids) > MAX_DELTA:
            self._load_all(s, newest)
            return
        a = Assessment.__table__.c
        for unit, criterion in keys:
            for r in s.connection().execute(
                select(a.id, *(a[c] for c in ASSESSMENT_COLUMNS)).where(a.year == self.year, a.unit == unit, a.criterion == criterion)
            ):
                self.assessments.put(r[0], (r[1], r[2], r[4]), tuple(r[1:]))
        e_t = Evidence.__table__.c
        if evidence_ids:
            for r in s.connection().execute(select(e_t.id, *(e_t[c] for c in EVIDENCE_COLUMNS)).where(e_t.year == self.year, e_t.id.in_(sorted(evidence_ids)))):
                self.evidence.put(r[0], r[0], tuple(r[1:]))
        self._advance([e.id for e in entries], newest)

    def _advance(self, seen: list[int], newest: int) -> None:
        now = time.monotonic()
        got = set(seen)
        for i in got:
            self.gaps.pop(i, None)
        for i in range(self.seen_max + 1, newest + 1):
            if i not in got:
                self.gaps.setdefault(i, now)
        self.gaps = {i: t for i, t in self.gaps.items() if now - t < GAP_SECONDS}
        self.seen_max = max(self.seen_max, newest)

    def _load_all(self, s: Session, newest: int) -> None:
        a, e_t = Assessment.__table__.c, Evidence.__table__.c
        conn = s.connection()
        self.assessments = _Rows()
        rows = conn.execute(select(a.id, *(a[c] for c in ASSESSMENT_COLUMNS)).where(a.year == self.year).order_by(a.id)).all()
        self.assessments.ids = [r[0] for r in rows]
        self.assessments.rows = [tuple(r[1:]) for r in rows]
        self.assessments.where = {(r[1], r[2], r[4]): r[0] for r in rows}
        ev = conn.execute(select(e_t.id, *(e_t[c] for c in EVIDENCE_COLUMNS)).where(e_t.year == self.year).order_by(e_t.id)).all()
        self.evidence = _Rows([r[0] for r in ev], [tuple(r[1:]) for r in ev], {r[0]: r[0] for r in ev})
        recent = set(s.scalars(select(AuditEntry.id).where(AuditEntry.id > newest - 1000, AuditEntry.id <= newest)))
        self.seen_max = max(0, newest - 1000)
        self.gaps = {}
        self.loaded = True
        self._advance(sorted(recent), newest)


_ROUNDS: dict[tuple[str, int], RoundRows] = {}
_LOCK = threading.Lock()


def round_rows(url: str, year: int) -> tuple[RoundRows, threading.Lock]:
    with _LOCK:
        key = (url, year)
        if key not in _ROUNDS:
            _ROUNDS[key] = RoundRows(year)
            _LOCKS[key] = threading.Lock()
        return _ROUNDS[key], _LOCKS[key]


_LOCKS: dict[tuple[str, int], threading.Lock] = {}
