"""Checkout arithmetic: deposit credited, discounts, tips, stock, closing and refunds."""
from __future__ import annotations

import pytest

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import checkout as co
from bookingapp.domain.errors import ValidationError
from bookingapp.domain.payments import balance, confirm_checkout
from bookingapp.models import Product, Promotion
from bookingapp.payments.sandbox import SandboxProvider, try_card
from tests.dashboard.conftest import record_deposit as _deposit
from tests.helpers import MONDAY, at, before


def _product(session, business, price=2400, stock=3):
    product = Product(business_id=business.id, name="Leave-In Conditioner", price_cents=price, inventory_count=stock)
    session.add(product)
    session.flush()
    return product


def test_deposit_paid_is_credited_against_the_total(session, salon, served):
    _deposit(session, served)
    checkout = co.open_checkout(session, served)
    money = co.totals(session, checkout)
    assert (money.subtotal_cents, money.total_cents, money.paid_cents, money.due_cents) == (5000, 5000, 1000, 4000)


def test_product_tip_and_percent_discount_add_up(session, salon, served):
    business, service, *_ = salon
    _deposit(session, served)
    checkout = co.open_checkout(session, served)
    co.add_product(session, checkout, _product(session, business), quantity=2)  # 48.00
    co.add_addon_service(session, checkout, service)                            # 50.00
    co.add_discount(session, checkout, percent=10)                             # 10% of 148.00 = 14.80
    co.set_tip(session, checkout, 1000)
    co.set_tip(session, checkout, 1500)                                        # replaces, not adds
    money = co.totals(session, checkout)
    assert money.subtotal_cents == 14800
    assert money.discount_cents == 1480
    assert money.tip_cents == 1500
    assert money.total_cents == 14800 - 1480 + 1500
    assert money.due_cents == money.total_cents - 1000
    # The percentage follows the subtotal when a line goes.
    addon = next(line for line in checkout.line_items if line.type == "addon_service")
    co.remove_line(session, checkout, addon.id)
    assert co.totals(session, checkout).discount_cents == 980


def test_fixed_and_promo_discounts_and_their_limits(session, salon, served):
    business = salon[0]
    session.add(Promotion(business_id=business.id, code="SPRING", kind="fixed", amount_off_cents=700))
    session.flush()
    checkout = co.open_checkout(session, served)
    co.add_discount(session, checkout, amount_cents=500)
    co.add_discount(session, checkout, promo_code="spring")
    assert co.totals(session, checkout).total_cents == 5000 - 500 - 700
    with pytest.raises(ValidationError, match="already applied"):
        co.add_discount(session, checkout, promo_code="SPRING")
    with pytest.raises(ValidationError, match="not a valid promotion code"):
        co.add_discount(session, checkout, promo_code="NOPE")
    with pytest.raises(ValidationError, match="more than what was sold"):
        co.add_discount(session, checkout, amount_cents=4000)
    with pytest.raises(ValidationError, match="one of"):
        co.add_discount(session, checkout, amount_cents=100, percent=5)
    assert co.totals(session, checkout).discount_cents == 1200


def test_stock_is_taken_refused_when_short_and_given_back(session, salon, served):
    product = _product(session, salon[0], stock=2)
    checkout = co.open_checkout(session, served)
    line = co.add_product(session, checkout, product, quantity=2)
    assert product.inventory_count == 0
    with pytest.raises(ValidationError, match="out of stock"):
        co.add_product(session, checkout, product)
    co.remove_line(session, checkout, line.id)
    session.refresh(product)
    assert product.inventory_count == 2


def test_cash_closes_and_lines_are_fixed_then_refund_by_cash(session, salon, served):
    _deposit(session, served)
    checkout = co.open_checkout(session, served)
    co.set_tip(session, checkout, 500)
    with pytest.raises(ValidationError, match="still due"):
        co.close_checkout(session, checkout, actor="desk")
    co.take_in_person(session, checkout, "cash", actor="desk")
    co.close_checkout(session, checkout, actor="desk", now=at(MONDAY, 11))
    assert served.status == "completed"
    assert (checkout.status, checkout.total_cents, checkout.tip_cents) == ("closed", 5500, 500)
    assert co.totals(session, checkout).due_cents == 0
    with pytest.raises(ValidationError, match="closed"):
        co.set_tip(session, checkout, 0)
    with pytest.raises(ValidationError, match="At most"):
        co.refund(session, None, checkout, 4501, method="cash", actor="owner")
    co.refund(session, None, checkout, 500, method="cash", actor="owner", reason="tip returned")
    money = co.totals(session, checkout)
    # The refund corrects the sale: nothing is owed by anyone afterwards.
    assert (money.total_cents, money.refunded_cents, money.refunded_after_close_cents) == (5500, 500, 500)
    assert (money.total_after_refunds_cents, money.paid_cents, money.balance_cents) == (5000, 5000, 0)


def test_card_balance_through_the_sandbox_provider_and_card_refund(session, salon, served):
    provider = SandboxProvider(session, url_for_checkout=lambda sid: f"http://sandbox/{sid}")
    checkout = co.open_checkout(session, served)
    co.add_product(session, checkout, _product(session, salon[0], price=1000), quantity=1)
    started = co.start_card_payment(session, provider, checkout, success_url="http://x/ok?s={CHECKOUT_SESSION_ID}",
                                    cancel_url="http://x/cancel", actor="front_desk:desk@example.com")
    payment = started.payment
    assert payment.amount_cents == 6000 and payment.kind == "balance" and started.url
    assert payment.actor == "front_desk:desk@example.com"
    assert try_card(provider, payment.provider_session_id, "4242424242424242").paid
    confirm_checkout(session, provider, payment.provider_session_id)
    assert co.totals(session, checkout).due_cents == 0
    co.close_checkout(session, checkout, actor="desk")
    co.refund(session, provider, checkout, 1000, method="card", actor="owner", reason="returned product")
    assert balance(session, served).refunded_cents == 1000


def test_only_served_bookings_can_be_checked_out(session, salon, make_customer):
    business, service, alice, _ = salon
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 12), make_customer(business),
                                         staff=alice, now=before())
    with pytest.raises(ValidationError, match="in progress or completed"):
        co.open_checkout(session, booking)
