"""Test keys (`bo_test_...`) see and change only test data: bookings made with a test key
are test bookings, invisible to live keys (and live bookings to test keys), they pay only
in the sandbox, and a test key may read the live catalog but never change it (403)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.test_mode import SETTINGS_MESSAGE
from bookingapp.models import Booking
from bookingapp.models.payment import Payment
from tests.api.conftest import Api, assert_error
from tests.helpers import MONDAY, at, before, customer_emails

STRIPE_CONFIG = {"STRIPE_SECRET_KEY": "sk_test_not_a_real_key", "STRIPE_API_BASE": "http://127.0.0.1:9",
                 "STRIPE_MAX_NETWORK_RETRIES": 0}


@pytest.fixture
def keys(app, client, salon, make_key):
    app.config["CLOCK"] = before
    business = salon[0]
    return Api(client, make_key(business, "live")), Api(client, make_key(business, "test"))


@pytest.fixture
def two_bookings(session, salon, make_customer):
    """One live and one test booking, Monday 10:00, with Alice and Bob."""
    business, service, alice, bob = salon
    live = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business, name="Lee Live"),
                                      staff=alice, now=before())
    test = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business, name="Tess Test"),
                                      staff=bob, now=before(), test=True)
    session.commit()
    return live, test


def _new_booking(salon, hour):
    business, service, alice, _ = salon
    return {"service_id": str(service.id), "staff_id": str(alice.id), "start_at": at(MONDAY, hour).isoformat(),
            "customer_name": "Ada Lovelace", "customer_email": "ada@example.com"}


@pytest.mark.parametrize("path", ["/bookings", "/bookings/hold", "/bookings/reserve"])
def test_a_booking_made_with_a_test_key_is_a_test_booking(session, salon, keys, path):
    _, test_key = keys
    response = test_key.post(path, json=_new_booking(salon, 11))
    assert response.status_code == 201, response.get_json()
    assert session.get(Booking, uuid.UUID(response.get_json()["data"]["id"])).is_test is True


def test_a_booking_made_with_a_live_key_is_live(session, salon, keys):
    live_key, _ = keys
    response = live_key.post("/bookings", json=_new_booking(salon, 11))
    assert response.status_code == 201, response.get_json()
    assert session.get(Booking, uuid.UUID(response.get_json()["data"]["id"])).is_test is False


def test_live_keys_do_not_see_test_bookings(keys, two_bookings):
    live_key, _ = keys
    live, test = two_bookings
    assert [b["id"] for b in live_key.get("/bookings").get_json()["data"]] == [str(live.id)]
    assert_error(live_key.get(f"/bookings/{test.id}"), 404, "not_found")
    assert_error(live_key.post(f"/bookings/{test.id}/cancel"), 404, "not_found")
    assert_error(live_key.patch(f"/bookings/{test.id}", json={"status": "cancelled"}), 404, "not_found")


def test_test_keys_see_only_test_bookings(keys, two_bookings):
    _, test_key = keys
    live, test = two_bookings
    assert [b["id"] for b in test_key.get("/bookings").get_json()["data"]] == [str(test.id)]
    assert test_key.get(f"/bookings/{test.id}").status_code == 200
    assert_error(test_key.get(f"/bookings/{live.id}"), 404, "not_found")
    assert_error(test_key.post(f"/bookings/{live.id}/cancel"), 404, "not_found")


def _both_visited(app, session, *bookings):
    """The bookings took place (started and completed); the clock is after them."""
    for booking in bookings:
        booking_ops.start(session, booking, now=at(MONDAY, 10))
        booking_ops.complete(session, booking, now=at(MONDAY, 11))
    session.commit()
    app.config["CLOCK"] = lambda: at(MONDAY, 12)


def test_live_keys_clients_and_analytics_leave_out_test_bookings(app, session, keys, two_bookings):
    live_key, _ = keys
    live, test = two_bookings
    _both_visited(app, session, live, test)
    names = [c["name"] for c in live_key.get("/clients").get_json()["data"]]
    assert names == ["Lee Live"]
    assert live_key.get("/analytics?period=7d").get_json()["data"]["total_bookings"] == 1


def test_test_keys_clients_and_analytics_show_test_bookings_only(app, session, keys, two_bookings):
    _, test_key = keys
    live, test = two_bookings
    _both_visited(app, session, live, test)
    assert [c["name"] for c in test_key.get("/clients").get_json()["data"]] == ["Tess Test"]
    assert test_key.get("/analytics?period=7d").get_json()["data"]["total_bookings"] == 1


def test_a_review_is_seen_only_by_keys_of_its_bookings_mode(app, session, salon, keys, two_bookings):
    from bookingapp.models import Review

    live_key, test_key = keys
    live, test = two_bookings
    reviews = {}
    for booking in (live, test):
        booking_ops.start(session, booking, now=at(MONDAY, 10))
        booking_ops.complete(session, booking, now=at(MONDAY, 11))
        reviews[booking.id] = Review(business_id=salon[0].id, booking_id=booking.id, rating=5, customer_name="C.")
        session.add(reviews[booking.id])
    session.commit()
    live_review, test_review = reviews[live.id], reviews[test.id]
    assert [r["id"] for r in live_key.get("/reviews").get_json()["data"]] == [str(live_review.id)]
    assert [r["id"] for r in test_key.get("/reviews").get_json()["data"]] == [str(test_review.id)]
    assert_error(live_key.get(f"/reviews/{test_review.id}"), 404, "not_found")
    assert_error(test_key.post(f"/reviews/{live_review.id}/reply", json={"reply": "Thanks!"}), 404, "not_found")
    assert test_key.post(f"/reviews/{test_review.id}/reply", json={"reply": "Thanks!"}).status_code == 200


def test_test_keys_may_read_the_catalog(keys, salon):
    _, test_key = keys
    assert [s["id"] for s in test_key.get("/services").get_json()["data"]] == [str(salon[1].id)]
    assert test_key.get("/staff").status_code == 200
    assert test_key.get("/business").status_code == 200


@pytest.mark.parametrize("method, path, body", [
    ("post", "/services", {"name": "Trim", "duration_minutes": 30, "price_cents": 2000}),
    ("patch", "/services/{service}", {"name": "Renamed by a test key"}),
    ("delete", "/services/{service}", None),
    ("post", "/staff", {"name": "Tester"}),
    ("patch", "/staff/{staff}", {"name": "Renamed by a test key"}),
    ("post", "/products", {"name": "Shampoo", "price_cents": 1000}),
    ("patch", "/business", {"name": "Renamed by a test key"}),
    ("post", "/webhooks", {"url": "https://example.com/hook", "events": ["booking.created"]}),
])
def test_test_keys_cannot_change_live_settings(session, salon, keys, method, path, body):
    _, test_key = keys
    business, service, alice, _ = salon
    url = path.format(service=service.id, staff=alice.id)
    call = getattr(test_key, method)
    response = call(url, json=body) if body is not None else call(url)
    error = assert_error(response, 403, "forbidden")["error"]
    assert error["message"] == SETTINGS_MESSAGE
    session.expire_all()
    assert service.name == "Cut" and business.name == "Test Salon"  # nothing changed


def test_a_test_bookings_deposit_is_refunded_in_the_sandbox_with_stripe_configured(app, session, salon, keys, two_bookings):
    # The test booking's deposit was paid in the sandbox; cancelling it with Stripe
    # configured refunds it there and never calls Stripe (which is unreachable here).
    from bookingapp.domain.payments import start_checkout
    from bookingapp.payments.sandbox import SUCCESS_CARD, SandboxProvider, try_card
    from bookingapp.domain.payments import confirm_checkout

    _, test_key = keys
    live, test = two_bookings
    sandbox = SandboxProvider(session, now=before)
    page = start_checkout(session, sandbox, test, success_url="/ok?s={CHECKOUT_SESSION_ID}", cancel_url="/", now=before())
    try_card(sandbox, page.payment.provider_session_id, SUCCESS_CARD)
    confirm_checkout(session, sandbox, page.payment.provider_session_id, now=before())
    session.commit()
    app.config.update(STRIPE_CONFIG)

    response = test_key.post(f"/bookings/{test.id}/cancel")
    assert response.status_code == 200, response.get_json()
    session.expire_all()
    refund = session.scalar(select(Payment).where(Payment.booking_id == test.id, Payment.kind == "refund"))
    assert refund.provider == "sandbox" and refund.status == "succeeded"


def test_a_test_booking_emails_nobody_and_its_webhook_events_say_livemode_false(session, salon, keys):
    from bookingapp.models import Message, OutboxEvent

    live_key, test_key = keys
    made = {}
    for name, key, hour in (("live", live_key, 11), ("test", test_key, 13)):
        response = key.post("/bookings", json=_new_booking(salon, hour))
        assert response.status_code == 201, response.get_json()
        made[name] = response.get_json()["data"]["id"]
    events = session.scalars(select(OutboxEvent)).all()
    # Nobody at all: neither the customer nor the staff member hears of a test booking.
    assert {str(m.booking_id) for m in session.scalars(select(Message))} <= {made["live"]}
    assert [str(m.booking_id) for m in customer_emails(session)] == [made["live"]]
    webhooks = {e.payload["id"]: e.payload["livemode"] for e in events if e.topic == "booking.created"}
    assert webhooks == {made["live"]: True, made["test"]: False}
