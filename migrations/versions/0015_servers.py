"""servers: the Asterisk server of each call, ticket, ring leg, violation and attempt;
the server a campaign dials through

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_TABLES = ('calls', 'tickets', 'ring_legs', 'violations', 'attempts')


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('server', sa.String(length=32), nullable=False,
                                       server_default='default'))
    with op.batch_alter_table('campaigns') as batch:
        batch.add_column(sa.Column('server', sa.String(length=32), nullable=False,
                                   server_default=''))


def downgrade() -> None:
    for table in ('campaigns', *_TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('server')
