"""queue_log servers: one queue_log checkpoint per Asterisk server (the one row of
before becomes the default server's)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _table(name: str, key: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        name, key,
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('device', sa.BigInteger(), nullable=False),
        sa.Column('inode', sa.BigInteger(), nullable=False),
        sa.Column('head', sa.String(length=64), nullable=False),
        sa.Column('read_offset', sa.BigInteger(), nullable=False),
        sa.Column('last_entry_at', sa.Float(), nullable=True),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(key.name),
    )


def upgrade() -> None:
    _table('queue_log_checkpoints', sa.Column('server', sa.String(length=32), nullable=False))
    op.execute("INSERT INTO queue_log_checkpoints (server, path, device, inode, head, "
               "read_offset, last_entry_at, updated_at) SELECT 'default', path, device, inode, "
               "head, read_offset, last_entry_at, updated_at FROM queue_log_checkpoint "
               "WHERE id = 1")
    op.drop_table('queue_log_checkpoint')


def downgrade() -> None:
    _table('queue_log_checkpoint', sa.Column('id', sa.Integer(), nullable=False))
    op.execute("INSERT INTO queue_log_checkpoint (id, path, device, inode, head, "
               "read_offset, last_entry_at, updated_at) SELECT 1, path, device, inode, "
               "head, read_offset, last_entry_at, updated_at FROM queue_log_checkpoints "
               "WHERE server = 'default'")
    op.drop_table('queue_log_checkpoints')
