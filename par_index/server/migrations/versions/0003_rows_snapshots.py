"""The rows snapshot of a round: its assessment and evidence rows as Arrow IPC with the audit
position they reflect (a server process that starts reads them instead of every row).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rows_snapshots',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('gaps', sa.Text(), nullable=False),
        sa.Column('format', sa.String(length=64), nullable=False),
        sa.Column('assessments', sa.LargeBinary(), nullable=False),
        sa.Column('evidence', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['year'], ['rounds.year'], ),
        sa.PrimaryKeyConstraint('year'),
    )


def downgrade() -> None:
    op.drop_table('rows_snapshots')
