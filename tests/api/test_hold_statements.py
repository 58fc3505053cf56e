"""The SQL statements of `POST /api/v1/bookings/hold`, counted with a `before_cursor_execute`
listener on the engine (every round trip counts, whatever issued it): a fixed number, the
same for a business with one staff member and no bookings as for one with ten staff and two
hundred bookings, for "anyone" and for a named staff member.

A booking's money (payments, checkout, promotion) is read in one statement: it used to be
five, reading payments and the checkout twice each. A hold's answer reads none: the booking
was made by the same transaction, which wrote no money row (domain/booking_money.py,
docs/performance.md, issue 13)."""
from __future__ import annotations

from datetime import time, timedelta

import pytest

from bookingapp.models import Booking
from tests.helpers import MONDAY, at, counted_statements

# "Anyone": the key with its business (one read); the service; the availability check (which
# locations offer the service, then four reads, the last of which also says whether any
# staff member has a run-out hold that day: only then are they read again and marked
# expired); savepoint (on SQLite it begins the write transaction, bookingapp/db.py),
# insert, history row, version bump, release; the chosen staff member for the answer. The
# custom questions are not read: a hold carries no answers and needs none yet. A named staff
# member is read with the service, in the same statement (api/views._placement); whether they
# perform it and work at the location is the availability read's own staff row
# (domain/booking._eligible_staff), and the answer needs no read for them. Both databases
# count the same since SQLite's write lock stopped costing a `SELECT 1`.
EXPECTED = {False: 13, True: 12}


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
        assert _money_reads(statements) == [], statements  # made by this transaction: no money yet
    assert set(counts.values()) == {EXPECTED[named]}, counts


def _money_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "payments" in s or "checkouts" in s or "promotion_redemptions" in s]


def test_a_bookings_money_is_read_in_one_statement_once_it_may_have_some(session, world, api_for):
    """The hold's answer skipped the read; the next request for the booking cannot know what
    was paid meanwhile, and reads payments, checkout and promotion at once."""
    business, service, _ = world(1, 0)
    api = api_for(business)
    price = service.price_cents
    held = api.post("/bookings/hold", json={"service_id": str(service.id), "start_at": at(MONDAY, 10).isoformat()})
    assert held.status_code == 201, held.get_json()
    session.remove()
    with counted_statements(session.get_bind()) as statements:
        shown = api.get(f"/bookings/{held.get_json()['data']['id']}")
    assert shown.status_code == 200 and shown.get_json()["data"]["money"]["balance_due_cents"] == price
    assert len(_money_reads(statements)) == 1, statements
