"""Fixtures for payments: a fake Stripe server the real `stripe` package talks to, signed
webhook deliveries, and held bookings ready to pay for."""
from __future__ import annotations

import json
import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import stripe

from bookingapp.domain import booking as booking_domain
from bookingapp.payments.stripe import StripeProvider
from tests.helpers import MONDAY, at
from tests.payments.fake_stripe import FakeStripe

SECRET_KEY = "sk_test_fake_123"
WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def fake_stripe(httpserver):
    fake = FakeStripe(base_url=httpserver.url_for("").rstrip("/"))
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    return fake


@pytest.fixture
def stripe_app(app, fake_stripe):
    """The app configured for Stripe, pointed at the fake server."""
    app.config.update(
        STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=fake_stripe.base_url, STRIPE_MAX_NETWORK_RETRIES=0,
    )
    return app


@pytest.fixture
def stripe_provider(fake_stripe):
    return StripeProvider(SECRET_KEY, api_base=fake_stripe.base_url, max_network_retries=0)


@pytest.fixture
def now():
    return datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def make_hold(session, salon, make_customer):
    """make_hold(now=..., hour=10) -> a held booking with a customer, committed."""
    business, service, alice, _bob = salon

    def make(*, now: datetime, hour: int = 10, staff=None, business_=None, service_=None):
        b = business_ or business
        customer = make_customer(b)
        held = booking_domain.hold(
            session, b, service_ or service, at(MONDAY, hour), staff=staff or alice, customer=customer, now=now,
        )
        session.commit()
        return held

    return make


def event_body(event_type: str, obj: dict, *, event_id: str | None = None) -> str:
    return json.dumps({
        "id": event_id or f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": event_type,
        "api_version": "2024-06-20", "created": int(time.time()), "livemode": False,
        "data": {"object": obj},
    })


@pytest.fixture
def deliver(client):
    """deliver(type, obj, ...) posts a Stripe-signed event to /webhooks/stripe."""

    def post(event_type: str, obj: dict, *, event_id: str | None = None, secret: str = WEBHOOK_SECRET,
             timestamp: int | None = None, body: str | None = None, tamper: bool = False):
        payload = body or event_body(event_type, obj, event_id=event_id)
        header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
        if tamper:
            payload = payload.replace('"livemode": false', '"livemode": true')
        return client.post(
            "/webhooks/stripe", data=payload.encode(),
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )

    return post


def start_stripe_checkout(session, provider, booking, now):
    from bookingapp.domain import payments

    started = payments.start_checkout(
        session, provider, booking, now=now,
        success_url="http://localhost/checkout/return?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=f"http://localhost/checkout/cancel?booking={booking.id}",
    )
    session.commit()
    return started


__all__ = ["MONDAY", "SECRET_KEY", "WEBHOOK_SECRET", "at", "event_body", "start_stripe_checkout", "timedelta"]
