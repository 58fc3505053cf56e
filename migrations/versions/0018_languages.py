"""Two languages on the customer side: the business's default language and the language
each booking was made in.

Both are plain columns added in place (a string server default on businesses), so
SQLite does not rebuild either table.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('businesses', sa.Column('default_language', sa.String(length=8), nullable=False, server_default='en'))
    op.add_column('bookings', sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.drop_column('default_language')
