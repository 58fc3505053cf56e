"""Sending the emails recorded in the outbox (topics "email.*") over SMTP.

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


def build_message(event: OutboxEvent, sender: str) -> EmailMessage:
    payload = event.payload
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f'{payload.get("to_name") or ""} <{payload["to"]}>'.strip()
    if payload.get("reply_to"):
        message["Reply-To"] = payload["reply_to"]
    message["Subject"] = payload["subject"]
    message["Message-ID"] = f"<{event.id}@bookingapp>"  # stable: a resend is recognisably the same email
    message.set_content(payload["text"])
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
            message = build_message(event, settings.sender)
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
                if settings.starttls:
                    smtp.starttls()
                if settings.username:
                    smtp.login(settings.username, settings.password or "")
                smtp.send_message(message)
            sent += 1
        except (OSError, smtplib.SMTPException, KeyError) as error:
            log.warning("email %s not sent, will retry: %s", event.id, error)
            session.execute(update(OutboxEvent).where(OutboxEvent.id == event.id).values(dispatched_at=None))
            session.commit()
    return sent
