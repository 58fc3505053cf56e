"""What the payment provider tells us: webhook events (at most once per event id) and the
reconciliation of refunds made at the provider.

An event is only a trigger: its object (checkout session, payment intent, charge) is
read back from the provider by id before anything moves, and payment statuses move only
along the transition table, so a late or repeated event changes nothing it should not.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bookingapp.db import acquire_write_lock
from bookingapp.domain.clock import resolve_now as _now
from bookingapp.domain.errors import NotFound
from bookingapp.domain.payments.ledger import (
    emit_payment_event, lock_booking, lock_payment, money_of, note_in_history, refunded_of,
)
from bookingapp.domain.payments.online_checkout import confirm_checkout, fail_checkout, payment_attempt_failed
from bookingapp.domain.payments.payment_states import move_payment
from bookingapp.models import Booking
from bookingapp.models.payment import Payment, StripeEvent
from bookingapp.payments.base import PaymentProvider, ProviderRejected

# Events the webhook acts on; every other type is acknowledged with 200 and ignored.
HANDLED_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.payment_failed",
    "charge.refunded",
)


def handle_event(
    session: Session,
    provider: PaymentProvider,
    event_id: str,
    event_type: str,
    object_id: str | None,
    *,
    now: datetime | None = None,
) -> str:
    """Act on one provider event, at most once per event id; returns an outcome word.

    The event is only a trigger: its object is read back from the provider by id. The
    event id is stored in the same transaction as what it did, so a repeated delivery
    finds it and returns "duplicate" without changing anything, and an event whose
    processing failed (PaymentUnavailable, rolled back by the caller) is not stored and
    will be processed when the provider retries. Types we do not use return "ignored"."""
    now = _now(now)
    acquire_write_lock(session)
    if session.get(StripeEvent, event_id) is not None:
        return "duplicate"
    record = StripeEvent(id=event_id, type=event_type, object_id=object_id, outcome="processing", received_at=now)
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        return "duplicate"
    outcome = "ignored"
    if event_type in HANDLED_EVENTS and object_id:
        outcome = _dispatch(session, provider, event_type, object_id, now=now)
    record.outcome = outcome[:40]
    session.flush()
    return outcome


def _dispatch(session: Session, provider: PaymentProvider, event_type: str, object_id: str, *, now: datetime) -> str:
    try:
        if event_type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
            return confirm_checkout(session, provider, object_id, now=now, actor="system").result
        if event_type == "checkout.session.expired":
            return fail_checkout(session, provider, object_id, reason="expired", now=now).result
        if event_type == "checkout.session.async_payment_failed":
            return fail_checkout(session, provider, object_id, reason="The payment did not go through.", now=now).result
        if event_type == "payment_intent.payment_failed":
            return payment_attempt_failed(session, provider, object_id, now=now)
        if event_type == "charge.refunded":
            return reconcile_charge_refunds(session, provider, object_id, now=now)
    except NotFound:
        # A session that is not ours (another app on the same Stripe account): nothing to do.
        return "ignored_unknown_object"
    return "ignored"



def reconcile_charge_refunds(session: Session, provider: PaymentProvider, charge_id: str, *, now: datetime | None = None) -> str:
    """charge.refunded: read the charge back and bring our rows in line. Refunds we made
    ourselves are already recorded (pending ones become succeeded); money refunded
    elsewhere (the Stripe dashboard) becomes a refund row of its own."""
    now = _now(now)
    try:
        charge = provider.retrieve_charge(charge_id)
    except ProviderRejected:
        return "ignored_unknown_object"
    if not charge.payment_intent_id:
        return "ignored_no_payment_intent"
    payment = session.scalar(
        select(Payment).where(Payment.provider_payment_intent_id == charge.payment_intent_id, Payment.kind != "refund")
    )
    if payment is None:
        return "ignored_unknown_payment"
    booking = session.get(Booking, payment.booking_id)
    lock_booking(session, booking)
    lock_payment(session, payment)
    for row in session.scalars(select(Payment).where(Payment.refund_of_id == payment.id, Payment.status == "pending")):
        move_payment(row, "succeeded", now=now)
    session.flush()
    recorded = refunded_of(session, payment)
    missing = min(charge.amount_refunded, payment.amount_cents) - recorded
    if missing > 0 and payment.status in ("succeeded", "partially_refunded"):
        outside = Payment(
            id=uuid.uuid4(), business_id=payment.business_id, booking_id=payment.booking_id, kind="refund",
            status="succeeded", amount_cents=missing, currency=payment.currency, provider=payment.provider,
            refund_of_id=payment.id, reason="refunded at the payment provider", actor="provider",
            succeeded_at=now, created_at=now, updated_at=now,
        )
        session.add(outside)
        session.flush()
        move_payment(payment, "refunded" if recorded + missing >= payment.amount_cents else "partially_refunded", now=now)
        emit_payment_event(session, outside, "payment.refunded", now=now)
        note_in_history(booking, f"refunded {money_of(session, booking, missing, payment.currency)} at the payment provider", now=now, actor="provider")
        session.flush()
        return "refund_recorded"
    return "refunds_confirmed"

