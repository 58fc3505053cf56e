"""The wizard's side of payments (issue 4's interface): prices with a promotion code,
what is due up front, the hosted checkout, the return, and cancelling with the policy.

Only translation lives here; every amount and every rule comes from
bookingapp.domain.pricing and bookingapp.domain.payments, which the API and the
dashboard call too."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from sqlalchemy.orm import Session

from bookingapp.domain import payments as payments_domain
from bookingapp.domain import pricing
from bookingapp.domain.errors import NotFound
from bookingapp.models import Booking, Business
from bookingapp.payments import current_provider


def quote(session: Session, booking: Booking, business: Business, promo_code: str | None) -> pricing.Quote:
    """The price the details step shows: the booking's own snapshot with the code the
    customer typed (not saved yet), or with the code already applied to it."""
    if pricing.normalise_code(promo_code):
        return pricing.quote(session, business, booking.service, promo_code)
    return pricing.quote_booking(session, booking, business)


def apply_quote(session: Session, booking: Booking, business: Business, code_quote: pricing.Quote, *, now: datetime) -> None:
    """Save the promotion on the booking (or remove one the customer cleared)."""
    code = code_quote.promotion.code if code_quote.promotion is not None else None
    if code is None and pricing.redemption_of(session, booking) is None:
        return
    pricing.apply_promotion(session, booking, business, code, now=now)


def amount_due_now(booking: Booking, business: Business) -> int:
    from bookingapp.extensions import db

    return payments_domain.amount_due_up_front(db.session, booking, business)


def start_checkout(session: Session, booking: Booking, business: Business, *, return_url: str, now: datetime) -> str:
    """Open the provider's payment page (this extends the hold) and return its URL."""
    separator = "&" if "?" in return_url else "?"
    started = payments_domain.start_checkout(
        session, current_provider(), booking,
        success_url=f"{return_url}{separator}session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{return_url}{separator}cancelled=1",
        now=now,
    )
    return started.url


def finish_return(session: Session, booking: Booking, business: Business, args: Mapping[str, str], *, now: datetime) -> str:
    """Settle what the provider says on the way back. Returns 'paid_now' when this call
    booked it, else the checkout's result (failed, pending, cancelled, ...)."""
    if args.get("cancelled"):
        return "cancelled"
    session_id = args.get("session_id", "")
    payment = next((p for p in payments_domain.payments_of(session, booking) if p.provider_session_id == session_id), None)
    if payment is None:
        return "failed"
    already_booked = booking.status in ("pending", "confirmed")
    try:
        outcome = payments_domain.confirm_checkout(session, current_provider(), session_id, now=now)
    except NotFound:
        return "failed"
    if outcome.result == "booked" and not already_booked:
        return "paid_now"
    if outcome.result == "pending":
        return "pending"
    return outcome.result


def payment_may_still_arrive(session: Session, booking: Booking) -> bool:
    """A checkout page still open for this hold: its payment may still book the time
    (the payments domain books a late payment while the time is free)."""
    return any(p.status == "pending" for p in payments_domain.payments_of(session, booking))


@dataclass(frozen=True)
class MoneySummary:
    currency: str
    total_cents: int
    paid_cents: int
    refunded_cents: int
    due_at_venue_cents: int


def money_summary(session: Session, booking: Booking, business: Business) -> MoneySummary:
    balance = payments_domain.balance(session, booking, business)
    return MoneySummary(
        currency=balance.currency, total_cents=balance.total_cents, paid_cents=balance.net_paid_cents,
        refunded_cents=balance.refunded_cents, due_at_venue_cents=balance.owed_cents,
    )


@dataclass(frozen=True)
class CancelTerms:
    free: bool
    refund_cents: int
    kept_cents: int
    text: str


def cancel_terms(session: Session, booking: Booking, business: Business, *, now: datetime) -> CancelTerms:
    """What cancelling now would mean, in words, before the customer presses the button.
    The numbers are domain.payments.cancellation_terms, the same that cancel_with_policy
    acts on."""
    terms = payments_domain.cancellation_terms(session, booking, business, now=now)
    fmt = lambda cents: payments_domain.money(cents, terms.currency)  # noqa: E731
    if terms.within_free_window:
        text = "Cancelling is free until " + _local(terms.free_until, business) + "."
        if terms.paid_cents:
            text += f" Everything you paid ({fmt(terms.paid_cents)}) will be refunded."
        return CancelTerms(True, terms.refund_cents, 0, text)
    text = f"The free cancellation window ({business.free_cancellation_hours} hours before) has passed."
    if terms.kept_cents:
        text += f" If you cancel now, the deposit of {fmt(terms.kept_cents)} is kept"
        text += f" and {fmt(terms.refund_cents)} is refunded." if terms.refund_cents else "."
    else:
        text += " Nothing was paid in advance, so nothing is charged."
    return CancelTerms(False, terms.refund_cents, terms.kept_cents, text)


def cancel_booking(session: Session, booking: Booking, business: Business, *, now: datetime):
    return payments_domain.cancel_with_policy(
        session, current_provider(), booking, reason="cancelled by the customer (manage link)", now=now,
    )


def _local(instant: datetime, business: Business) -> str:
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo(business.timezone)).strftime(f"%a %d %b, %H:%M ({business.timezone})")
