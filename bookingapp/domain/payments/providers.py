"""Which payment provider acts on a booking's money.

The doors pass the business's configured provider (Stripe when configured, else the
sandbox). Two things can override it, and they are decided here, once:

* A test booking (made with a test API key) never reaches a real provider: its new
  payments go through the sandbox whatever is configured (`provider_for_booking`).
* A payment is refunded, closed and read back through the provider that made it
  (`provider_for_payment`): a sandbox payment (a test booking's, the demo's deposits) is
  refunded in the sandbox even when Stripe is configured, since Stripe has never heard of
  it.

The sandbox made here builds its hosted page's address without Flask (a path,
/sandbox/checkout/<id>), which a browser follows as it is.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookingapp.models import Booking
from bookingapp.models.payment import Payment
from bookingapp.payments.base import PaymentProvider
from bookingapp.payments.sandbox import SandboxProvider

SANDBOX = SandboxProvider.name


def _sandbox(session: Session, configured: PaymentProvider) -> PaymentProvider:
    if getattr(configured, "name", None) == SANDBOX:
        return configured  # keep the caller's (its page address is built by the HTTP layer)
    return SandboxProvider(session)


def provider_for_booking(session: Session, booking: Booking, configured: PaymentProvider) -> PaymentProvider:
    """The provider a booking's new payments go through: the sandbox for a test booking,
    the configured one otherwise."""
    if booking.is_test:
        return _sandbox(session, configured)
    return configured


def provider_for_payment(session: Session, payment: Payment, configured: PaymentProvider) -> PaymentProvider:
    """The provider that holds `payment`: the sandbox for a payment made there, the
    configured one otherwise (it is the only real provider the app talks to)."""
    if payment.provider == SANDBOX:
        return _sandbox(session, configured)
    return configured


def sandbox_serves_with_real_provider(session: Session, checkout_session_id: str) -> bool:
    """With a real provider configured, whether the sandbox's hosted page may still serve
    this checkout session: only a test booking's (a live booking pays on the real
    provider's page, never on a page that moves no money)."""
    payment = session.scalar(select(Payment).where(Payment.provider_session_id == checkout_session_id))
    if payment is None or payment.provider != SANDBOX:
        return False
    booking = session.get(Booking, payment.booking_id)
    return booking is not None and bool(booking.is_test)
