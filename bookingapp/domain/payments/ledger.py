"""The ledger: what a booking has paid, had refunded and still owes, read from its payment
rows, and the few helpers every payment change shares (row locks, history notes, outbox
events).

What a booking has paid and owes is derived from its payment rows (`balance`), never typed
in. A refund is its own payment row pointing at the payment it returns money from.

A booking checked out at the dashboard is billed by its checkout (products, add-ons, tip,
discounts, cash and card-present money at the desk), which the booking's own price does not
know: `bill` reads that bill from the checkout's rows, for the payment rules that must
measure a payment against what is really owed (a duplicate payment, see
online_checkout.confirm_checkout). domain.checkout imports this package, so the bill is
read from the Checkout models here rather than from domain.checkout.totals; its arithmetic
is the same, and tests/payments/test_duplicates_and_checkout_bill.py holds the two together.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bookingapp.db import acquire_write_lock
from bookingapp.domain.money import format_money_for
from bookingapp.domain.outbox import record_event
from bookingapp.domain.payments.payment_states import (
    EXPIRED_REASON, INCOMING_KINDS, MONEY_IN_STATUSES, OPEN_CHECKOUT_STATUSES, REFUND_COUNTED_STATUSES,
)
from bookingapp.domain.pricing import UNREAD, quote_booking
from bookingapp.domain.states import BookingStatus
from bookingapp.models import Booking, BookingEvent, Business
from bookingapp.models.checkout import Checkout, CheckoutLineItem, CheckoutTender
from bookingapp.models.payment import Payment

S = BookingStatus


@dataclass(frozen=True)
class Balance:
    """Money on one booking, all derived from its payment rows."""

    currency: str
    price_cents: int
    discount_cents: int
    total_cents: int
    deposit_cents: int
    paid_cents: int          # money taken (succeeded payments, before refunds)
    refunded_cents: int      # refunds made or on their way
    net_paid_cents: int      # paid - refunded
    owed_cents: int          # what is still to pay for the service (0 for a booking that will not happen)
    due_now_cents: int       # what is still to pay before the booking is made (deposit or prepayment)


def money_of(session: Session, booking: Booking, cents: int, currency: str | None = None) -> str:
    """An amount as the booking's business writes money (its locale; the booking's currency
    unless another is given), for history notes and messages."""
    return format_money_for(business_of(session, booking), cents, currency or booking.currency)


def payment_payload(payment: Payment) -> dict[str, Any]:
    """The payment as our webhook receivers see it."""
    return {
        "id": str(payment.id),
        "booking_id": str(payment.booking_id),
        "kind": payment.kind,
        "status": payment.status,
        "amount_cents": payment.amount_cents,
        "currency": payment.currency,
        "provider": payment.provider,
        "refund_of_id": str(payment.refund_of_id) if payment.refund_of_id else None,
        "failure_reason": payment.failure_reason,
    }


def emit_payment_event(session: Session, payment: Payment, topic: str, *, now: datetime) -> None:
    """An outbox event (payment.succeeded / failed / refunded) in the same transaction."""
    record_event(session, payment.business_id, topic, payment_payload(payment), now=now)


def note_in_history(booking: Booking, note: str, *, now: datetime, actor: str) -> None:
    """A line in the booking's history that is not a status change (the owner sees it)."""
    booking.history.append(
        BookingEvent(from_status=booking.status, to_status=booking.status, actor=actor, note=note, at=now)
    )


def lock_booking(session: Session, booking: Booking) -> None:
    """Lock the booking's row (and on SQLite take the write lock) and re-read it: every
    payment change of one booking runs one after the other."""
    acquire_write_lock(session)
    session.flush()  # refresh would otherwise discard the caller's unflushed changes
    session.refresh(booking, with_for_update=True)


def lock_payment(session: Session, payment: Payment) -> None:
    session.refresh(payment, with_for_update=True)


def business_of(session: Session, booking: Booking) -> Business:
    return session.get(Business, booking.business_id)


def payments_of(session: Session, booking: Booking) -> list[Payment]:
    return list(session.scalars(
        select(Payment).where(Payment.booking_id == booking.id).order_by(Payment.created_at, Payment.id)
    ))


def money_taken(session: Session, booking: Booking) -> bool:
    """Whether any money has actually been paid on the booking (the price may then no
    longer change). A checkout page opened, or a card declined, is not a payment made."""
    return session.scalar(
        select(Payment.id).where(
            Payment.booking_id == booking.id,
            Payment.kind.in_(INCOMING_KINDS),
            Payment.status.in_(MONEY_IN_STATUSES),
        ).limit(1)
    ) is not None


def is_open_checkout(payment: Payment) -> bool:
    return (
        payment.kind in INCOMING_KINDS and payment.status in OPEN_CHECKOUT_STATUSES
        and payment.provider_session_id is not None
        and not (payment.status == "failed" and payment.failure_reason == EXPIRED_REASON)
    )


def open_checkouts(session: Session, booking: Booking) -> list[Payment]:
    """Hosted pages of this booking that may still be paid, oldest first."""
    return [p for p in payments_of(session, booking) if is_open_checkout(p)]


def payment_may_still_arrive(session: Session, booking: Booking) -> bool:
    """A checkout page is still open for this booking, so its payment may still come in
    (and book a hold that ran out, while the time is free: see online_checkout.confirm_checkout)."""
    return bool(open_checkouts(session, booking))


def refunded_of(session: Session, payment: Payment) -> int:
    """Cents refunded (or on their way back) from one payment."""
    return sum(session.scalars(
        select(Payment.amount_cents).where(
            Payment.refund_of_id == payment.id, Payment.status.in_(REFUND_COUNTED_STATUSES)
        )
    ))


def balance(session: Session, booking: Booking, business: Business | None = None, *,
            payments: list[Payment] | None = None, redemption: Any = UNREAD) -> Balance:
    """What the booking costs, has paid, has had refunded and still owes. `payments` (in
    payments_of's order) and `redemption`: the booking's rows when the caller has read them."""
    business = business or business_of(session, booking)
    price = quote_booking(session, booking, business, redemption=redemption)
    rows = payments_of(session, booking) if payments is None else payments
    paid = sum(p.amount_cents for p in rows if p.kind in INCOMING_KINDS and p.status in MONEY_IN_STATUSES)
    refunded = sum(p.amount_cents for p in rows if p.kind == "refund" and p.status in REFUND_COUNTED_STATUSES)
    net = paid - refunded
    going_ahead = booking.status in (S.HELD, S.RESERVED, S.PENDING, S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED, S.NO_SHOW)
    owed = max(price.total_cents - net, 0) if going_ahead else 0
    not_yet_booked = booking.status in (S.HELD, S.RESERVED)
    due_now = max(price.due_now_cents - net, 0) if not_yet_booked else 0
    return Balance(
        currency=booking.currency,
        price_cents=price.price_cents,
        discount_cents=price.discount_cents,
        total_cents=price.total_cents,
        deposit_cents=price.deposit_cents,
        paid_cents=paid,
        refunded_cents=refunded,
        net_paid_cents=net,
        owed_cents=owed,
        due_now_cents=due_now,
    )


# The checkout's line types that are sold (a discount is taken off them, a tip added), as
# domain.checkout.SOLD_TYPES.
CHECKOUT_SOLD_TYPES = ("service", "addon_service", "product")


@dataclass(frozen=True)
class Bill:
    """What the booking is billed and what was paid for it outside the payment provider."""

    total_cents: int        # the checkout's total (open: from its lines; closed: as closed), else the booking's price after any promotion
    desk_paid_cents: int    # cash and card-present at the checkout, net of desk refunds (0 without a checkout)
    by_checkout: bool


def bill(session: Session, booking: Booking, business: Business | None = None) -> Bill:
    """The booking's bill: its dashboard checkout's when it has one (the same total as
    domain.checkout.totals: what was sold, less discounts of at most that, plus the tip;
    the frozen total once closed), otherwise the booking's price after any promotion.
    Read with queries, so lines and tenders another transaction added are counted."""
    session.flush()
    row = session.execute(
        select(Checkout.id, Checkout.status, Checkout.total_cents).where(Checkout.booking_id == booking.id)
    ).one_or_none()
    if row is None:
        return Bill(quote_booking(session, booking, business or business_of(session, booking)).total_cents, 0, False)
    checkout_id, status, closed_total = row
    amounts = dict(session.execute(
        select(CheckoutLineItem.type, func.coalesce(func.sum(CheckoutLineItem.price_cents * CheckoutLineItem.quantity), 0))
        .where(CheckoutLineItem.checkout_id == checkout_id).group_by(CheckoutLineItem.type)
    ).all())
    sold = sum(amounts.get(kind, 0) for kind in CHECKOUT_SOLD_TYPES)
    total = closed_total if status == "closed" else sold - min(amounts.get("discount", 0), sold) + amounts.get("tip", 0)
    tenders = dict(session.execute(
        select(CheckoutTender.kind, func.coalesce(func.sum(CheckoutTender.amount_cents), 0))
        .where(CheckoutTender.checkout_id == checkout_id).group_by(CheckoutTender.kind)
    ).all())
    return Bill(total, tenders.get("payment", 0) - tenders.get("refund", 0), True)


def owed_without(session: Session, booking: Booking, payment: Payment, business: Business | None = None) -> int:
    """What the booking's bill still asked for leaving this one payment out: the bill less
    every other provider payment (net of every refund) and the desk's money. Zero or less:
    the bill had been paid in full by other money, so this payment was not needed."""
    rows = payments_of(session, booking)
    others = sum(
        p.amount_cents for p in rows
        if p.id != payment.id and p.kind in INCOMING_KINDS and p.status in MONEY_IN_STATUSES
    )
    refunded = sum(p.amount_cents for p in rows if p.kind == "refund" and p.status in REFUND_COUNTED_STATUSES)
    billed = bill(session, booking, business)
    return billed.total_cents - (others - refunded) - billed.desk_paid_cents


def amount_due_up_front(session: Session, booking: Booking, business: Business | None = None) -> int:
    """What the customer must still pay before a held booking is made: the deposit, the
    full price under 'full_prepayment', nothing under 'none' (then book it directly)."""
    return balance(session, booking, business).due_now_cents


def refundable_cents(session: Session, booking: Booking) -> int:
    return balance(session, booking).net_paid_cents
