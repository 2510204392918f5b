"""the agent desk's ticket drafts: typed text kept per user and ticket until saved

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'ticket_drafts',
        sa.Column('id', _ID, nullable=False),
        sa.Column('user_id', _ID, nullable=False),
        sa.Column('ticket_id', _ID, nullable=False),
        sa.Column('fields', sa.Text(), nullable=False),
        sa.Column('saved_at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'ticket_id', name='uq_ticket_drafts_user'),
    )
    op.create_index(op.f('ix_ticket_drafts_user_id'), 'ticket_drafts', ['user_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_drafts_user_id'), table_name='ticket_drafts')
    op.drop_table('ticket_drafts')
