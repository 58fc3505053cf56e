"""Confirmation emails leave the outbox over SMTP, once, to a real local SMTP server."""
from __future__ import annotations

import socket
from email import message_from_bytes

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
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
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
