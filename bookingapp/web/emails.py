"""The booking confirmation email, recorded in the outbox in the booking's transaction;
the worker sends it after commit when SMTP is configured."""
from __future__ import annotations

from datetime import datetime

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from bookingapp.domain.outbox import booking_payload, record_event
from bookingapp.models import Booking, Business, OutboxEvent

TOPIC = "email.booking_confirmation"


def confirmation_recorded(session: Session, booking: Booking) -> bool:
    """Whether this booking's confirmation is already in the outbox. A paid booking may be
    confirmed by the return page or by the provider's webhook first, so the return page
    asks before recording one."""
    candidates = session.scalars(
        select(OutboxEvent.payload).where(
            OutboxEvent.business_id == booking.business_id, OutboxEvent.topic == TOPIC,
            OutboxEvent.created_at >= booking.created_at,
        )
    )
    return any((payload or {}).get("booking", {}).get("id") == str(booking.id) for payload in candidates)


def record_confirmation_email(
    session: Session, booking: Booking, business: Business, *, manage_url: str, ics_url: str, now: datetime,
) -> None:
    subject = f"Your booking at {business.name}: {booking.booking_number}"
    body = render_template(
        "web/email_booking_confirmation.txt", booking=booking, business=business, manage_url=manage_url, ics_url=ics_url,
    )
    record_event(session, business.id, TOPIC, {
        "to": booking.customer.email,
        "to_name": booking.customer.name,
        "reply_to": business.email,
        "subject": subject,
        "text": body,
        "manage_url": manage_url,
        "ics_url": ics_url,
        "booking": booking_payload(booking),
    }, now=now)
