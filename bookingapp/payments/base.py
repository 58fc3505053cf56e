"""The payment provider interface: what the domain asks of Stripe or of the sandbox.

The domain never trusts what a browser or an event body says about money. It asks the
provider, by id, through these calls, and acts on the answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

# Stripe refuses a Checkout Session that expires sooner than 30 minutes after it is
# created, measured on Stripe's clock when the request arrives. Our expiry is computed
# before the call (and the caller's `now` may be a moment old), so ask for a little more
# than the minimum: network delay and clock skew can then never push it under 30.
STRIPE_MINIMUM_LIFETIME = timedelta(minutes=30)
CHECKOUT_LIFETIME = timedelta(minutes=32)


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered with an error worth retrying.
    The webhook answers 503 so that Stripe delivers the event again."""


class ProviderRejected(Exception):
    """The provider refused the request itself (bad parameters, nothing to refund)."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None
    status: str                       # open | complete | expired
    payment_status: str               # paid | unpaid | no_payment_required
    amount_total: int
    currency: str                     # lower-case, as Stripe sends it
    payment_intent_id: str | None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: str                       # succeeded | requires_payment_method | processing | canceled ...
    amount: int
    currency: str
    metadata: dict[str, str] = field(default_factory=dict)
    failure_message: str | None = None


@dataclass(frozen=True)
class Charge:
    id: str
    payment_intent_id: str | None
    amount: int
    amount_refunded: int
    currency: str


@dataclass(frozen=True)
class Refund:
    id: str
    status: str                       # succeeded | pending | failed | canceled
    amount: int


class PaymentProvider(Protocol):
    """What every provider offers. `name` is stored on each payment row."""

    name: str

    def create_checkout_session(
        self,
        *,
        amount_cents: int,
        currency: str,
        description: str,
        metadata: dict[str, str],
        success_url: str,
        cancel_url: str,
        expires_at: datetime,
        idempotency_key: str,
        customer_email: str | None = None,
    ) -> CheckoutSession:
        """Create a hosted checkout page for one amount. `success_url` may contain
        Stripe's literal placeholder {CHECKOUT_SESSION_ID}."""

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession: ...

    def expire_checkout_session(self, session_id: str) -> CheckoutSession:
        """Close an open hosted page so it can no longer be paid. ProviderRejected when
        the page is not open any more (already paid, or expired)."""

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent: ...

    def retrieve_charge(self, charge_id: str) -> Charge: ...

    def create_refund(
        self, *, payment_intent_id: str, amount_cents: int, metadata: dict[str, str], idempotency_key: str
    ) -> Refund: ...
