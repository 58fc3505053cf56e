"""The booking lifecycle through the domain functions."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bookingapp.domain import booking as ops
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.domain.errors import HoldExpired, InvalidTransition, SlotUnavailable, ValidationError
from bookingapp.models import Booking, Customer, OutboxEvent
from tests.helpers import MONDAY, at, before, customer_emails


def topics(session):
    """The webhook events recorded (customer emails are checked apart, with emails())."""
    return [e.topic for e in session.scalars(select(OutboxEvent).order_by(OutboxEvent.created_at))
            if not e.topic.startswith("email.")]


def emails(session):
    """The customer emails recorded, as their kinds, oldest first."""
    return [message.kind for message in customer_emails(session)]


def test_hold_takes_the_slot_until_it_expires(session, salon):
    business, service, alice, _ = salon
    now = before()
    held = ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=now)
    session.commit()
    assert held.status == "held"
    assert held.hold_expires_at == now + timedelta(seconds=business.hold_seconds)
    assert re.fullmatch(r"BK-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{8}", held.booking_number)
    assert held.blocked_from == at(MONDAY, 10) and held.blocked_until == at(MONDAY, 11)
    assert [(e.from_status, e.to_status) for e in held.history] == [(None, "held")]
    assert topics(session) == []  # a hold is not yet a booking


def test_second_hold_on_same_slot_and_staff_is_refused(session, salon):
    business, service, alice, _ = salon
    ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=before())
    session.commit()
    with pytest.raises(SlotUnavailable):
        ops.hold(session, business, service, at(MONDAY, 10, 30), staff=alice, now=before())


def test_anyone_hold_falls_to_the_next_free_staff_member(session, salon):
    business, service, alice, bob = salon
    first = ops.hold(session, business, service, at(MONDAY, 10), now=before())
    second = ops.hold(session, business, service, at(MONDAY, 10), now=before())
    session.commit()
    assert {first.staff_id, second.staff_id} == {alice.id, bob.id}
    with pytest.raises(SlotUnavailable):
        ops.hold(session, business, service, at(MONDAY, 10), now=before())


def test_off_grid_or_closed_times_are_not_bookable(session, salon):
    business, service, alice, _ = salon
    with pytest.raises(SlotUnavailable):
        ops.hold(session, business, service, at(MONDAY, 10, 7), staff=alice, now=before())
    with pytest.raises(SlotUnavailable):
        ops.hold(session, business, service, at(MONDAY, 17, 30), staff=alice, now=before())  # would end 18:30


def test_naive_start_is_a_validation_error(session, salon):
    business, service, alice, _ = salon
    with pytest.raises(ValidationError) as caught:
        ops.hold(session, business, service, datetime(2030, 6, 3, 10), staff=alice, now=before())
    assert caught.value.param == "start_at"


def test_inactive_service_cannot_be_booked(session, salon):
    business, service, alice, _ = salon
    service.is_active = False
    session.commit()
    with pytest.raises(ValidationError) as caught:
        ops.hold(session, business, service, at(MONDAY, 10), now=before())
    assert caught.value.param == "service_id"


def test_book_turns_a_hold_into_a_confirmed_booking(session, salon, make_customer):
    business, service, alice, _ = salon
    held = ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=before())
    customer = make_customer(business)
    ops.book(session, held, business, customer=customer, now=before() + timedelta(minutes=3))
    session.commit()
    assert held.status == "confirmed"
    assert held.hold_expires_at is None
    assert held.confirmed_at is not None
    assert [e.to_status for e in held.history] == ["held", "confirmed"]
    assert topics(session) == ["booking.created"]


def test_without_auto_confirm_a_booking_is_pending_until_confirmed(session, salon, make_customer):
    business, service, alice, _ = salon
    business.auto_confirm = False
    booking = ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), now=before())
    assert booking.status == "pending"
    ops.confirm(session, booking, now=before())
    assert booking.status == "confirmed"


def test_reservation_does_not_expire(session, salon, make_customer):
    business, service, alice, _ = salon
    reserved = ops.reserve(session, business, service, at(MONDAY, 10), staff=alice, now=before())
    session.commit()
    much_later = before() + timedelta(hours=5)
    assert ops.expire_stale_holds(session, now=much_later) == 0
    with pytest.raises(SlotUnavailable):
        ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=much_later)
    session.rollback()
    ops.book(session, reserved, business, customer=make_customer(business), now=much_later)
    assert reserved.status == "confirmed"


def test_stale_holds_expire_and_free_the_time(session, salon):
    business, service, alice, _ = salon
    now = before()
    old = ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=now)
    session.commit()
    later = now + timedelta(seconds=business.hold_seconds + 1)
    fresh = ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=later)
    session.commit()
    assert old.status == "expired"
    assert old.history[-1].note == "hold ran out"
    assert fresh.status == "held"


def test_expired_hold_can_still_be_booked_while_its_time_is_free(session, salon, make_customer):
    business, service, alice, _ = salon
    now = before()
    held = ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=now)
    session.commit()
    late = now + timedelta(seconds=business.hold_seconds + 60)
    ops.book(session, held, business, customer=make_customer(business), now=late)
    session.commit()
    assert held.status == "confirmed"
    assert [e.to_status for e in held.history] == ["held", "expired", "confirmed"]


def test_expired_hold_whose_time_was_taken_cannot_be_booked(session, salon, make_customer):
    business, service, alice, _ = salon
    now = before()
    held = ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=now)
    session.commit()
    late = now + timedelta(seconds=business.hold_seconds + 60)
    ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), staff=alice, now=late)
    session.commit()
    with pytest.raises(HoldExpired):
        ops.book(session, held, business, customer=make_customer(business), now=late)
    session.commit()
    assert held.status == "expired"


def test_cancel_records_reason_and_time_and_frees_the_slot(session, salon, make_customer):
    business, service, alice, _ = salon
    booking = ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), staff=alice, now=before())
    ops.cancel(session, booking, reason="Feeling unwell", now=before())
    session.commit()
    assert booking.status == "cancelled"
    assert booking.cancellation_reason == "Feeling unwell"
    assert booking.cancelled_at == before()
    assert topics(session) == ["booking.created", "booking.cancelled"]
    ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=before())


def test_cancelling_a_completed_booking_is_refused_with_the_seed_message(session, salon, make_customer):
    business, service, alice, _ = salon
    booking = ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), now=before())
    ops.start(session, booking, now=at(MONDAY, 10))
    ops.complete(session, booking, now=at(MONDAY, 11))
    with pytest.raises(InvalidTransition) as caught:
        ops.cancel(session, booking, now=at(MONDAY, 12))
    assert str(caught.value) == 'Cannot transition from "completed" to "cancelled". Valid transitions: none (terminal status)'


def test_reschedule_moves_to_a_new_booking_and_links_both(session, salon, make_customer):
    business, service, alice, _ = salon
    customer = make_customer(business)
    old = ops.create_booking(session, business, service, at(MONDAY, 10), customer, staff=alice, now=before(), notes="window seat")
    session.commit()
    new = ops.reschedule(session, old, business, at(MONDAY, 10, 30), now=before())
    session.commit()
    assert old.status == "rescheduled" and new.status == "confirmed"
    assert old.rescheduled_to_id == new.id and new.rescheduled_from_id == old.id
    assert new.staff_id == alice.id  # same staff by default; overlapping its own old time is fine
    assert (new.customer_id, new.notes, new.price_cents, new.deposit_cents) == (customer.id, "window seat", old.price_cents, old.deposit_cents)
    assert topics(session) == ["booking.created", "booking.rescheduled"]


def test_rescheduling_a_hold_keeps_it_a_hold_with_a_fresh_expiry(session, salon):
    business, service, alice, _ = salon
    held = ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=before())
    later = before() + timedelta(minutes=5)
    new = ops.reschedule(session, held, business, at(MONDAY, 14), now=later)
    assert new.status == "held"
    assert new.hold_expires_at == later + timedelta(seconds=business.hold_seconds)


def test_reschedule_to_a_taken_time_leaves_the_booking_as_it_was(session, salon, make_customer):
    business, service, alice, _ = salon
    mine = ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), staff=alice, now=before())
    ops.create_booking(session, business, service, at(MONDAY, 14), make_customer(business), staff=alice, now=before())
    session.commit()
    with pytest.raises(SlotUnavailable):
        ops.reschedule(session, mine, business, at(MONDAY, 14), now=before())
    session.commit()
    session.refresh(mine)
    assert mine.status == "confirmed" and mine.rescheduled_to_id is None
    assert session.scalar(select(func.count()).select_from(Booking)) == 2


def test_customers_are_grouped_by_email_case_insensitively(session, salon):
    business, *_ = salon
    first = find_or_create_customer(session, business, email="Ada@Example.com", name="Ada", phone="020 7946 0000")
    second = find_or_create_customer(session, business, email="ada@example.com ", name="Ada Lovelace")
    session.commit()
    assert first.id == second.id
    assert second.name == "Ada Lovelace" and second.phone == "+442079460000"
    assert session.scalar(select(func.count()).select_from(Customer)) == 1


@pytest.mark.parametrize("field,kwargs", [
    ("email", dict(email="not-an-email", name="A")),
    ("email", dict(email="", name="A")),
    ("name", dict(email="a@example.com", name="   ")),
    ("phone", dict(email="a@example.com", name="A", phone="12")),
])
def test_bad_customer_details_name_the_field(session, salon, field, kwargs):
    business, *_ = salon
    with pytest.raises(ValidationError) as caught:
        find_or_create_customer(session, business, **kwargs)
    assert caught.value.param == field


def test_a_time_never_offered_is_told_apart_from_a_taken_one(session, salon, make_customer):
    from bookingapp.domain.errors import SlotNotOffered

    business, service, alice, _ = salon
    ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=before())
    session.commit()
    with pytest.raises(SlotUnavailable) as taken:
        ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=before())
    assert not isinstance(taken.value, SlotNotOffered)
    for never in (at(MONDAY, 10, 7), at(MONDAY, 7), at(MONDAY, 17, 30)):  # off grid, before opening, runs past closing
        with pytest.raises(SlotNotOffered):
            ops.hold(session, business, service, never, staff=alice, now=before())
    with pytest.raises(SlotNotOffered):
        ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=at(MONDAY, 11))  # in the past
    with pytest.raises(SlotNotOffered):
        ops.hold(session, business, service, datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc), now=before())


def test_reschedule_carries_payments_and_promotion_to_the_new_booking(session, salon, make_customer):
    from bookingapp.domain import payments
    from bookingapp.models.payment import Payment, Promotion, PromotionRedemption

    business, service, alice, _ = salon  # price 5000, deposit 1000
    booking = ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), staff=alice, now=before())
    promotion = Promotion(business_id=business.id, code="TEN", kind="fixed", amount_off_cents=500)
    session.add(promotion)
    session.flush()
    session.add(PromotionRedemption(booking_id=booking.id, promotion_id=promotion.id, discount_cents=500))
    session.add(Payment(business_id=business.id, booking_id=booking.id, kind="deposit", status="succeeded",
                        amount_cents=1000, currency="GBP", provider="sandbox"))
    session.commit()
    moved = ops.reschedule(session, booking, business, at(MONDAY, 14), now=before())
    session.commit()
    money = payments.balance(session, moved, business)
    assert (money.net_paid_cents, money.discount_cents, money.owed_cents) == (1000, 500, 3500)
    assert payments.balance(session, booking, business).net_paid_cents == 0
    assert "1 payment record(s) carried over" in moved.history[-1].note


def test_late_booking_of_a_run_out_hold_when_another_run_out_hold_overlaps(session, salon, make_customer):
    """Two holds that both ran out on one time: the first one's late payment still books
    (the second is expired on the way), on PostgreSQL as on SQLite."""
    business, service, alice, _ = salon
    now = before()
    first = ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=now)
    session.commit()
    later = now + timedelta(seconds=business.hold_seconds + 1)
    second = ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=later)
    session.commit()
    much_later = later + timedelta(seconds=business.hold_seconds + 1)
    ops.book(session, first, business, customer=make_customer(business), now=much_later)
    session.commit()
    session.refresh(second)
    assert (first.status, second.status) == ("confirmed", "expired")


def test_a_customer_of_another_business_is_refused(session, salon, make_business, make_customer):
    business, service, alice, _ = salon
    stranger = make_customer(make_business())
    with pytest.raises(ValidationError) as caught:
        ops.create_booking(session, business, service, at(MONDAY, 10), stranger, now=before())
    assert caught.value.param == "customer"


def test_a_staff_member_who_does_not_perform_the_service_is_refused(session, salon, make_staff, make_customer):
    business, service, *_ = salon
    receptionist = make_staff(business, [], name="Erin", role="front_desk")
    with pytest.raises(ValidationError) as caught:
        ops.hold(session, business, service, at(MONDAY, 10), staff=receptionist, now=before())
    assert caught.value.param == "staff_id"


def test_the_front_desk_may_book_a_walk_in_inside_the_online_notice(session, salon, make_customer):
    from bookingapp.domain.availability import find_availability

    business, service, alice, _ = salon
    business.min_notice_minutes = 120
    session.commit()
    now = at(MONDAY, 9, 55)
    with pytest.raises(SlotUnavailable):
        ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), now=now, source="web")
    assert find_availability(session, business, service, MONDAY, now=now).find(at(MONDAY, 10)) is None
    assert find_availability(session, business, service, MONDAY, now=now, front_desk=True).find(at(MONDAY, 10))
    walk_in = ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), now=now,
                                 source="dashboard", actor="front_desk")
    assert walk_in.status == "confirmed"
