"""A booking's insert that PostgreSQL aborts as a deadlock is answered like any other time
taken at the same instant, never as a 500. Two transactions inserting overlapping bookings
of one staff member at once can each find the other's row while checking the exclusion
constraint and wait for each other; PostgreSQL then aborts one of the two statements
("deadlock detected", SQLSTATE 40P01). That timing cannot be arranged from a test, so the
database's answer is given here to the insert of one staff member's booking, through the API."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bookingapp.models import Booking
from tests.api.conftest import assert_error
from tests.helpers import MONDAY, at


class DeadlockDetected(Exception):
    """What psycopg raises for SQLSTATE 40P01, as far as the booking core looks at it."""

    sqlstate = "40P01"


@pytest.fixture
def deadlocks_for(monkeypatch):
    """Every flush that would insert a booking for `staff` fails as PostgreSQL's deadlock."""
    def install(staff):
        flush = Session.flush
        staff_id = staff.id  # read now: inside a flush it could not be loaded

        def deadlocking_flush(self, *args, **kwargs):
            if any(isinstance(obj, Booking) and obj.staff_id == staff_id for obj in self.new):
                raise OperationalError("INSERT INTO bookings ...", {}, DeadlockDetected("deadlock detected"))
            return flush(self, *args, **kwargs)

        monkeypatch.setattr(Session, "flush", deadlocking_flush)

    return install


def test_a_named_staff_members_deadlocked_insert_is_409_slot_unavailable(session, salon, api_for, deadlocks_for):
    business, service, alice, _ = salon
    deadlocks_for(alice)
    response = api_for(business).post("/bookings/hold", json={
        "service_id": str(service.id), "staff_id": str(alice.id), "start_at": at(MONDAY, 10).isoformat()})
    assert_error(response, 409, "slot_unavailable")
    assert session.query(Booking).count() == 0


def test_anyone_goes_on_to_the_next_staff_member_after_a_deadlocked_insert(session, salon, api_for, deadlocks_for):
    business, service, alice, bob = salon
    deadlocks_for(alice)  # Alice comes first in the fixed order
    response = api_for(business).post("/bookings/hold", json={
        "service_id": str(service.id), "start_at": at(MONDAY, 10).isoformat(), "assignment": "fixed_order"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["staff"]["id"] == str(bob.id)
    assert [booking.staff_id for booking in session.query(Booking).all()] == [bob.id]
