"""The database tables (SQLAlchemy 2). Every table of the round is keyed by ``year``.

Rows hold the unit-data shapes (``units``, ``assessments`` with ``stage``, ``evidence``,
``appraisals``, ``explanations``, ``survey``) as text, exactly as a unit-data folder writes
them, so ``db export`` writes them back unchanged and the engine reads them as it reads files.
The schema itself is created by the Alembic migrations in ``migrations/versions``; a test
checks that the migrations and these models agree.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Workflow states of a unit in a round (see docs/server.md).
STATES = ("draft", "submitted", "appraisal1", "explanation", "appraisal2", "final", "published")
ROLES = ("unit", "agency", "appraiser", "admin", "viewer")


class Base(DeclarativeBase):
    pass


class Round(Base):
    """One year's round: its calendar, publication, its data label and the survey map."""

    __tablename__ = "rounds"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    label: Mapped[str] = mapped_column(Text, default="")
    self_deadline: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    explanation_deadline: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    survey_map: Mapped[str | None] = mapped_column(Text)


class CriteriaFile(Base):
    """A criteria YAML file of the round (``set_id`` given) or a file one includes (``agencies:
    ../agencies.yaml``, ``set_id`` empty), kept as text at its path relative to a folder that the
    engine's loader reads them from."""

    __tablename__ = "criteria_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("rounds.year"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    set_id: Mapped[str | None] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("year", "path", name="uq_criteria_files_year_path"),)


class Unit(Base):
    __tablename__ = "units"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("rounds.year"))
    unit: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(100))
    group: Mapped[str] = mapped_column("grp", Text, default="")
    position: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    __table_args__ = (UniqueConstraint("year", "unit", name="uq_units_year_unit"),)


class Assessment(Base):
    """A row of ``assessments.csv``: one (unit, criterion, stage) with its value as written."""

    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(200))
    criterion: Mapped[str] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(20), default="self")
    value: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    __table_args__ = (
        UniqueConstraint("year", "unit", "criterion", "stage", name="uq_assessments_row"),
        ForeignKeyConstraint(["year", "unit"], ["units.year", "units.unit"], name="fk_assessments_unit"),
    )


class Evidence(Base):
    """A row of ``evidence.csv``; ``file`` is ``files/<sha256[:2]>/<sha256>`` for uploaded files."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(200))
    criterion: Mapped[str] = mapped_column(String(100))
    document: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[str] = mapped_column(Text, default="")
    issuer: Mapped[str] = mapped_column(Text, default="")
    file: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(100))
    uploaded_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        ForeignKeyConstraint(["year", "unit"], ["units.year", "units.unit"], name="fk_evidence_unit"),
        Index("ix_evidence_unit", "year", "unit"),
    )


class Appraisal(Base):
    """A row of ``appraisals.csv``: one round's decision on a (unit, criterion), with its reason."""

    __tablename__ = "appraisals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(200))
    criterion: Mapped[str] = mapped_column(String(100))
    round: Mapped[int] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    appraiser: Mapped[str] = mapped_column(Text, default="")
    date: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        ForeignKeyConstraint(["year", "unit"], ["units.year", "units.unit"], name="fk_appraisals_unit"),
        Index("ix_appraisals_unit", "year", "unit"),
    )


class Explanation(Base):
    """A row of ``explanations.csv`` (giải trình)."""

    __tablename__ = "explanations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(200))
    criterion: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    date: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (ForeignKeyConstraint(["year", "unit"], ["units.year", "units.unit"], name="fk_explanations_unit"),)


class SurveyRow(Base):
    """A row of ``survey.csv`` (answer counts); the map is ``Round.survey_map``."""

    __tablename__ = "survey"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("rounds.year"), index=True)
    unit: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column("grp", Text)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    count: Mapped[str] = mapped_column(Text)


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(200))
    agency: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # still the one-time password it was given: it may only set its own (services.ONCE_ALLOWED)
    password_once: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Session(Base):
    """A login: the token's sha256 (the token itself is never stored) and its CSRF token."""

    __tablename__ = "sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Append-only: every change, who made it, when, through which route, before and after."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    login: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(50))
    route: Mapped[str] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    unit: Mapped[str | None] = mapped_column(String(200))
    criterion: Mapped[str | None] = mapped_column(String(100))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (Index("ix_audit_unit", "year", "unit"),)


class ResultsSnapshot(Base):
    """The score JSON of a round and stage as last computed (zlib-compressed), kept so that a
    server process that starts finds it without reading every row. It is served only while
    ``revision`` is the database's revision (:func:`services.data_revision`: the number of audit
    entries and the newest id, moved by every write in its own transaction) and ``engine`` the
    running code's fingerprint with the evidence store it was checked against
    (:func:`services.answer_key`); a cache, never audited."""

    __tablename__ = "results_snapshots"
    year: Mapped[int] = mapped_column(ForeignKey("rounds.year"), primary_key=True, autoincrement=False)
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    revision: Mapped[str] = mapped_column(String(100))
    engine: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class RowsSnapshot(Base):
    """A round's assessment and evidence rows as a server process last held them
    (``round_rows``: Arrow IPC streams, zstd-compressed, each row with its id), with the audit
    position they reflect: every change whose audit entry has an id up to ``position`` is in
    them, except the ids listed in ``gaps`` (JSON; not visible yet when they were taken). A
    process that starts loads them and applies only the audit entries after ``position`` (and
    the gaps) instead of reading every row; written by ``db import`` and by the server after a
    computation; a cache, never audited."""

    __tablename__ = "rows_snapshots"
    year: Mapped[int] = mapped_column(ForeignKey("rounds.year"), primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer)
    gaps: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(64))
    assessments: Mapped[bytes] = mapped_column(LargeBinary)
    evidence: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
