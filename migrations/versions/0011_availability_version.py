"""A business's availability version: counted up in the same transaction as every change that
can change its availability, so cached availability keyed by it is never stale.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('availability_version', sa.BigInteger(), server_default=sa.text('0'),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.drop_column('availability_version')
