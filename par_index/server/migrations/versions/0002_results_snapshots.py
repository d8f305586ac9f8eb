"""The results snapshot of a round: the score JSON as last computed, keyed by the revision.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'results_snapshots',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=False),
        sa.Column('revision', sa.String(length=100), nullable=False),
        sa.Column('engine', sa.String(length=64), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['year'], ['rounds.year'], ),
        sa.PrimaryKeyConstraint('year', 'stage'),
    )


def downgrade() -> None:
    op.drop_table('results_snapshots')
