"""Cancelling a paid booking through the API refunds exactly as the manage link does
(domain.payments.cancel_with_policy with the configured provider: here the sandbox)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from bookingapp.domain import booking as booking_domain
from bookingapp.models.payment import Payment
from tests.api.conftest import assert_error
from tests.helpers import MONDAY, at

CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/40", "cvc": "123", "name": "Ada"}


@pytest.fixture
def paid_booking(app, client, session, salon, make_customer):
    """A booking whose deposit (1000 cents) was paid through the sandbox's hosted page."""
    app.config.update(WTF_CSRF_ENABLED=False, STRIPE_SECRET_KEY="")
    business, service, alice, _ = salon
    held = booking_domain.hold(session, business, service, at(MONDAY, 10), staff=alice,
                               customer=make_customer(business), now=datetime.now(timezone.utc))
    session.commit()
    opened = client.post(f"/checkout/pay/{held.id}")
    assert opened.status_code == 303 and re.search(r"/sandbox/checkout/", opened.headers["Location"])
    assert client.post(opened.headers["Location"], data=CARD).status_code == 303
    session.expire_all()
    paid = session.query(Payment).filter_by(booking_id=held.id, kind="deposit", status="succeeded").one()
    assert paid.amount_cents == 1000
    return held


def _refunds(session, booking):
    session.expire_all()
    return session.query(Payment).filter_by(booking_id=booking.id, kind="refund").all()


def test_post_cancel_refunds_the_deposit_within_the_free_window(api, session, paid_booking):
    response = api.post(f"/bookings/{paid_booking.id}/cancel", json={"cancellation_reason": "ill"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["status"] == "cancelled"
    (refund,) = _refunds(session, paid_booking)
    assert refund.amount_cents == 1000 and refund.provider == "sandbox"


def test_patch_status_cancelled_refunds_the_same_way(api, session, paid_booking):
    response = api.patch(f"/bookings/{paid_booking.id}", json={"status": "cancelled"})
    assert response.status_code == 200, response.get_json()
    (refund,) = _refunds(session, paid_booking)
    assert refund.amount_cents == 1000


def test_cancelling_twice_refunds_once(api, session, paid_booking):
    assert api.post(f"/bookings/{paid_booking.id}/cancel").status_code == 200
    assert_error(api.post(f"/bookings/{paid_booking.id}/cancel"), 400, "validation_error")
    assert len(_refunds(session, paid_booking)) == 1


def test_a_made_booking_cannot_be_deleted_but_a_hold_can(api, session, paid_booking, salon):
    assert_error(api.delete(f"/bookings/{paid_booking.id}"), 400, "validation_error", "status")
    held = api.post("/bookings/hold", json={"service_id": str(salon[1].id),
                                            "start_at": at(MONDAY, 12).isoformat()}).get_json()["data"]
    released = api.delete(f"/bookings/{held['id']}")
    assert released.status_code == 200 and released.get_json()["data"]["deleted"] is True
    assert _refunds(session, paid_booking) == []
