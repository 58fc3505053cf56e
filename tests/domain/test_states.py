"""Every transition in the table, allowed and refused, through the domain functions."""
import pytest

from bookingapp.domain import booking as ops
from bookingapp.domain.errors import InvalidTransition, ValidationError
from bookingapp.domain.states import ALL_STATUSES, TRANSITIONS, BookingStatus, check_transition, valid_transitions

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
@pytest.mark.parametrize("current", ["reserved", "pending", "confirmed", "in_progress", "completed", "cancelled", "no_show"])
def test_each_lifecycle_function_obeys_the_table_and_records_history(session, salon, make_customer, current, target, action):
    from tests.helpers import MONDAY, at, before

    business, service, alice, _ = salon
    customer = make_customer(business)
    booking = ops.reserve(session, business, service, at(MONDAY, 10), staff=alice, customer=customer, now=before())
    booking.status = current  # put the booking where the case starts, bypassing the table on purpose
    session.commit()
    events_before = len(booking.history)
    allowed = target in valid_transitions(current)
    if allowed:
        action(session, booking, now=before())
        session.commit()
        assert booking.status == target
        assert booking.history[-1].from_status == current
        assert booking.history[-1].to_status == target
        assert len(booking.history) == events_before + 1
    else:
        with pytest.raises(InvalidTransition):
            action(session, booking, now=before())
        session.rollback()
        assert booking.status == current


def test_change_status_refuses_an_unknown_status(session, salon, make_customer):
    from tests.helpers import MONDAY, at, before

    business, service, alice, _ = salon
    booking = ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), staff=alice, now=before())
    with pytest.raises(ValidationError) as caught:
        ops.change_status(session, booking, "teleported")
    assert caught.value.param == "status"
