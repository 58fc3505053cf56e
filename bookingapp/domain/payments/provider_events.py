"""What the payment provider tells us: webhook events (at most once per event id) and the
reconciliation of refunds made at the provider.

An event is only a trigger: its object (checkout session, payment intent, charge) is
read back from the provider by id before anything moves, and payment statuses move only
along the transition table, so a late or repeated event changes nothing it should not.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bookingapp.db import acquire_write_lock
from bookingapp.domain.clock import resolve_now as _now
from bookingapp.domain.errors import NotFound, ValidationError
from bookingapp.domain.payments.ledger import (
    emit_payment_event, lock_booking, lock_payment, money_of, note_in_history, refunded_of,
)
from bookingapp.domain.payments.online_checkout import confirm_checkout, fail_checkout, payment_attempt_failed
from bookingapp.domain.payments.payment_states import move_payment
from bookingapp.models import Booking
from bookingapp.models.payment import Payment, StripeEvent
from bookingapp.payments.base import PaymentProvider, ProviderRejected
from bookingapp.textguard import text_problem

# Events the webhook acts on; every other type is acknowledged with 200 and ignored.
HANDLED_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.payment_failed",
    "charge.refunded",
)


# What the stripe_events columns hold (models/payment.py StripeEvent): an event that does
# not fit is malformed, refused before it reaches the database.
MAX_EVENT_ID, MAX_EVENT_TYPE, MAX_OBJECT_ID = 255, 100, 255
MALFORMED_TYPE = "malformed"


def read_event(payload: bytes | str) -> tuple[str, str, str | None]:
    """(event id, type, its object's id) from a webhook body whose signature was checked.

    ValidationError (param: the part at fault) for a body that is not a JSON object, an id
    or type that is missing, not text, too long for our records or not storable text (NUL,
    a lone surrogate), or an object id that is not text or too long. Such an event can
    never be processed, however often it is delivered: the webhook answers 400 and records
    it (record_malformed_event) instead of failing on the database on every retry."""
    try:
        body: Any = json.loads(payload)
    except ValueError:
        raise ValidationError("The event is not JSON.", param="body") from None
    if not isinstance(body, dict):
        raise ValidationError("The event is not a JSON object.", param="body")
    fields = {}
    for name, limit in (("id", MAX_EVENT_ID), ("type", MAX_EVENT_TYPE)):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"The event has no {name}.", param=name)
        if len(value) > limit:
            raise ValidationError(f"The event's {name} is longer than {limit} characters.", param=name)
        if text_problem(value):
            raise ValidationError(f"The event's {name} is not valid text.", param=name)
        fields[name] = value
    data = body.get("data")
    data_object = data.get("object") if isinstance(data, dict) else None
    object_id = data_object.get("id") if isinstance(data_object, dict) else None
    if object_id is not None and (
        not isinstance(object_id, str) or len(object_id) > MAX_OBJECT_ID or text_problem(object_id)
    ):
        raise ValidationError("The event's object id is not an id we can store.", param="data.object.id")
    return fields["id"], fields["type"], object_id


def record_malformed_event(
    session: Session, payload: bytes, error: ValidationError, *, now: datetime | None = None,
) -> StripeEvent:
    """Keep a trace of a correctly signed event we refused as malformed, for an operator:
    a stripe_events row of type "malformed" whose id is the body's SHA-256 (every delivery
    of the same body finds the same row) and whose outcome says what was wrong."""
    now = _now(now)
    record_id = f"{MALFORMED_TYPE}_{hashlib.sha256(payload).hexdigest()}"
    existing = session.get(StripeEvent, record_id)
    if existing is not None:
        return existing
    record = StripeEvent(id=record_id, type=MALFORMED_TYPE, object_id=None,
                         outcome=f"rejected: bad {error.param or 'event'}"[:40], received_at=now)
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:  # the same body delivered twice at once
        return session.get(StripeEvent, record_id)
    return record


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

