"""Payment providers, chosen by configuration.

* STRIPE_SECRET_KEY set: Stripe Checkout through the official `stripe` package
  (STRIPE_WEBHOOK_SECRET verifies /webhooks/stripe; STRIPE_API_BASE, optional, points the
  client at another API address, which the tests use for a local fake Stripe server).
* otherwise: the sandbox provider, a local hosted checkout page that takes Stripe's test
  card numbers and moves no real money, so the whole flow works on a fresh machine.
"""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from bookingapp.payments.base import (
    CHECKOUT_LIFETIME, CheckoutSession, PaymentProvider, ProviderRejected, ProviderUnavailable,
)


def provider_name(config: Mapping) -> str:
    return "stripe" if config.get("STRIPE_SECRET_KEY") else "sandbox"


def make_provider(config: Mapping, session: Session, *, url_for_checkout=None) -> PaymentProvider:
    """The provider for this configuration.

    The sandbox keeps its checkout sessions in our own database, in the caller's
    transaction, so it needs the session; `url_for_checkout(session_id)` builds the URL of
    its hosted page (the HTTP layer passes one built with url_for)."""
    if provider_name(config) == "stripe":
        from bookingapp.payments.stripe import StripeProvider

        return StripeProvider(
            config["STRIPE_SECRET_KEY"],
            api_base=config.get("STRIPE_API_BASE") or None,
            max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES", 2)),
        )
    from bookingapp.payments.sandbox import SandboxProvider

    return SandboxProvider(session, url_for_checkout=url_for_checkout)


def current_provider() -> PaymentProvider:
    """The provider for the current Flask app and request session (HTTP layer only)."""
    from flask import current_app, url_for

    from bookingapp.extensions import db

    return make_provider(
        current_app.config,
        db.session,
        url_for_checkout=lambda sid: url_for("payments.sandbox_checkout", session_id=sid, _external=True),
    )


__all__ = [
    "CHECKOUT_LIFETIME", "CheckoutSession", "PaymentProvider", "ProviderRejected", "ProviderUnavailable",
    "current_provider", "make_provider", "provider_name",
]
