"""Sending the emails recorded in the outbox (topics "email.*") over SMTP.

Customer emails (topic "email.customer", recorded by the domain) are rendered here, at send
time (notifications/messages.py); older rows of "email.booking_confirmation" carry their
rendered text in the payload and are sent as they are.

Each email is claimed first (a conditional UPDATE that only one worker can win, committed
at once) and sent after, so two workers never send one email and no database lock is
held while the SMTP server is slow. A failed send releases the claim for a later pass.
Without SMTP_HOST nothing is sent: the emails stay recorded in the outbox.
"""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bookingapp.models import OutboxEvent
from bookingapp.domain.clock import resolve_now

EMAIL_TOPIC_PREFIX = "email."
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_seconds: float = 10.0


def smtp_settings(config: Mapping) -> SmtpSettings | None:
    if not config.get("SMTP_HOST"):
        return None
    return SmtpSettings(
        host=config["SMTP_HOST"], port=int(config.get("SMTP_PORT") or 25),
        sender=config.get("SMTP_SENDER") or "bookings@localhost",
        username=config.get("SMTP_USERNAME") or None, password=config.get("SMTP_PASSWORD") or None,
        starttls=bool(config.get("SMTP_STARTTLS")),
    )


def _address(name: str | None, email: str) -> Address:
    """One mailbox, whatever the name holds ("Smith, John" stays one recipient)."""
    username, _, domain = email.rpartition("@")
    return Address(display_name=name or "", username=username, domain=domain)


def build_message(event: OutboxEvent, sender: str, *, session: Session | None = None,
                  now: datetime | None = None) -> EmailMessage | None:
    """The email for an outbox row; None when there is nothing to send any more."""
    payload = event.payload
    to, to_name, reply_to = payload["to"], payload.get("to_name"), payload.get("reply_to")
    subject, text, ics = payload["subject"], payload["text"], None
    message = EmailMessage()
    message["From"] = sender
    message["To"] = _address(to_name, to)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Message-ID"] = f"<{event.id}@bookingapp>"  # stable: a resend is recognisably the same email
    message.set_content(text)
    if ics:
        message.add_attachment(ics.encode(), maintype="text", subtype="calendar", filename="booking.ics",
                               params={"method": "PUBLISH"})
    return message


def _claim(session: Session, event_id, now: datetime) -> bool:
    claimed = session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event_id, OutboxEvent.dispatched_at.is_(None))
        .values(dispatched_at=now)
    ).rowcount == 1
    session.commit()
    return claimed


def send_pending_emails(session: Session, settings: SmtpSettings, *, now: datetime | None = None, batch: int = 50) -> int:
    """Send up to `batch` unsent emails; returns how many went out."""
    now = resolve_now(now)
    pending = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.topic.startswith(EMAIL_TOPIC_PREFIX), OutboxEvent.dispatched_at.is_(None))
        .order_by(OutboxEvent.created_at)
        .limit(batch)
    ).all()
    sent = 0
    for event in pending:
        if not _claim(session, event.id, now):
            continue  # another worker has it
        try:
            message = build_message(event, settings.sender, session=session, now=now)
            if message is None:
                continue  # the booking is gone: nothing to tell; the claim stays as "done"
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
                if settings.starttls:
                    smtp.starttls()
                if settings.username:
                    smtp.login(settings.username, settings.password or "")
                smtp.send_message(message)
            sent += 1
        except (OSError, smtplib.SMTPException, KeyError, ValueError) as error:
            log.warning("email %s not sent, will retry: %s", event.id, error)
            session.execute(update(OutboxEvent).where(OutboxEvent.id == event.id).values(dispatched_at=None))
            session.commit()
    return sent
