"""tickets recovered from Asterisk's queue_log, and how far it was read

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recovered', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        'queue_log_checkpoint',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('device', sa.BigInteger(), nullable=False),
        sa.Column('inode', sa.BigInteger(), nullable=False),
        sa.Column('head', sa.String(length=64), nullable=False),
        sa.Column('read_offset', sa.BigInteger(), nullable=False),
        sa.Column('last_entry_at', sa.Float(), nullable=True),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('queue_log_checkpoint')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('recovered')
