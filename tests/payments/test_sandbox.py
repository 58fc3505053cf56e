"""The sandbox provider end to end over HTTP: pay page, hosted page with test cards, the
same event path and return page as Stripe, cancel page, refunds."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bookingapp.domain import payments

from bookingapp.models.payment import Payment, SandboxCheckoutSession, StripeEvent
from bookingapp.payments import make_provider, provider_name
from bookingapp.payments.sandbox import SandboxProvider

CARD = {"expiry": "12/40", "cvc": "123", "name": "Ada"}


@pytest.fixture
def sandbox_client(app, client):
    app.config.update(WTF_CSRF_ENABLED=False, STRIPE_SECRET_KEY="")
    return client


def open_checkout(client, booking) -> str:
    response = client.post(f"/checkout/pay/{booking.id}")
    assert response.status_code == 303
    path = response.headers["Location"]
    assert re.search(r"/sandbox/checkout/sbx_cs_[0-9a-f]+$", path)
    return path


def fresh(session, obj):
    session.expire_all()
    return session.get(type(obj), obj.id)


def test_provider_is_sandbox_without_a_stripe_key(app, session):
    assert provider_name({"STRIPE_SECRET_KEY": ""}) == "sandbox"
    assert provider_name({"STRIPE_SECRET_KEY": "sk_test_1"}) == "stripe"
    assert isinstance(make_provider({}, session), SandboxProvider)


def test_pay_page_shows_what_is_due_and_opens_the_hosted_page(session, sandbox_client, make_hold, now):
    booking = make_hold(now=now)
    held_until = booking.hold_expires_at
    page = sandbox_client.get(f"/checkout/pay/{booking.id}")
    assert page.status_code == 200 and "Pay £10.00" in page.get_data(as_text=True)
    path = open_checkout(sandbox_client, booking)
    hosted = sandbox_client.get(path).get_data(as_text=True)
    assert "not a real payment" in hosted and "Pay £10.00 deposit to Test Salon" in hosted
    assert "4242 4242 4242 4242" in hosted and "4000 0000 0000 0002" in hosted
    assert fresh(session, booking).hold_expires_at >= held_until + timedelta(minutes=25)


def test_success_card_books_through_the_event_path_and_the_return_page(session, sandbox_client, make_hold, now):
    booking = make_hold(now=now)
    path = open_checkout(sandbox_client, booking)
    response = sandbox_client.post(path, data={"card_number": "4242 4242 4242 4242", **CARD})
    assert response.status_code == 303 and "/checkout/return?session_id=sbx_cs_" in response.headers["Location"]
    # Booked by the event, before the return page is even seen, like a fast Stripe webhook.
    assert fresh(session, booking).status == "confirmed"
    (event,) = session.query(StripeEvent).all()
    assert event.id.startswith("evt_sbx_") and event.type == "checkout.session.completed" and event.outcome == "booked"
    page = sandbox_client.get(response.headers["Location"])
    assert page.status_code == 200 and "You are booked" in page.get_data(as_text=True)
    assert session.query(Payment).one().status == "succeeded"


def test_decline_card_fails_the_attempt_keeps_the_hold_and_allows_a_retry(session, sandbox_client, make_hold, now):
    booking = make_hold(now=now)
    path = open_checkout(sandbox_client, booking)
    response = sandbox_client.post(path, data={"card_number": "4000000000000002", **CARD})
    assert response.status_code == 422 and "Your card was declined" in response.get_data(as_text=True)
    payment = session.query(Payment).one()
    assert payment.status == "failed" and fresh(session, booking).status == "held"
    retry = sandbox_client.post(path, data={"card_number": "4242424242424242", **CARD})
    assert retry.status_code == 303 and fresh(session, payment).status == "succeeded"
    assert fresh(session, booking).status == "confirmed"


@pytest.mark.parametrize("form, message", [
    ({"card_number": "1234 5678 9012 3456", **CARD}, "only test cards"),
    ({"card_number": "4242", **CARD}, "16-digit"),
    ({**CARD, "card_number": "4242424242424242", "expiry": "01/20"}, "has passed"),
    ({**CARD, "card_number": "4242424242424242", "expiry": "13/40"}, "MM/YY"),
    ({**CARD, "card_number": "4242424242424242", "cvc": "x"}, "security code"),
])
def test_bad_card_form_is_422_and_changes_nothing(session, sandbox_client, make_hold, now, form, message):
    booking = make_hold(now=now)
    path = open_checkout(sandbox_client, booking)
    response = sandbox_client.post(path, data=form)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert session.query(Payment).one().status == "pending" and fresh(session, booking).status == "held"
    assert session.query(SandboxCheckoutSession).one().status == "open"


def test_cancel_page_says_nothing_was_charged_and_offers_a_retry(session, sandbox_client, make_hold, now):
    booking = make_hold(now=now)
    path = open_checkout(sandbox_client, booking)
    hosted = sandbox_client.get(path).get_data(as_text=True)
    cancel_url = re.search(r'href="([^"]*/checkout/cancel[^"]*)"', hosted).group(1).replace("&amp;", "&")
    page = sandbox_client.get(cancel_url).get_data(as_text=True)
    assert "nothing was charged" in page and f"/checkout/pay/{booking.id}" in page and "still held until" in page


def test_sandbox_page_does_not_exist_when_stripe_is_configured(app, sandbox_client, make_hold, now):
    booking = make_hold(now=now)
    path = open_checkout(sandbox_client, booking)
    app.config["STRIPE_SECRET_KEY"] = "sk_test_configured"
    assert sandbox_client.get(path).status_code == 404


def test_unknown_pages_and_missing_ids(sandbox_client):
    assert sandbox_client.get("/sandbox/checkout/sbx_cs_nope").status_code == 404
    assert sandbox_client.get("/checkout/return").status_code == 400
    assert sandbox_client.get("/checkout/return?session_id=cs_unknown").status_code == 404
    assert sandbox_client.get("/checkout/pay/not-a-uuid").status_code == 404


def test_sandbox_refund_on_cancel_within_the_window(session, sandbox_client, make_hold, now):
    booking = make_hold(now=now)
    path = open_checkout(sandbox_client, booking)
    sandbox_client.post(path, data={"card_number": "4242424242424242", **CARD})
    booking = fresh(session, booking)
    result = payments.cancel_with_policy(session, make_provider({}, session), booking, now=now)
    session.commit()
    assert result.refunded_cents == 1000 and booking.status == "cancelled"
    assert session.query(SandboxCheckoutSession).one().amount_refunded_cents == 1000
    refund = session.query(Payment).filter_by(kind="refund").one()
    assert refund.provider_refund_id.startswith("sbx_re_") and refund.status == "succeeded"
