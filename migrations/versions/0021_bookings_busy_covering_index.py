"""The index availability reads busy time through covers the whole read: (staff_id,
blocked_from) gains blocked_until, status and hold_expires_at, so the loader's busy-time
statement (domain/availability.py) is answered from the index without a table lookup per
booking (docs/performance.md, issue 13, sixth pass). It replaces ix_bookings_staff_blocked,
whose leading columns it keeps, so every query that used that index can use this one.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30
"""
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

COLUMNS = ['staff_id', 'blocked_from', 'blocked_until', 'status', 'hold_expires_at']


def upgrade():
    op.create_index('ix_bookings_staff_busy', 'bookings', COLUMNS, unique=False)
    op.drop_index('ix_bookings_staff_blocked', table_name='bookings')


def downgrade():
    op.create_index('ix_bookings_staff_blocked', 'bookings', ['staff_id', 'blocked_from'], unique=False)
    op.drop_index('ix_bookings_staff_busy', table_name='bookings')
