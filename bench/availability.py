"""Benchmark the availability engine, loader included, against a real database.

    python bench/availability.py                      # SQLite, a temporary file
    python bench/availability.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_db

For 1, 10 and 50 staff with 0, 20 and 100 bookings per staff member per day, it prints the
median time to compute one day for one staff member, one day and one 31-day month of slots
for a 30-minute service with "anyone" (every staff member considered), and the month's
available_days (the calendar's "which days have any free time"); and, as the run's
yardstick, a `SELECT 1` round trip through the same session, since absolute figures move
with the machine's load. `--curve` adds the month's cost as staff and bookings grow;
`--cases 10x20,50x100` limits the matrix. A second table repeats the cases for a business
with two locations (staff at one in the mornings, the other in the afternoons). Bookings are written straight to the table
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

# Run as a script, this file's directory would come first on sys.path, where bench/http.py
# shadows the standard library's `http` package (werkzeug imports it): the project instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

from bookingapp import create_app  # noqa: E402
from bookingapp.domain.availability import available_days, find_availability  # noqa: E402
from bookingapp.domain.availability_cache import cached_availability  # noqa: E402
from bookingapp.extensions import db  # noqa: E402
from bookingapp.models import (  # noqa: E402
    Booking, Business, BusinessHours, Location, Service, Staff, StaffHours, staff_locations, staff_services,
)

FIRST_DAY = date(2031, 3, 3)  # a Monday; the month runs over the spring DST change in London
DAYS = 31
OPEN, CLOSE = time(8), time(20)  # 12 hours: room for 100 five-minute bookings a day
SWITCH = time(14)  # two locations: mornings at the primary, afternoons at the branch
STAFF_COUNTS = (1, 10, 50)
BOOKING_COUNTS = (0, 20, 100)
REPEATS = 7


def build(session, staff_count: int, bookings_per_day: int, *, two_locations: bool = False
          ) -> tuple[Business, Service, list[Location]]:
    """The business for one case. `two_locations` (issue 12's shape): a second branch with
    the same opening hours; every staff member works mornings (08:00-14:00) at the primary
    and afternoons (14:00-20:00) at the branch, and each booking is at the location where
    its staff member works at its time. Bookings per staff member per day are the same in
    both shapes, so their figures compare."""
    tz = ZoneInfo("Europe/London")
    business = Business(
        name="Bench", slug=f"bench-{uuid.uuid4().hex[:8]}", timezone="Europe/London", currency="GBP",
        slot_interval_minutes=15, min_notice_minutes=0, max_advance_days=3650, assignment_policy="balanced",
    )
    for weekday in range(7):
        business.hours.append(BusinessHours(weekday=weekday, opens_at=OPEN, closes_at=CLOSE))
    session.add(business)
    session.flush()  # gives the business its primary location (models/location.py)
    locations = [business.locations[0]]
    if two_locations:
        locations.append(Location(business_id=business.id, name="Bench branch", slug="branch"))
        session.add(locations[-1])
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
    if two_locations:
        session.execute(insert(staff_locations), [
            {"staff_id": sid, "location_id": place.id} for sid in staff_ids for place in locations])
        session.execute(insert(StaffHours), [
            dict(id=uuid.uuid4(), staff_id=sid, weekday=weekday, starts_at=starts, ends_at=ends, location_id=place.id)
            for sid in staff_ids for weekday in range(7)
            for place, (starts, ends) in zip(locations, [(OPEN, SWITCH), (SWITCH, CLOSE)])
        ])
    switch_minutes = (SWITCH.hour - OPEN.hour) * 60

    rows = []
    if bookings_per_day:
        gap = timedelta(minutes=(12 * 60) / bookings_per_day)
        for day_offset in range(DAYS):
            day = FIRST_DAY + timedelta(days=day_offset)
            opening = datetime.combine(day, OPEN, tzinfo=tz).astimezone(timezone.utc)
            for sid in staff_ids:
                for n in range(bookings_per_day):
                    start = opening + n * gap
                    place = locations[1] if two_locations and n * gap >= timedelta(minutes=switch_minutes) else locations[0]
                    end = start + timedelta(minutes=5)
                    rows.append(dict(
                        id=uuid.uuid4(), business_id=business.id, booking_number=f"BK-{uuid.uuid4().hex[:13].upper()}",
                        service_id=filler.id, location_id=place.id, staff_id=sid, starts_at=start, ends_at=end, blocked_from=start,
                        blocked_until=end, status="confirmed", source="api", custom_fields={}, price_cents=100,
                        deposit_cents=0, currency="GBP", created_at=start, updated_at=start,
                    ))
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(Booking), rows[chunk:chunk + 5000])
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        # A live database has planner statistics and a visibility map (autovacuum keeps
        # both); freshly loaded tables have neither: without statistics PostgreSQL misjudges
        # 155,000 rows as 90, and without the visibility map it cannot answer the busy-time
        # read from its covering index alone (migration 0021), visiting the table instead.
        # VACUUM runs outside a transaction.
        with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return business, service, locations


def median_ms(fn, repeats: int = REPEATS) -> float:
    fn()  # warm caches (statement compilation), as a running server would be
    samples = []
    for _ in range(repeats):
        started = clock.perf_counter()
        fn()
        samples.append((clock.perf_counter() - started) * 1000)
    return statistics.median(samples)


def select_one_ms() -> float:
    """The cheapest round trip through the same session: the run's yardstick, since the
    absolute figures move with the machine's load."""
    return median_ms(lambda: db.session.execute(text("SELECT 1")).scalar(), repeats=51)


def parse_cases(raw: str | None) -> list[tuple[int, int]]:
    if not raw:
        return [(staff, bookings) for staff in STAFF_COUNTS for bookings in BOOKING_COUNTS]
    return [tuple(int(n) for n in case.split("x")) for case in raw.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an EMPTY database to use (default: a temporary SQLite file)")
    parser.add_argument("--cases", help="STAFFxBOOKINGS,... (default: every pair of 1, 10, 50 staff and 0, 20, 100 bookings)")
    parser.add_argument("--curve", action="store_true",
                        help="also the month's cost for 1-50 staff at 20 bookings and 0-100 bookings at 10 staff")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    now = datetime.combine(FIRST_DAY, time(0), tzinfo=timezone.utc) - timedelta(days=1)
    day = FIRST_DAY + timedelta(days=2)
    last = FIRST_DAY + timedelta(days=DAYS - 1)
    with app.app_context():
        upgrade(revision="heads")
        dialect = db.engine.dialect.name
        print(f"database: {dialect}; service 30 min, slot grid 15 min, hours 08:00-20:00, median of {REPEATS}")
        print(f"load average at start: {' '.join(open('/proc/loadavg').read().split()[:3])}")
        yardstick = select_one_ms()
        print(f"SELECT 1 round trip (the yardstick, median of 51): {yardstick * 1000:.0f} us")
        print()
        print("| staff | bookings/staff/day | one staff, one day (ms) | anyone, one day (ms) | anyone, 31-day month (ms) "
              "| available_days, month (ms) | month / SELECT 1 | slots in month | free days "
              "| month, cached (ms) | one staff day, cached (ms) |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        single: dict[tuple[int, int], tuple[float, float, float]] = {}
        for staff_count, bookings in parse_cases(args.cases):
            business, service, _ = build(db.session, staff_count, bookings)
            one = db.session.scalars(select(Staff.id).where(Staff.business_id == business.id).limit(1)).one()
            one_ms = median_ms(lambda: find_availability(db.session, business, service, day, now=now, staff_id=one))
            day_ms = median_ms(lambda: find_availability(db.session, business, service, day, now=now))
            month = {}

            def run_month():
                month["result"] = find_availability(db.session, business, service, FIRST_DAY, last, now=now)

            def run_days():
                month["days"] = available_days(db.session, business, service, FIRST_DAY, last, now=now)

            month_ms = median_ms(run_month)
            days_ms = median_ms(run_days)
            # The same question again in the same minute and availability version: the version
            # read and a lookup (domain.availability_cache), what a busy page mostly costs.
            cached_month_ms = median_ms(lambda: cached_availability(db.session, business, service, FIRST_DAY, last,
                                                                    now=now))
            cached_one_ms = median_ms(lambda: cached_availability(db.session, business, service, day, now=now,
                                                                  staff_id=one))
            single[(staff_count, bookings)] = (one_ms, month_ms, days_ms)
            print(f"| {staff_count} | {bookings} | {one_ms:.2f} | {day_ms:.2f} | {month_ms:.1f} | {days_ms:.1f} "
                  f"| {month_ms / yardstick:.0f} | {len(month['result'].slots)} | {len(month['days'])} "
                  f"| {cached_month_ms:.2f} | {cached_one_ms:.2f} |", flush=True)
            db.session.commit()
        print()
        print("Two locations (issue 12): every staff member at the primary 08:00-14:00 and at the branch "
              "14:00-20:00, the same bookings per day; one location's figures from the table above beside them:")
        print()
        print("| staff | bookings/staff/day | one staff, one day at the branch (ms) | one location (ms) "
              "| anyone, month at the primary (ms) | anyone, month at the branch (ms) | one location (ms) "
              "| available_days, month at the branch (ms) | one location (ms) | slots at the branch |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for staff_count, bookings in parse_cases(args.cases):
            business, service, (primary, branch) = build(db.session, staff_count, bookings, two_locations=True)
            one = db.session.scalars(select(Staff.id).where(Staff.business_id == business.id).limit(1)).one()
            result = {}
            one_ms = median_ms(lambda: find_availability(db.session, business, service, day, now=now, staff_id=one,
                                                         location=branch))
            at_primary_ms = median_ms(lambda: find_availability(db.session, business, service, FIRST_DAY, last,
                                                                now=now, location=primary))

            def run_branch():
                result["month"] = find_availability(db.session, business, service, FIRST_DAY, last, now=now,
                                                    location=branch)

            at_branch_ms = median_ms(run_branch)
            days_ms = median_ms(lambda: available_days(db.session, business, service, FIRST_DAY, last, now=now,
                                                       location=branch))
            alone = single.get((staff_count, bookings), (float("nan"),) * 3)
            print(f"| {staff_count} | {bookings} | {one_ms:.2f} | {alone[0]:.2f} | {at_primary_ms:.1f} "
                  f"| {at_branch_ms:.1f} | {alone[1]:.1f} | {days_ms:.1f} | {alone[2]:.1f} "
                  f"| {len(result['month'].slots)} |", flush=True)
            db.session.commit()
        if args.curve:
            print()
            print("Cost curve, 31-day month, anyone (busy blocks = staff x bookings/day x 31):")
            print()
            print("| staff | bookings/staff/day | busy blocks | month (ms) | available_days (ms) | month, us per block |")
            print("|---:|---:|---:|---:|---:|---:|")
            for staff_count, bookings in [(1, 20), (5, 20), (10, 20), (25, 20), (50, 20),
                                          (10, 10), (10, 50), (10, 100), (50, 50), (50, 100)]:
                business, service, _ = build(db.session, staff_count, bookings)
                blocks = staff_count * bookings * DAYS
                month_ms = median_ms(lambda: find_availability(db.session, business, service, FIRST_DAY, last, now=now))
                days_ms = median_ms(lambda: available_days(db.session, business, service, FIRST_DAY, last, now=now))
                per_block = f"{month_ms * 1000 / blocks:.2f}" if blocks else "-"
                print(f"| {staff_count} | {bookings} | {blocks} | {month_ms:.1f} | {days_ms:.1f} | {per_block} |", flush=True)
                db.session.commit()
        print()
        print(f"SELECT 1 round trip at the end: {select_one_ms() * 1000:.0f} us; "
              f"load average: {' '.join(open('/proc/loadavg').read().split()[:3])}")


if __name__ == "__main__":
    main()
