"""Confirmation emails leave the outbox over SMTP, once, to a real local SMTP server."""
from __future__ import annotations

import socket
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from bookingapp.domain.outbox import record_event
from bookingapp.models import OutboxEvent
from bookingapp.notifications.email import SmtpSettings, send_pending_emails
from bookingapp.notifications.webhooks import fan_out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default_policy)))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, SmtpSettings(host="127.0.0.1", port=controller.port, sender="bookings@salon.example")
    controller.stop()


def record_confirmation(session, business):
    event = record_event(session, business.id, "email.booking_confirmation", {
        "to": "ada@example.com", "to_name": "Ada Lovelace", "reply_to": "hello@salon.example",
        "subject": "Your booking BK-TEST2345", "text": "See you on Monday at 10:00.",
    })
    session.commit()
    return event


def test_a_recorded_email_is_sent_once(session, salon, smtp_server):
    inbox, settings = smtp_server
    business, *_ = salon
    event = record_confirmation(session, business)
    assert send_pending_emails(session, settings) == 1
    assert send_pending_emails(session, settings) == 0
    (recipients, message), = inbox.messages
    assert recipients == ["ada@example.com"]
    assert message["Subject"] == "Your booking BK-TEST2345" and message["Reply-To"] == "hello@salon.example"
    assert "See you on Monday" in message.get_payload()
    session.expire_all()
    assert session.get(OutboxEvent, event.id).dispatched_at is not None


def test_an_unreachable_smtp_server_leaves_the_email_for_later(session, salon):
    business, *_ = salon
    event = record_confirmation(session, business)
    down = SmtpSettings(host="127.0.0.1", port=free_port(), sender="bookings@salon.example", timeout_seconds=2)
    assert send_pending_emails(session, down) == 0
    session.expire_all()
    assert session.get(OutboxEvent, event.id).dispatched_at is None


def test_webhook_fan_out_leaves_emails_alone(session, salon):
    business, *_ = salon
    event = record_confirmation(session, business)
    fan_out(session)
    session.commit()
    session.expire_all()
    assert session.get(OutboxEvent, event.id).dispatched_at is None


def test_customer_emails_recorded_by_the_domain_are_rendered_by_the_worker(app, session, salon, make_customer, smtp_server):
    """The domain records what happened (booked, moved, cancelled); the worker writes the
    email at send time: subject, the booking's local time, links on PUBLIC_URL, the .ics,
    and one recipient even for a name with a comma."""
    from bookingapp.domain import booking as ops
    from tests.helpers import MONDAY, at, before

    inbox, settings = smtp_server
    business, service, alice, _ = salon
    app.config["PUBLIC_URL"] = "https://book.example.com"
    customer = make_customer(business, email="john@example.com", name="Smith, John")
    made = ops.create_booking(session, business, service, at(MONDAY, 10), customer, staff=alice, now=before())
    moved = ops.reschedule(session, made, business, at(MONDAY, 14), now=before())
    ops.cancel(session, moved, reason="ill", now=before(), actor="staff")
    session.commit()

    assert send_pending_emails(session, settings, now=before()) == 3
    subjects = [message["Subject"] for _, message in inbox.messages]
    assert subjects[0].startswith("Booking confirmed: Cut on Mon 03 Jun, 10:00")  # London time
    assert subjects[1].startswith("Booking moved: Cut now on Mon 03 Jun, 14:00")
    assert subjects[2].startswith("Booking cancelled: Cut on Mon 03 Jun, 14:00")
    for recipients, message in inbox.messages:
        assert recipients == ["john@example.com"]
        assert message["To"] == '"Smith, John" <john@example.com>'
    first = inbox.messages[0][1]
    text = first.get_body(("plain",)).get_content()
    assert "You're booked at Test Salon." in text and "Monday 03 June 2030, 10:00" in text
    assert f"https://book.example.com/{business.slug}/manage/" in text
    (attachment,) = list(first.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert "DTSTART:20300603T090000Z" in attachment.get_content()
    moved_text = inbox.messages[1][1].get_body(("plain",)).get_content()
    assert "moved from Monday 03 June 2030, 10:00" in moved_text
    cancelled_text = inbox.messages[2][1].get_body(("plain",)).get_content()
    assert "cancelled by Test Salon" in cancelled_text and "Book again" in cancelled_text
