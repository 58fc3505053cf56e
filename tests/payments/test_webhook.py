"""POST /webhooks/stripe: signatures, each event once, read-back before acting, allowed
state moves only, ignored types, retries on temporary failure, and the return page racing
the event in both orders."""
from __future__ import annotations

import time

import pytest

from bookingapp.models import OutboxEvent
from bookingapp.models.payment import Payment, StripeEvent
from tests.payments.conftest import start_stripe_checkout


@pytest.fixture
def checkout(session, stripe_app, make_hold, stripe_provider, now):
    """A held booking with an open Stripe checkout (CSRF stays on: the webhook is exempt)."""
    booking = make_hold(now=now)
    started = start_stripe_checkout(session, stripe_provider, booking, now)
    return booking, started.payment


def fresh(session, obj):
    session.expire_all()
    return session.get(type(obj), obj.id)


def count_topic(session, topic):
    session.expire_all()
    return session.query(OutboxEvent).filter_by(topic=topic).count()


def test_completed_event_books_the_held_booking(session, checkout, fake_stripe, deliver):
    booking, payment = checkout
    sent = fake_stripe.pay(payment.provider_session_id)
    response = deliver("checkout.session.completed", sent, event_id="evt_ok")
    assert response.status_code == 200 and response.json["outcome"] == "booked"
    assert fresh(session, booking).status == "confirmed"
    assert fresh(session, payment).status == "succeeded"
    assert session.get(StripeEvent, "evt_ok").outcome == "booked"
    # The object was read back from Stripe before acting.
    assert fake_stripe.sent("GET", f"/v1/checkout/sessions/{payment.provider_session_id}")


@pytest.mark.parametrize("how", ["tampered", "stale", "wrong_secret", "missing"])
def test_bad_signatures_get_400_and_change_nothing(session, client, checkout, fake_stripe, deliver, how):
    booking, payment = checkout
    obj = fake_stripe.pay(payment.provider_session_id)
    if how == "tampered":
        response = deliver("checkout.session.completed", obj, tamper=True)
    elif how == "stale":
        response = deliver("checkout.session.completed", obj, timestamp=int(time.time()) - 600)
    elif how == "wrong_secret":
        response = deliver("checkout.session.completed", obj, secret="whsec_someone_else")
    else:
        response = client.post("/webhooks/stripe", data=b'{"id": "evt_x", "type": "checkout.session.completed"}')
    assert response.status_code == 400
    assert fresh(session, booking).status == "held" and fresh(session, payment).status == "pending"
    assert session.query(StripeEvent).count() == 0
    assert fake_stripe.sent("GET", f"/v1/checkout/sessions/{payment.provider_session_id}") == []


def test_unknown_event_type_gets_200_and_is_ignored(session, checkout, deliver):
    response = deliver("customer.created", {"id": "cus_123", "object": "customer"}, event_id="evt_unused")
    assert response.status_code == 200 and response.json["outcome"] == "ignored"
    assert session.get(StripeEvent, "evt_unused").type == "customer.created"


def test_same_event_five_times_acts_once(session, checkout, fake_stripe, deliver):
    booking, payment = checkout
    obj = fake_stripe.pay(payment.provider_session_id)
    outcomes = [deliver("checkout.session.completed", obj, event_id="evt_repeat").json["outcome"] for _ in range(5)]
    assert outcomes == ["booked", "duplicate", "duplicate", "duplicate", "duplicate"]
    assert count_topic(session, "booking.created") == 1 and count_topic(session, "payment.succeeded") == 1
    assert len(fake_stripe.sent("GET", f"/v1/checkout/sessions/{payment.provider_session_id}")) == 1
    assert fresh(session, booking).status == "confirmed"


@pytest.mark.parametrize("first", ["event", "return_page"])
def test_completed_event_and_return_page_in_either_order_book_once(session, client, checkout, fake_stripe, deliver, first):
    booking, payment = checkout
    obj = fake_stripe.pay(payment.provider_session_id)
    return_url = f"/checkout/return?session_id={payment.provider_session_id}"
    if first == "event":
        assert deliver("checkout.session.completed", obj).json["outcome"] == "booked"
        page = client.get(return_url)
    else:
        page = client.get(return_url)
        assert deliver("checkout.session.completed", obj).json["outcome"] == "booked"  # already booked: described, not redone
    assert page.status_code == 200 and b"You are booked" in page.data
    assert count_topic(session, "booking.created") == 1 and count_topic(session, "payment.succeeded") == 1
    assert [e.to_status for e in fresh(session, booking).history if e.from_status != e.to_status] == ["held", "confirmed"]


def test_failed_after_succeeded_is_ignored(session, checkout, fake_stripe, deliver):
    booking, payment = checkout
    obj = fake_stripe.pay(payment.provider_session_id)
    deliver("checkout.session.completed", obj)
    intent_id = obj["payment_intent"]
    # Even if Stripe's read-back showed a failure (a stale replica), a success never goes back.
    fake_stripe.intents[intent_id].update(status="requires_payment_method", last_payment_error={"message": "declined"})
    response = deliver("payment_intent.payment_failed", fake_stripe.intents[intent_id])
    assert response.status_code == 200 and response.json["outcome"] == "ignored_succeeded"
    assert fresh(session, payment).status == "succeeded" and fresh(session, booking).status == "confirmed"
    assert count_topic(session, "payment.failed") == 0


def test_declined_card_fails_the_payment_and_keeps_the_hold_then_a_retry_succeeds(session, checkout, fake_stripe, deliver):
    booking, payment = checkout
    intent = fake_stripe.decline(payment.provider_session_id)
    response = deliver("payment_intent.payment_failed", intent)
    assert response.json["outcome"] == "failed"
    payment = fresh(session, payment)
    assert payment.status == "failed" and payment.failure_reason == "Your card was declined."
    assert fresh(session, booking).status == "held" and count_topic(session, "payment.failed") == 1
    obj = fake_stripe.pay(payment.provider_session_id)  # another card on the same Stripe page
    assert deliver("checkout.session.completed", obj).json["outcome"] == "booked"
    assert fresh(session, payment).status == "succeeded"


def test_expired_session_marks_the_payment_failed_and_leaves_the_hold(session, checkout, fake_stripe, deliver):
    booking, payment = checkout
    obj = fake_stripe.expire(payment.provider_session_id)
    assert deliver("checkout.session.expired", obj).json["outcome"] == "expired"
    assert fresh(session, payment).failure_reason == "expired" and fresh(session, booking).status == "held"


def test_forged_paid_body_is_not_trusted_over_stripe(session, checkout, fake_stripe, deliver):
    booking, payment = checkout
    forged = {**fake_stripe.sessions[payment.provider_session_id], "status": "complete", "payment_status": "paid"}
    response = deliver("checkout.session.completed", forged)
    assert response.status_code == 200 and response.json["outcome"] == "pending"
    assert fresh(session, booking).status == "held"


def test_temporary_failure_answers_503_and_the_retry_is_processed(session, checkout, fake_stripe, deliver):
    booking, payment = checkout
    obj = fake_stripe.pay(payment.provider_session_id)
    fake_stripe.fail_next = 1
    response = deliver("checkout.session.completed", obj, event_id="evt_retry")
    assert response.status_code == 503
    assert session.get(StripeEvent, "evt_retry") is None and fresh(session, booking).status == "held"
    assert deliver("checkout.session.completed", obj, event_id="evt_retry").json["outcome"] == "booked"


def test_refund_made_in_the_stripe_dashboard_is_recorded(session, checkout, fake_stripe, deliver):
    booking, payment = checkout
    obj = fake_stripe.pay(payment.provider_session_id)
    deliver("checkout.session.completed", obj)
    charge_id = fake_stripe.intents[obj["payment_intent"]]["latest_charge"]
    charge = fake_stripe.refund_in_dashboard(charge_id, 400)
    assert deliver("charge.refunded", charge).json["outcome"] == "refund_recorded"
    assert deliver("charge.refunded", charge).json["outcome"] == "refunds_confirmed"  # a new event, nothing new
    refund = session.query(Payment).filter_by(kind="refund").one()
    assert refund.amount_cents == 400 and fresh(session, payment).status == "partially_refunded"
    assert count_topic(session, "payment.refunded") == 1


def test_events_for_sessions_we_never_made_are_ignored(session, checkout, deliver):
    response = deliver("checkout.session.completed", {"id": "cs_test_not_ours", "object": "checkout.session"})
    assert response.status_code == 200 and response.json["outcome"] == "ignored_unknown_object"


def test_webhook_without_a_configured_secret_asks_stripe_to_retry(stripe_app, checkout, deliver):
    stripe_app.config["STRIPE_WEBHOOK_SECRET"] = ""
    assert deliver("checkout.session.completed", {"id": "cs_x"}).status_code == 503
