"""The checkout's "pay by card" goes the wizard's way (domain.payments.start_checkout's
steps): a second click reuses the open page, a page with too little life left or for
another amount is closed at the provider before a new one opens, and one that turned out
paid is confirmed instead of opening another."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bookingapp.models import Payment, Product
from bookingapp.models.checkout import Checkout
from bookingapp.models.payment import SandboxCheckoutSession
from bookingapp.payments.base import CHECKOUT_LIFETIME
from bookingapp.payments.sandbox import SUCCESS_CARD, SandboxProvider, try_card
from tests.dashboard.conftest import record_deposit
from tests.helpers import MONDAY, at


class Clock:
    """The app's pinned clock, moved forward by the test."""

    def __init__(self, app, start):
        self.now = start
        app.config["CLOCK"] = lambda: self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(app):
    return Clock(app, at(MONDAY, 10, 40))


def _open(dash, booking) -> str:
    opened = dash.post(f"/dashboard/bookings/{booking.id}/checkout")
    assert opened.status_code == 302, opened.get_data(as_text=True)
    return opened.headers["Location"].split("localhost", 1)[-1]


def _pay_by_card(dash, base) -> str:
    response = dash.post(f"{base}/pay", {"method": "card"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _balance_payments(session) -> list[Payment]:
    session.expire_all()
    return list(session.scalars(select(Payment).where(Payment.kind == "balance").order_by(Payment.created_at)))


def _page_status(session, payment: Payment) -> str:
    return session.get(SandboxCheckoutSession, payment.provider_session_id).status


def test_double_clicked_pay_by_card_reuses_the_open_page(session, salon, served, as_role, clock):
    desk = as_role(salon[0], "front_desk")
    base = _open(desk, served)
    first = _pay_by_card(desk, base)
    htmx_second = desk.post(f"{base}/pay", {"method": "card"}, htmx=True)
    assert htmx_second.status_code == 204 and htmx_second.headers["HX-Redirect"] == first
    clock.advance(CHECKOUT_LIFETIME - timedelta(minutes=10))  # ten minutes left: still worth reusing
    assert _pay_by_card(desk, base) == first
    [payment] = _balance_payments(session)
    assert (payment.status, payment.amount_cents, payment.provider) == ("pending", 5000, "sandbox")
    assert payment.actor.startswith("front_desk:")
    assert first.endswith(f"/sandbox/checkout/{payment.provider_session_id}")


def test_a_stale_open_page_is_closed_before_a_new_one_opens(session, salon, served, as_role, clock):
    desk = as_role(salon[0], "front_desk")
    base = _open(desk, served)
    first = _pay_by_card(desk, base)
    clock.advance(CHECKOUT_LIFETIME - timedelta(minutes=2))  # two minutes left: too little to pay in
    second = _pay_by_card(desk, base)
    assert second != first
    old, new = _balance_payments(session)
    assert (old.status, old.failure_reason, _page_status(session, old)) == ("failed", "expired", "expired")
    assert (new.status, new.amount_cents, _page_status(session, new)) == ("pending", 5000, "open")
    assert second.endswith(f"/sandbox/checkout/{new.provider_session_id}")


def test_a_page_for_an_older_due_is_closed_when_the_due_changes(session, salon, served, as_role, clock):
    desk = as_role(salon[0], "front_desk")
    base = _open(desk, served)
    _pay_by_card(desk, base)
    assert desk.post(f"{base}/tip", {"tip": "5.00"}, htmx=True).status_code == 200
    _pay_by_card(desk, base)
    old, new = _balance_payments(session)
    assert (old.status, _page_status(session, old)) == ("failed", "expired")
    assert (new.status, new.amount_cents) == ("pending", 5500)


def test_a_stale_page_found_paid_is_confirmed_instead_of_opening_another(session, salon, served, as_role, clock):
    desk = as_role(salon[0], "front_desk")
    base = _open(desk, served)
    _pay_by_card(desk, base)
    [payment] = _balance_payments(session)
    # Paid on the provider's page, but neither the return page nor the webhook has come yet.
    provider = SandboxProvider(session)
    assert try_card(provider, payment.provider_session_id, SUCCESS_CARD).paid
    session.commit()
    clock.advance(CHECKOUT_LIFETIME - timedelta(minutes=2))
    back = _pay_by_card(desk, base)
    assert f"/checkout/{_checkout_id(base)}/card-return?session_id={payment.provider_session_id}" in back
    assert [p.status for p in _balance_payments(session)] == ["succeeded"]
    returned = desk.get(back.split("localhost", 1)[-1])
    assert returned.status_code == 302 and returned.headers["Location"].endswith("/receipt")
    session.expire_all()
    assert session.scalars(select(Checkout)).one().status == "closed"


def test_card_payment_for_extras_then_the_return_page_closes_the_checkout(session, salon, served, as_role, clock):
    business = salon[0]
    record_deposit(session, served, 1000)
    product = Product(business_id=business.id, name="Leave-In Conditioner", price_cents=2400, inventory_count=3)
    session.add(product)
    session.commit()
    desk = as_role(business, "front_desk")
    base = _open(desk, served)
    assert desk.post(f"{base}/lines", {"kind": "product", "product_id": str(product.id)}, htmx=True).status_code == 200
    _pay_by_card(desk, base)
    [payment] = _balance_payments(session)
    assert payment.amount_cents == 5000 + 2400 - 1000
    assert try_card(SandboxProvider(session), payment.provider_session_id, SUCCESS_CARD).paid
    session.commit()
    returned = desk.get(f"{base}/card-return?session_id={payment.provider_session_id}")
    assert returned.status_code == 302 and returned.headers["Location"].endswith("/receipt")
    session.expire_all()
    checkout = session.scalars(select(Checkout)).one()
    assert (checkout.status, checkout.total_cents) == ("closed", 7400)
    assert served.status == "completed"


def test_card_payment_for_extras_on_a_prepaid_booking_is_kept(session, salon, served, as_role, clock):
    business = salon[0]
    record_deposit(session, served, 5000)
    product = Product(business_id=business.id, name="Leave-In Conditioner", price_cents=2400, inventory_count=3)
    session.add(product)
    session.commit()
    desk = as_role(business, "front_desk")
    base = _open(desk, served)
    desk.post(f"{base}/lines", {"kind": "product", "product_id": str(product.id)}, htmx=True)
    _pay_by_card(desk, base)
    [payment] = _balance_payments(session)
    assert try_card(SandboxProvider(session), payment.provider_session_id, SUCCESS_CARD).paid
    session.commit()
    returned = desk.get(f"{base}/card-return?session_id={payment.provider_session_id}")
    assert returned.headers["Location"].endswith("/receipt")
    assert _balance_payments(session)[0].status == "succeeded"


def _checkout_id(base: str) -> str:
    return base.rstrip("/").rsplit("/", 1)[-1]
