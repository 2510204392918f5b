"""outcomes the store could not write, kept aside for a supervisor

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 23:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'set_aside',
        sa.Column('id', _ID, nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('linkedid', sa.String(length=64), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('error', sa.String(length=500), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('resolved_at', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('set_aside', schema=None) as batch_op:
        batch_op.create_index('ix_set_aside_linkedid', ['linkedid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('set_aside', schema=None) as batch_op:
        batch_op.drop_index('ix_set_aside_linkedid')
    op.drop_table('set_aside')
