"""SQLite gets the no-overlap rule in the database, as PostgreSQL has had since 0001.

PostgreSQL's exclusion constraint `ex_bookings_staff_no_overlap` forbids two active
bookings of one staff member whose blocked times overlap. SQLite has no exclusion
constraints, so until now the booking core kept the rule there by taking SQLite's single
write lock before its availability check and holding it through the insert: every hold,
its whole availability computation included, waited for every other writer (issue 13,
seventh pass, docs/performance.md). These triggers make the database refuse the overlap
itself, with the constraint's name in the error as PostgreSQL gives it, so the core checks
outside the lock on both databases and the insert is the guarantee
(domain/booking.py, `_is_overlap_violation`).

They run before an insert, and before an update of the columns the rule reads, for a row
that ends up active; the statuses are PostgreSQL's constraint's, written out here so this
revision means the same thing whatever the code says later. Timestamps are stored in UTC
as fixed-width text (models/base.UTCDateTime), so text order is time order. The lookup is
answered by ix_bookings_staff_busy (0021).

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30
"""
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

ACTIVE = "('held', 'reserved', 'pending', 'confirmed', 'in_progress')"
CONSTRAINT = "ex_bookings_staff_no_overlap"
REFUSAL = f"""
    WHEN NEW.status IN {ACTIVE}
    BEGIN
        SELECT RAISE(ABORT, '{CONSTRAINT}: this staff member''s time is taken')
        WHERE EXISTS (
            SELECT 1 FROM bookings AS other
            WHERE other.staff_id = NEW.staff_id
              AND other.id <> NEW.id
              AND other.blocked_from < NEW.blocked_until
              AND other.blocked_until > NEW.blocked_from
              AND other.status IN {ACTIVE}
        );
    END
"""


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"CREATE TRIGGER {CONSTRAINT}_insert BEFORE INSERT ON bookings {REFUSAL}")
    op.execute(f"CREATE TRIGGER {CONSTRAINT}_update "
               f"BEFORE UPDATE OF staff_id, blocked_from, blocked_until, status ON bookings {REFUSAL}")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"DROP TRIGGER IF EXISTS {CONSTRAINT}_update")
    op.execute(f"DROP TRIGGER IF EXISTS {CONSTRAINT}_insert")
