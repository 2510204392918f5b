"""call recordings linked to tickets, and when retention deleted them

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'recordings',
        sa.Column('id', _ID, nullable=False),
        sa.Column('ticket_id', _ID, nullable=False),
        sa.Column('path', sa.String(length=500), nullable=True),
        sa.Column('bytes', sa.BigInteger(), nullable=True),
        sa.Column('recorded_at', sa.Float(), nullable=False),
        sa.Column('checked_at', sa.Float(), nullable=False),
        sa.Column('deleted_at', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ticket_id'),
    )
    op.create_index(op.f('ix_recordings_recorded_at'), 'recordings', ['recorded_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_recordings_recorded_at'), table_name='recordings')
    op.drop_table('recordings')
