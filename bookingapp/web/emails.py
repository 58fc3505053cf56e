"""The booking confirmation email, recorded in the outbox in the booking's transaction;
the worker sends it after commit when SMTP is configured."""
from __future__ import annotations

from datetime import datetime

from flask import render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from bookingapp.domain.outbox import booking_payload, record_event
from bookingapp.models import Booking, Business, OutboxEvent
from bookingapp.models.payment import Payment
from bookingapp.web.links import manage_token

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


def manage_url(business: Business, booking: Booking) -> str:
    return url_for("web.manage", slug=business.slug, token=manage_token(booking.id), _external=True)


def ics_url(business: Business, booking: Booking) -> str:
    return url_for("web.booking_calendar", slug=business.slug, token=manage_token(booking.id), _external=True)


def ensure_confirmation_email(session: Session, booking: Booking, business: Business, *, now: datetime) -> None:
    """Record the booking's confirmation unless it already is. A paid booking is confirmed
    by whichever arrives first, the customer's return or the provider's event; both call
    this, so the customer gets exactly one email even if they never come back."""
    if not confirmation_recorded(session, booking):
        record_confirmation_email(
            session, booking, business, manage_url=manage_url(business, booking), ics_url=ics_url(business, booking), now=now,
        )


def ensure_confirmation_for_checkout(session: Session, provider_session_id: str | None, *, now: datetime) -> None:
    """After a provider event booked a checkout's booking: its confirmation email."""
    if not provider_session_id:
        return
    payment = session.scalars(select(Payment).where(Payment.provider_session_id == provider_session_id)).first()
    if payment is None:
        return
    booking = session.get(Booking, payment.booking_id)
    if booking is not None and booking.customer is not None and booking.status in ("pending", "confirmed"):
        ensure_confirmation_email(session, booking, session.get(Business, booking.business_id), now=now)
