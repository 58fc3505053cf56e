"""The booking confirmation email, recorded in the outbox in the booking's transaction;
the worker sends it after commit when SMTP is configured."""
from __future__ import annotations

from datetime import datetime

from flask import render_template
from sqlalchemy.orm import Session

from bookingapp.domain.outbox import booking_payload, record_event
from bookingapp.models import Booking, Business

TOPIC = "email.booking_confirmation"


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
