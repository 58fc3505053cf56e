"""Cancelling and releasing bookings from the business's side (the API's cancel, PATCH
status=cancelled and DELETE), on top of domain.payments' cancellation policy, so that a
booking cancelled through the API is refunded exactly as one cancelled on the manage page.

(These could live in booking.py; they are here because they need payments, which imports
booking, and because booking.py is edited by others at the time of writing.)"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bookingapp.domain import payments
from bookingapp.domain.errors import ValidationError
from bookingapp.domain.states import BookingStatus as S
from bookingapp.models import Booking

RELEASABLE = (S.HELD.value, S.RESERVED.value)


def cancel_per_policy(session: Session, provider, booking: Booking, *, reason: str | None = None,
                      now: datetime, actor: str) -> payments.CancelOutcome:
    """Cancel and refund what the business's cancellation policy returns (the same terms the
    manage page shows), in one transaction. Caller commits."""
    return payments.cancel_with_policy(session, provider, booking, reason=reason, now=now, actor=actor)


def release(session: Session, provider, booking: Booking, *, now: datetime, actor: str) -> payments.CancelOutcome:
    """Let go of a hold or a reservation. A made booking is cancelled, never released, so
    its history and the customer's notification are kept. Anything already paid on a
    reservation is refunded in full: the business gave the slot up, not the customer."""
    if booking.status not in RELEASABLE:
        raise ValidationError("Only a hold or a reservation can be deleted; cancel a booking instead.",
                              param="status", details={"status": booking.status})
    return payments.cancel_with_policy(session, provider, booking, reason="released", now=now, actor=actor,
                                       refund_everything=True)
