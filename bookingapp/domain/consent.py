"""A customer's consent to non-transactional messages (reminders, review requests).

Unsubscribing keeps the transactional ones (confirmations, moves, cancellations,
receipts): those answer something the customer did or must know. Both functions are
idempotent, so a second click (or a mail client's one-click POST after the browser's)
changes nothing."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bookingapp.domain.clock import resolve_now
from bookingapp.models import Customer


def unsubscribe(session: Session, customer: Customer, *, now: datetime | None = None) -> Customer:
    if customer.unsubscribed_at is None:
        customer.unsubscribed_at = resolve_now(now)
        session.flush()
    return customer


def resubscribe(session: Session, customer: Customer, *, now: datetime | None = None) -> Customer:
    """`now` is taken for symmetry with unsubscribe; clearing the mark needs no time."""
    if customer.unsubscribed_at is not None:
        customer.unsubscribed_at = None
        session.flush()
    return customer
