"""cluster: the leader row whose epoch fences callback claims (standby mode)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cluster_leader',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('epoch', sa.BigInteger(), nullable=False),
        sa.Column('holder', sa.String(length=100), nullable=False),
        sa.Column('since', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('cluster_leader')
