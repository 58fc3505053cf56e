"""Roles limited to locations: the locations a dashboard account may see (none listed:
the whole business). A new table only, so SQLite rebuilds nothing.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_locations',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('location_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_locations_account_id_accounts'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_account_locations_location_id_locations'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'location_id', name=op.f('pk_account_locations'))
    )
    op.create_index(op.f('ix_account_locations_location_id'), 'account_locations', ['location_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_account_locations_location_id'), table_name='account_locations')
    op.drop_table('account_locations')
