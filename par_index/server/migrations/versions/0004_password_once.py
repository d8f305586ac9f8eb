"""Accounts: ``password_once`` — the account still has the one-time password it was given
(``users add`` without ``--password-stdin``, an admin's new account or reset) and must set its
own before anything else. Accounts made before this migration keep working as they did.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ALTER TABLE … ADD COLUMN: a batch copy of ``accounts`` on SQLite would drop the
    # table, and with foreign keys on, every session with it (every user logged out)
    op.add_column('accounts', sa.Column('password_once', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    # a plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35), for the same reason
    op.drop_column('accounts', 'password_once')
