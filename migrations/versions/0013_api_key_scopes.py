"""An API key's scope (read, bookings, catalog or full), chosen when the key is made.

Every key made before scopes existed could do everything, so it becomes `full` and nothing
changes for the integrators using it. The server default only fills those rows: it is
dropped afterwards, so a key made from now on has to say what it may do.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=8), nullable=False, server_default='full'))
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.alter_column('scope', existing_type=sa.String(length=8), existing_nullable=False,
                              server_default=None)
        batch_op.create_check_constraint(op.f('ck_api_keys_scope_known'),
                                         "scope IN ('read', 'bookings', 'catalog', 'full')")


def downgrade():
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_api_keys_scope_known'), type_='check')
        batch_op.drop_column('scope')
