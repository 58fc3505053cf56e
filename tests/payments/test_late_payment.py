"""The hard race: a customer pays after the hold ran out. If the time is still free the
booking goes through; if someone took it, the payment is refunded automatically, the
history says so and the customer is sent to pick a new time."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bookingapp.domain import booking as booking_domain
from bookingapp.domain import payments
from bookingapp.domain.errors import SlotUnavailable
from bookingapp.extensions import db
from bookingapp.models import Booking, OutboxEvent
from bookingapp.models.payment import Payment
from bookingapp.payments.stripe import StripeProvider
from tests.helpers import MONDAY, at
from tests.payments.conftest import SECRET_KEY, start_stripe_checkout


@pytest.fixture
def late_checkout(session, make_hold, stripe_provider, fake_stripe, now):
    """A held booking whose checkout was opened at `now` and paid at Stripe, but whose
    (extended) hold has run out by the time we hear of the payment."""
    booking = make_hold(now=now)
    started = start_stripe_checkout(session, stripe_provider, booking, now)
    fake_stripe.pay(started.payment.provider_session_id)
    late = booking.hold_expires_at + timedelta(minutes=1)
    return booking, started.payment, late


def test_late_payment_books_when_the_time_is_still_free(session, late_checkout, stripe_provider, fake_stripe):
    booking, payment, late = late_checkout
    booking_domain.expire_stale_holds(session, now=late)  # the worker got there first
    session.commit()
    assert booking.status == "expired"
    outcome = payments.confirm_checkout(session, stripe_provider, payment.provider_session_id, now=late)
    session.commit()
    assert outcome.result == "booked" and booking.status == "confirmed"
    assert any(e.note == "booked after the hold ran out" for e in booking.history)
    assert fake_stripe.sent("POST", "/v1/refunds") == []


def test_late_payment_is_refunded_when_someone_took_the_time(session, salon, late_checkout, stripe_provider, fake_stripe, make_customer):
    business, service, alice, _ = salon
    booking, payment, late = late_checkout
    rival = booking_domain.create_booking(
        session, business, service, at(MONDAY, 10), make_customer(business), staff=alice, now=late - timedelta(seconds=30),
    )
    session.commit()
    outcome = payments.confirm_checkout(session, stripe_provider, payment.provider_session_id, now=late)
    session.commit()
    assert outcome.result == "refunded_time_taken" and "pick a new time" in outcome.message
    assert booking.status == "expired" and rival.status == "confirmed"
    assert payment.status == "refunded"
    refund = session.query(Payment).filter_by(kind="refund").one()
    assert (refund.amount_cents, refund.status, refund.actor) == (1000, "succeeded", "system")
    (sent,) = fake_stripe.sent("POST", "/v1/refunds")
    assert sent.form["amount"] == "1000" and sent.form["payment_intent"] == payment.provider_payment_intent_id
    assert any("refunded automatically" in (e.note or "") for e in booking.history)  # the owner sees it
    topics = sorted(e.topic for e in session.query(OutboxEvent).filter(OutboxEvent.topic.like("payment.%")))
    assert topics == ["payment.refunded", "payment.succeeded"]
    assert payments.balance(session, booking).net_paid_cents == 0
    # Hearing of the same payment again (webhook after the return page) refunds nothing more.
    again = payments.confirm_checkout(session, stripe_provider, payment.provider_session_id, now=late)
    assert again.result == "refunded_time_taken" and len(fake_stripe.sent("POST", "/v1/refunds")) == 1


def test_customer_sees_a_clear_page_with_a_link_to_pick_a_new_time(session, client, stripe_app, salon, late_checkout, make_customer):
    business, service, alice, _ = salon
    booking, payment, late = late_checkout
    # Make the real clock's "now" later than the hold: move the hold into the past instead.
    booking.hold_expires_at = booking.hold_expires_at - timedelta(hours=2)
    session.commit()
    booking_domain.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), staff=alice)
    session.commit()
    page = client.get(f"/checkout/return?session_id={payment.provider_session_id}")
    assert page.status_code == 409
    text = page.get_data(as_text=True)
    assert "That time is no longer available" in text and "refunded your payment in full" in text
    assert "Pick a new time" in text and f"/{business.slug}" in text


@pytest.mark.slow
def test_late_payment_racing_a_new_booking_for_the_same_time(app, salon, late_checkout, make_customer, fake_stripe):
    """The payment confirmation and a new customer's booking arrive at once, each in its
    own transaction: exactly one gets the time, and a payment that loses is refunded."""
    business, service, alice, _ = salon
    booking, payment, late = late_checkout
    rival_customer = make_customer(business)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def pay():
        with app.app_context():
            provider = StripeProvider(SECRET_KEY, api_base=fake_stripe.base_url, max_network_retries=0)
            barrier.wait()
            outcome = payments.confirm_checkout(db.session, provider, payment.provider_session_id, now=late)
            db.session.commit()
            results["payment"] = outcome.result

    def rival():
        with app.app_context():
            b = db.session.get(type(business), business.id)
            s = db.session.get(type(service), service.id)
            a = db.session.get(type(alice), alice.id)
            c = db.session.get(type(rival_customer), rival_customer.id)
            barrier.wait()
            try:
                booking_domain.create_booking(db.session, b, s, at(MONDAY, 10), c, staff=a, now=late)
                db.session.commit()
                results["rival"] = "booked"
            except SlotUnavailable:
                db.session.rollback()
                results["rival"] = "unavailable"

    threads = [threading.Thread(target=pay), threading.Thread(target=rival)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results["payment"] in ("booked", "refunded_time_taken")
    assert (results["payment"], results["rival"]) in (("booked", "unavailable"), ("refunded_time_taken", "booked"))
    with app.app_context():
        live = db.session.query(Booking).filter(
            Booking.staff_id == alice.id, Booking.status.in_(("held", "confirmed", "pending"))
        ).count()
        refunds = db.session.query(Payment).filter_by(kind="refund").count()
    assert live == 1
    assert refunds == (1 if results["payment"] == "refunded_time_taken" else 0)
