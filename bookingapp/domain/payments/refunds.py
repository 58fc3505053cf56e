"""Refunds and the cancellation policy: giving money back (any amount up to what was paid,
newest payment first), what cancelling a booking gives back at a given moment, and until
when a customer may still cancel or move a booking on their own.

Within the free-cancellation window everything paid is refunded; later the deposit is
kept and only what was paid beyond it is refunded. Once the visit has begun only the
business may cancel it. A refund is a payment row of its own (kind "refund") whose id is
the provider's idempotency key.

The customer's rule (ensure_customer_may_change) lives here rather than in domain.manage,
which re-exports it: cancel_with_policy applies it too, and domain.manage builds on this
module, so the rule has to sit below both.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bookingapp.domain import audit
from bookingapp.domain import booking as booking_domain
from bookingapp.domain.clock import resolve_now as _now
from bookingapp.domain.errors import PaymentUnavailable, ValidationError
from bookingapp.domain.messages import N_, StatusValue
from bookingapp.domain.payments.ledger import (
    balance, business_of, emit_payment_event, lock_booking, lock_payment, money_of, note_in_history, payments_of,
    refundable_cents, refunded_of,
)
from bookingapp.domain.payments.payment_states import INCOMING_KINDS, move_payment
from bookingapp.domain.payments.providers import provider_for_payment
from bookingapp.domain import notify
from bookingapp.domain.policy import free_cancellation_deadline
from bookingapp.domain.states import UPCOMING_STATUSES, BookingStatus
from bookingapp.models import Booking, Business
from bookingapp.models.payment import Payment
from bookingapp.payments.base import PaymentProvider, ProviderRejected, ProviderUnavailable


S = BookingStatus

# Statuses a customer may still cancel or move, as long as the visit has not started.
CHANGEABLE_STATUSES: tuple[str, ...] = UPCOMING_STATUSES


@dataclass(frozen=True)
class CancelOutcome:
    booking: Booking
    refunds: list[Payment] = field(default_factory=list)
    refunded_cents: int = 0
    within_free_window: bool = True


@dataclass(frozen=True)
class CancellationTerms:
    """What cancelling at a given moment would mean: the policy, before anyone decides."""

    within_free_window: bool
    free_until: datetime
    paid_cents: int
    refund_cents: int
    kept_cents: int
    currency: str


def _refund_details(booking: Booking, payment: Payment, amount: int, provider_error: str) -> dict:
    return {
        "booking_id": str(booking.id), "booking_number": booking.booking_number, "payment_id": str(payment.id),
        "provider": payment.provider, "amount_cents": amount, "provider_error": provider_error,
    }


def _refund_one(
    session: Session, provider: PaymentProvider, booking: Booking, payment: Payment, amount: int,
    *, now: datetime, reason: str | None, actor: str,
) -> Payment:
    """Refund part or all of one payment: a refund row, the provider's refund, the
    parent's status, an outbox event. The refund row's id is the idempotency key."""
    if not payment.provider_payment_intent_id:
        raise ValidationError("This payment has no provider payment to refund.", param="payment_id")
    provider = provider_for_payment(session, payment, provider)
    refund = Payment(
        id=uuid.uuid4(), business_id=payment.business_id, booking_id=payment.booking_id, kind="refund",
        status="created", amount_cents=amount, currency=payment.currency, provider=payment.provider,
        refund_of_id=payment.id, reason=reason, actor=actor, created_at=now, updated_at=now,
    )
    session.add(refund)
    session.flush()
    try:
        made = provider.create_refund(
            payment_intent_id=payment.provider_payment_intent_id,
            amount_cents=amount,
            metadata={"booking_id": str(booking.id), "payment_id": str(payment.id), "refund_id": str(refund.id)},
            idempotency_key=f"refund-{refund.id}",
        )
    except ProviderUnavailable as error:
        raise PaymentUnavailable(N_("The refund could not be made just now; nothing was changed. Try again.")) from error
    except ProviderRejected as error:
        # Not the caller's input at fault (the amount was checked above): no `param`, and
        # the message and details say which booking and payment the provider refused.
        raise ValidationError(
            f"The payment provider refused to refund {money_of(session, booking, amount, payment.currency)} of "
            f"payment {payment.id} on booking {booking.booking_number}: {error}",
            details=_refund_details(booking, payment, amount, str(error)),
        ) from error
    refund.provider_refund_id = made.id
    if made.status == "succeeded":
        move_payment(refund, "succeeded", now=now)
    elif made.status in ("failed", "canceled"):
        move_payment(refund, "failed", now=now)
        refund.failure_reason = f"refund {made.status} at the provider"
        session.flush()
        raise ValidationError(
            f"The payment provider could not refund payment {payment.id} on booking {booking.booking_number} "
            f"(the refund is {made.status}).",
            details=_refund_details(booking, payment, amount, f"refund {made.status}"),
        )
    else:
        move_payment(refund, "pending", now=now)
    session.flush()
    refunded = refunded_of(session, payment)
    move_payment(payment, "refunded" if refunded >= payment.amount_cents else "partially_refunded", now=now)
    session.flush()
    emit_payment_event(session, refund, "payment.refunded", now=now)
    audit.record(session, payment.business_id, "payment.refunded", actor=actor, subject=refund, now=now, details={
        "amount_cents": amount, "currency": payment.currency, "method": "card", "provider": payment.provider,
        "payment_id": str(payment.id), "booking_id": str(booking.id), "booking_number": booking.booking_number,
        "reason": reason})
    return refund


def refund_in_full(
    session: Session, provider: PaymentProvider, booking: Booking, payment: Payment, *, now: datetime, note: str,
) -> None:
    """Give one payment back whole, by the system (a payment that cannot book anything),
    with a line in the booking's history saying why."""
    _refund_one(session, provider, booking, payment, payment.amount_cents, now=now, reason=note, actor="system")
    note_in_history(booking, f"{note}: {money_of(session, booking, payment.amount_cents, payment.currency)} refunded automatically",
                    now=now, actor="system")


def refund(
    session: Session,
    provider: PaymentProvider,
    booking: Booking,
    amount_cents: int,
    *,
    reason: str | None = None,
    now: datetime | None = None,
    actor: str = "staff",
) -> list[Payment]:
    """Refund any amount up to what the booking has paid (net of earlier refunds),
    newest payment first; returns the refund rows (one per payment touched)."""
    now = _now(now)
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValidationError("Refund amount must be a whole number of cents above zero.", param="amount_cents")
    lock_booking(session, booking)
    available = refundable_cents(session, booking)
    if amount_cents > available:
        raise ValidationError(
            f"At most {money_of(session, booking, available)} can be refunded on this booking.",
            param="amount_cents", details={"refundable_cents": available},
        )
    refunds = []
    remaining = amount_cents
    sources = [p for p in reversed(payments_of(session, booking)) if p.kind in INCOMING_KINDS and p.status in ("succeeded", "partially_refunded")]
    for payment in sources:
        if remaining <= 0:
            break
        lock_payment(session, payment)
        left = payment.amount_cents - refunded_of(session, payment)
        take = min(left, remaining)
        if take <= 0:
            continue
        refunds.append(_refund_one(session, provider, booking, payment, take, now=now, reason=reason, actor=actor))
        remaining -= take
    note_in_history(booking, f"refunded {money_of(session, booking, amount_cents)}" + (f": {reason}" if reason else ""),
                    now=now, actor=actor)
    session.flush()
    return refunds


def customer_may_change(booking: Booking, now: datetime) -> bool:
    """A customer may cancel or move a booking that is made and has not started yet."""
    return booking.status in CHANGEABLE_STATUSES and booking.starts_at > now


def ensure_customer_may_change(booking: Booking, now: datetime, *, action: str) -> None:
    """ValidationError saying why the customer can no longer `action` ("cancel", "move")
    this booking; the business can still do it from the dashboard."""
    if customer_may_change(booking, now):
        return
    started = booking.status in CHANGEABLE_STATUSES or booking.status == S.IN_PROGRESS
    # One whole sentence per action, so that each language can say it its own way.
    if action == "cancel":
        message = (N_("This booking started at its appointment time, so it can no longer be cancelled online. "
                      "Please contact the business.") if started else N_("A %(status)s booking cannot be cancelled."))
    else:
        message = (N_("This booking started at its appointment time, so it can no longer be moved online. "
                      "Please contact the business.") if started else N_("A %(status)s booking cannot be moved."))
    raise ValidationError(message, params={} if started else {"status": StatusValue(booking.status)},
                          param="booking_id", details={"status": booking.status})


def cancellation_terms(session: Session, booking: Booking, business: Business, *, now: datetime | None = None) -> CancellationTerms:
    """Within the free-cancellation window (at least free_cancellation_hours before the
    first booked start of the booking's reschedule chain: a move does not reset it)
    everything paid is refunded, the deposit included. Later, the deposit is kept and only
    what was paid beyond it (part of a full prepayment) is refunded."""
    now = _now(now)
    free_until = free_cancellation_deadline(booking, business)
    money_now = balance(session, booking, business)
    paid = money_now.net_paid_cents
    within = now <= free_until
    refund_cents = paid if within else max(paid - money_now.deposit_cents, 0)
    return CancellationTerms(
        within_free_window=within, free_until=free_until, paid_cents=paid, refund_cents=refund_cents,
        kept_cents=paid - refund_cents, currency=money_now.currency,
    )


def cancel_with_policy(
    session: Session,
    provider: PaymentProvider,
    booking: Booking,
    *,
    reason: str | None = None,
    now: datetime | None = None,
    actor: str = "customer",
    refund_everything: bool = False,
    refund_nothing: bool = False,
    notify_customer: bool = True,
) -> CancelOutcome:
    """Cancel a booking and refund per the business's policy (cancellation_terms).
    refund_everything=True refunds all of it at any time, refund_nothing=True keeps it all
    (the business overriding the policy, domain.cancellation). The cancellation, the
    refunds and the customer's email happen together or not at all. Doors call
    domain.cancellation.cancel, which chooses these flags."""
    now = _now(now)
    lock_booking(session, booking)
    if actor == "customer" and not refund_everything and now >= booking.starts_at:
        # Only the business may cancel (and refund) a visit once it has begun.
        ensure_customer_may_change(booking, now, action="cancel")
    business = business_of(session, booking)
    terms = cancellation_terms(session, booking, business, now=now)
    within = terms.within_free_window
    amount = terms.paid_cents if refund_everything else 0 if refund_nothing else terms.refund_cents
    # The refund below happens in this transaction or the cancellation does not: the
    # messages may say what it will be.
    booking_domain.cancel(session, booking, reason=reason, now=now, actor=actor, notify_customer=notify_customer,
                          refund_facts=notify.cancelled_facts(
                              by_customer=actor == "customer", refunded_cents=amount,
                              kept_cents=max(terms.paid_cents - amount, 0), currency=terms.currency))
    refunds = []
    if amount > 0:
        why = "cancelled within the free-cancellation window" if within else "cancelled"
        refunds = refund(session, provider, booking, amount, reason=why if not reason else f"{why}: {reason}", now=now, actor=actor)
    return CancelOutcome(booking=booking, refunds=refunds, refunded_cents=amount, within_free_window=within)
