"""The demo's paid deposits are real sandbox payments: the sandbox knows them, so cancelling
a future demo booking refunds its deposit on every door (the domain's cancel command, the
dashboard, the API), also when Stripe is configured. And a refund the provider refuses is
a clear error naming the booking and the payment, not a request field that was not sent."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bookingapp.api.keys import create_api_key
from bookingapp.demo import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, DEMO_SLUG
from bookingapp.domain import cancellation
from bookingapp.domain.payments.refunds import refundable_cents
from bookingapp.extensions import db
from bookingapp.models import Booking, Business
from bookingapp.models.payment import Payment
from bookingapp.payments.sandbox import SandboxProvider
from tests.dashboard.conftest import Dashboard

# The demo is loaded "now": a Monday morning, its future bookings up to two weeks ahead.
NOW = datetime(2030, 6, 3, 7, 0, tzinfo=timezone.utc)
STRIPE_CONFIG = {"STRIPE_SECRET_KEY": "sk_test_not_a_real_key", "STRIPE_API_BASE": "http://127.0.0.1:9",
                 "STRIPE_MAX_NETWORK_RETRIES": 0}


@pytest.fixture
def demo(app, session):
    """The demo loaded through its command, with the clock pinned at NOW."""
    app.config["CLOCK"] = lambda: NOW
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    return session.scalar(select(Business).where(Business.slug == DEMO_SLUG))


def _paid_future_bookings(session, business) -> list[Booking]:
    """Confirmed future demo bookings with a succeeded deposit, soonest last (so the first
    ones are well inside the free-cancellation window's other side: >24 h ahead)."""
    return list(session.scalars(
        select(Booking).join(Payment, Payment.booking_id == Booking.id)
        .where(Booking.business_id == business.id, Booking.status == "confirmed", Booking.starts_at > NOW,
               Payment.kind == "deposit", Payment.status == "succeeded")
        .order_by(Booking.starts_at.desc())
    ).unique())


def _deposit(session, booking) -> Payment:
    return session.scalar(select(Payment).where(Payment.booking_id == booking.id, Payment.kind == "deposit"))


@pytest.mark.slow
def test_every_demo_deposit_is_a_payment_the_sandbox_knows(session, demo):
    paid = _paid_future_bookings(session, demo)
    assert len(paid) > 10  # the demo has plenty of them
    sandbox = SandboxProvider(session, now=lambda: NOW)
    for booking in paid:
        deposit = _deposit(session, booking)
        assert deposit.provider == "sandbox" and deposit.amount_cents == booking.deposit_cents
        intent = sandbox.retrieve_payment_intent(deposit.provider_payment_intent_id)
        assert intent.status == "succeeded" and intent.amount == booking.deposit_cents
        assert intent.metadata["booking_id"] == str(booking.id)


@pytest.mark.slow
def test_cancelling_a_demo_booking_through_the_domain_refunds_its_deposit(session, demo):
    booking = _paid_future_bookings(session, demo)[0]
    outcome = cancellation.cancel(session, SandboxProvider(session, now=lambda: NOW), booking, actor="staff", now=NOW)
    session.commit()
    assert outcome.within_free_window and outcome.refunded_cents == booking.deposit_cents
    assert [r.status for r in outcome.refunds] == ["succeeded"]
    assert _deposit(session, booking).status == "refunded" and refundable_cents(session, booking) == 0


@pytest.mark.slow
@pytest.mark.parametrize("stripe_configured", [False, True], ids=["sandbox", "stripe-configured"])
def test_cancelling_a_demo_booking_in_the_dashboard_refunds_its_deposit(app, session, demo, stripe_configured):
    # With Stripe configured the demo's deposits still live in the sandbox, and are refunded there.
    if stripe_configured:
        app.config.update(STRIPE_CONFIG)
    booking = _paid_future_bookings(session, demo)[0]
    dash = Dashboard(app.test_client())
    assert dash.sign_in(DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD).status_code == 302
    response = dash.post(f"/dashboard/bookings/{booking.id}/status", {"status": "cancelled"}, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Booking, booking.id).status == "cancelled"
    refund = session.scalar(select(Payment).where(Payment.booking_id == booking.id, Payment.kind == "refund"))
    assert refund.status == "succeeded" and refund.amount_cents == booking.deposit_cents


@pytest.mark.slow
def test_cancelling_a_demo_booking_through_the_api_refunds_its_deposit(app, client, session, demo):
    booking = _paid_future_bookings(session, demo)[0]
    _, key = create_api_key(session, demo)
    session.commit()
    response = client.post(f"/api/v1/bookings/{booking.id}/cancel", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["status"] == "cancelled"
    session.expire_all()
    refund = session.scalar(select(Payment).where(Payment.booking_id == booking.id, Payment.kind == "refund"))
    assert refund.status == "succeeded" and refund.amount_cents == booking.deposit_cents


def test_a_refund_the_provider_refuses_names_the_booking_and_payment_and_no_request_field(
        app, client, session, salon, make_customer):
    # A deposit recorded with an intent the sandbox never made (as the old demo did): the
    # provider refuses, the cancellation changes nothing, and the error says what failed.
    from bookingapp.domain import booking as booking_ops
    from tests.helpers import MONDAY, at, before

    business, service, alice, _ = salon
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                         staff=alice, now=before())
    deposit = Payment(id=uuid.uuid4(), business_id=business.id, booking_id=booking.id, kind="deposit",
                      status="succeeded", amount_cents=1000, currency="GBP", provider="sandbox",
                      provider_payment_intent_id="pi_unknown_to_the_sandbox")
    session.add(deposit)
    session.commit()
    _, key = create_api_key(session, business)
    session.commit()
    app.config["CLOCK"] = before

    response = client.post(f"/api/v1/bookings/{booking.id}/cancel", headers={"Authorization": f"Bearer {key}"})
    body = response.get_json()
    assert response.status_code == 400, body
    error = body["error"]
    assert error["code"] == "validation_error" and error.get("param") is None
    assert booking.booking_number in error["message"] and str(deposit.id) in error["message"]
    assert "No such sandbox object: pi_unknown_to_the_sandbox" in error["message"]
    assert error["details"]["payment_id"] == str(deposit.id) and error["details"]["booking_id"] == str(booking.id)
    session.expire_all()
    assert session.get(Booking, booking.id).status == "confirmed"  # nothing was changed
    assert session.scalar(select(Payment).where(Payment.booking_id == booking.id, Payment.kind == "refund")) is None
