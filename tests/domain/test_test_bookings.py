"""Test bookings (made with a test API key) in the domain: the flag, who sees them, that
they still hold their staff member's time, and that they only ever pay in the sandbox."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import cancellation, clock, test_mode
from bookingapp.domain.availability import find_availability
from bookingapp.domain.errors import SlotUnavailable
from bookingapp.domain.payments import confirm_checkout, start_checkout
from bookingapp.domain.payments.providers import provider_for_booking, provider_for_payment
from bookingapp.models import Booking
from bookingapp.models.payment import Payment
from bookingapp.payments import make_provider
from bookingapp.payments.sandbox import SUCCESS_CARD, SandboxProvider, try_card
from tests.helpers import MONDAY, at, before

# Stripe configured, pointed at a port nothing listens on: any call that reached "Stripe"
# would fail with a connection error instead of passing quietly.
STRIPE_CONFIG = {"STRIPE_SECRET_KEY": "sk_test_not_a_real_key", "STRIPE_API_BASE": "http://127.0.0.1:9",
                 "STRIPE_MAX_NETWORK_RETRIES": 0}


def test_hold_reserve_and_create_booking_mark_a_test_booking_and_default_to_live(session, salon, make_customer):
    business, service, alice, bob = salon
    held = booking_ops.hold(session, business, service, at(MONDAY, 9), staff=alice, now=before(), test=True)
    reserved = booking_ops.reserve(session, business, service, at(MONDAY, 10), staff=alice, now=before(), test=True)
    booked = booking_ops.create_booking(session, business, service, at(MONDAY, 11), make_customer(business),
                                        staff=alice, now=before(), test=True)
    live = booking_ops.create_booking(session, business, service, at(MONDAY, 12), make_customer(business),
                                      staff=alice, now=before())
    session.commit()
    session.expire_all()
    assert [b.is_test for b in (held, reserved, booked, live)] == [True, True, True, False]


def test_a_held_test_booking_stays_a_test_booking_once_booked_and_after_a_reschedule(session, salon, make_customer):
    business, service, alice, bob = salon
    held = booking_ops.hold(session, business, service, at(MONDAY, 9), staff=alice, now=before(), test=True)
    booking_ops.book(session, held, business, customer=make_customer(business), now=before())
    moved = booking_ops.reschedule(session, held, business, at(MONDAY, 15), now=before())
    session.commit()
    assert held.status == "rescheduled" and moved.is_test is True
    live = booking_ops.create_booking(session, business, service, at(MONDAY, 11), make_customer(business),
                                      staff=alice, now=before())
    assert booking_ops.reschedule(session, live, business, at(MONDAY, 16), now=before()).is_test is False


def test_visible_to_gives_live_keys_live_bookings_and_test_keys_test_bookings(session, salon, make_customer):
    business, service, alice, bob = salon
    live = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                      staff=alice, now=before())
    test = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                      staff=bob, now=before(), test=True)
    session.commit()

    def ids(mode):
        return set(session.scalars(select(Booking.id).where(Booking.business_id == business.id,
                                                            test_mode.visible_to(mode))))

    assert ids("live") == {live.id}
    assert ids("test") == {test.id}
    assert ids(None) == {live.id}  # no mode, or an unknown one, is never a way into test data
    assert test_mode.booking_visible_to(live, "live") and not test_mode.booking_visible_to(live, "test")
    assert test_mode.booking_visible_to(test, "test") and not test_mode.booking_visible_to(test, "live")


def test_a_test_booking_still_holds_its_staff_members_time(session, salon, make_customer):
    # The no-overlap guarantee is not weakened: a live booking cannot take a test booking's time.
    business, service, alice, bob = salon
    booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                               staff=alice, now=before(), test=True)
    session.commit()
    slots = find_availability(session, business, service, MONDAY, now=before(), staff_id=alice.id).slots
    assert at(MONDAY, 10) not in {slot.start for slot in slots}
    with pytest.raises(SlotUnavailable):
        booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                   staff=alice, now=before())


def test_test_keys_may_not_change_live_settings_and_live_keys_may():
    test_mode.ensure_may_change_settings("live")
    with pytest.raises(test_mode.Forbidden) as raised:
        test_mode.ensure_may_change_settings("test")
    assert raised.value.code == "forbidden"
    assert raised.value.message == "Test keys cannot change live settings."
    assert raised.value.param is None


def test_test_keys_write_only_bookings_and_review_replies():
    for resource in ("bookings", "reviews"):
        test_mode.ensure_may_write("test", resource)
    for resource in ("services", "staff", "products", "business", "webhooks"):
        test_mode.ensure_may_write("live", resource)
        with pytest.raises(test_mode.Forbidden):
            test_mode.ensure_may_write("test", resource)


def test_a_test_booking_pays_and_is_refunded_in_the_sandbox_even_with_stripe_configured(request, session, salon):
    business, service, alice, bob = salon
    # The sandbox made for the test booking reads the one clock (its pages' expiry).
    token = clock.install(before)
    request.addfinalizer(lambda: clock.uninstall(token))
    stripe = make_provider(STRIPE_CONFIG, session)
    assert stripe.name == "stripe"
    held = booking_ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=before(), test=True,
                            customer=_customer(session, business))
    assert provider_for_booking(session, held, stripe).name == "sandbox"

    page = start_checkout(session, stripe, held, success_url="/done?s={CHECKOUT_SESSION_ID}", cancel_url="/", now=before())
    assert page.payment.provider == "sandbox" and page.url.startswith("/sandbox/checkout/")
    try_card(SandboxProvider(session, now=before), page.payment.provider_session_id, SUCCESS_CARD)
    outcome = confirm_checkout(session, stripe, page.payment.provider_session_id, now=before())
    assert outcome.result == "booked" and held.status == "confirmed"

    cancelled = cancellation.cancel(session, stripe, held, actor="staff", now=before())
    assert [r.status for r in cancelled.refunds] == ["succeeded"]
    assert cancelled.refunds[0].provider == "sandbox" and cancelled.refunded_cents == service.deposit_cents


def test_a_live_booking_keeps_the_configured_provider(session, salon):
    business, service, alice, bob = salon
    stripe = make_provider(STRIPE_CONFIG, session)
    live = booking_ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=before())
    assert provider_for_booking(session, live, stripe) is stripe
    sandbox = SandboxProvider(session)
    assert provider_for_booking(session, live, sandbox) is sandbox


def test_a_payment_is_handled_by_the_provider_that_made_it(session):
    from bookingapp.models.payment import Payment

    stripe = make_provider(STRIPE_CONFIG, session)
    assert provider_for_payment(session, Payment(provider="sandbox"), stripe).name == "sandbox"
    assert provider_for_payment(session, Payment(provider="stripe"), stripe) is stripe


def _customer(session, business):
    from bookingapp.domain.customers import find_or_create_customer

    return find_or_create_customer(session, business, email="tester@example.com", name="Tess Ter")


def test_a_test_booking_pays_on_the_sandbox_page_when_stripe_is_configured(app, client, session, salon):
    # The customer's door (/checkout/pay, then the hosted page): with Stripe configured
    # and unreachable, a test booking's payment opens and completes in the sandbox.
    business, service, alice, bob = salon
    held = booking_ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=before(), test=True,
                            customer=_customer(session, business))
    session.commit()
    app.config.update(STRIPE_CONFIG, WTF_CSRF_ENABLED=False, CLOCK=before)

    opened = client.post(f"/checkout/pay/{held.id}")
    assert opened.status_code == 303, opened.get_data(as_text=True)
    page = opened.headers["Location"]
    assert "/sandbox/checkout/sbx_cs_" in page
    assert client.get(page).status_code == 200
    paid = client.post(page, data={"card_number": SUCCESS_CARD, "expiry": "12/40", "cvc": "123", "name": "Tess"})
    assert paid.status_code == 303, paid.get_data(as_text=True)
    session.expire_all()
    assert session.get(Booking, held.id).status == "confirmed"
    payment = session.scalar(select(Payment).where(Payment.booking_id == held.id))
    assert payment.provider == "sandbox" and payment.status == "succeeded"


def test_with_stripe_configured_the_sandbox_page_still_refuses_sessions_it_never_made(app, client):
    app.config.update(STRIPE_CONFIG)
    assert client.get("/sandbox/checkout/sbx_cs_nope").status_code == 404
