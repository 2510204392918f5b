"""complaints and praise on tickets (who or which department, promised reply,
investigation deadline, verdict); the points ledger's audit (who, why, reversals,
periodic awards once per period)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=False, server_default='')


def _time(name: str) -> sa.Column:
    return sa.Column(name, sa.Float(), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('about_agent', sa.String(length=128), nullable=True))
        batch_op.add_column(_text('about_name', 100))
        batch_op.add_column(_text('department', 100))
        batch_op.add_column(_text('complaint_kind', 32))
        batch_op.add_column(_text('praise_kind', 8))
        batch_op.add_column(_time('reply_promised_at'))
        batch_op.add_column(_time('investigation_due_at'))
        batch_op.add_column(_time('resolved_at'))
        batch_op.add_column(_text('verdict', 16))
        batch_op.add_column(_text('verdict_reason', 500))
        batch_op.add_column(_text('verdict_by', 64))
        batch_op.add_column(_time('verdict_at'))
        batch_op.create_index('ix_tickets_about_agent', ['about_agent'], unique=False)
    with op.batch_alter_table('points_ledger', schema=None) as batch_op:
        batch_op.add_column(_text('entered_by', 64))
        batch_op.add_column(_text('note', 500))
        batch_op.add_column(sa.Column('reverses_id', _ID, nullable=True))
        batch_op.add_column(sa.Column('period', sa.String(length=16), nullable=True))
        batch_op.create_foreign_key('fk_points_ledger_reverses_id', 'points_ledger',
                                    ['reverses_id'], ['id'])
        batch_op.create_unique_constraint('uq_points_ledger_reverses_id', ['reverses_id'])
        batch_op.create_unique_constraint('uq_points_ledger_period',
                                          ['agent_interface', 'reason', 'period'])


def downgrade() -> None:
    with op.batch_alter_table('points_ledger', schema=None) as batch_op:
        batch_op.drop_constraint('uq_points_ledger_period', type_='unique')
        batch_op.drop_constraint('uq_points_ledger_reverses_id', type_='unique')
        batch_op.drop_constraint('fk_points_ledger_reverses_id', type_='foreignkey')
        batch_op.drop_column('period')
        batch_op.drop_column('reverses_id')
        batch_op.drop_column('note')
        batch_op.drop_column('entered_by')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_about_agent')
        for name in ('verdict_at', 'verdict_by', 'verdict_reason', 'verdict', 'resolved_at',
                     'investigation_due_at', 'reply_promised_at', 'praise_kind',
                     'complaint_kind', 'department', 'about_name', 'about_agent'):
            batch_op.drop_column(name)
