"""From a door to a person: changes made through the API, the manage link and the dashboard's
checkout are sent by the worker to a real SMTP server (aiosmtpd) and the local Twilio fake,
each once, to the right person, with the right subject and calendar attachment; reminders are
planned and sent by the worker itself, once with two workers, late only while the
appointment is still ahead. (Which door records which messages: tests/parity.)"""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import icalendar
import pytest

from bookingapp.domain import checkout as checkout_ops
from bookingapp.domain.clock import pinned_to
from bookingapp.extensions import db
from bookingapp.models import Booking, Message
from bookingapp.notifications import worker
from bookingapp.web.links import manage_token
from bookingapp.api.keys import create_api_key
from tests.api.conftest import Api
from tests.helpers import MONDAY, at
from tests.web.conftest import csrf_from

START = at(MONDAY, 15)


@pytest.fixture
def wired(app, session, salon, smtp_server, twilio_fake, client):
    """The salon with its stylist reachable by email, text messages and a reminder the day
    before by email and text; the app's worker configured for the SMTP server and Twilio."""
    business, service, alice, _ = salon
    business.email = "hello@salon.example"
    business.sms_notifications = True
    business.reminder_cadence = [{"hours_before": 24, "email": True, "sms": True}]
    alice.email = "alice@salon.example"
    session.commit()
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.settings.port, SMTP_SENDER="bookings@salon.example",
        TWILIO_ACCOUNT_SID=twilio_fake.account_sid, TWILIO_AUTH_TOKEN=twilio_fake.auth_token,
        TWILIO_FROM_NUMBER=twilio_fake.from_number, TWILIO_API_BASE=twilio_fake.api_base,
    )
    _, key = create_api_key(session, business, mode="live")
    session.commit()
    return salon, Api(client, key), smtp_server.inbox, twilio_fake


def at_clock(app, instant):
    app.config["CLOCK"] = lambda: instant


def run_worker(session, instant):
    with pinned_to(instant):
        worker.run(once=True)
    session.expire_all()


def emails_to(inbox, address):
    return [message for recipients, message in inbox.messages if recipients == [address]]


def calendar_of(message):
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), icalendar.Calendar.from_ical(part.get_payload(decode=True))


def book_through_api(app, api, service, staff, start, now):
    at_clock(app, now)
    response = api.post("/bookings", json={
        "service_id": str(service.id), "staff_id": str(staff.id), "start_at": start.isoformat(),
        "customer_name": "Smith, John", "customer_email": "john@example.com", "customer_phone": "+447700900123",
    })
    assert response.status_code == 201, response.get_json()
    return uuid.UUID(response.get_json()["data"]["id"])


def test_a_booking_its_move_its_reminder_and_its_cancellation_reach_each_person_once(app, session, wired, client):
    (business, service, alice, _), api, inbox, twilio = wired
    slug = business.slug  # the worker ends its pass by closing the session: read what we need now
    booked_at = START - timedelta(days=3)
    booking_id = book_through_api(app, api, service, alice, START, booked_at)
    run_worker(session, booked_at)
    run_worker(session, booked_at + timedelta(minutes=1))  # a second pass sends nothing again

    (confirmation,) = emails_to(inbox, "john@example.com")
    assert confirmation["To"].addresses[0].display_name == "Smith, John"
    assert confirmation["Subject"].startswith("Booking confirmed")
    method, calendar = calendar_of(confirmation)
    (event,) = calendar.walk("VEVENT")
    assert method == "REQUEST" and event["SEQUENCE"] == 0
    (staff_email,) = emails_to(inbox, "alice@salon.example")
    assert "Smith, John" in staff_email.get_body(("plain",)).get_content()
    assert [(sms["To"], "you're booked" in sms["Body"]) for sms in twilio.received] == [("+447700900123", True)]

    # The customer moves it from the manage link, to the next day at the same time.
    later = START + timedelta(days=1)
    at_clock(app, booked_at + timedelta(hours=1))
    manage = f"/{slug}/manage/{manage_token(booking_id)}"
    token = csrf_from(client.get(f"{manage}/reschedule").get_data(as_text=True))
    moved = client.post(f"{manage}/reschedule", data={"start": later.isoformat(), "csrf_token": token})
    assert moved.status_code == 303, moved.get_data(as_text=True)
    run_worker(session, booked_at + timedelta(hours=1))
    move = emails_to(inbox, "john@example.com")[-1]
    assert move["Subject"].startswith("Booking moved")
    method, moved_calendar = calendar_of(move)
    (moved_event,) = moved_calendar.walk("VEVENT")
    assert method == "REQUEST" and moved_event["UID"] == event["UID"] and moved_event["SEQUENCE"] == 1

    # The worker was down over the reminder's time and comes back 5 hours late: the
    # appointment is still ahead, so the reminder goes, by email and by text, once.
    run_worker(session, later - timedelta(hours=19))
    run_worker(session, later - timedelta(hours=18))
    (reminder,) = [m for m in emails_to(inbox, "john@example.com") if m["Subject"].startswith("Reminder")]
    assert reminder["List-Unsubscribe"] and reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len([sms for sms in twilio.received if "unsubscribe" in sms["Body"].lower()]) == 1

    # The business cancels through the API: the calendar event goes.
    replacement = session.query(Booking).filter(Booking.rescheduled_from_id == booking_id).one()
    at_clock(app, later - timedelta(hours=12))
    assert api.post(f"/bookings/{replacement.id}/cancel", json={}).status_code == 200
    run_worker(session, later - timedelta(hours=12))
    cancellation = emails_to(inbox, "john@example.com")[-1]
    assert cancellation["Subject"].startswith("Booking cancelled")
    method, cancelled_calendar = calendar_of(cancellation)
    (cancelled_event,) = cancelled_calendar.walk("VEVENT")
    assert method == "CANCEL" and cancelled_event["UID"] == event["UID"] and cancelled_event["SEQUENCE"] == 2
    kinds = sorted(m.kind for m in session.query(Message).filter(Message.status == "sent"))
    assert kinds.count("reminder") == 2 and kinds.count("booking_cancelled") == 2  # email and text


def test_a_worker_back_after_the_start_sends_no_reminder(app, session, wired):
    (business, service, alice, _), api, inbox, twilio = wired
    book_through_api(app, api, service, alice, START, START - timedelta(days=3))
    run_worker(session, START + timedelta(minutes=5))
    assert [m["Subject"] for _, m in inbox.messages if m["Subject"].startswith("Reminder")] == []
    assert session.query(Message).filter(Message.kind == "reminder").count() == 0


def test_two_workers_racing_send_each_reminder_once(app, session, wired):
    (business, service, alice, _), api, inbox, twilio = wired
    book_through_api(app, api, service, alice, START, START - timedelta(days=3))
    inbox.data_delay_seconds = 0.2  # a slow server, so that the two workers overlap
    due = START - timedelta(hours=24)
    barrier = threading.Barrier(2)
    errors = []

    def one_worker():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                run_worker(db.session, due)
        except Exception as error:  # reported below: a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=one_worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    reminders = [m for _, m in inbox.messages if m["Subject"].startswith("Reminder")]
    assert len(reminders) == 1
    assert len([sms for sms in twilio.received if "unsubscribe" in sms["Body"].lower()]) == 1


def test_a_completed_visit_gets_its_receipt_then_one_review_request(app, session, wired, salon):
    (business, service, alice, _), api, inbox, twilio = wired
    booking_id = book_through_api(app, api, service, alice, START, START - timedelta(days=3))
    business_name = business.name
    for status, instant in (("in_progress", START), ("completed", START + timedelta(hours=1))):
        at_clock(app, instant)
        assert api.patch(f"/bookings/{booking_id}", json={"status": status}).status_code == 200
    session.expire_all()
    booking = session.get(Booking, booking_id)
    number = booking.booking_number
    checkout = checkout_ops.open_checkout(session, booking, now=START + timedelta(hours=1))
    checkout_ops.take_in_person(session, checkout, method="cash", amount_cents=checkout_ops.totals(
        session, checkout).due_cents, actor="desk", now=START + timedelta(hours=1))
    checkout_ops.close_checkout(session, checkout, actor="desk", now=START + timedelta(hours=1))
    session.commit()
    run_worker(session, START + timedelta(hours=1, minutes=5))
    subjects = [m["Subject"] for m in emails_to(inbox, "john@example.com")]
    assert [s for s in subjects if s.startswith("Your receipt")] == [f"Your receipt from {business_name}: {number}"]
    assert not any(s.startswith("How was your visit") for s in subjects)  # not yet: the customer has just left
    run_worker(session, START + timedelta(hours=4, minutes=5))
    run_worker(session, START + timedelta(hours=5))
    (request,) = [m for m in emails_to(inbox, "john@example.com") if m["Subject"].startswith("How was your visit")]
    assert f"/manage/{manage_token(booking_id)}" in request.get_body(("plain",)).get_content()
    assert request["List-Unsubscribe"]
