"""Checkout through the real `stripe` package against the fake Stripe server: what the app
sends, the hold extension, confirmation, refunds and cancelling with the policy."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bookingapp.domain import payments
from bookingapp.domain.errors import HoldExpired, ValidationError
from bookingapp.models import OutboxEvent
from bookingapp.models.payment import Payment
from tests.payments.conftest import SECRET_KEY, start_stripe_checkout
from tests.helpers import customer_emails


def topics(session):
    return [e.topic for e in session.query(OutboxEvent).order_by(OutboxEvent.created_at)]


def test_checkout_sends_amount_currency_metadata_and_idempotency_key(session, salon, make_hold, stripe_provider, fake_stripe, now):
    booking = make_hold(now=now)
    started = start_stripe_checkout(session, stripe_provider, booking, now)
    (sent,) = fake_stripe.sent("POST", "/v1/checkout/sessions")
    assert sent.authorization == f"Bearer {SECRET_KEY}"
    assert sent.form["line_items[0][price_data][unit_amount]"] == "1000"
    assert sent.form["line_items[0][price_data][currency]"] == "gbp"
    assert sent.form["mode"] == "payment"
    assert sent.form["metadata[booking_id]"] == str(booking.id)
    assert sent.form["metadata[payment_id]"] == str(started.payment.id)
    assert sent.form["payment_intent_data[metadata][booking_id]"] == str(booking.id)
    assert sent.idempotency_key == f"checkout-{started.payment.id}"
    assert sent.form["success_url"].endswith("session_id={CHECKOUT_SESSION_ID}")
    # A margin over Stripe's 30-minute minimum, rounded up, so delay can never put it under.
    assert int(sent.form["expires_at"]) == int((now + timedelta(minutes=32)).timestamp())
    assert started.url.startswith("https://checkout.stripe.test/")
    payment = session.get(Payment, started.payment.id)
    assert (payment.status, payment.kind, payment.amount_cents, payment.provider) == ("pending", "deposit", 1000, "stripe")


def test_checkout_extends_the_hold_to_outlast_the_payment_page(session, make_hold, stripe_provider, now):
    booking = make_hold(now=now)
    assert booking.hold_expires_at == now + timedelta(seconds=600)
    start_stripe_checkout(session, stripe_provider, booking, now)
    assert booking.hold_expires_at == now + timedelta(minutes=37)
    assert "hold extended" in booking.history[-1].note


def test_a_second_click_reuses_the_open_checkout(session, make_hold, stripe_provider, fake_stripe, now):
    booking = make_hold(now=now)
    first = start_stripe_checkout(session, stripe_provider, booking, now)
    second = start_stripe_checkout(session, stripe_provider, booking, now + timedelta(minutes=1))
    assert second.payment.id == first.payment.id and len(fake_stripe.sent("POST", "/v1/checkout/sessions")) == 1


def test_checkout_refused_when_the_hold_ran_out_or_nothing_is_due(session, salon, make_hold, stripe_provider, now):
    business = salon[0]
    booking = make_hold(now=now)
    with pytest.raises(HoldExpired):
        start_stripe_checkout(session, stripe_provider, booking, now + timedelta(minutes=11))
    session.rollback()
    business.deposit_policy = "none"
    session.commit()
    with pytest.raises(ValidationError, match="nothing to pay"):
        start_stripe_checkout(session, stripe_provider, make_hold(now=now, hour=12), now)


def test_full_prepayment_charges_the_discounted_total(session, salon, make_hold, stripe_provider, fake_stripe, now):
    from bookingapp.domain import pricing
    from bookingapp.models.payment import Promotion

    business = salon[0]
    business.deposit_policy = "full_prepayment"
    session.add(Promotion(business_id=business.id, code="TENOFF", kind="fixed", amount_off_cents=1000))
    session.commit()
    booking = make_hold(now=now)
    pricing.apply_promotion(session, booking, business, "tenoff", now=now)
    started = start_stripe_checkout(session, stripe_provider, booking, now)
    assert started.payment.kind == "prepayment" and started.payment.amount_cents == 4000
    assert fake_stripe.sent("POST", "/v1/checkout/sessions")[0].form["line_items[0][price_data][unit_amount]"] == "4000"


def test_paid_checkout_books_and_balance_is_derived(session, salon, make_hold, stripe_provider, fake_stripe, now):
    business = salon[0]
    booking = make_hold(now=now)
    started = start_stripe_checkout(session, stripe_provider, booking, now)
    fake_stripe.pay(started.payment.provider_session_id)
    outcome = payments.confirm_checkout(session, stripe_provider, started.payment.provider_session_id, now=now)
    session.commit()
    assert outcome.result == "booked" and booking.status == "confirmed"
    bal = payments.balance(session, booking, business)
    assert (bal.paid_cents, bal.net_paid_cents, bal.owed_cents, bal.due_now_cents) == (1000, 1000, 4000, 0)
    assert sorted(topics(session)) == ["booking.created", "payment.succeeded"]
    # The booking's confirmation email to the customer is recorded with it (domain.notify).
    assert [m.kind for m in customer_emails(session, booking.id)] == ["booking_confirmed"]


def test_unpaid_session_changes_nothing(session, make_hold, stripe_provider, now):
    booking = make_hold(now=now)
    started = start_stripe_checkout(session, stripe_provider, booking, now)
    outcome = payments.confirm_checkout(session, stripe_provider, started.payment.provider_session_id, now=now)
    assert outcome.result == "pending" and booking.status == "held" and started.payment.status == "pending"


def test_owner_refunds_part_then_the_rest_and_no_more(session, make_hold, stripe_provider, fake_stripe, now):
    booking = make_hold(now=now)
    started = start_stripe_checkout(session, stripe_provider, booking, now)
    fake_stripe.pay(started.payment.provider_session_id)
    payments.confirm_checkout(session, stripe_provider, started.payment.provider_session_id, now=now)
    session.commit()
    (part,) = payments.refund(session, stripe_provider, booking, 300, reason="late start", now=now, actor="owner")
    session.commit()
    assert (part.kind, part.status, part.amount_cents, part.refund_of_id) == ("refund", "succeeded", 300, started.payment.id)
    assert started.payment.status == "partially_refunded"
    (sent,) = fake_stripe.sent("POST", "/v1/refunds")
    assert sent.form["amount"] == "300" and sent.idempotency_key == f"refund-{part.id}"
    with pytest.raises(ValidationError, match="At most £7.00"):
        payments.refund(session, stripe_provider, booking, 701, now=now)
    session.rollback()
    payments.refund(session, stripe_provider, booking, 700, now=now)
    session.commit()
    assert started.payment.status == "refunded"
    assert payments.balance(session, booking).net_paid_cents == 0
    assert topics(session).count("payment.refunded") == 2
    assert any("refunded £3.00: late start" in (e.note or "") for e in booking.history)
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ValidationError):
            payments.refund(session, stripe_provider, booking, bad, now=now)


def _paid_booking(session, make_hold, stripe_provider, fake_stripe, now):
    booking = make_hold(now=now)
    started = start_stripe_checkout(session, stripe_provider, booking, now)
    fake_stripe.pay(started.payment.provider_session_id)
    payments.confirm_checkout(session, stripe_provider, started.payment.provider_session_id, now=now)
    session.commit()
    return booking


def test_cancel_within_free_window_refunds_the_deposit(session, make_hold, stripe_provider, fake_stripe, now):
    booking = _paid_booking(session, make_hold, stripe_provider, fake_stripe, now)
    result = payments.cancel_with_policy(session, stripe_provider, booking, now=now)
    session.commit()
    assert result.within_free_window and result.refunded_cents == 1000 and booking.status == "cancelled"
    assert payments.balance(session, booking).net_paid_cents == 0


def test_cancel_after_the_window_keeps_the_deposit(session, make_hold, stripe_provider, fake_stripe, now):
    booking = _paid_booking(session, make_hold, stripe_provider, fake_stripe, now)
    late = booking.starts_at - timedelta(hours=2)
    result = payments.cancel_with_policy(session, stripe_provider, booking, now=late)
    session.commit()
    assert not result.within_free_window and result.refunded_cents == 0 and booking.status == "cancelled"
    assert fake_stripe.sent("POST", "/v1/refunds") == []


def test_failed_refund_at_stripe_leaves_the_booking_uncancelled(session, make_hold, stripe_provider, fake_stripe, now):
    booking = _paid_booking(session, make_hold, stripe_provider, fake_stripe, now)
    fake_stripe.fail_next = 1
    with pytest.raises(payments.PaymentUnavailable):
        payments.cancel_with_policy(session, stripe_provider, booking, now=now)
    session.rollback()
    assert booking.status == "confirmed" and session.query(Payment).filter_by(kind="refund").count() == 0
