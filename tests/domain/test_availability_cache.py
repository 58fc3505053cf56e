"""Cached availability is never older than the last committed change: every change that can
move availability counts the business's version up in its own transaction, and answers
are cached by that version (domain.availability_cache)."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from bookingapp.domain import availability_cache as cache
from bookingapp.domain import booking as ops
from bookingapp.domain import catalog, setup
from bookingapp.models import Business
from tests.helpers import MONDAY, at, before, counted_statements

NOW = before(MONDAY)


def version(session, business):
    session.expire_all()
    return session.scalar(select(Business.availability_version).where(Business.id == business.id))


@pytest.fixture
def counted_version(session, salon):
    """The salon's version before and after a change, committed."""
    business = salon[0]

    def change(act):
        first = version(session, business)
        act()
        session.commit()
        return version(session, business) - first

    return change


def test_a_hold_a_booking_and_a_cancellation_each_count_up_once(session, salon, make_customer, counted_version):
    business, service, alice, _ = salon
    customer = make_customer(business)
    made = {}
    assert counted_version(lambda: made.setdefault("held", ops.hold(
        session, business, service, at(MONDAY, 10), staff=alice, now=NOW))) == 1
    assert counted_version(lambda: ops.book(session, made["held"], business, customer=customer, now=NOW)) == 1
    assert counted_version(lambda: ops.cancel(session, made["held"], now=NOW, actor="staff")) == 1


def test_changes_that_cannot_move_availability_leave_the_version(session, salon, make_customer, counted_version):
    business, service, alice, _ = salon
    booking = ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), staff=alice,
                                 now=NOW)
    session.commit()

    def write_notes():
        booking.notes = "Prefers the window seat"

    assert counted_version(write_notes) == 0
    assert counted_version(lambda: None) == 0


@pytest.mark.parametrize("what", ["time off", "staff hours", "opening hours", "service length", "slot grid",
                                  "staff retired"])
def test_every_kind_of_availability_change_counts_up(session, salon, counted_version, what):
    business, service, alice, _ = salon
    change = {
        "time off": lambda: setup.add_time_off(session, business, alice, at(MONDAY, 12), at(MONDAY, 13), "Dentist"),
        "staff hours": lambda: setup.set_staff_hours(session, business, alice, {0: [(time(10), time(14))]}),
        "opening hours": lambda: setup.set_business_hours(session, business, {0: [(time(10), time(16))]}),
        "service length": lambda: catalog.update_service(session, business, service, {"duration_minutes": 90}),
        "slot grid": lambda: setup.update_booking_settings(session, business, {"slot_interval_minutes": 30}),
        "staff retired": lambda: catalog.update_staff(session, business, alice, {"is_active": False}),
    }[what]
    assert counted_version(change) == 1


def test_a_rolled_back_change_counts_nothing(session, salon):
    business, service, alice, _ = salon
    first = version(session, business)
    ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=NOW)
    session.rollback()
    session.commit()
    assert version(session, business) == first


def test_a_cached_answer_is_reused_in_its_minute_with_one_statement(session, salon):
    business, service, alice, _ = salon
    first = cache.cached_availability(session, business, service, MONDAY, now=NOW, staff_id=alice.id)
    with counted_statements(session.get_bind()) as statements:
        again = cache.cached_availability(session, business, service, MONDAY, now=NOW + timedelta(seconds=30),
                                          staff_id=alice.id)
    assert again is first and len(statements) == 1  # the version, nothing else
    later = cache.cached_availability(session, business, service, MONDAY, now=NOW + timedelta(minutes=1),
                                      staff_id=alice.id)
    assert later is not first and later.slots == first.slots


def test_a_committed_hold_is_never_hidden_by_the_cache(session, salon):
    business, service, alice, _ = salon
    start = at(MONDAY, 10)
    before_hold = cache.cached_availability(session, business, service, MONDAY, now=NOW, staff_id=alice.id)
    assert before_hold.find(start) is not None
    ops.hold(session, business, service, start, staff=alice, now=NOW)
    session.commit()
    after_hold = cache.cached_availability(session, business, service, MONDAY, now=NOW, staff_id=alice.id)
    assert after_hold.find(start) is None
    days = cache.cached_available_days(session, business, service, MONDAY, MONDAY, now=NOW, staff_id=alice.id)
    assert days == {MONDAY}  # the rest of Monday is still free


def test_a_version_read_with_the_business_is_used_until_the_transaction_writes(session, salon):
    """The doors read the version in the statement that reads the business (the API key's,
    the wizard's slug): the answer keys by it without a read of its own. Once the transaction
    writes, the version will move at its commit, so it is read afresh; a new transaction
    starts with nothing remembered."""
    business, service, alice, _ = salon
    session.commit()
    read = version(session, business)
    cache.remember_version(session, business, read)
    with counted_statements(session.get_bind()) as statements:
        assert cache.current_version(session, business) == read
    assert statements == []
    ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=NOW)  # a write: forgotten
    with counted_statements(session.get_bind()) as statements:
        cache.current_version(session, business)
    assert len(statements) == 1
    session.commit()
    cache.remember_version(session, business, read)
    session.rollback()  # the transaction ended: forgotten
    assert cache.current_version(session, business) == read + 1

