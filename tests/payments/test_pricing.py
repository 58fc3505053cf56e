"""Prices with promotion codes: percent and fixed, validity dates, use limits that count
only paid or confirmed bookings, and what is due up front per deposit policy."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bookingapp.domain import pricing
from bookingapp.domain.errors import ValidationError
from bookingapp.models.payment import Promotion


@pytest.fixture
def promo(session, salon):
    business = salon[0]

    def make(code="SUMMER20", **fields) -> Promotion:
        values = dict(business_id=business.id, code=code, kind="percent", percent_off=20)
        values.update(fields)
        if values["kind"] == "fixed":
            values.pop("percent_off", None)
        promotion = Promotion(**values)
        session.add(promotion)
        session.commit()
        return promotion

    return make


def test_quote_without_code_takes_service_price_and_deposit(session, salon, now):
    business, service, *_ = salon
    q = pricing.quote(session, business, service, now=now)
    assert (q.price_cents, q.discount_cents, q.total_cents, q.deposit_cents, q.due_now_cents) == (5000, 0, 5000, 1000, 1000)
    assert q.payment_kind == "deposit" and q.promotion is None


def test_percent_code_is_case_insensitive_and_rounds_to_the_cent(session, salon, promo, make_service, now):
    business = salon[0]
    promo(percent_off=15)
    service = make_service(business, price_cents=3333, deposit_cents=500)
    q = pricing.quote(session, business, service, " summer20 ", now=now)
    assert q.discount_cents == 500  # 15% of 33.33 = 4.9995 -> 5.00
    assert q.total_cents == 2833 and q.promotion.code == "SUMMER20"


def test_fixed_code_never_takes_price_below_zero_and_caps_the_deposit(session, salon, promo, now):
    business, service, *_ = salon
    promo(code="BIG", kind="fixed", amount_off_cents=4500)
    q = pricing.quote(session, business, service, "big", now=now)
    assert (q.discount_cents, q.total_cents, q.deposit_cents, q.due_now_cents) == (4500, 500, 500, 500)
    promo(code="HUGE", kind="fixed", amount_off_cents=9000)
    q = pricing.quote(session, business, service, "HUGE", now=now)
    assert (q.total_cents, q.due_now_cents, q.payment_kind) == (0, 0, None)


@pytest.mark.parametrize("policy, due", [("service_deposit", 1000), ("full_prepayment", 4000), ("none", 0)])
def test_due_up_front_follows_the_deposit_policy(session, salon, promo, now, policy, due):
    business, service, *_ = salon
    business.deposit_policy = policy
    session.commit()
    promo()
    q = pricing.quote(session, business, service, "SUMMER20", now=now)
    assert q.total_cents == 4000 and q.due_now_cents == due


@pytest.mark.parametrize("fields, message", [
    ({}, "is not a valid promotion code"),
    ({"is_active": False}, "is not a valid promotion code"),
    ({"valid_from": "future"}, "is not valid yet"),
    ({"valid_until": "past"}, "has expired"),
])
def test_bad_codes_are_refused_with_a_reason(session, salon, promo, now, fields, message):
    business, service, *_ = salon
    if fields:
        values = {k: (now + timedelta(days=1) if v == "future" else now - timedelta(seconds=1) if v == "past" else v)
                  for k, v in fields.items()}
        if "valid_until" in values:
            values["valid_from"] = now - timedelta(days=10)
        promo(code="CODE", **values)
    with pytest.raises(ValidationError) as raised:
        pricing.quote(session, business, service, "CODE", now=now)
    assert raised.value.param == "promo_code" and message in raised.value.message


def test_use_limit_counts_only_paid_or_confirmed_bookings(session, salon, promo, make_hold, now):
    business, service, *_ = salon
    promotion = promo(code="ONCE", max_uses=1)
    first, second = make_hold(now=now, hour=10), make_hold(now=now, hour=12)
    pricing.apply_promotion(session, first, business, "ONCE", now=now)
    # Applied to an unpaid hold: not a use yet, so another booking may still apply it.
    pricing.apply_promotion(session, second, business, "ONCE", now=now)
    assert pricing.times_used(session, promotion) == 0
    pricing.count_promotion_use(session, first, now=now)
    pricing.count_promotion_use(session, first, now=now)  # counted once only
    session.commit()
    assert pricing.times_used(session, promotion) == 1
    with pytest.raises(ValidationError, match="used up"):
        pricing.quote(session, business, service, "ONCE", now=now)
    # The booking that used it can still be re-quoted with it.
    assert pricing.apply_promotion(session, first, business, "ONCE", now=now).discount_cents == 1000


def test_applied_promotion_is_kept_as_snapshot_and_can_be_removed(session, salon, promo, make_hold, now):
    business, *_ = salon
    booking = make_hold(now=now)
    promotion = promo()
    q = pricing.apply_promotion(session, booking, business, "SUMMER20", now=now)
    assert q.total_cents == 4000 and booking.price_cents == 5000  # the snapshot is untouched
    promotion.percent_off = 50  # a later change to the promotion does not rewrite the booking
    session.commit()
    assert pricing.quote_booking(session, booking, business).total_cents == 4000
    assert pricing.apply_promotion(session, booking, business, "", now=now).total_cents == 5000
    assert pricing.redemption_of(session, booking) is None
