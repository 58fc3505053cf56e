"""Online checkout: a hosted payment page (Stripe Checkout or the sandbox) for what a booking
owes, and acting on what became of it.

Nothing a browser or an event body says is trusted: the checkout session or payment
intent is read back from the provider by id before anything moves.

* The return page and the checkout.session.completed event both call `confirm_checkout`;
  the booking row is locked, so whichever arrives first books and the second finds the
  payment already succeeded and does nothing.
* A payment that arrives after the hold ran out still books if the time is free; if the
  time was taken meanwhile the payment is refunded in full at once, the booking history
  says so, and the customer is told to pick a new time.
* Two pages of one booking can never both be paid: an open page is reused, or closed at
  the provider before a new one opens; a second payment that came in anyway is refunded.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookingapp.domain import booking as booking_domain
from bookingapp.domain.clock import resolve_now as _now
from bookingapp.domain.errors import HoldExpired, NotFound, PaymentUnavailable, ValidationError
from bookingapp.domain.messages import N_, StatusValue
from bookingapp.domain.payments.ledger import (
    balance, business_of, emit_payment_event, lock_booking, lock_payment, money_of, money_taken, note_in_history,
    open_checkouts, owed_without,
)
from bookingapp.domain.payments.payment_states import (
    EXPIRED_REASON, MONEY_IN_STATUSES, move_if_allowed, move_payment,
)
from bookingapp.domain.payments.providers import provider_for_booking, provider_for_payment
from bookingapp.domain.payments.refunds import refund_in_full
from bookingapp.domain.pricing import (
    PROMO_PARAM, apply_promotion, count_promotion_use, normalise_code, quote_booking, redemption_of,
)
from bookingapp.domain.states import BookingStatus, hold_ran_out
from bookingapp.models import Booking, Business
from bookingapp.models.payment import Payment
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

# Written on an incoming payment that arrived for a booking another payment had already
# paid (two checkout pages both paid): it is refunded in full, automatically.
DUPLICATE_REASON = "a second payment for a booking that was already paid"


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


def start_checkout(
    session: Session,
    provider: PaymentProvider,
    booking: Booking,
    *,
    success_url: str,
    cancel_url: str,
    now: datetime | None = None,
    customer_email: str | None = None,
    amount_cents: int | None = None,
    actor: str = "customer",
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

    amount_cents is for the dashboard's checkout, whose bill (add-ons, products, tip, cash
    already taken) the booking's own balance does not know: it takes that balance by card,
    through this same path, for a booking already made.
    """
    now = _now(now)
    lock_booking(session, booking)
    provider = provider_for_booking(session, booking, provider)  # a test booking pays in the sandbox
    business = business_of(session, booking)
    if booking.status == S.HELD and hold_ran_out(booking.status, booking.hold_expires_at, now):
        raise HoldExpired(N_("Your hold on this time ran out. Please choose a time again."), param="booking_id")
    if booking.status not in (S.HELD, S.RESERVED, S.PENDING, S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED):
        raise ValidationError(N_("A %(status)s booking cannot be paid for."),
                              params={"status": StatusValue(booking.status)}, param="booking_id")
    if booking.customer_id is None:
        raise ValidationError(N_("Enter your details before paying."), param="customer")
    money_now = balance(session, booking, business)
    up_front = booking.status in (S.HELD, S.RESERVED)
    if up_front:
        amount = money_now.due_now_cents
        kind = "prepayment" if amount + money_now.net_paid_cents >= money_now.total_cents else "deposit"
    else:
        amount, kind = money_now.owed_cents, "balance"
    if amount_cents is not None:
        if up_front:
            raise ValidationError(N_("A hold is paid for through its deposit or prepayment."), param="booking_id")
        amount = amount_cents
    if amount <= 0:
        raise ValidationError(N_("There is nothing to pay for this booking."), param="booking_id")

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
        amount_cents=amount, currency=booking.currency, provider=provider.name, actor=actor[:40],
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
            N_("The payment page could not be opened just now. Please try again in a moment."), param="payment",
            details={"provider_error": str(error)},
        ) from error
    move_payment(payment, "pending", now=now)
    payment.provider_session_id = checkout.id
    payment.provider_payment_intent_id = checkout.payment_intent_id
    payment.checkout_url = checkout.url
    payment.checkout_expires_at = expires_at
    if booking.status == S.HELD:
        extended = max(booking.hold_expires_at, expires_at + HOLD_GRACE)
        if extended != booking.hold_expires_at:
            booking.hold_expires_at = extended
            booking.updated_at = now
            note_in_history(booking, f"hold extended to {extended:%Y-%m-%d %H:%M} UTC while the customer pays", now=now, actor="system")
    session.flush()
    return CheckoutStart(payment=payment, url=checkout.url, expires_at=expires_at)


def close_checkout(session: Session, provider: PaymentProvider, payment: Payment, *, now: datetime) -> bool:
    """Close one open hosted page at the provider so that it can no longer be paid, and
    mark the payment failed ("expired"). Returns True, changing nothing, when the page
    turns out to have been paid already: the caller must act on that payment.
    PaymentUnavailable when the provider cannot be reached (nothing changed)."""
    provider = provider_for_payment(session, payment, provider)
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
            N_("The payment page could not be closed just now; nothing was changed. Please try again in a moment."),
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
    lock_booking(session, booking)
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
    (so it cannot be paid at that price); once money has been taken the price stays
    (ValidationError param promo_code)."""
    now = _now(now)
    wanted = normalise_code(promo_code) or None
    current = redemption_of(session, booking)
    if wanted == (current.promotion.code if current is not None else None):
        return quote_booking(session, booking, business)
    if not money_taken(session, booking) and abandon_open_checkouts(session, provider, booking, now=now):
        # The old page was paid meanwhile and that payment has now booked it: the price
        # is what was paid. The caller sees the booking booked.
        return quote_booking(session, booking, business)
    _ensure_price_may_change(session, booking)
    return apply_promotion(session, booking, business, wanted, now=now)


def _ensure_price_may_change(session: Session, booking: Booking) -> None:
    """The price of a booking is fixed once money has been taken on it, and while a
    payment page is open at the current price (it could still be paid at that price)."""
    if money_taken(session, booking):
        raise ValidationError(
            N_("The promotion code cannot be changed: a payment has already been made on this booking."),
            param=PROMO_PARAM,
        )
    if open_checkouts(session, booking):
        raise ValidationError(
            N_("A payment page is still open for this booking at the current price; close it before changing the code."),
            param=PROMO_PARAM,
        )


def _payment_by_session(session: Session, provider_session_id: str) -> Payment:
    payment = session.scalar(select(Payment).where(Payment.provider_session_id == provider_session_id))
    if payment is None:
        raise NotFound(N_("We do not know this checkout session."), param="session_id")
    return payment


def _read_session(provider: PaymentProvider, session_id: str):
    try:
        return provider.retrieve_checkout_session(session_id)
    except ProviderRejected as error:
        raise NotFound("The payment provider does not know this checkout session.", param="session_id") from error
    except ProviderUnavailable as error:
        raise PaymentUnavailable(N_("We could not check your payment just now. Please reload this page.")) from error


def _describe(payment: Payment, booking: Booking) -> CheckoutOutcome:
    """The outcome of a checkout that has already been dealt with, read from the rows."""
    booked = booking.status in (S.PENDING, S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED, S.NO_SHOW)
    if payment.status in MONEY_IN_STATUSES:
        if payment.reason == DUPLICATE_REASON:
            return CheckoutOutcome(
                "refunded_duplicate", booking, payment,
                N_("This booking had already been paid, so this second payment has been refunded in full."),
            )
        if booked or booking.status == S.RESERVED:
            if payment.kind == "balance":
                return CheckoutOutcome("paid", booking, payment, N_("Thank you: your payment was received."))
            return CheckoutOutcome("booked", booking, payment, f"You are booked: {booking.booking_number}.")
        if booking.status == S.EXPIRED and payment.status == "refunded":
            return CheckoutOutcome(
                "refunded_time_taken", booking, payment,
                N_("Your payment arrived after your hold ran out and someone else has booked that time since. "
                   "We have refunded your payment in full. Please pick a new time."),
            )
        return CheckoutOutcome(
            "refunded_not_bookable", booking, payment,
            N_("This booking can no longer be made, so your payment has been refunded in full."),
        )
    if payment.status == "failed":
        if payment.failure_reason == EXPIRED_REASON:
            return CheckoutOutcome("expired", booking, payment, N_("The payment page expired before payment was made."))
        return CheckoutOutcome("failed", booking, payment, payment.failure_reason or N_("The payment did not go through."))
    return CheckoutOutcome("pending", booking, payment, N_("Your payment is still being processed."))


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
    provider = provider_for_payment(session, payment, provider)
    booking = session.get(Booking, payment.booking_id)
    lock_booking(session, booking)
    lock_payment(session, payment)
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
    if not move_if_allowed(payment, "succeeded", now=now):
        return _describe(payment, booking)
    payment.failure_reason = None
    session.flush()
    emit_payment_event(session, payment, "payment.succeeded", now=now)
    business = business_of(session, booking)

    if booking.status in (S.HELD, S.EXPIRED, S.RESERVED):
        try:
            # The answers were checked when the customer gave them, before paying: a question
            # added since must not turn a paid booking away.
            booking_domain.book(session, booking, business, now=now, actor=actor, check_answers=False)
        except HoldExpired:
            refund_in_full(
                session, provider, booking, payment, now=now,
                note="paid after the hold ran out, and the time had been taken since",
            )
            session.flush()
            return _describe(payment, booking)
        count_promotion_use(session, booking, now=now)
    elif booking.status in (S.CANCELLED, S.RESCHEDULED):
        refund_in_full(session, provider, booking, payment, now=now, note=f"paid for a {booking.status} booking")
    elif _is_duplicate(session, booking, payment, business):
        payment.reason = DUPLICATE_REASON
        refund_in_full(session, provider, booking, payment, now=now, note=DUPLICATE_REASON)
        session.flush()
        return _describe(payment, booking)
    else:
        count_promotion_use(session, booking, now=now)
    note_in_history(booking, f"payment received: {money_of(session, booking, payment.amount_cents, payment.currency)} {payment.kind}", now=now, actor="system")
    session.flush()
    return _describe(payment, booking)


def _is_duplicate(session: Session, booking: Booking, payment: Payment, business: Business) -> bool:
    """A payment that came in for a booking already made and already paid in full without
    it: an up-front payment (deposit, prepayment) when the booking is already booked
    (another page paid and booked it), or a balance when the bill had been paid by other
    money (another page, the desk). The bill is the booking's dashboard checkout when it
    has one (ledger.bill: products, add-ons and tip the booking's price does not know, so
    a card payment for extras on a booking prepaid in full is kept), else its price."""
    if payment.kind in ("deposit", "prepayment"):
        return True
    return owed_without(session, booking, payment, business) <= 0


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
    provider = provider_for_payment(session, payment, provider)
    booking = session.get(Booking, payment.booking_id)
    lock_booking(session, booking)
    lock_payment(session, payment)
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
    if move_if_allowed(payment, "failed", now=now):
        payment.failure_reason = reason
        session.flush()
        emit_payment_event(session, payment, "payment.failed", now=now)


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
    lock_booking(session, booking)
    lock_payment(session, payment)
    if payment.status not in ("created", "pending", "failed"):
        return f"ignored_{payment.status}"
    payment.provider_payment_intent_id = payment.provider_payment_intent_id or intent.id
    _mark_failed(session, payment, intent.failure_message or N_("The card was declined."), now=now)
    return "failed"

