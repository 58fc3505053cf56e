"""A booking's answer shows its money without reading it when the same transaction made the
booking and wrote no money row (domain/booking_money.note_fresh: issue 13's hold read it
for nothing). These check the answer stays right when money IS written in that transaction
or afterwards: a promotion applied by a one-step booking, a payment added before the answer
is built, a reschedule that carries payments over, and the next request."""
from __future__ import annotations

import uuid

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.booking_money import money_rows, money_summary
from bookingapp.models.payment import Payment, Promotion
from tests.helpers import MONDAY, at, before


def _body(service, hour, **extra):
    return {"service_id": str(service.id), "start_at": at(MONDAY, hour).isoformat(), **extra}


def test_a_one_step_booking_with_a_promotion_answers_with_the_discount(api, salon, session):
    business, service, *_ = salon
    session.add(Promotion(business_id=business.id, code="TENOFF", kind="fixed", amount_off_cents=1000))
    session.commit()
    made = api.post("/bookings", json=_body(service, 10, customer_name="Ada Lovelace",
                                            customer_email="ada@example.com", promo_code="TENOFF"))
    assert made.status_code == 201, made.get_json()
    money = made.get_json()["data"]["money"]
    assert money["discount_cents"] == 1000, money
    assert money["balance_due_cents"] == service.price_cents - 1000, money


def test_a_payment_written_after_the_hold_in_the_same_transaction_is_in_its_money(session, salon):
    business, service, alice, _ = salon
    held = booking_ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=before())
    assert money_rows(session, held).payments == []  # nothing written yet: known without a read
    # Not flushed yet: the skipped read would have flushed it, so it must not be skipped.
    session.add(Payment(business_id=business.id, booking_id=held.id, kind="deposit", status="succeeded",
                        amount_cents=500, currency=held.currency, provider="sandbox"))
    assert [p.amount_cents for p in money_rows(session, held).payments] == [500]
    session.flush()
    assert money_summary(session, held, business).paid_cents == 500
    session.commit()


def test_a_reschedule_answers_with_the_payments_it_carried_over(api, salon, session):
    business, service, alice, _ = salon
    made = api.post("/bookings", json=_body(service, 10, staff_id=str(alice.id), customer_name="Ada Lovelace",
                                            customer_email="ada@example.com"))
    assert made.status_code == 201, made.get_json()
    booking_id = uuid.UUID(made.get_json()["data"]["id"])
    session.add(Payment(business_id=business.id, booking_id=booking_id, kind="deposit", status="succeeded",
                        amount_cents=700, currency=service.currency, provider="sandbox"))
    session.commit()
    moved = api.post(f"/bookings/{booking_id}/reschedule", json={"start_at": at(MONDAY, 14).isoformat()})
    assert moved.status_code in (200, 201), moved.get_json()
    money = moved.get_json()["data"]["money"]
    assert money["paid_cents"] == 700, money
