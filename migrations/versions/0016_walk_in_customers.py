"""A customer may have no email: a walk-in booked at the front desk gives a name only.

The unique key on (business_id, email) stays as it is: both SQLite and PostgreSQL treat
NULLs as distinct in a UNIQUE constraint, so any number of name-only customers may share
a business while an email still names one customer per business.

Downgrading gives each customer without an email a placeholder address under the
reserved `.invalid` domain (RFC 2606), which no message can reach, then makes the column
NOT NULL again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)


def downgrade():
    customers = sa.table('customers', sa.column('id', sa.Uuid()), sa.column('email', sa.String(254)))
    connection = op.get_bind()
    for (customer_id,) in connection.execute(sa.select(customers.c.id).where(customers.c.email.is_(None))).all():
        connection.execute(customers.update().where(customers.c.id == customer_id)
                           .values(email=f"walk-in-{customer_id.hex}@example.invalid"))
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
