"""Paying twice must not be possible, and must not cost the customer if it happens: the
open page is reused after a decline, an old page is closed at Stripe before a new one
opens, and a second payment for a booking already paid is refunded automatically. Also
the checkout's expiry margin, a customer's cancel after the start, the async-payment
failure event and the payment intent linked late, as Stripe does."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bookingapp.domain import payments
from bookingapp.domain.errors import ValidationError
from bookingapp.models import Booking
from bookingapp.models.payment import Payment
from tests.payments.conftest import start_stripe_checkout


def incoming(session, booking):
    return [p for p in payments.payments_of(session, booking) if p.kind != "refund"]


def test_after_a_decline_the_same_open_page_is_reused(session, stripe_app, make_hold, stripe_provider, fake_stripe, deliver, now):
    booking = make_hold(now=now)
    first = start_stripe_checkout(session, stripe_provider, booking, now)
    intent = fake_stripe.decline(first.payment.provider_session_id)
    assert deliver("payment_intent.payment_failed", intent).json["outcome"] == "failed"
    session.expire_all()
    assert session.get(Payment, first.payment.id).status == "failed"
    again = start_stripe_checkout(session, stripe_provider, booking, now + timedelta(minutes=2))
    assert again.payment.id == first.payment.id and again.url == first.url
    assert len(fake_stripe.sent("POST", "/v1/checkout/sessions")) == 1
    # Another card on the same page succeeds, once.
    fake_stripe.pay(first.payment.provider_session_id)
    outcome = payments.confirm_checkout(session, stripe_provider, first.payment.provider_session_id, now=now)
    session.commit()
    assert outcome.result == "booked" and [p.status for p in incoming(session, booking)] == ["succeeded"]


def test_a_page_about_to_expire_is_closed_at_stripe_before_a_new_one_opens(session, make_hold, stripe_provider, fake_stripe, now):
    booking = make_hold(now=now)
    first = start_stripe_checkout(session, stripe_provider, booking, now)
    later = first.expires_at - timedelta(minutes=2)  # too little time left to send the customer there
    second = start_stripe_checkout(session, stripe_provider, booking, later)
    assert second.payment.id != first.payment.id
    (expired,) = fake_stripe.sent("POST", f"/v1/checkout/sessions/{first.payment.provider_session_id}/expire")
    assert fake_stripe.sessions[first.payment.provider_session_id]["status"] == "expired"
    old = session.get(Payment, first.payment.id)
    assert (old.status, old.failure_reason) == ("failed", "expired")
    assert [p.id for p in payments.open_checkouts(session, booking)] == [second.payment.id]


def test_an_old_page_found_paid_when_closing_it_books_and_no_new_page_opens(session, make_hold, stripe_provider, fake_stripe, now):
    booking = make_hold(now=now)
    first = start_stripe_checkout(session, stripe_provider, booking, now)
    fake_stripe.pay(first.payment.provider_session_id)  # paid, but we have not heard yet
    later = first.expires_at - timedelta(minutes=2)
    again = payments.start_checkout(
        session, stripe_provider, booking, now=later,
        success_url="http://localhost/r?session_id={CHECKOUT_SESSION_ID}", cancel_url="http://localhost/c",
    )
    session.commit()
    assert again.payment.id == first.payment.id
    assert again.url == f"http://localhost/r?session_id={first.payment.provider_session_id}"
    assert booking.status == "confirmed" and len(fake_stripe.sent("POST", "/v1/checkout/sessions")) == 1


def test_a_second_payment_for_a_booking_already_paid_is_refunded_automatically(session, make_hold, stripe_provider, fake_stripe, now):
    """Two pages both paid (e.g. two tabs racing past the reuse check): the second payment
    is refunded in full and the booking keeps exactly one deposit."""
    booking = make_hold(now=now)
    first = start_stripe_checkout(session, stripe_provider, booking, now)
    # Pretend the first page was closed (as after an expiry event that was wrong), so a
    # second page opens while Stripe's first page can still be paid.
    first.payment.status, first.payment.failure_reason = "failed", "expired"
    session.commit()
    second = start_stripe_checkout(session, stripe_provider, booking, now)
    assert second.payment.id != first.payment.id
    fake_stripe.pay(first.payment.provider_session_id)
    fake_stripe.pay(second.payment.provider_session_id)
    one = payments.confirm_checkout(session, stripe_provider, first.payment.provider_session_id, now=now)
    two = payments.confirm_checkout(session, stripe_provider, second.payment.provider_session_id, now=now)
    session.commit()
    assert one.result == "booked" and booking.status == "confirmed"
    assert two.result == "refunded_duplicate" and "refunded in full" in two.message
    assert second.payment.status == "refunded" and first.payment.status == "succeeded"
    (refund,) = fake_stripe.sent("POST", "/v1/refunds")
    assert refund.form["amount"] == "1000"
    assert refund.form["payment_intent"] == second.payment.provider_payment_intent_id
    bal = payments.balance(session, booking)
    assert (bal.net_paid_cents, bal.owed_cents) == (1000, 4000)
    assert any(payments.DUPLICATE_REASON in (e.note or "") for e in booking.history)
    # Hearing of it again (the webhook after the return page) refunds nothing more.
    assert payments.confirm_checkout(session, stripe_provider, second.payment.provider_session_id, now=now).result == "refunded_duplicate"
    assert len(fake_stripe.sent("POST", "/v1/refunds")) == 1


def test_expiry_keeps_a_margin_over_stripes_minimum_when_now_is_a_little_old(session, make_hold, stripe_provider, fake_stripe, now):
    """`now` is taken before the request reaches Stripe; 90 seconds of delay (or clock
    skew) must not put the page under Stripe's 30 minutes (the fake refuses that, as
    Stripe does)."""
    booking = make_hold(now=now - timedelta(seconds=90))
    started = start_stripe_checkout(session, stripe_provider, booking, now - timedelta(seconds=90))
    assert started.payment.status == "pending"
    (sent,) = fake_stripe.sent("POST", "/v1/checkout/sessions")
    assert int(sent.form["expires_at"]) >= int((now + timedelta(minutes=30)).timestamp())


def test_stripe_refusing_a_too_short_expiry_is_reported_not_crashed(session, make_hold, stripe_provider, now):
    booking = make_hold(now=now - timedelta(minutes=3))
    with pytest.raises(payments.PaymentUnavailable):
        start_stripe_checkout(session, stripe_provider, booking, now - timedelta(minutes=3))


def test_payment_intent_is_linked_late_like_real_stripe(session, make_hold, stripe_provider, fake_stripe, now):
    booking = make_hold(now=now)
    started = start_stripe_checkout(session, stripe_provider, booking, now)
    assert started.payment.provider_payment_intent_id is None  # Stripe has none at creation
    fake_stripe.pay(started.payment.provider_session_id)
    payments.confirm_checkout(session, stripe_provider, started.payment.provider_session_id, now=now)
    session.commit()
    intent_id = fake_stripe.sessions[started.payment.provider_session_id]["payment_intent"]
    assert intent_id and started.payment.provider_payment_intent_id == intent_id
    # ...which is what a refund needs.
    (refund,) = payments.refund(session, stripe_provider, booking, 1000, now=now)
    assert refund.status == "succeeded"


def test_async_payment_failed_event_fails_the_payment_and_keeps_the_hold(session, stripe_app, make_hold, stripe_provider, fake_stripe, deliver, now):
    booking = make_hold(now=now)
    started = start_stripe_checkout(session, stripe_provider, booking, now)
    sent = fake_stripe.sessions[started.payment.provider_session_id]
    response = deliver("checkout.session.async_payment_failed", sent, event_id="evt_async_failed")
    assert response.status_code == 200 and response.json["outcome"] == "failed"
    session.expire_all()
    payment = session.get(Payment, started.payment.id)
    assert (payment.status, payment.failure_reason) == ("failed", "The payment did not go through.")
    assert session.get(Booking, booking.id).status == "held"


# --------------------------------------------------------------------------- cancelling after the start


def _paid(session, make_hold, stripe_provider, fake_stripe, now):
    booking = make_hold(now=now)
    started = start_stripe_checkout(session, stripe_provider, booking, now)
    fake_stripe.pay(started.payment.provider_session_id)
    payments.confirm_checkout(session, stripe_provider, started.payment.provider_session_id, now=now)
    session.commit()
    return booking


def test_a_customer_cannot_cancel_once_the_visit_has_started(session, make_hold, stripe_provider, fake_stripe, now):
    booking = _paid(session, make_hold, stripe_provider, fake_stripe, now)
    for moment in (booking.starts_at, booking.starts_at + timedelta(minutes=20)):
        with pytest.raises(ValidationError, match="can no longer be cancelled online"):
            payments.cancel_with_policy(session, stripe_provider, booking, now=moment)
        session.rollback()
    assert booking.status == "confirmed" and fake_stripe.sent("POST", "/v1/refunds") == []


def test_the_business_may_still_cancel_and_refund_after_the_start(session, make_hold, stripe_provider, fake_stripe, now):
    booking = _paid(session, make_hold, stripe_provider, fake_stripe, now)
    result = payments.cancel_with_policy(session, stripe_provider, booking, now=booking.starts_at + timedelta(minutes=5),
                                         actor="owner", refund_everything=True)
    session.commit()
    assert booking.status == "cancelled" and result.refunded_cents == 1000


def test_the_return_page_of_a_duplicate_payment_says_booked_and_refunded(session, client, stripe_app, make_hold, stripe_provider, fake_stripe, now):
    booking = make_hold(now=now)
    first = start_stripe_checkout(session, stripe_provider, booking, now)
    first.payment.status, first.payment.failure_reason = "failed", "expired"
    session.commit()
    second = start_stripe_checkout(session, stripe_provider, booking, now)
    fake_stripe.pay(first.payment.provider_session_id)
    fake_stripe.pay(second.payment.provider_session_id)
    assert client.get(f"/checkout/return?session_id={first.payment.provider_session_id}").status_code == 200
    page = client.get(f"/checkout/return?session_id={second.payment.provider_session_id}")
    assert page.status_code == 200
    assert "You are booked" in page.text and "second payment has been refunded in full" in page.text
    assert "Refunded: £10.00" in page.text
