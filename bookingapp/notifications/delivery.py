"""Sending the messages the domain recorded (table `messages`): each once, over its channel,
retried with backoff when the channel fails for a while, and every outcome written on the
row (the delivery log) and, for failures, in the log.

One message at a time: it is claimed with a conditional UPDATE (due and pending, or
"sending" under a lease that ran out because its worker died) that sets it "sending" until
a lease ends and counts the attempt, committed at once. Only one worker can win that
UPDATE, and no database lock or snapshot is held while the SMTP server or Twilio answers.
The outcome is written only if the row still carries this claim (status "sending" and the
attempt number it was claimed with), so a worker that stalled past its lease cannot
overwrite what the worker that took over recorded. A message whose worker died mid-send is
sent again when its lease runs out; the repeated Message-ID lets mail clients drop the copy.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bookingapp import metrics
from bookingapp.config import DEFAULT_MAIL_RECORD_DIR
from bookingapp.domain.clock import resolve_now
from bookingapp.models import Business, Message
from bookingapp.notifications.email import EmailChannel, EmailError, EmlFileEmail, SmtpEmail, build_email, smtp_settings
from bookingapp.notifications.sms import RecordingSms, SmsError, SmsProvider, TwilioSms

from bookingapp.notifications.messages import render
from bookingapp.domain.reminders import skip_reason

log = logging.getLogger(__name__)

# Outlasts one send by far (SMTP and Twilio time out after 10 seconds per step).
LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY_GAP = timedelta(hours=1)
# 1 + 2 + 4 + ... minutes: the eighth attempt comes about two hours after the first.
MAX_ATTEMPTS = 8
OUTCOMES = ("sent", "recorded", "skipped", "retrying", "failed")


@dataclass(frozen=True)
class Channels:
    email: EmailChannel
    sms: SmsProvider


def channels_from_config(config: Mapping) -> Channels:
    """SMTP when SMTP_HOST is set, else .eml files in MAIL_RECORD_DIR; Twilio when its
    account, token and number are set, else SMS are only recorded."""
    settings = smtp_settings(config)
    if settings is not None:
        email: EmailChannel = SmtpEmail(settings)
    else:
        email = EmlFileEmail(config.get("MAIL_RECORD_DIR") or DEFAULT_MAIL_RECORD_DIR,
                             sender=config.get("SMTP_SENDER") or "bookings@localhost")
    sid, token, number = (config.get(f"TWILIO_{name}") for name in ("ACCOUNT_SID", "AUTH_TOKEN", "FROM_NUMBER"))
    if sid and token and number:
        sms: SmsProvider = TwilioSms(sid, token, number, api_base=config.get("TWILIO_API_BASE") or None)
    else:
        sms = RecordingSms()
    return Channels(email=email, sms=sms)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after the attempt that failed, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY_GAP)


def _due(now: datetime):
    return or_(
        and_(Message.status == "pending", Message.due_at <= now),
        and_(Message.status == "sending", Message.claimed_until < now),  # its worker died
    )


def claim(session: Session, message_id: uuid.UUID, *, now: datetime, lease: timedelta = LEASE) -> int | None:
    """Take one due message for this worker, committed; the attempt number it now carries
    (the claim's token), or None when it is not due any more (another worker took it)."""
    attempt = session.execute(
        update(Message)
        .where(Message.id == message_id, _due(now))
        .values(status="sending", claimed_until=now + lease, attempts=Message.attempts + 1)
        .returning(Message.attempts)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    session.commit()
    return attempt


def _record(session: Session, message_id: uuid.UUID, attempt: int, **values) -> bool:
    """Write the outcome of this worker's attempt, if the message is still its own."""
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == "sending", Message.attempts == attempt)
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if result.rowcount != 1:
        log.warning("message %s: attempt %s outlived its lease; another worker has it now", message_id, attempt)
        return False
    return True


def _retry_or_fail(session: Session, message_id: uuid.UUID, attempt: int, reason: str, *, now: datetime) -> str:
    if attempt >= MAX_ATTEMPTS:
        log.error("message %s failed for good after %s attempts: %s", message_id, attempt, reason)
        _record(session, message_id, attempt, status="failed",
                last_error=f"{reason} (gave up after {attempt} attempts)")
        return "failed"
    retry_at = now + retry_delay(attempt)
    log.warning("message %s not sent (attempt %s), retrying at %s: %s",
                message_id, attempt, retry_at.isoformat(), reason)
    _record(session, message_id, attempt, status="pending", due_at=retry_at, last_error=reason)
    return "retrying"


def deliver(session: Session, channels: Channels, message_id: uuid.UUID, *, now: datetime) -> str | None:
    """Claim, check, render and send one message; its outcome (one of OUTCOMES), or None
    when another worker had it."""
    attempt = claim(session, message_id, now=now)
    if attempt is None:
        return None
    try:
        message = session.get(Message, message_id)
        if message is None:  # its booking was deleted meanwhile, and the message with it
            return None
        reason = skip_reason(session, message, now=now)
        if reason:
            log.info("message %s (%s) skipped: %s", message_id, message.kind, reason)
            _record(session, message_id, attempt, status="skipped", last_error=reason)
            return "skipped"
        rendered = render(session, message, now=now)
        if message.channel == "email":
            business = session.get(Business, message.business_id)
            email = build_email(rendered, message_id=message.id, to=message.recipient, to_name=message.recipient_name,
                                sender=channels.email.sender, sender_name=business.name, now=now)
            session.rollback()  # read-only so far: hold no snapshot while the server answers
            channel = channels.email
            reference = channel.send(email)
        else:
            to, body = message.recipient, rendered.body
            session.rollback()
            channel = channels.sms
            reference = channel.send(to, body)
    except (EmailError, SmsError) as error:
        session.rollback()
        if error.permanent:
            log.error("message %s refused for good: %s", message_id, error)
            _record(session, message_id, attempt, status="failed", last_error=str(error))
            return "failed"
        return _retry_or_fail(session, message_id, attempt, str(error), now=now)
    except Exception as error:  # a bug or a broken row must not stop the others, nor lose this one
        session.rollback()
        log.exception("message %s could not be rendered or sent", message_id)
        return _retry_or_fail(session, message_id, attempt, f"{type(error).__name__}: {error}", now=now)
    log.info("message %s %s by %s (%s)", message_id, channel.outcome, channel.name, reference or "no reference")
    metrics.MESSAGE_SENDS.labels(channel.name, channel.outcome).inc()
    _record(session, message_id, attempt, status=channel.outcome, sent_at=now, provider_ref=reference or None,
            last_error=None)
    return channel.outcome


def send_due_messages(session: Session, channels: Channels, *, now: datetime | None = None,
                      batch: int = 50) -> dict[str, int]:
    """Send up to `batch` due messages, oldest due first; how many ended each way. Commits
    as it goes (each claim and each outcome), so call it with no work of your own pending."""
    counts = dict.fromkeys(OUTCOMES, 0)
    first = resolve_now(now)
    due_ids = session.scalars(
        select(Message.id).where(_due(first)).order_by(Message.due_at, Message.id).limit(batch)
    ).all()
    session.commit()  # end the read; each claim and outcome is its own transaction
    for message_id in due_ids:
        # The clock read per message: with a real clock, a slow pass must not hand out leases
        # that already ran out.
        outcome = deliver(session, channels, message_id, now=resolve_now(now))
        if outcome is not None:
            counts[outcome] += 1
    return counts
