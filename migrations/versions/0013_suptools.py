"""supervisor tools: the supervisor's own phone (listen / whisper / barge) and the
do-not-call list's audit trail

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('phone_interface', sa.String(length=128), nullable=True))
    op.create_table(
        'dnc_audit',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('action', sa.String(length=8), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('by_user', sa.String(length=64), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_dnc_audit_at', 'dnc_audit', ['at'])


def downgrade() -> None:
    op.drop_index('ix_dnc_audit_at', table_name='dnc_audit')
    op.drop_table('dnc_audit')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('phone_interface')
