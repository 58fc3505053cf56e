"""Reminders and staff agendas: planned once their time comes, at most once per booking and
step however many workers plan them, late only while the appointment is still ahead."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from bookingapp.domain import booking as ops
from bookingapp.domain import consent, reminders
from bookingapp.extensions import db
from bookingapp.models import Message
from tests.helpers import MONDAY, at

START = at(MONDAY, 15)
BOOKED = START - timedelta(days=3)
DAY_AND_TWO_HOURS = [{"hours_before": 24, "email": True, "sms": False},
                     {"hours_before": 2, "email": True, "sms": True}]


@pytest.fixture
def booked(session, salon, make_customer):
    business, service, alice, _ = salon
    business.reminder_cadence = DAY_AND_TWO_HOURS
    customer = make_customer(business, email="ada@example.com")
    customer.phone = "+447700900123"
    booking = ops.create_booking(session, business, service, START, customer, staff=alice, now=BOOKED)
    session.commit()
    return booking


def reminders_of(session, booking):
    session.expire_all()
    return sorted((m.facts["hours_before"], m.channel, m.status) for m in session.scalars(
        select(Message).where(Message.booking_id == booking.id, Message.kind == "reminder")))


def test_nothing_is_planned_before_a_reminders_time(session, booked):
    assert reminders.plan_due(session, now=START - timedelta(hours=24, minutes=1)) == 0
    assert reminders_of(session, booked) == []


def test_each_step_is_planned_once_at_its_time(session, booked):
    assert reminders.plan_due(session, now=START - timedelta(hours=24)) == 1
    assert reminders.plan_due(session, now=START - timedelta(hours=23)) == 0  # already there
    session.commit()
    assert reminders_of(session, booked) == [(24, "email", "pending")]
    assert reminders.plan_due(session, now=START - timedelta(hours=2)) == 2  # email and text
    session.commit()
    assert reminders_of(session, booked) == [(2, "email", "pending"), (2, "sms", "pending"), (24, "email", "pending")]


def test_two_workers_planning_at_once_leave_one_reminder(app, session, booked):
    due = START - timedelta(hours=24)
    barrier = threading.Barrier(2)
    planned = []

    def worker():
        with app.app_context():
            barrier.wait(timeout=10)
            planned.append(reminders.plan_due(db.session, now=due))
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(planned) == [0, 1]
    assert reminders_of(session, booked) == [(24, "email", "pending")]


def test_a_worker_down_over_both_steps_sends_only_the_later_one(session, booked):
    reminders.plan_due(session, now=START - timedelta(hours=1))
    session.commit()
    assert reminders_of(session, booked) == [(2, "email", "pending"), (2, "sms", "pending"), (24, "email", "skipped")]


def test_a_planned_reminder_overtaken_by_a_later_one_is_skipped_at_send_time(session, booked):
    reminders.plan_due(session, now=START - timedelta(hours=24))
    session.commit()
    (day_before,) = session.scalars(select(Message).where(Message.kind == "reminder")).all()
    assert reminders.skip_reason(session, day_before, now=START - timedelta(hours=20)) is None
    assert "later reminder" in reminders.skip_reason(session, day_before, now=START - timedelta(hours=1))


def test_no_reminder_once_the_appointment_has_started(session, booked):
    assert reminders.plan_due(session, now=START + timedelta(minutes=1)) == 0
    reminders.plan_due(session, now=START - timedelta(hours=2))
    session.commit()
    message = session.scalars(select(Message).where(Message.kind == "reminder", Message.channel == "sms")).one()
    assert reminders.skip_reason(session, message, now=START - timedelta(minutes=30)) is None
    assert reminders.skip_reason(session, message, now=START) == "The appointment has already started."


def test_a_cancelled_booking_is_not_reminded(session, booked):
    reminders.plan_due(session, now=START - timedelta(hours=24))
    ops.cancel(session, booked, now=START - timedelta(hours=23))
    session.commit()
    (planned,) = session.scalars(select(Message).where(Message.kind == "reminder")).all()
    assert reminders.skip_reason(session, planned, now=START - timedelta(hours=23)) == "The booking is cancelled."
    assert reminders.plan_due(session, now=START - timedelta(hours=2)) == 0


def test_a_moved_booking_is_reminded_at_its_new_time(session, salon, booked):
    later = START + timedelta(days=1)
    moved = ops.reschedule(session, booked, salon[0], later, now=BOOKED + timedelta(hours=1))
    session.commit()
    assert reminders.plan_due(session, now=START - timedelta(hours=24)) == 0  # the old time
    assert reminders.plan_due(session, now=later - timedelta(hours=24)) == 1
    assert reminders_of(session, moved) == [(24, "email", "pending")]


def test_a_step_already_past_when_the_booking_was_made_is_not_planned(session, salon, make_customer):
    business, service, alice, _ = salon
    business.reminder_cadence = DAY_AND_TWO_HOURS
    customer = make_customer(business)
    late = ops.create_booking(session, business, service, START, customer, staff=alice, now=START - timedelta(hours=5))
    session.commit()
    reminders.plan_due(session, now=START - timedelta(hours=2))
    session.commit()
    assert reminders_of(session, late) == [(2, "email", "pending")]  # no phone: no text; no 24-hour one


def test_a_step_switched_off_plans_nothing_and_stops_what_was_planned(session, salon, booked):
    reminders.plan_due(session, now=START - timedelta(hours=24))
    salon[0].reminder_cadence = [{"hours_before": 24, "email": False, "sms": False}]
    session.commit()
    (planned,) = session.scalars(select(Message).where(Message.kind == "reminder")).all()
    assert reminders.skip_reason(session, planned, now=START - timedelta(hours=23)) == "This reminder has been switched off."
    assert reminders.plan_due(session, now=START - timedelta(hours=2)) == 0


def test_an_unsubscribed_customer_gets_no_reminder_but_still_transactional_messages(session, booked):
    reminders.plan_due(session, now=START - timedelta(hours=24))
    consent.unsubscribe(session, booked.customer, now=BOOKED)
    session.commit()
    reminder = session.scalars(select(Message).where(Message.kind == "reminder")).one()
    confirmation = session.scalars(select(Message).where(Message.kind == "booking_confirmed")).one()
    assert "unsubscribed" in reminders.skip_reason(session, reminder, now=START - timedelta(hours=23))
    assert reminders.skip_reason(session, confirmation, now=START - timedelta(hours=23)) is None
    consent.resubscribe(session, booked.customer, now=BOOKED)
    assert reminders.skip_reason(session, reminder, now=START - timedelta(hours=23)) is None


def test_the_agenda_goes_once_a_day_from_seven_local_time(session, salon):
    business, _, alice, bob = salon
    alice.email, alice.daily_agenda = "alice@salon.example", True
    bob.email = "bob@salon.example"  # not opted in
    session.commit()
    assert reminders.plan_due(session, now=at(MONDAY, 6, 59)) == 0
    assert reminders.plan_due(session, now=at(MONDAY, 7)) == 1
    assert reminders.plan_due(session, now=at(MONDAY, 18)) == 0
    assert reminders.plan_due(session, now=at(MONDAY + timedelta(days=1), 7, 30)) == 1
    session.commit()
    agendas = session.scalars(select(Message).where(Message.kind == "staff_agenda")).all()
    assert sorted(m.facts["day"] for m in agendas) == ["2030-06-03", "2030-06-04"]
    assert {m.recipient for m in agendas} == {"alice@salon.example"}
    monday = next(m for m in agendas if m.facts["day"] == "2030-06-03")
    assert reminders.skip_reason(session, monday, now=at(MONDAY, 20)) is None
    assert reminders.skip_reason(session, monday, now=at(MONDAY + timedelta(days=1), 0, 30)) == "That day is over."


def test_the_agenda_follows_the_local_clock_on_the_day_the_clocks_go_forward(session, salon):
    from datetime import date

    alice = salon[2]
    alice.email, alice.daily_agenda = "alice@salon.example", True
    session.commit()
    spring = date(2030, 3, 31)  # Europe/London: 01:00 GMT becomes 02:00 BST
    assert reminders.plan_due(session, now=at(spring, 6, 59)) == 0
    assert reminders.plan_due(session, now=at(spring, 7)) == 1
