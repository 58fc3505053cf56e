"""A payment is a duplicate only when what the booking is billed had already been paid in
full without it. The bill is the booking's dashboard checkout when it has one (products,
add-ons, tip, discounts, money taken at the desk), so a card payment for extras on a
booking prepaid in full is kept, while a second payment for the same bill is still
refunded automatically. ledger.bill reads the checkout's bill from its rows (this package
may not import domain.checkout); the last tests hold it to domain.checkout.totals."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bookingapp.domain import booking as booking_domain
from bookingapp.domain import checkout as checkout_domain
from bookingapp.domain import payments
from bookingapp.domain.payments import ledger
from bookingapp.models import Product, Service
from tests.payments.conftest import MONDAY, at, start_stripe_checkout

SUCCESS = "http://localhost/dashboard/card-return?session_id={CHECKOUT_SESSION_ID}"
CANCEL = "http://localhost/dashboard/checkout"
SERVING = at(MONDAY, 10, 5)


def incoming(session, booking):
    return [p for p in payments.payments_of(session, booking) if p.kind != "refund"]


@pytest.fixture
def prepaid(session, salon, make_hold, stripe_provider, fake_stripe, now):
    """make(policy) -> a booking paid up front through Stripe (full_prepayment: 50.00;
    service_deposit: 10.00), booked and being served."""
    business = salon[0]

    def make(policy: str = "full_prepayment"):
        business.deposit_policy = policy
        session.commit()
        booking = make_hold(now=now)
        started = start_stripe_checkout(session, stripe_provider, booking, now)
        fake_stripe.pay(started.payment.provider_session_id)
        assert payments.confirm_checkout(session, stripe_provider, started.payment.provider_session_id, now=now).result == "booked"
        booking_domain.start(session, booking, now=SERVING)
        session.commit()
        return booking

    return make


@pytest.fixture
def product(session, salon):
    item = Product(business_id=salon[0].id, name="Leave-In Conditioner", price_cents=2400, inventory_count=5)
    session.add(item)
    session.commit()
    return item


def _checkout_with(session, booking, product, *, tip_cents=0):
    checkout = checkout_domain.open_checkout(session, booking, now=SERVING)
    checkout_domain.add_product(session, checkout, product)
    if tip_cents:
        checkout_domain.set_tip(session, checkout, tip_cents)
    session.commit()
    return checkout


def _card_page(session, stripe_provider, checkout):
    started = checkout_domain.start_card_payment(
        session, stripe_provider, checkout, success_url=SUCCESS, cancel_url=CANCEL, actor="front_desk:test",
        now=SERVING,
    )
    session.commit()
    return started


def test_card_payment_for_extras_on_a_booking_prepaid_in_full_is_kept(session, prepaid, product, stripe_provider, fake_stripe):
    booking = prepaid("full_prepayment")
    checkout = _checkout_with(session, booking, product, tip_cents=500)
    started = _card_page(session, stripe_provider, checkout)
    assert (started.payment.kind, started.payment.amount_cents) == ("balance", 2400 + 500)
    fake_stripe.pay(started.payment.provider_session_id)
    outcome = checkout_domain.confirm_card_payment(
        session, stripe_provider, checkout, started.payment.provider_session_id, actor="front_desk:test", now=SERVING,
    )
    session.commit()
    assert outcome.result == "paid"
    assert [(p.kind, p.status) for p in incoming(session, booking)] == [("prepayment", "succeeded"), ("balance", "succeeded")]
    assert fake_stripe.sent("POST", "/v1/refunds") == []
    assert (checkout.status, checkout.total_cents) == ("closed", 7900)
    assert not any(payments.DUPLICATE_REASON in (e.note or "") for e in booking.history)


def test_the_webhook_alone_keeps_a_payment_for_extras_too(session, prepaid, product, stripe_provider, fake_stripe):
    """The rule is the payments package's: confirm_checkout (the webhook's path, no
    dashboard code around it) measures the payment against the checkout's bill."""
    booking = prepaid("full_prepayment")
    checkout = _checkout_with(session, booking, product)
    started = _card_page(session, stripe_provider, checkout)
    fake_stripe.pay(started.payment.provider_session_id)
    outcome = payments.confirm_checkout(session, stripe_provider, started.payment.provider_session_id, now=SERVING)
    session.commit()
    assert outcome.result == "paid" and started.payment.status == "succeeded"
    assert checkout_domain.totals(session, checkout).due_cents == 0


def test_a_card_payment_for_a_bill_the_desk_took_meanwhile_is_refunded(session, prepaid, product, stripe_provider, fake_stripe):
    """The page for the extras was paid after the desk took the same amount in cash: the
    bill was paid without it, so it is refunded in full and the checkout closes."""
    booking = prepaid("full_prepayment")
    checkout = _checkout_with(session, booking, product)
    started = _card_page(session, stripe_provider, checkout)
    checkout_domain.take_in_person(session, checkout, "cash", actor="front_desk:test", now=SERVING)
    session.commit()
    fake_stripe.pay(started.payment.provider_session_id)
    outcome = checkout_domain.confirm_card_payment(
        session, stripe_provider, checkout, started.payment.provider_session_id, actor="front_desk:test", now=SERVING,
    )
    session.commit()
    assert outcome.result == "refunded_duplicate" and started.payment.status == "refunded"
    (refund,) = fake_stripe.sent("POST", "/v1/refunds")
    assert refund.form["amount"] == "2400"
    assert checkout.status == "closed" and checkout_domain.totals(session, checkout).paid_cents == 7400


def test_two_pages_for_the_same_extras_both_paid_the_second_is_refunded(session, prepaid, product, stripe_provider, fake_stripe):
    booking = prepaid("full_prepayment")
    checkout = _checkout_with(session, booking, product)
    first = _card_page(session, stripe_provider, checkout)
    # As if the first page had been wrongly closed on our side: a second opens while the
    # provider's first page can still be paid.
    first.payment.status, first.payment.failure_reason = "failed", "expired"
    session.commit()
    second = _card_page(session, stripe_provider, checkout)
    assert second.payment.id != first.payment.id
    fake_stripe.pay(first.payment.provider_session_id)
    fake_stripe.pay(second.payment.provider_session_id)
    one = payments.confirm_checkout(session, stripe_provider, first.payment.provider_session_id, now=SERVING)
    two = payments.confirm_checkout(session, stripe_provider, second.payment.provider_session_id, now=SERVING)
    session.commit()
    assert (one.result, two.result) == ("paid", "refunded_duplicate")
    (refund,) = fake_stripe.sent("POST", "/v1/refunds")
    assert refund.form["amount"] == "2400"
    assert checkout_domain.totals(session, checkout).due_cents == 0


def test_a_second_balance_on_a_booking_without_a_checkout_is_still_refunded(session, prepaid, stripe_provider, fake_stripe, now):
    """Without a checkout the bill is the booking's price: 10.00 deposit, then the 40.00
    balance paid on two pages; the second is refunded."""
    booking = prepaid("service_deposit")
    first = start_stripe_checkout(session, stripe_provider, booking, now)
    assert (first.payment.kind, first.payment.amount_cents) == ("balance", 4000)
    first.payment.status, first.payment.failure_reason = "failed", "expired"
    session.commit()
    second = start_stripe_checkout(session, stripe_provider, booking, now)
    fake_stripe.pay(first.payment.provider_session_id)
    fake_stripe.pay(second.payment.provider_session_id)
    assert payments.confirm_checkout(session, stripe_provider, first.payment.provider_session_id, now=now).result == "paid"
    assert payments.confirm_checkout(session, stripe_provider, second.payment.provider_session_id, now=now).result == "refunded_duplicate"
    session.commit()
    bal = payments.balance(session, booking)
    assert (bal.net_paid_cents, bal.owed_cents) == (5000, 0)


def test_a_balance_that_pays_part_of_what_is_owed_elsewhere_is_kept(session, prepaid, product, stripe_provider, fake_stripe):
    """Not a duplicate when the bill was only partly paid without it: the checkout is left
    with the excess to give back, as the desk decides."""
    booking = prepaid("full_prepayment")
    checkout = _checkout_with(session, booking, product)
    started = _card_page(session, stripe_provider, checkout)
    checkout_domain.take_in_person(session, checkout, "cash", 1000, actor="front_desk:test", now=SERVING)
    session.commit()
    fake_stripe.pay(started.payment.provider_session_id)
    outcome = checkout_domain.confirm_card_payment(
        session, stripe_provider, checkout, started.payment.provider_session_id, actor="front_desk:test", now=SERVING,
    )
    session.commit()
    assert outcome.result == "paid" and started.payment.status == "succeeded"
    assert checkout.status == "open" and checkout_domain.totals(session, checkout).due_cents == -1000


# ledger.bill against domain.checkout.totals -------------------------------------------


def _same_bill(session, booking, checkout):
    session.expire_all()
    bill = ledger.bill(session, booking)
    money = checkout_domain.totals(session, checkout)
    assert bill.by_checkout
    assert (bill.total_cents, bill.desk_paid_cents) == (money.total_cents, money.desk_paid_cents)
    return bill


def test_the_ledgers_bill_is_the_checkouts_total(session, salon, prepaid, product, stripe_provider, fake_stripe):
    business = salon[0]
    booking = prepaid("service_deposit")
    assert ledger.bill(session, booking) == ledger.Bill(total_cents=5000, desk_paid_cents=0, by_checkout=False)
    addon = Service(business_id=business.id, name="Hand Massage", duration_minutes=15, price_cents=1500)
    session.add(addon)
    session.commit()
    checkout = checkout_domain.open_checkout(session, booking, now=SERVING)
    assert _same_bill(session, booking, checkout).total_cents == 5000
    checkout_domain.add_product(session, checkout, product, quantity=2)
    checkout_domain.add_addon_service(session, checkout, addon)
    checkout_domain.add_discount(session, checkout, percent=10)
    checkout_domain.add_discount(session, checkout, amount_cents=700)
    checkout_domain.set_tip(session, checkout, 650)
    session.commit()
    # sold 50.00 + 2 x 24.00 + 15.00 = 113.00; less 10% (11.30) and 7.00; plus a 6.50 tip
    assert _same_bill(session, booking, checkout).total_cents == 10120
    checkout_domain.take_in_person(session, checkout, "cash", 2000, actor="front_desk:test", now=SERVING)
    checkout_domain.take_in_person(session, checkout, "card_present", actor="front_desk:test", now=SERVING)
    session.commit()
    assert _same_bill(session, booking, checkout).desk_paid_cents == 10120 - 1000  # the deposit paid the rest
    checkout_domain.close_checkout(session, checkout, actor="front_desk:test", now=SERVING + timedelta(minutes=50))
    checkout_domain.refund(session, stripe_provider, checkout, 500, method="cash", actor="front_desk:test", now=SERVING)
    session.commit()
    bill = _same_bill(session, booking, checkout)
    assert (bill.total_cents, bill.desk_paid_cents) == (10120, 10120 - 1000 - 500)


def test_discounts_above_what_was_sold_count_as_what_was_sold(session, prepaid, stripe_provider, fake_stripe):
    booking = prepaid("full_prepayment")
    checkout = checkout_domain.open_checkout(session, booking, now=SERVING)
    checkout_domain.add_discount(session, checkout, percent=100)
    checkout_domain.set_tip(session, checkout, 300)
    session.commit()
    assert _same_bill(session, booking, checkout).total_cents == 300
