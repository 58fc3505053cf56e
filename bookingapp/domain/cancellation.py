"""Cancelling: the one command every door calls (the manage link, the dashboard, the API's
cancel, PATCH and DELETE), so a cancellation refunds, records and notifies the same way
whoever asks. The cancellation policy decides the refund; the business (an owner or
manager in the dashboard) may override it, and the choice is kept in the booking history.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bookingapp.domain import audit, payments, policy
from bookingapp.domain.clock import resolve_now
from bookingapp.domain.errors import ValidationError
from bookingapp.domain.payments.ledger import note_in_history
from bookingapp.domain.states import BookingStatus as S
from bookingapp.models import Booking, Business

RELEASABLE = (S.HELD.value, S.RESERVED.value)

# What a cancellation refunds: what the policy gives, everything paid, or nothing.
FOLLOW_POLICY = "policy"
REFUND_EVERYTHING = "refund_all"
KEEP_EVERYTHING = "keep_all"
OVERRIDES = (FOLLOW_POLICY, REFUND_EVERYTHING, KEEP_EVERYTHING)
OVERRIDE_NOTES = {
    REFUND_EVERYTHING: "policy overridden by the business: everything paid refunded",
    KEEP_EVERYTHING: "policy overridden by the business: nothing refunded",
}

CancelOutcome = payments.CancelOutcome


def terms(session: Session, booking: Booking, business: Business, *, now: datetime | None = None):
    """What the policy gives if the booking is cancelled now (refund, amount kept): the
    same numbers `cancel` acts on, for a preview on any door."""
    return payments.cancellation_terms(session, booking, business, now=resolve_now(now))


def policy_in_words(session: Session, booking: Booking, business: Business, *, now: datetime | None = None,
                    **language) -> str:
    """The cancellation policy in plain words for this booking (domain.policy), from what
    it has paid or is to pay up front and the deposit the policy keeps after the free
    window: the same numbers `terms` and `cancel` act on. For the wizard's payment step,
    the manage page, and any door or message that states the policy. `language`: the
    locale and gettext of domain.policy.policy_in_words, for the reader's language."""
    money = payments.balance(session, booking, business)
    up_front = money.net_paid_cents + money.due_now_cents
    return policy.policy_in_words(
        booking, business, now=resolve_now(now), paid_up_front_cents=up_front,
        kept_after_cents=min(up_front, money.deposit_cents), **language,
    )


def cancel(
    session: Session, provider, booking: Booking, *, actor: str, reason: str | None = None,
    override: str = FOLLOW_POLICY, now: datetime | None = None, notify_customer: bool = True,
) -> CancelOutcome:
    """Cancel a booking and refund per the policy (or the business's override).
    notify_customer=False: no message to the customer (staff and webhooks still hear)."""
    if override not in OVERRIDES:
        raise ValidationError(f"Refund choice must be one of: {', '.join(OVERRIDES)}.", param="refund")
    if override != FOLLOW_POLICY and actor == "customer":
        raise ValidationError("Only the business can override the cancellation policy.", param="refund")
    now = resolve_now(now)
    outcome = payments.cancel_with_policy(
        session, provider, booking, reason=reason, now=now, actor=actor,
        refund_everything=override == REFUND_EVERYTHING, refund_nothing=override == KEEP_EVERYTHING,
        notify_customer=notify_customer,
    )
    if override != FOLLOW_POLICY:
        # In the history (for the business), not in the reason the customer may read.
        note_in_history(booking, OVERRIDE_NOTES[override], now=now, actor=actor)
        audit.record(session, booking.business_id, "booking.policy_overridden", actor=actor, subject=booking, now=now,
                     details={"override": override, "booking_number": booking.booking_number,
                              "refunded_cents": outcome.refunded_cents,
                              "within_free_window": outcome.within_free_window,
                              "currency": booking.currency, "reason": reason})
    return outcome


def release(session: Session, provider, booking: Booking, *, now: datetime, actor: str) -> CancelOutcome:
    """Let go of a hold or a reservation. A made booking is cancelled, never released, so
    its history and the customer's notification are kept. Anything already paid on a
    reservation is refunded in full: the business gave the slot up, not the customer."""
    if booking.status not in RELEASABLE:
        raise ValidationError("Only a hold or a reservation can be deleted; cancel a booking instead.",
                              param="status", details={"status": booking.status})
    return payments.cancel_with_policy(session, provider, booking, reason="released", now=now, actor=actor,
                                       refund_everything=True)
