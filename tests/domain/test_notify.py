"""Which messages a change to a booking records, to whom, on which channel (domain.notify),
whatever door calls the domain."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bookingapp.domain import booking as ops
from bookingapp.domain import notify, setup
from bookingapp.domain.errors import ValidationError
from bookingapp.models import Message, OutboxEvent
from tests.helpers import MONDAY, at, before


def messages(session, booking_id=None):
    query = select(Message).order_by(Message.created_at, Message.audience, Message.kind, Message.channel)
    if booking_id is not None:
        query = query.where(Message.booking_id == booking_id)
    return [(m.audience, m.kind, m.channel, m.recipient) for m in session.scalars(query)]


@pytest.fixture
def staffed(salon, session):
    """The salon, its stylists reachable by email and its customer by email and phone."""
    business, service, alice, bob = salon
    alice.email, bob.email = "alice@salon.example", "bob@salon.example"
    session.commit()
    return salon


@pytest.fixture
def ada(staffed, make_customer, session):
    customer = make_customer(staffed[0], email="ada@example.com", name="Lovelace, Ada")
    customer.phone = "+447700900123"
    session.commit()
    return customer


def book(session, salon, customer, hour=10, **flags):
    business, service, alice, _ = salon
    booking = ops.create_booking(session, business, service, at(MONDAY, hour), customer, staff=alice,
                                 now=before(), **flags)
    session.commit()
    return booking


def test_a_booking_tells_the_customer_and_the_staff_member(session, staffed, ada):
    booking = book(session, staffed, ada)
    assert messages(session) == [
        ("customer", "booking_confirmed", "email", "ada@example.com"),
        ("staff", "staff_new_booking", "email", "alice@salon.example"),
    ]
    assert booking.calendar_uid == f"{booking.id}@bookingapp" and booking.calendar_sequence == 0


def test_text_messages_go_too_when_the_business_sends_them(session, staffed, ada):
    staffed[0].sms_notifications = True
    book(session, staffed, ada)
    assert ("customer", "booking_confirmed", "sms", "+447700900123") in messages(session)


def test_dont_notify_the_customer_keeps_the_staff_message_and_the_webhook(session, staffed, ada):
    booking = book(session, staffed, ada, notify_customer=False)
    assert messages(session) == [("staff", "staff_new_booking", "email", "alice@salon.example")]
    assert session.scalars(select(OutboxEvent.topic)).all() == ["booking.created"]
    ops.cancel(session, booking, now=before(), actor="staff", notify_customer=False)
    session.commit()
    assert [kind for audience, kind, *_ in messages(session) if audience == "customer"] == []


def test_a_quiet_hold_stays_quiet_when_it_is_booked(session, staffed, ada):
    business, service, alice, _ = staffed
    held = ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=before(), notify_customer=False)
    ops.book(session, held, business, customer=ada, now=before())
    session.commit()
    assert held.confirmation_silent is True
    assert messages(session) == [("staff", "staff_new_booking", "email", "alice@salon.example")]


def test_a_staff_member_who_switched_booking_emails_off_gets_none(session, staffed, ada):
    staffed[2].booking_emails = False
    book(session, staffed, ada)
    assert [audience for audience, *_ in messages(session)] == ["customer"]


def test_a_move_keeps_the_calendar_event_and_tells_both_stylists(session, staffed, ada):
    business, service, alice, bob = staffed
    booking = book(session, staffed, ada)
    moved = ops.reschedule(session, booking, business, at(MONDAY, 14), staff=bob, now=before())
    session.commit()
    assert moved.calendar_uid == booking.calendar_uid and moved.calendar_sequence == booking.calendar_sequence + 1
    assert sorted(messages(session, moved.id)) == [
        ("customer", "booking_rescheduled", "email", "ada@example.com"),
        ("staff", "staff_rescheduled", "email", "alice@salon.example"),
        ("staff", "staff_rescheduled", "email", "bob@salon.example"),
    ]
    (customer_message,) = [m for m in session.scalars(select(Message).where(
        Message.booking_id == moved.id, Message.audience == "customer"))]
    assert customer_message.facts["previous_starts_at"] == "2030-06-03T09:00:00Z"
    assert customer_message.facts["previous_staff_name"] == "Alice"
    assert customer_message.facts["sequence"] == 1


def test_a_cancellation_counts_as_a_calendar_change_and_says_who_cancelled(session, staffed, ada):
    booking = book(session, staffed, ada)
    ops.cancel(session, booking, now=before(), actor="staff")
    session.commit()
    assert booking.calendar_sequence == 1
    (message,) = session.scalars(select(Message).where(Message.kind == "booking_cancelled")).all()
    assert message.facts["cancelled_by"] == "business" and message.facts["sequence"] == 1
    assert ("staff", "staff_cancelled", "email", "alice@salon.example") in messages(session)


def test_an_approval_tells_the_customer_and_bumps_the_sequence(session, staffed, ada):
    staffed[0].auto_confirm = False
    booking = book(session, staffed, ada)
    ops.confirm(session, booking, now=before() + timedelta(minutes=5))
    session.commit()
    kinds = [kind for audience, kind, *_ in messages(session) if audience == "customer"]
    assert kinds == ["booking_pending", "booking_approved"] and booking.calendar_sequence == 1


def test_a_test_booking_writes_to_nobody(session, staffed, ada):
    book(session, staffed, ada, test=True)
    assert messages(session) == []


def test_a_completed_visit_asks_for_a_review_once_three_hours_later(session, staffed, ada):
    booking = book(session, staffed, ada)
    visit = at(MONDAY, 11)
    ops.start(session, booking, now=at(MONDAY, 10))
    ops.complete(session, booking, now=visit)
    session.commit()
    (request,) = session.scalars(select(Message).where(Message.kind == "review_request")).all()
    assert request.due_at == visit + timedelta(hours=3) and request.transactional is False
    assert notify.review_request(session, booking, now=visit) is None  # once


def test_no_review_request_when_the_business_switched_them_off(session, staffed, ada):
    staffed[0].review_requests = False
    booking = book(session, staffed, ada)
    ops.start(session, booking, now=at(MONDAY, 10))
    ops.complete(session, booking, now=at(MONDAY, 11))
    session.commit()
    assert session.scalars(select(Message).where(Message.kind == "review_request")).all() == []


def test_resend_repeats_a_sent_message_to_the_current_address(session, staffed, ada):
    book(session, staffed, ada)
    original = session.scalars(select(Message).where(Message.audience == "customer")).one()
    with pytest.raises(ValidationError):
        notify.resend(session, original, now=before())  # still waiting: nothing to repeat
    original.status = "sent"
    ada.email = "ada@new.example"
    copy = notify.resend(session, original, now=before())
    session.commit()
    assert (copy.kind, copy.recipient, copy.status, copy.resent_from_id) == (
        "booking_confirmed", "ada@new.example", "pending", original.id)
    original.status = "cancelled"  # withdrawn: it no longer applies
    with pytest.raises(ValidationError, match="withdrawn"):
        notify.resend(session, original, now=before())


def test_delivery_log_filters_by_booking_status_and_channel(session, staffed, ada):
    business = staffed[0]
    first, second = book(session, staffed, ada, 10), book(session, staffed, ada, 14)
    assert {m.booking_id for m in notify.delivery_log(session, business, booking_id=first.id)} == {first.id}
    assert len(notify.delivery_log(session, business)) == 4
    assert notify.delivery_log(session, business, status="sent") == []
    assert {m.channel for m in notify.delivery_log(session, business, channel="email")} == {"email"}
    pages = [notify.delivery_log(session, business, limit=1, offset=page) for page in range(5)]
    assert [len(page) for page in pages] == [1, 1, 1, 1, 0]
    assert {page[0].booking_id for page in pages[:4]} == {first.id, second.id}


@pytest.mark.parametrize("cadence, wrong", [
    ("24", "list of steps"),
    ([{"hours_before": 0, "email": True}], "between 1 and 336"),
    ([{"hours_before": 24, "email": "yes"}], "true or false"),
    ([{"hours_before": 24}, {"hours_before": 24, "sms": True}], "keep one"),
    ([{"hours_before": h} for h in (1, 2, 3, 4)], "At most 3"),
    ([{"hours": 24}], "hours_before"),
])
def test_a_bad_cadence_is_refused_and_nothing_changes(session, salon, cadence, wrong):
    business = salon[0]
    before_change = list(business.reminder_cadence)
    with pytest.raises(ValidationError, match=wrong) as refused:
        setup.update_notification_settings(session, business, {"reminder_cadence": cadence, "sms_notifications": True})
    assert refused.value.param == "reminder_cadence"
    assert business.reminder_cadence == before_change and business.sms_notifications is False


def test_a_cadence_is_stored_largest_first(session, salon):
    business = salon[0]
    setup.update_notification_settings(session, business, {"reminder_cadence": [
        {"hours_before": 2, "email": False, "sms": True}, {"hours_before": 24, "email": True}]})
    assert business.reminder_cadence == [
        {"hours_before": 24, "email": True, "sms": False}, {"hours_before": 2, "email": False, "sms": True}]
