"""The SQL statements of `POST /api/v1/bookings/hold`, counted with a `before_cursor_execute`
listener on the engine (every round trip counts, whatever issued it): a fixed number, the
same for a business with one staff member and no bookings as for one with ten staff and two
hundred bookings, for "anyone" and for a named staff member.

The answer's money (payments, checkout, promotion) is read in one statement: it used to be
five, reading payments and the checkout twice each (docs/performance.md, issue 13)."""
from __future__ import annotations

from datetime import time, timedelta

import pytest

from bookingapp.models import Booking
from tests.helpers import MONDAY, at, counted_statements

# "Anyone": the key with its business (one read); the service; the availability check (which
# locations offer the service, then five reads); savepoint (on SQLite it begins the write
# transaction, bookingapp/db.py), insert, history row, version bump, release (run-out holds
# are read only when the database refuses the insert, domain/booking.py); the chosen staff member for the answer; the money (payments, checkout,
# promotion) in one read. The custom questions are not read: a hold carries no answers and
# needs none yet. A named staff member is read with the service, in the same statement
# (api/views._placement), and has one more read (whether they perform the service and work
# there, domain/locations.can_take_here) instead of the chosen member's read for the answer. Both databases count
# the same since SQLite's write lock stopped costing a `SELECT 1` of its own.
EXPECTED = {False: 15, True: 15}


@pytest.fixture
def world(session, make_business, make_service, make_staff, make_customer):
    """A business open 09:00-18:00 every day with `staff` staff members for a 30-minute
    service and `bookings` confirmed bookings spread over June's mornings (Monday 10:00 and
    later stays free for the holds below)."""
    def make(staff: int, bookings: int):
        business = make_business(hours={d: [(time(9), time(18))] for d in range(7)}, min_notice_minutes=0)
        service = make_service(business, duration_minutes=30)
        members = [make_staff(business, [service], name=f"Staff {n:02d}", sort_order=n) for n in range(staff)]
        customer = make_customer(business)
        for n in range(bookings):
            day = MONDAY + timedelta(days=1 + n % 27)
            start = at(day, 9, 0) + timedelta(minutes=30 * ((n // 27) % 16))
            session.add(Booking(
                business_id=business.id, booking_number=f"BK-HS{n:05d}{staff:03d}", service_id=service.id,
                staff_id=members[n % staff].id, customer_id=customer.id, starts_at=start,
                ends_at=start + timedelta(minutes=30), blocked_from=start, blocked_until=start + timedelta(minutes=30),
                status="confirmed", source="api", custom_fields={}, price_cents=0, deposit_cents=0, currency="GBP",
            ))
        session.commit()
        return business, service, members

    return make


def hold_statements(session, api, service, staff, hour: int) -> list[str]:
    body = {"service_id": str(service.id), "start_at": at(MONDAY, hour).isoformat()}
    if staff is not None:
        body["staff_id"] = str(staff.id)
    price = service.price_cents
    engine = session.get_bind()
    # The test client's requests share the test's app context, hence its session: start
    # afresh, as a request in production does, so nothing is counted as already loaded.
    session.remove()
    with counted_statements(engine) as statements:
        response = api.post("/bookings/hold", json=body)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["status"] == "held" and data["payments"] == [], data
    assert data["money"]["balance_due_cents"] == data["money"]["list_price_cents"] == price, data
    return statements


@pytest.mark.parametrize("named", [False, True], ids=["anyone", "named staff"])
def test_a_hold_costs_a_fixed_number_of_statements(session, world, api_for, named):
    counts = {}
    for staff, bookings in [(1, 0), (10, 200)]:
        business, service, members = world(staff, bookings)
        api = api_for(business)
        member = members[-1] if named else None
        # The first request of a key records its use in a transaction of its own (at most
        # once a minute, api/auth.py); the hold counted is the second.
        hold_statements(session, api, service, member, 10)
        statements = hold_statements(session, api, service, member, 12)
        counts[(staff, bookings)] = len(statements)
        money = [s for s in statements if "payments" in s or "checkouts" in s or "promotion_redemptions" in s]
        assert len(money) == 1, money  # payments, checkout and promotion: one read
    assert set(counts.values()) == {EXPECTED[named]}, counts
