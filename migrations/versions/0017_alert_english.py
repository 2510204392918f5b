"""alert_english: each alert's message in English beside the Chinese one (the English
pages show it; alerts raised before keep their one bilingual text)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts') as batch:
        batch.add_column(sa.Column('message_en', sa.String(length=500), nullable=False,
                                   server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('alerts') as batch:
        batch.drop_column('message_en')
