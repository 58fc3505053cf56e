"""Messages to people, recorded by the domain in the outbox in the same transaction as the
change that calls for them; the worker renders and sends them after commit
(bookingapp/notifications/email.py). So every door (wizard, manage link, dashboard, API,
payment events) gives the customer the same emails, and a rolled-back change sends none.

A message names its kind and its booking; what it says is decided when it is rendered,
from the booking as it then is and the facts recorded here (the old time of a move, who
cancelled, what was refunded)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bookingapp.domain.outbox import booking_payload, iso, record_event
from bookingapp.models import Booking, OutboxEvent

CUSTOMER_EMAIL_TOPIC = "email.customer"

BOOKING_CONFIRMED = "booking_confirmed"
BOOKING_PENDING = "booking_pending"        # made, waiting for the business's approval
BOOKING_APPROVED = "booking_approved"      # a pending booking the business confirmed
BOOKING_RESCHEDULED = "booking_rescheduled"
BOOKING_CANCELLED = "booking_cancelled"
CUSTOMER_KINDS = (BOOKING_CONFIRMED, BOOKING_PENDING, BOOKING_APPROVED, BOOKING_RESCHEDULED, BOOKING_CANCELLED)


def customer_email(
    session: Session, booking: Booking, kind: str, *, now: datetime, facts: dict[str, Any] | None = None,
) -> OutboxEvent | None:
    """Record one email to the booking's customer; None when there is nobody to write to
    (a walk-in without an email address) or the booking is a test booking (made with a test
    API key: an integrator's trial must never write to a real person)."""
    if kind not in CUSTOMER_KINDS:
        raise ValueError(f"unknown customer message {kind!r}")
    customer = booking.customer
    if customer is None or not customer.email or booking.is_test:
        return None
    return record_event(session, booking.business_id, CUSTOMER_EMAIL_TOPIC, {
        "kind": kind,
        "booking_id": str(booking.id),
        "to": customer.email,
        "to_name": customer.name,
        "booking": booking_payload(booking),
        **(facts or {}),
    }, now=now)


def booked_kind(booking: Booking) -> str:
    """The message for a booking just made: confirmed at once, or waiting for approval."""
    return BOOKING_CONFIRMED if booking.status == "confirmed" else BOOKING_PENDING


def rescheduled_facts(old: Booking) -> dict[str, Any]:
    return {"previous_starts_at": iso(old.starts_at), "previous_booking_number": old.booking_number}


def cancelled_facts(*, by_customer: bool, refunded_cents: int, kept_cents: int, currency: str) -> dict[str, Any]:
    return {
        "cancelled_by": "customer" if by_customer else "business",
        "refunded_cents": refunded_cents,
        "kept_cents": kept_cents,
        "currency": currency,
    }
