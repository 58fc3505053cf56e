"""Every transition in the table, allowed and refused, through the domain functions."""
from datetime import timedelta

import pytest

from bookingapp.domain import booking as ops
from bookingapp.domain.errors import InvalidTransition, ValidationError
from bookingapp.domain.states import (
    ALL_STATUSES, TRANSITIONS, BookingStatus, check_transition, manual_transitions, valid_transitions,
)

PAIRS = [(a.value, b) for a in BookingStatus for b in ALL_STATUSES]


@pytest.mark.parametrize("current,target", PAIRS)
def test_transition_table_allows_exactly_the_listed_moves(current, target):
    allowed = target in {s.value for s in TRANSITIONS[BookingStatus(current)]}
    if allowed:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidTransition) as caught:
            check_transition(current, target)
        assert caught.value.valid == valid_transitions(current)


def test_refusal_from_a_terminal_status_names_no_valid_moves():
    with pytest.raises(InvalidTransition) as caught:
        check_transition("completed", "cancelled")
    assert str(caught.value) == (
        'Cannot transition from "completed" to "cancelled". Valid transitions: none (terminal status)'
    )


def test_refusal_names_the_valid_moves():
    with pytest.raises(InvalidTransition) as caught:
        check_transition("pending", "completed")
    assert "Valid transitions: confirmed, cancelled, no_show, rescheduled" in str(caught.value)


def test_terminal_statuses_have_no_way_out():
    for status in ("completed", "cancelled", "no_show", "rescheduled"):
        assert valid_transitions(status) == ()


@pytest.mark.parametrize("target,action", [
    ("confirmed", ops.confirm), ("in_progress", ops.start), ("completed", ops.complete),
    ("no_show", ops.no_show), ("cancelled", ops.cancel),
])
@pytest.mark.parametrize("current", ALL_STATUSES)
def test_each_lifecycle_function_obeys_the_table_and_records_history(session, salon, make_customer, current, target, action):
    """confirm/start/complete/no_show/cancel perform exactly the by-name moves; a hold
    or reservation is only cancelled this way (it is booked through book())."""
    from tests.helpers import MONDAY, at, before

    business, service, alice, _ = salon
    customer = make_customer(business)
    booking = ops.reserve(session, business, service, at(MONDAY, 10), staff=alice, customer=customer, now=before())
    booking.status = current  # put the booking where the case starts, bypassing the table on purpose
    booking.hold_expires_at = before() + timedelta(minutes=10) if current == "held" else None
    session.commit()
    events_before = len(booking.history)
    allowed = target in manual_transitions(current)
    assert set(manual_transitions(current)) <= set(valid_transitions(current))
    # The time rules beside the table (start from 30 minutes before, complete and no-show
    # from the start) are met at the appointment's own time.
    if allowed:
        action(session, booking, now=at(MONDAY, 10))
        session.commit()
        assert booking.status == target
        assert booking.history[-1].from_status == current
        assert booking.history[-1].to_status == target
        assert len(booking.history) == events_before + 1
    else:
        with pytest.raises(InvalidTransition):
            action(session, booking, now=at(MONDAY, 10))
        session.rollback()
        assert booking.status == current


def test_change_status_refuses_an_unknown_status(session, salon, make_customer):
    from tests.helpers import MONDAY, at, before

    business, service, alice, _ = salon
    booking = ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), staff=alice, now=before())
    with pytest.raises(ValidationError) as caught:
        ops.change_status(session, booking, "teleported")
    assert caught.value.param == "status"


@pytest.mark.parametrize("current", ALL_STATUSES)
def test_book_turns_only_a_hold_reservation_or_expired_hold_into_a_booking(session, salon, make_customer, current):
    from tests.helpers import MONDAY, at, before

    business, service, alice, _ = salon
    booking = ops.reserve(session, business, service, at(MONDAY, 10), staff=alice, now=before())
    booking.status = current
    booking.hold_expires_at = before() + timedelta(minutes=10) if current == "held" else None
    session.commit()
    if current in ("held", "reserved", "expired"):
        ops.book(session, booking, business, customer=make_customer(business), now=before())
        assert booking.status == "confirmed"
    else:
        with pytest.raises(ValidationError, match="Only a hold or a reservation can be booked"):
            ops.book(session, booking, business, customer=make_customer(business), now=before())


@pytest.mark.parametrize("current", ["held", "reserved", "expired"])
def test_a_hold_cannot_be_confirmed_by_name_it_must_be_booked(session, salon, current):
    """Confirming by name (PATCH, dashboard button) would skip the customer and the
    free-time check that book() makes."""
    from tests.helpers import MONDAY, at, before

    business, service, alice, _ = salon
    booking = ops.reserve(session, business, service, at(MONDAY, 10), staff=alice, now=before())
    booking.status = current
    booking.hold_expires_at = before() + timedelta(minutes=10) if current == "held" else None
    session.commit()
    with pytest.raises(InvalidTransition) as caught:
        ops.change_status(session, booking, "confirmed", now=before())
    expected = "none (terminal status)" if current == "expired" else "cancelled"
    assert str(caught.value).endswith(f"Valid transitions: {expected}")


def test_change_status_never_offers_the_target_it_refuses(session, salon, make_customer):
    from tests.helpers import MONDAY, at, before

    business, service, alice, _ = salon
    booking = ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), now=before())
    for system_only in ("expired", "rescheduled", "held"):
        with pytest.raises(InvalidTransition) as caught:
            ops.change_status(session, booking, system_only, now=before())
        assert system_only not in caught.value.valid
    assert manual_transitions("confirmed") == ("in_progress", "cancelled", "no_show")


@pytest.mark.parametrize("target,action,allowed_from_minutes", [
    ("in_progress", ops.start, -30), ("completed", ops.complete, 0), ("no_show", ops.no_show, 0),
])
def test_visit_moves_wait_for_the_appointment_time(session, salon, make_customer, target, action, allowed_from_minutes):
    """Start is allowed from early_start_minutes (30) before the start; complete and no-show
    only once it has begun: the evening before, each is refused and nothing changes."""
    from bookingapp.domain.errors import ValidationError
    from tests.helpers import MONDAY, at, before

    business, service, alice, _ = salon
    booking = ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), staff=alice,
                                 now=before())
    if target != "in_progress":
        booking.status = "in_progress" if target == "completed" else "confirmed"
    session.commit()
    status_before = booking.status
    evening_before = at(MONDAY, 10) - timedelta(hours=15)
    one_minute_early = at(MONDAY, 10) + timedelta(minutes=allowed_from_minutes - 1)
    for too_early in (evening_before, one_minute_early):
        with pytest.raises(ValidationError) as refused:
            action(session, booking, now=too_early)
        assert refused.value.param == "status"
        session.rollback()
        assert booking.status == status_before
    action(session, booking, now=at(MONDAY, 10) + timedelta(minutes=allowed_from_minutes))
    session.commit()
    assert booking.status == target
