"""Benchmark the availability engine, loader included, against a real database.

    python bench/availability.py                      # SQLite, a temporary file
    python bench/availability.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_db

For 1, 10 and 50 staff with 0, 20 and 100 bookings per staff member per day, it prints the
median time to compute one day and one 31-day month of slots for a 30-minute service
with "anyone" (every staff member considered). Bookings are written straight to the table
(the benchmark measures reading, not booking); the schema comes from the migrations.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time as clock
import uuid
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bookingapp import create_app  # noqa: E402
from bookingapp.domain.availability import find_availability  # noqa: E402
from bookingapp.extensions import db  # noqa: E402
from bookingapp.models import Booking, Business, BusinessHours, Service, Staff, staff_services  # noqa: E402

FIRST_DAY = date(2031, 3, 3)  # a Monday; the month runs over the spring DST change in London
DAYS = 31
OPEN, CLOSE = time(8), time(20)  # 12 hours: room for 100 five-minute bookings a day
STAFF_COUNTS = (1, 10, 50)
BOOKING_COUNTS = (0, 20, 100)
REPEATS = 7


def build(session, staff_count: int, bookings_per_day: int) -> tuple[Business, Service]:
    tz = ZoneInfo("Europe/London")
    business = Business(
        name="Bench", slug=f"bench-{uuid.uuid4().hex[:8]}", timezone="Europe/London", currency="GBP",
        slot_interval_minutes=15, min_notice_minutes=0, max_advance_days=3650, assignment_policy="balanced",
    )
    for weekday in range(7):
        business.hours.append(BusinessHours(weekday=weekday, opens_at=OPEN, closes_at=CLOSE))
    session.add(business)
    session.flush()
    service = Service(business_id=business.id, name="Bench 30", duration_minutes=30, price_cents=1000, currency="GBP")
    filler = Service(business_id=business.id, name="Bench 5", duration_minutes=5, price_cents=100, currency="GBP")
    session.add_all([service, filler])
    session.flush()
    staff_ids = []
    for index in range(staff_count):
        member = Staff(business_id=business.id, name=f"Staff {index:02d}", sort_order=index)
        session.add(member)
        session.flush()
        staff_ids.append(member.id)
    session.execute(insert(staff_services), [{"staff_id": sid, "service_id": service.id} for sid in staff_ids])

    rows = []
    if bookings_per_day:
        gap = timedelta(minutes=(12 * 60) / bookings_per_day)
        for day_offset in range(DAYS):
            day = FIRST_DAY + timedelta(days=day_offset)
            opening = datetime.combine(day, OPEN, tzinfo=tz).astimezone(timezone.utc)
            for sid in staff_ids:
                for n in range(bookings_per_day):
                    start = opening + n * gap
                    end = start + timedelta(minutes=5)
                    rows.append(dict(
                        id=uuid.uuid4(), business_id=business.id, booking_number=f"BK-{uuid.uuid4().hex[:13].upper()}",
                        service_id=filler.id, staff_id=sid, starts_at=start, ends_at=end, blocked_from=start,
                        blocked_until=end, status="confirmed", source="api", custom_fields={}, price_cents=100,
                        deposit_cents=0, currency="GBP", created_at=start, updated_at=start,
                    ))
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(Booking), rows[chunk:chunk + 5000])
    session.commit()
    return business, service


def median_ms(fn) -> float:
    fn()  # warm caches (statement compilation), as a running server would be
    samples = []
    for _ in range(REPEATS):
        started = clock.perf_counter()
        fn()
        samples.append((clock.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an EMPTY database to use (default: a temporary SQLite file)")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    now = datetime.combine(FIRST_DAY, time(0), tzinfo=timezone.utc) - timedelta(days=1)
    with app.app_context():
        upgrade(revision="heads")
        dialect = db.engine.dialect.name
        print(f"database: {dialect}; service 30 min, slot grid 15 min, hours 08:00-20:00, median of {REPEATS}")
        print()
        print("| staff | bookings/staff/day | one day (ms) | 31-day month (ms) | slots in month |")
        print("|---:|---:|---:|---:|---:|")
        for staff_count in STAFF_COUNTS:
            for bookings in BOOKING_COUNTS:
                business, service = build(db.session, staff_count, bookings)
                day_ms = median_ms(lambda: find_availability(db.session, business, service, FIRST_DAY + timedelta(days=2), now=now))
                month = {}

                def run_month():
                    month["result"] = find_availability(
                        db.session, business, service, FIRST_DAY, FIRST_DAY + timedelta(days=DAYS - 1), now=now
                    )

                month_ms = median_ms(run_month)
                print(f"| {staff_count} | {bookings} | {day_ms:.2f} | {month_ms:.1f} | {len(month['result'].slots)} |", flush=True)
                db.session.commit()


if __name__ == "__main__":
    main()
