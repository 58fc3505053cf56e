"""Payments for bookings: what is paid and owed, checkout, confirmation, refunds.

Free of Flask like the rest of the domain: every function takes the SQLAlchemy session
and a payment provider (bookingapp.payments), flushes and never commits. The HTTP layers
(wizard, return page, webhook, dashboard) commit once per request.

The rules that matter:
* What a booking has paid and owes is derived from its payment rows (`balance`), never
  typed in. A refund is its own payment row pointing at the payment it returns money from.
* Nothing a browser or an event body says is trusted: the checkout session or payment
  intent is read back from the provider by id before anything moves.
* Payment statuses move only along PAYMENT_TRANSITIONS: a late "failed" after
  "succeeded" changes nothing.
* The return page and the checkout.session.completed event both call `confirm_checkout`;
  the booking row is locked, so whichever arrives first books and the second finds the
  payment already succeeded and does nothing.
* A payment that arrives after the hold ran out still books if the time is free; if the
  time was taken meanwhile the payment is refunded in full at once, the booking history
  says so, and the customer is told to pick a new time.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bookingapp.db import acquire_write_lock
from bookingapp.domain import booking as booking_domain
from bookingapp.domain.clock import resolve_now as _now
from bookingapp.domain.errors import DomainError, HoldExpired, NotFound, ValidationError
from bookingapp.domain.outbox import record_event
from bookingapp.domain.pricing import (
    apply_promotion, count_promotion_use, normalise_code, quote_booking, redemption_of,
)
from bookingapp.domain.states import BookingStatus
from bookingapp.models import Booking, BookingEvent, Business
from bookingapp.models.payment import Payment, StripeEvent
from bookingapp.payments.base import (
    CHECKOUT_LIFETIME, PaymentProvider, ProviderRejected, ProviderUnavailable,
)

S = BookingStatus

# The hold outlives the checkout page a little, so a payment finished in the page's last
# second and its event have time to arrive while the time is still ours.
HOLD_GRACE = timedelta(minutes=5)

# An open checkout page is reused (a double click, a "back" from the page) while it has
# at least this long left; otherwise a new one is made.
REUSE_MARGIN = timedelta(minutes=5)

INCOMING_KINDS = ("deposit", "prepayment", "balance")
MONEY_IN_STATUSES = ("succeeded", "partially_refunded", "refunded")
REFUND_COUNTED_STATUSES = ("created", "pending", "succeeded")
# A hosted page that may still be paid: not paid yet, and not known to be closed. A
# declined card leaves the payment "failed" but Stripe's page open for another card.
OPEN_CHECKOUT_STATUSES = ("created", "pending", "failed")
EXPIRED_REASON = "expired"

# Written on an incoming payment that arrived for a booking another payment had already
# paid (two checkout pages both paid): it is refunded in full, automatically.
DUPLICATE_REASON = "a second payment for a booking that was already paid"

PAYMENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "created": ("pending", "succeeded", "failed"),
    "pending": ("succeeded", "failed"),
    # Stripe Checkout lets the customer try another card after a decline, on the same
    # page: a failed attempt may still succeed. Nothing moves a success back to failed.
    "failed": ("succeeded",),
    "succeeded": ("partially_refunded", "refunded"),
    "partially_refunded": ("partially_refunded", "refunded"),
    "refunded": (),
}

# Events the webhook acts on; every other type is acknowledged with 200 and ignored.
HANDLED_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.payment_failed",
    "charge.refunded",
)


class PaymentUnavailable(DomainError):
    """The payment provider could not be reached; nothing was changed. Try again."""

    code = "payment_unavailable"


# --------------------------------------------------------------------------- results


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


@dataclass(frozen=True)
class CheckoutStart:
    payment: Payment
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class CheckoutOutcome:
    """What confirming a checkout came to. `result` is one of:
    booked, paid (a balance on a booking already made), pending (not paid yet, e.g. a
    slow payment method), failed, expired, refunded_time_taken (paid after the hold ran
    out and someone took the time: refunded), refunded_not_bookable (paid for a booking
    that was cancelled meanwhile: refunded)."""

    result: str
    booking: Booking
    payment: Payment
    message: str


@dataclass(frozen=True)
class CancelOutcome:
    booking: Booking
    refunds: list[Payment] = field(default_factory=list)
    refunded_cents: int = 0
    within_free_window: bool = True


# --------------------------------------------------------------------------- helpers


def money(cents: int, currency: str) -> str:
    return f"{cents / 100:.2f} {currency.upper()}"


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


def _emit(session: Session, payment: Payment, topic: str, *, now: datetime) -> None:
    record_event(session, payment.business_id, topic, payment_payload(payment), now=now)


def _move(payment: Payment, target: str, *, now: datetime) -> bool:
    """Move a payment along the table; False (and nothing changed) when not allowed."""
    if target not in PAYMENT_TRANSITIONS.get(payment.status, ()):
        return False
    payment.status = target
    payment.updated_at = now
    if target == "succeeded":
        payment.succeeded_at = now
    return True


def _note(booking: Booking, note: str, *, now: datetime, actor: str) -> None:
    """A line in the booking's history that is not a status change (the owner sees it)."""
    booking.history.append(
        BookingEvent(from_status=booking.status, to_status=booking.status, actor=actor, note=note, at=now)
    )


def _lock_booking(session: Session, booking: Booking) -> None:
    """Lock the booking's row (and on SQLite take the write lock) and re-read it: every
    payment change of one booking runs one after the other."""
    acquire_write_lock(session)
    session.flush()  # refresh would otherwise discard the caller's unflushed changes
    session.refresh(booking, with_for_update=True)


def _lock_payment(session: Session, payment: Payment) -> None:
    session.refresh(payment, with_for_update=True)


def _business(session: Session, booking: Booking) -> Business:
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
    (and book a hold that ran out, while the time is free: see confirm_checkout)."""
    return bool(open_checkouts(session, booking))


def _refunded_of(session: Session, payment: Payment) -> int:
    return sum(session.scalars(
        select(Payment.amount_cents).where(
            Payment.refund_of_id == payment.id, Payment.status.in_(REFUND_COUNTED_STATUSES)
        )
    ))


def balance(session: Session, booking: Booking, business: Business | None = None) -> Balance:
    """What the booking costs, has paid, has had refunded and still owes."""
    business = business or _business(session, booking)
    price = quote_booking(session, booking, business)
    rows = payments_of(session, booking)
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


def amount_due_up_front(session: Session, booking: Booking, business: Business | None = None) -> int:
    """What the customer must still pay before a held booking is made: the deposit, the
    full price under 'full_prepayment', nothing under 'none' (then book it directly)."""
    return balance(session, booking, business).due_now_cents


# --------------------------------------------------------------------------- checkout


def start_checkout(
    session: Session,
    provider: PaymentProvider,
    booking: Booking,
    *,
    success_url: str,
    cancel_url: str,
    now: datetime | None = None,
    customer_email: str | None = None,
) -> CheckoutStart:
    """Ask the provider for a hosted payment page and return where to send the customer.

    For a held (or reserved) booking this takes what is due up front (deposit or
    prepayment) and EXTENDS THE HOLD to the page's lifetime plus a grace period, so the
    time stays ours while the customer pays. For a booking already made it takes the
    balance. Creates the payment row (status pending, the provider's ids); an open page
    for the same amount is reused rather than duplicated.

    success_url should carry the literal {CHECKOUT_SESSION_ID} placeholder, which the
    provider fills in. Raises HoldExpired if the hold has already run out, ValidationError
    when there is nothing to pay, PaymentUnavailable if the provider cannot be reached.
    """
    now = _now(now)
    _lock_booking(session, booking)
    business = _business(session, booking)
    if booking.status == S.HELD and booking.hold_expires_at is not None and booking.hold_expires_at <= now:
        raise HoldExpired("Your hold on this time ran out. Please choose a time again.", param="booking_id")
    if booking.status not in (S.HELD, S.RESERVED, S.PENDING, S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED):
        raise ValidationError(f"A {booking.status} booking cannot be paid for.", param="booking_id")
    if booking.customer_id is None:
        raise ValidationError("Enter your details before paying.", param="customer")
    money_now = balance(session, booking, business)
    up_front = booking.status in (S.HELD, S.RESERVED)
    if up_front:
        amount = money_now.due_now_cents
        kind = "prepayment" if amount + money_now.net_paid_cents >= money_now.total_cents else "deposit"
    else:
        amount, kind = money_now.owed_cents, "balance"
    if amount <= 0:
        raise ValidationError("There is nothing to pay for this booking.", param="booking_id")

    pages = open_checkouts(session, booking)
    for page in reversed(pages):
        # The same page again (a double click, "back" from the page, another card after
        # a decline): the customer can only ever pay once.
        if page.kind == kind and page.amount_cents == amount and page.provider == provider.name \
                and page.checkout_url and page.checkout_expires_at and page.checkout_expires_at > now + REUSE_MARGIN:
            return CheckoutStart(payment=page, url=page.checkout_url, expires_at=page.checkout_expires_at)
    for page in pages:
        # Any other open page is closed at the provider before a new one opens, so two
        # pages can never both be paid. One that turns out paid already is acted on and
        # the customer is sent to the return page as if they had just come back from it.
        if close_checkout(session, provider, page, now=now):
            confirm_checkout(session, provider, page.provider_session_id, now=now)
            return CheckoutStart(
                payment=page, url=success_url.replace("{CHECKOUT_SESSION_ID}", page.provider_session_id),
                expires_at=page.checkout_expires_at,
            )

    expires_at = now + CHECKOUT_LIFETIME
    payment = Payment(
        id=uuid.uuid4(), business_id=booking.business_id, booking_id=booking.id, kind=kind, status="created",
        amount_cents=amount, currency=booking.currency, provider=provider.name, actor="customer",
        created_at=now, updated_at=now,
    )
    session.add(payment)
    session.flush()
    label = {"deposit": "deposit", "prepayment": "payment", "balance": "balance"}[kind]
    service_name = booking.service.name if booking.service else "appointment"
    try:
        checkout = provider.create_checkout_session(
            amount_cents=amount,
            currency=booking.currency,
            description=f"{service_name} {label} to {business.name} ({booking.booking_number})",
            metadata={
                "booking_id": str(booking.id), "payment_id": str(payment.id),
                "business_id": str(business.id), "booking_number": booking.booking_number,
            },
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=expires_at,
            idempotency_key=f"checkout-{payment.id}",
            customer_email=customer_email or (booking.customer.email if booking.customer else None),
        )
    except (ProviderUnavailable, ProviderRejected) as error:
        raise PaymentUnavailable(
            "The payment page could not be opened just now. Please try again in a moment.", param="payment",
            details={"provider_error": str(error)},
        ) from error
    payment.status = "pending"
    payment.provider_session_id = checkout.id
    payment.provider_payment_intent_id = checkout.payment_intent_id
    payment.checkout_url = checkout.url
    payment.checkout_expires_at = expires_at
    if booking.status == S.HELD:
        extended = max(booking.hold_expires_at, expires_at + HOLD_GRACE)
        if extended != booking.hold_expires_at:
            booking.hold_expires_at = extended
            booking.updated_at = now
            _note(booking, f"hold extended to {extended:%Y-%m-%d %H:%M} UTC while the customer pays", now=now, actor="system")
    session.flush()
    return CheckoutStart(payment=payment, url=checkout.url, expires_at=expires_at)


def close_checkout(session: Session, provider: PaymentProvider, payment: Payment, *, now: datetime) -> bool:
    """Close one open hosted page at the provider so that it can no longer be paid, and
    mark the payment failed ("expired"). Returns True, changing nothing, when the page
    turns out to have been paid already: the caller must act on that payment.
    PaymentUnavailable when the provider cannot be reached (nothing changed)."""
    try:
        checkout = provider.expire_checkout_session(payment.provider_session_id)
    except ProviderRejected:
        # Not open any more: paid, or expired already. Read it back to know which.
        try:
            checkout = _read_session(provider, payment.provider_session_id)
        except NotFound:
            checkout = None
    except ProviderUnavailable as error:
        raise PaymentUnavailable(
            "The payment page could not be closed just now; nothing was changed. Please try again in a moment.",
            param="payment",
        ) from error
    if checkout is not None and checkout.payment_status == "paid":
        return True
    _mark_failed(session, payment, EXPIRED_REASON, now=now)
    return False


def abandon_open_checkouts(session: Session, provider: PaymentProvider, booking: Booking, *, now: datetime | None = None) -> bool:
    """Close every open hosted page of the booking (the customer went back to change the
    price). True when one of them turns out paid: it is confirmed, and the price stays."""
    now = _now(now)
    _lock_booking(session, booking)
    for page in open_checkouts(session, booking):
        if close_checkout(session, provider, page, now=now):
            confirm_checkout(session, provider, page.provider_session_id, now=now)
            return True
    return False


def change_promotion(
    session: Session, provider: PaymentProvider, booking: Booking, business: Business, promo_code: str | None,
    *, now: datetime | None = None,
):
    """Apply, change or remove the booking's promotion code. Nothing to do when the code
    is the one already applied. A checkout page opened at the old price is closed first
    (so it cannot be paid at that price); once money has been taken the price stays, and
    domain.pricing.apply_promotion says so."""
    now = _now(now)
    wanted = normalise_code(promo_code) or None
    current = redemption_of(session, booking)
    if wanted == (current.promotion.code if current is not None else None):
        return quote_booking(session, booking, business)
    if not money_taken(session, booking) and abandon_open_checkouts(session, provider, booking, now=now):
        # The old page was paid meanwhile and that payment has now booked it: the price
        # is what was paid. The caller sees the booking booked.
        return quote_booking(session, booking, business)
    return apply_promotion(session, booking, business, wanted, now=now)


def _payment_by_session(session: Session, provider_session_id: str) -> Payment:
    payment = session.scalar(select(Payment).where(Payment.provider_session_id == provider_session_id))
    if payment is None:
        raise NotFound("We do not know this checkout session.", param="session_id")
    return payment


def _read_session(provider: PaymentProvider, session_id: str):
    try:
        return provider.retrieve_checkout_session(session_id)
    except ProviderRejected as error:
        raise NotFound("The payment provider does not know this checkout session.", param="session_id") from error
    except ProviderUnavailable as error:
        raise PaymentUnavailable("We could not check your payment just now. Please reload this page.") from error


def _describe(payment: Payment, booking: Booking) -> CheckoutOutcome:
    """The outcome of a checkout that has already been dealt with, read from the rows."""
    booked = booking.status in (S.PENDING, S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED, S.NO_SHOW)
    if payment.status in MONEY_IN_STATUSES:
        if payment.reason == DUPLICATE_REASON:
            return CheckoutOutcome(
                "refunded_duplicate", booking, payment,
                "This booking had already been paid, so this second payment has been refunded in full.",
            )
        if booked or booking.status == S.RESERVED:
            if payment.kind == "balance":
                return CheckoutOutcome("paid", booking, payment, "Thank you: your payment was received.")
            return CheckoutOutcome("booked", booking, payment, f"You are booked: {booking.booking_number}.")
        if booking.status == S.EXPIRED and payment.status == "refunded":
            return CheckoutOutcome(
                "refunded_time_taken", booking, payment,
                "Your payment arrived after your hold ran out and someone else has booked that time since. "
                "We have refunded your payment in full. Please pick a new time.",
            )
        return CheckoutOutcome(
            "refunded_not_bookable", booking, payment,
            "This booking can no longer be made, so your payment has been refunded in full.",
        )
    if payment.status == "failed":
        if payment.failure_reason == EXPIRED_REASON:
            return CheckoutOutcome("expired", booking, payment, "The payment page expired before payment was made.")
        return CheckoutOutcome("failed", booking, payment, payment.failure_reason or "The payment did not go through.")
    return CheckoutOutcome("pending", booking, payment, "Your payment is still being processed.")


def confirm_checkout(
    session: Session,
    provider: PaymentProvider,
    provider_session_id: str,
    *,
    now: datetime | None = None,
    actor: str = "customer",
) -> CheckoutOutcome:
    """Act on a checkout the customer says they finished (return page) or Stripe says
    completed (webhook); both call this and whichever comes second changes nothing.

    The session is read back from the provider; only a paid session whose amount,
    currency and metadata match our payment row moves anything: the payment becomes
    succeeded (outbox payment.succeeded) and a held booking is booked through
    bookingapp.domain.booking.book. If the hold ran out and its time was taken, the
    payment is refunded in full (outbox payment.refunded) and noted in the history.
    NotFound for a session we never made; PaymentUnavailable if the provider is down.
    """
    now = _now(now)
    payment = _payment_by_session(session, provider_session_id)
    booking = session.get(Booking, payment.booking_id)
    _lock_booking(session, booking)
    _lock_payment(session, payment)
    checkout = _read_session(provider, provider_session_id)
    if checkout.metadata.get("payment_id") != str(payment.id) or checkout.amount_total != payment.amount_cents \
            or checkout.currency.lower() != payment.currency.lower():
        raise ValidationError("This checkout session does not match our payment record.", param="session_id")
    if checkout.payment_intent_id and not payment.provider_payment_intent_id:
        payment.provider_payment_intent_id = checkout.payment_intent_id

    if checkout.payment_status != "paid":
        if checkout.status == "expired":
            return fail_checkout(session, provider, provider_session_id, now=now, reason="expired")
        return _describe(payment, booking)
    if payment.status in MONEY_IN_STATUSES:
        return _describe(payment, booking)
    if not _move(payment, "succeeded", now=now):
        return _describe(payment, booking)
    payment.failure_reason = None
    session.flush()
    _emit(session, payment, "payment.succeeded", now=now)
    business = _business(session, booking)

    if booking.status in (S.HELD, S.EXPIRED, S.RESERVED):
        try:
            booking_domain.book(session, booking, business, now=now, actor=actor)
        except HoldExpired:
            _refund_in_full(
                session, provider, booking, payment, now=now,
                note="paid after the hold ran out, and the time had been taken since",
            )
            session.flush()
            return _describe(payment, booking)
        count_promotion_use(session, booking, now=now)
    elif booking.status in (S.CANCELLED, S.RESCHEDULED):
        _refund_in_full(session, provider, booking, payment, now=now, note=f"paid for a {booking.status} booking")
    elif _is_duplicate(session, booking, payment, business):
        payment.reason = DUPLICATE_REASON
        _refund_in_full(session, provider, booking, payment, now=now, note=DUPLICATE_REASON)
        session.flush()
        return _describe(payment, booking)
    else:
        count_promotion_use(session, booking, now=now)
    _note(booking, f"payment received: {money(payment.amount_cents, payment.currency)} {payment.kind}", now=now, actor="system")
    session.flush()
    return _describe(payment, booking)


def _is_duplicate(session: Session, booking: Booking, payment: Payment, business: Business) -> bool:
    """A payment that came in for a booking already made and paid: an up-front payment
    (deposit, prepayment) when the booking is already booked (another page paid and
    booked it), or a balance beyond what the booking costs."""
    if payment.kind in ("deposit", "prepayment"):
        return True
    paid_by_others = sum(
        p.amount_cents for p in payments_of(session, booking)
        if p.id != payment.id and p.kind in INCOMING_KINDS and p.status in MONEY_IN_STATUSES
    ) - sum(p.amount_cents for p in payments_of(session, booking) if p.kind == "refund" and p.status in REFUND_COUNTED_STATUSES)
    return paid_by_others >= quote_booking(session, booking, business).total_cents


def fail_checkout(
    session: Session,
    provider: PaymentProvider,
    provider_session_id: str,
    *,
    reason: str,
    now: datetime | None = None,
) -> CheckoutOutcome:
    """Record that a checkout ended without payment (expired or an async method failed).
    The session is read back first: if it was in fact paid, confirm it instead. A held
    booking stays held, so the customer may try again while the hold lasts."""
    now = _now(now)
    payment = _payment_by_session(session, provider_session_id)
    booking = session.get(Booking, payment.booking_id)
    _lock_booking(session, booking)
    _lock_payment(session, payment)
    checkout = _read_session(provider, provider_session_id)
    if checkout.payment_status == "paid":
        return confirm_checkout(session, provider, provider_session_id, now=now, actor="system")
    if reason == EXPIRED_REASON and checkout.status != "expired":
        return _describe(payment, booking)
    _mark_failed(session, payment, reason, now=now)
    return _describe(payment, booking)


def _mark_failed(session: Session, payment: Payment, reason: str, *, now: datetime) -> None:
    if payment.status == "failed":
        payment.failure_reason = reason
        return
    if _move(payment, "failed", now=now):
        payment.failure_reason = reason
        session.flush()
        _emit(session, payment, "payment.failed", now=now)


def payment_attempt_failed(
    session: Session, provider: PaymentProvider, payment_intent_id: str, *, now: datetime | None = None
) -> str:
    """A card was declined (payment_intent.payment_failed). The intent is read back; our
    payment becomes failed with the provider's message unless it already succeeded.
    Returns an outcome word for the event log."""
    now = _now(now)
    try:
        intent = provider.retrieve_payment_intent(payment_intent_id)
    except ProviderRejected:
        return "ignored_unknown_object"
    payment_id = intent.metadata.get("payment_id")
    payment = None
    if payment_id:
        try:
            payment = session.get(Payment, uuid.UUID(payment_id))
        except ValueError:
            payment = None
    if payment is None:
        payment = session.scalar(select(Payment).where(Payment.provider_payment_intent_id == payment_intent_id, Payment.kind != "refund"))
    if payment is None:
        return "ignored_unknown_payment"
    if intent.status == "succeeded":
        return "ignored_intent_succeeded"
    booking = session.get(Booking, payment.booking_id)
    _lock_booking(session, booking)
    _lock_payment(session, payment)
    if payment.status not in ("created", "pending", "failed"):
        return f"ignored_{payment.status}"
    payment.provider_payment_intent_id = payment.provider_payment_intent_id or intent.id
    _mark_failed(session, payment, intent.failure_message or "The card was declined.", now=now)
    return "failed"


# --------------------------------------------------------------------------- refunds


def _refund_one(
    session: Session, provider: PaymentProvider, booking: Booking, payment: Payment, amount: int,
    *, now: datetime, reason: str | None, actor: str,
) -> Payment:
    """Refund part or all of one payment: a refund row, the provider's refund, the
    parent's status, an outbox event. The refund row's id is the idempotency key."""
    if not payment.provider_payment_intent_id:
        raise ValidationError("This payment has no provider payment to refund.", param="payment_id")
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
        raise PaymentUnavailable("The refund could not be made just now; nothing was changed. Try again.") from error
    except ProviderRejected as error:
        raise ValidationError(f"The payment provider refused the refund: {error}", param="amount_cents") from error
    refund.provider_refund_id = made.id
    if made.status == "succeeded":
        _move(refund, "succeeded", now=now)
    elif made.status in ("failed", "canceled"):
        _move(refund, "failed", now=now)
        refund.failure_reason = f"refund {made.status} at the provider"
        session.flush()
        raise ValidationError("The payment provider could not make this refund.", param="amount_cents")
    else:
        _move(refund, "pending", now=now)
    session.flush()
    refunded = _refunded_of(session, payment)
    _move(payment, "refunded" if refunded >= payment.amount_cents else "partially_refunded", now=now)
    session.flush()
    _emit(session, refund, "payment.refunded", now=now)
    return refund


def _refund_in_full(session: Session, provider: PaymentProvider, booking: Booking, payment: Payment, *, now: datetime, note: str) -> None:
    _refund_one(session, provider, booking, payment, payment.amount_cents, now=now, reason=note, actor="system")
    _note(booking, f"{note}: {money(payment.amount_cents, payment.currency)} refunded automatically", now=now, actor="system")


def refundable_cents(session: Session, booking: Booking) -> int:
    return balance(session, booking).net_paid_cents


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
    _lock_booking(session, booking)
    available = refundable_cents(session, booking)
    if amount_cents > available:
        raise ValidationError(
            f"At most {money(available, booking.currency)} can be refunded on this booking.",
            param="amount_cents", details={"refundable_cents": available},
        )
    refunds = []
    remaining = amount_cents
    sources = [p for p in reversed(payments_of(session, booking)) if p.kind in INCOMING_KINDS and p.status in ("succeeded", "partially_refunded")]
    for payment in sources:
        if remaining <= 0:
            break
        _lock_payment(session, payment)
        left = payment.amount_cents - _refunded_of(session, payment)
        take = min(left, remaining)
        if take <= 0:
            continue
        refunds.append(_refund_one(session, provider, booking, payment, take, now=now, reason=reason, actor=actor))
        remaining -= take
    _note(booking, f"refunded {money(amount_cents, booking.currency)}" + (f": {reason}" if reason else ""), now=now, actor=actor)
    session.flush()
    return refunds


@dataclass(frozen=True)
class CancellationTerms:
    """What cancelling at a given moment would mean: the policy, before anyone decides."""

    within_free_window: bool
    free_until: datetime
    paid_cents: int
    refund_cents: int
    kept_cents: int
    currency: str


def cancellation_terms(session: Session, booking: Booking, business: Business, *, now: datetime | None = None) -> CancellationTerms:
    """Within the free-cancellation window (at least free_cancellation_hours before the
    start) everything paid is refunded, the deposit included. Later, the deposit is kept
    and only what was paid beyond it (part of a full prepayment) is refunded."""
    now = _now(now)
    free_until = booking.starts_at - timedelta(hours=business.free_cancellation_hours)
    money = balance(session, booking, business)
    paid = money.net_paid_cents
    within = now <= free_until
    refund_cents = paid if within else max(paid - money.deposit_cents, 0)
    return CancellationTerms(
        within_free_window=within, free_until=free_until, paid_cents=paid, refund_cents=refund_cents,
        kept_cents=paid - refund_cents, currency=money.currency,
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
) -> CancelOutcome:
    """Cancel a booking and refund per the business's policy (cancellation_terms).
    refund_everything=True (the business cancelling) refunds all of it at any time.
    The cancellation and the refunds happen together or not at all."""
    now = _now(now)
    _lock_booking(session, booking)
    if actor == "customer" and not refund_everything and now >= booking.starts_at:
        # Only the business may cancel (and refund) a visit once it has begun.
        from bookingapp.domain.manage import ensure_customer_may_change  # manage imports this module

        ensure_customer_may_change(booking, now, action="cancel")
    business = _business(session, booking)
    terms = cancellation_terms(session, booking, business, now=now)
    booking_domain.cancel(session, booking, reason=reason, now=now, actor=actor)
    within = terms.within_free_window
    amount = terms.paid_cents if refund_everything else 0 if refund_nothing else terms.refund_cents
    refunds = []
    if amount > 0:
        why = "cancelled within the free-cancellation window" if within else "cancelled"
        refunds = refund(session, provider, booking, amount, reason=why if not reason else f"{why}: {reason}", now=now, actor=actor)
    return CancelOutcome(booking=booking, refunds=refunds, refunded_cents=amount, within_free_window=within)


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
    _lock_booking(session, booking)
    _lock_payment(session, payment)
    for row in session.scalars(select(Payment).where(Payment.refund_of_id == payment.id, Payment.status == "pending")):
        _move(row, "succeeded", now=now)
    session.flush()
    recorded = _refunded_of(session, payment)
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
        _move(payment, "refunded" if recorded + missing >= payment.amount_cents else "partially_refunded", now=now)
        _emit(session, outside, "payment.refunded", now=now)
        _note(booking, f"refunded {money(missing, payment.currency)} at the payment provider", now=now, actor="provider")
        session.flush()
        return "refund_recorded"
    return "refunds_confirmed"


# --------------------------------------------------------------------------- events


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
