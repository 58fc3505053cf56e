"""A service's own terms at a location: price, deposit and duration there.

Three nullable columns on service_locations; NULL is the service's own value, so every
existing row keeps meaning exactly what it meant (offered there, on the service's terms).
On SQLite the CHECKs make batch mode copy the (small) table; PostgreSQL alters in place.

Revision ID: 0020
Revises: 0018
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_locations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_cents', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('deposit_cents', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('duration_minutes', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_service_locations_price_non_negative'),
                                         'price_cents IS NULL OR price_cents >= 0')
        batch_op.create_check_constraint(op.f('ck_service_locations_deposit_non_negative'),
                                         'deposit_cents IS NULL OR deposit_cents >= 0')
        batch_op.create_check_constraint(op.f('ck_service_locations_duration_positive'),
                                         'duration_minutes IS NULL OR duration_minutes > 0')


def downgrade():
    with op.batch_alter_table('service_locations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_service_locations_duration_positive'), type_='check')
        batch_op.drop_constraint(op.f('ck_service_locations_deposit_non_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_service_locations_price_non_negative'), type_='check')
        batch_op.drop_column('duration_minutes')
        batch_op.drop_column('deposit_cents')
        batch_op.drop_column('price_cents')
