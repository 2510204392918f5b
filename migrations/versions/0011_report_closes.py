"""report closes: the daily close and monthly report sent, each once

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'report_closes',
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('sent_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade() -> None:
    op.drop_table('report_closes')
