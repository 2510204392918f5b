"""web users and sessions, ticket workflow fields, alert references

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 03:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

_TICKET_COLUMNS = [
    sa.Column('category', sa.String(length=16), nullable=False, server_default=''),
    sa.Column('content', sa.String(length=4000), nullable=False, server_default=''),
    sa.Column('address', sa.String(length=300), nullable=False, server_default=''),
    sa.Column('resolution', sa.String(length=4000), nullable=False, server_default=''),
    sa.Column('priority', sa.String(length=16), nullable=False, server_default='normal'),
    sa.Column('mood', sa.String(length=16), nullable=False, server_default=''),
    sa.Column('updated_at', sa.Float(), nullable=True),
    sa.Column('dispatched_to', sa.String(length=100), nullable=False, server_default=''),
    sa.Column('dispatched_at', sa.Float(), nullable=True),
    sa.Column('accepted_at', sa.Float(), nullable=True),
    sa.Column('callback_due_at', sa.Float(), nullable=True),
    sa.Column('lead_called_at', sa.Float(), nullable=True),
    sa.Column('rating', sa.String(length=16), nullable=True),
    sa.Column('rated_at', sa.Float(), nullable=True),
    sa.Column('review_due_at', sa.Float(), nullable=True),
    sa.Column('reviewed_at', sa.Float(), nullable=True),
]


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', _ID, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('member_interface', sa.String(length=128), nullable=True),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username'),
    sa.UniqueConstraint('member_interface'),
    )
    op.create_table('web_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', _ID, nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
    sa.PrimaryKeyConstraint('token_hash'),
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_web_sessions_user_id', ['user_id'], unique=False)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        for column in _TICKET_COLUMNS:
            batch_op.add_column(column)
        batch_op.create_index('ix_tickets_status', ['status'], unique=False)
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acknowledged_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('ref', sa.String(length=80), nullable=False,
                                      server_default=''))
        batch_op.create_index('uq_alerts_kind_ref', ['kind', 'ref'], unique=True,
                              sqlite_where=sa.text("ref <> ''"),
                              postgresql_where=sa.text("ref <> ''"))


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('uq_alerts_kind_ref')
        batch_op.drop_column('ref')
        batch_op.drop_column('acknowledged_by')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_status')
        for column in reversed(_TICKET_COLUMNS):
            batch_op.drop_column(column.name)
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_web_sessions_user_id')
    op.drop_table('web_sessions')
    op.drop_table('users')
