"""the caller's survey rating on tickets, and ledger entries scored per ticket

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating_source', sa.String(length=8), nullable=True))
    with op.batch_alter_table('points_ledger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ticket_id', _ID, nullable=True))
        batch_op.create_foreign_key('fk_points_ledger_ticket_id', 'tickets', ['ticket_id'], ['id'])
        batch_op.create_unique_constraint('uq_points_ledger_ticket_reason', ['ticket_id', 'reason'])


def downgrade() -> None:
    with op.batch_alter_table('points_ledger', schema=None) as batch_op:
        batch_op.drop_constraint('uq_points_ledger_ticket_reason', type_='unique')
        batch_op.drop_constraint('fk_points_ledger_ticket_id', type_='foreignkey')
        batch_op.drop_column('ticket_id')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('rating_source')
