"""The origins (the business's own websites) allowed to frame its booking wizard.

An empty list, the default for every existing business, keeps embedding off: no page of the
business may be framed, as before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # A plain string default, not sa.text(): with an SQL expression Alembic rebuilds the table on
    # SQLite (copy, drop, rename), and dropping `businesses` with foreign keys on would cascade
    # into every table that refers to it. A string default is a plain ALTER TABLE ADD COLUMN.
    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('embed_origins', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.drop_column('embed_origins')
