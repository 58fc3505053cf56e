"""A real SMTP server (aiosmtpd) and a local fake of Twilio's API for the delivery tests,
and messages waiting to be sent for a booking of "Smith, John"."""
from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete

from bookingapp.models import Message
from bookingapp.notifications.delivery import Channels
from bookingapp.notifications.email import SmtpEmail, SmtpSettings
from bookingapp.notifications.sms import RecordingSms
from tests.helpers import MONDAY, at, before
from tests.notifications.twilio_fake import TwilioFake

NON_TRANSACTIONAL_KINDS = ("reminder", "review_request")


def smtp_channels(settings: SmtpSettings) -> Channels:
    """Email over the test SMTP server; text messages only recorded."""
    return Channels(email=SmtpEmail(settings), sms=RecordingSms())


def reloaded(session, message: Message) -> Message:
    session.expire_all()
    return session.get(Message, message.id)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Inbox:
    """What the SMTP server accepted: (envelope recipients, parsed email) per email."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    # Each email as it arrived, before parsing.
    raw: list[bytes] = field(default_factory=list)
    # Addresses answered "550 no such user" at RCPT.
    refuse: set[str] = field(default_factory=set)
    # A slow server, so that racing workers overlap.
    data_delay_seconds: float = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.data_delay_seconds)
        self.raw.append(envelope.original_content)
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=default_policy)))
        return "250 OK"


@dataclass
class SmtpServer:
    inbox: Inbox
    settings: SmtpSettings


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SmtpServer(inbox, SmtpSettings(host="127.0.0.1", port=controller.port, sender="bookings@salon.example"))
    controller.stop()


@pytest.fixture
def twilio_fake(httpserver) -> TwilioFake:
    return TwilioFake(httpserver)


@pytest.fixture
def booking(session, salon, make_customer):
    """A booking on Monday 10:00 London of a customer whose name holds a comma, in a salon
    that sends SMS and reminders; with no messages recorded yet, whatever the domain
    records for a new booking (each test records the ones it sends)."""
    from bookingapp.domain import booking as ops

    business, service, alice, _ = salon
    business.email = "hello@salon.example"
    business.sms_notifications = True
    business.reminder_cadence = [{"hours_before": 24, "email": True, "sms": True}]
    customer = make_customer(business, email="john@example.com", name="Smith, John")
    customer.phone = "+447700900123"
    made = ops.create_booking(session, business, service, at(MONDAY, 10), customer, staff=alice, now=before())
    session.execute(delete(Message))
    session.commit()
    return made


# 24 hours before the booking, when its reminder is due: when the tests' messages are due.
NOW = at(MONDAY, 10) - timedelta(hours=24)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def make_message(session, booking):
    def make(kind: str = "booking_confirmed", channel: str = "email", **overrides) -> Message:
        customer = booking.customer
        facts = {"sequence": booking.calendar_sequence}
        if kind == "reminder":
            facts["hours_before"] = 24
        fields = dict(
            business_id=booking.business_id, booking_id=booking.id, customer_id=customer.id, audience="customer",
            kind=kind, channel=channel, recipient=customer.email if channel == "email" else customer.phone,
            recipient_name=customer.name, facts=facts, transactional=kind not in NON_TRANSACTIONAL_KINDS,
            status="pending", created_at=before(), due_at=NOW,
        )
        fields.update(overrides)
        message = Message(**fields)
        session.add(message)
        session.commit()
        return message

    return make
