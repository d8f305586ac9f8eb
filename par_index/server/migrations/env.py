"""Alembic environment: run by :func:`par_index.server.db.migrate` with a live connection."""

from __future__ import annotations

from alembic import context

from par_index.server.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # `alembic` run by hand (developers): a URL from the config
    from sqlalchemy import create_engine

    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///par-index.db")
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
