"""A booking remembers the first booked time of its reschedule chain (policy_starts_at), so
the cancellation policy of the original booking follows every move; a business says how
early a visit may be started (early_start_minutes).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('early_start_minutes', sa.Integer(), nullable=False, server_default='30'))
        batch_op.create_check_constraint(op.f('ck_businesses_early_start_range'), 'early_start_minutes BETWEEN 0 AND 1440')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy_starts_at', sa.DateTime(timezone=True), nullable=True))

    # Keep every booking's meaning: a booking's policy runs from its own start, unless it is
    # the result of a move, in which case from the start of the first booking of its chain.
    bind = op.get_bind()
    bookings = sa.table(
        'bookings', sa.column('id'), sa.column('starts_at'), sa.column('rescheduled_from_id'),
        sa.column('policy_starts_at'),
    )
    rows = bind.execute(sa.select(bookings.c.id, bookings.c.starts_at, bookings.c.rescheduled_from_id)).all()
    by_id = {row.id: row for row in rows}
    for row in rows:
        first = row
        seen = set()
        while first.rescheduled_from_id is not None and first.rescheduled_from_id in by_id and first.id not in seen:
            seen.add(first.id)
            first = by_id[first.rescheduled_from_id]
        bind.execute(bookings.update().where(bookings.c.id == row.id).values(policy_starts_at=first.starts_at))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('policy_starts_at')
    with op.batch_alter_table('businesses', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_businesses_early_start_range'), type_='check')
        batch_op.drop_column('early_start_minutes')
