"""Releasing a hold or reservation (the API's DELETE), on top of domain.payments'
cancellation policy. It lives apart from booking.py because it needs payments, which
imports booking."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bookingapp.domain import payments
from bookingapp.domain.errors import ValidationError
from bookingapp.domain.states import BookingStatus as S
from bookingapp.models import Booking

RELEASABLE = (S.HELD.value, S.RESERVED.value)


def release(session: Session, provider, booking: Booking, *, now: datetime, actor: str) -> payments.CancelOutcome:
    """Let go of a hold or a reservation. A made booking is cancelled, never released, so
    its history and the customer's notification are kept. Anything already paid on a
    reservation is refunded in full: the business gave the slot up, not the customer."""
    if booking.status not in RELEASABLE:
        raise ValidationError("Only a hold or a reservation can be deleted; cancel a booking instead.",
                              param="status", details={"status": booking.status})
    return payments.cancel_with_policy(session, provider, booking, reason="released", now=now, actor=actor,
                                       refund_everything=True)
