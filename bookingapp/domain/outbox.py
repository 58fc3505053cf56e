"""Recording outgoing events in the outbox, inside the caller's transaction."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from bookingapp.models import Booking
from bookingapp.models.outbox import OutboxEvent
from bookingapp.domain.clock import resolve_now


def record_event(session: Session, business_id, topic: str, payload: dict[str, Any], *, now: datetime | None = None) -> OutboxEvent:
    event = OutboxEvent(
        business_id=business_id, topic=topic, payload=payload, created_at=resolve_now(now)
    )
    session.add(event)
    return event


def iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else None


def booking_payload(booking: Booking) -> dict[str, Any]:
    """The booking as webhook receivers see it: ids and the facts that change."""
    return {
        "id": str(booking.id),
        "booking_number": booking.booking_number,
        "status": booking.status,
        "service_id": str(booking.service_id),
        "staff_id": str(booking.staff_id),
        "customer_id": str(booking.customer_id) if booking.customer_id else None,
        "start_at": iso(booking.starts_at),
        "end_at": iso(booking.ends_at),
        "source": booking.source,
        "price_cents": booking.price_cents,
        "deposit_cents": booking.deposit_cents,
        "currency": booking.currency,
        "cancellation_reason": booking.cancellation_reason,
        "cancelled_at": iso(booking.cancelled_at),
        "rescheduled_from_id": str(booking.rescheduled_from_id) if booking.rescheduled_from_id else None,
        "rescheduled_to_id": str(booking.rescheduled_to_id) if booking.rescheduled_to_id else None,
        # As Stripe marks its events: false for a test booking (made with a test API key), so
        # a receiver can keep test traffic out of its live records.
        "livemode": not booking.is_test,
    }
