"""interval statistics: figures per 15 minutes of each queue, agent and pause reason

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _counts(*names: str) -> list[sa.Column]:
    return [sa.Column(n, sa.Integer(), nullable=False) for n in names]


def _seconds(*names: str) -> list[sa.Column]:
    return [sa.Column(n, sa.Float(), nullable=False) for n in names]


def upgrade() -> None:
    op.create_table(
        'stat_queue_interval',
        sa.Column('id', _ID, nullable=False),
        sa.Column('start', sa.Float(), nullable=False),
        sa.Column('queue', sa.String(length=80), nullable=False),
        *_counts('offered', 'answered', 'answered_in_sl', 'answered_in_rings', 'abandoned',
                 'abandoned_in_sl', 'short_abandoned', 'timeouts', 'exit_key', 'exit_empty'),
        *_seconds('wait_answered_s', 'wait_s', 'longest_wait_s'),
        *_counts('handled'),
        *_seconds('talk_s', 'wrapup_s'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('start', 'queue', name='uq_stat_queue_interval'),
    )
    op.create_table(
        'stat_agent_interval',
        sa.Column('id', _ID, nullable=False),
        sa.Column('start', sa.Float(), nullable=False),
        sa.Column('interface', sa.String(length=128), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        *_counts('answered', 'missed_rings', 'violations'),
        *_seconds('talk_s', 'wrapup_s', 'paused_s', 'logged_in_s', 'available_s'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('start', 'interface', name='uq_stat_agent_interval'),
    )
    op.create_table(
        'stat_agent_pause',
        sa.Column('id', _ID, nullable=False),
        sa.Column('start', sa.Float(), nullable=False),
        sa.Column('interface', sa.String(length=128), nullable=False),
        sa.Column('reason', sa.String(length=100), nullable=False),
        sa.Column('paused_s', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('start', 'interface', 'reason', name='uq_stat_agent_pause'),
    )
    op.create_table(
        'stat_keys',
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index('ix_stat_keys_at', 'stat_keys', ['at'])


def downgrade() -> None:
    op.drop_index('ix_stat_keys_at', table_name='stat_keys')
    op.drop_table('stat_keys')
    op.drop_table('stat_agent_pause')
    op.drop_table('stat_agent_interval')
    op.drop_table('stat_queue_interval')
