"""The number of SQL statements an availability answer costs is fixed: it does not grow
with the staff, the bookings or the days asked for (no query per staff member, per
booking or per day), for the engine's two entry points and for the two doors that use
them the most: the API's availability and the wizard's time page.

Statements are counted with a `before_cursor_execute` listener on the engine, so every
round trip counts, whatever issued it."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from bookingapp.api.keys import create_api_key
from bookingapp.domain.availability import available_days, find_availability
from bookingapp.models import Booking
from tests.helpers import MONDAY, at, before, counted_statements

NOW = before(MONDAY)  # Sunday 2 June 2030, 00:00 UTC: the whole of June is ahead
LAST_OF_MONTH = date(2030, 6, 30)


@pytest.fixture
def world(session, make_business, make_service, make_staff, make_customer):
    """A business with `staff` staff members for one 30-minute service and `bookings`
    confirmed bookings spread over the month's mornings, leaving every day some free time."""
    def make(staff: int, bookings: int):
        business = make_business(hours={d: [(time(9), time(18))] for d in range(7)}, min_notice_minutes=0)
        service = make_service(business, duration_minutes=30, buffer_after_minutes=5)
        members = [make_staff(business, [service], name=f"Staff {n:02d}", sort_order=n) for n in range(staff)]
        customer = make_customer(business)
        for n in range(bookings):
            day = MONDAY + timedelta(days=n % 28)
            start = at(day, 9 + (n // 28) % 8, 0)
            member = members[n % staff]
            session.add(Booking(
                business_id=business.id, booking_number=f"BK-ST{n:05d}{staff:03d}", service_id=service.id,
                staff_id=member.id, customer_id=customer.id, starts_at=start, ends_at=start + timedelta(minutes=30),
                blocked_from=start, blocked_until=start + timedelta(minutes=35), status="confirmed", source="api",
                custom_fields={}, price_cents=0, deposit_cents=0, currency="GBP",
            ))
        session.commit()
        for thing in (business, service, *members):
            session.refresh(thing)  # loaded now, so the counts below are the engine's alone
        return business, service, members

    return make


SIZES = [(1, 0), (10, 0), (1, 50), (10, 50)]


def engine_counts(session, world, call):
    counts = {}
    for staff, bookings in SIZES:
        business, service, members = world(staff, bookings)
        for days in (1, 31):
            for one in (False, True):
                with counted_statements(session.get_bind()) as statements:
                    call(session, business, service, MONDAY, MONDAY + timedelta(days=days - 1),
                         now=NOW, staff_id=members[-1].id if one else None)
                counts[(staff, bookings, days, one)] = len(statements)
    return counts


@pytest.mark.parametrize("call", [find_availability, available_days], ids=["find_availability", "available_days"])
def test_the_engine_reads_the_same_few_statements_for_any_number_of_staff_bookings_and_days(session, world, call):
    counts = engine_counts(session, world, call)
    assert set(counts.values()) == {4}, counts  # hours, staff, staff hours, bookings with time off


def test_the_engine_flushes_a_pending_booking_before_reading(session, world):
    """The loader's Core statements do not autoflush as ORM queries did: it flushes itself,
    so a booking added to the session but not yet written still takes its time."""
    business, service, (alice,) = world(1, 0)
    business.hours.clear()
    free_before = available_days(session, business, service, MONDAY, MONDAY, now=NOW)
    assert free_before == set()  # the cleared hours, not yet flushed, already count
    session.rollback()
    session.refresh(business)
    assert available_days(session, business, service, MONDAY, MONDAY, now=NOW) == {MONDAY}


def http_counts(app, session, world, path_for):
    counts = {}
    client = app.test_client()
    for staff, bookings in SIZES:
        business, service, members = world(staff, bookings)
        _, key = create_api_key(session, business, mode="live")
        session.commit()
        for label, path in path_for(business, service, members).items():
            client.get(path, headers={"Authorization": f"Bearer {key}"})  # warm: first-use lookups
            with counted_statements(session.get_bind()) as statements:
                response = client.get(path, headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == 200, (label, response.status_code)
            counts.setdefault(label, {})[(staff, bookings)] = len(statements)
    return counts


def test_the_api_availability_costs_the_same_statements_for_any_world(app, session, world):
    app.config["CLOCK"] = lambda: NOW

    def paths(business, service, members):
        base = f"/api/v1/availability?service_id={service.id}"
        return {
            "day, anyone": f"{base}&date={MONDAY.isoformat()}",
            "month, anyone": f"{base}&from={MONDAY.isoformat()}&to={LAST_OF_MONTH.isoformat()}",
            "day, one staff": f"{base}&date={MONDAY.isoformat()}&staff_id={members[-1].id}",
            "month, no service": f"/api/v1/availability?from={MONDAY.isoformat()}&to={LAST_OF_MONTH.isoformat()}",
        }

    counts = http_counts(app, session, world, paths)
    for label, by_size in counts.items():
        assert len(set(by_size.values())) == 1, (label, by_size)


def test_the_wizards_time_page_costs_the_same_statements_for_any_world(app, session, world):
    app.config["CLOCK"] = lambda: NOW

    def paths(business, service, members):
        base = f"/{business.slug}/book/{service.id}"
        return {
            "anyone": f"{base}/any?day={MONDAY.isoformat()}",
            "one staff": f"{base}/{members[-1].id}?day={MONDAY.isoformat()}",
            "next month": f"{base}/any?month=2030-07",
        }

    counts = http_counts(app, session, world, paths)
    for label, by_size in counts.items():
        assert len(set(by_size.values())) == 1, (label, by_size)
