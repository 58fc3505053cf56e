"""A customer's choice about messages that are not about a booking they just made:
unsubscribing stops reminders and review requests (domain.notify.NON_TRANSACTIONAL);
confirmations, moves, cancellations and receipts still go, as the law and the customer
expect of a booking they hold."""
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
    if customer.unsubscribed_at is not None:
        customer.unsubscribed_at = None
        customer.updated_at = resolve_now(now)
        session.flush()
    return customer
