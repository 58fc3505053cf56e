"""The wizard's side of payments (issue 4's interface): prices with a promotion code,
what is due up front, the hosted checkout, the return, and cancelling with the policy.

Only translation lives here; every amount and every rule comes from
bookingapp.domain.pricing and bookingapp.domain.payments, which the API and the
dashboard call too."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from flask_babel import gettext
from sqlalchemy.orm import Session

from bookingapp.domain import cancellation
from bookingapp.domain import manage as manage_domain
from bookingapp.domain import payments as payments_domain
from bookingapp.domain import pricing
from bookingapp.domain.errors import NotFound
from bookingapp.domain.local_time import format_local
from bookingapp.domain.money import format_money_for
from bookingapp.i18n import format_locale
from bookingapp.models import Booking, Business
from bookingapp.payments import current_provider


def applied_code(session: Session, booking: Booking) -> str:
    """The promotion code already on the booking ("" for none)."""
    redemption = pricing.redemption_of(session, booking)
    return redemption.promotion.code if redemption is not None else ""


def saved_quote(session: Session, booking: Booking, business: Business) -> pricing.Quote:
    """The booking's price as saved (its snapshot less the code applied to it)."""
    return pricing.quote_booking(session, booking, business)


def quote(session: Session, booking: Booking, business: Business, promo_code: str | None) -> pricing.Quote:
    """The price the details step shows: with the code the customer typed (not saved
    yet), or the saved price when the field is blank or holds the code already applied.
    ValidationError(param='promo_code') for a code that cannot be used."""
    code = pricing.normalise_code(promo_code)
    if not code or code == applied_code(session, booking):
        return saved_quote(session, booking, business)
    return pricing.quote(session, business, booking.service, code, location=booking.location)


def change_promotion(session: Session, booking: Booking, business: Business, promo_code: str | None, *, now: datetime) -> None:
    """Save the code the customer continued with (nothing happens when it is the one
    already applied; a payment page opened at the old price is closed first)."""
    payments_domain.change_promotion(session, current_provider(), booking, business, promo_code, now=now)


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
    booked it, else the checkout's result (failed, pending, cancelled, expired,
    refunded_time_taken, refunded_not_bookable, ...). PaymentUnavailable when the
    provider cannot be asked just now; ValidationError for a session that does not match
    our record."""
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


@dataclass(frozen=True)
class CancelTerms:
    free: bool
    refund_cents: int
    kept_cents: int
    text: str


def cancel_terms(session: Session, booking: Booking, business: Business, *, now: datetime) -> CancelTerms:
    """What cancelling now would mean, in words, before the customer presses the button.
    The numbers are domain.cancellation.terms, the same that cancellation.cancel acts on."""
    terms = cancellation.terms(session, booking, business, now=now)
    fmt = lambda cents: format_money_for(business, cents, terms.currency, format_locale())  # noqa: E731
    if terms.within_free_window:
        text = gettext("Cancelling is free until %(when)s.", when=_local(terms.free_until, business))
        if terms.paid_cents:
            text += " " + gettext("Everything you paid (%(paid)s) will be refunded.", paid=fmt(terms.paid_cents))
        return CancelTerms(True, terms.refund_cents, 0, text)
    text = gettext("The free cancellation window (%(hours)s hours before) has passed.",
                   hours=business.free_cancellation_hours)
    if terms.kept_cents and terms.refund_cents:
        text += " " + gettext("If you cancel now, the deposit of %(kept)s is kept and %(refund)s is refunded.",
                              kept=fmt(terms.kept_cents), refund=fmt(terms.refund_cents))
    elif terms.kept_cents:
        text += " " + gettext("If you cancel now, the deposit of %(kept)s is kept.", kept=fmt(terms.kept_cents))
    else:
        text += " " + gettext("Nothing was paid in advance, so nothing is charged.")
    return CancelTerms(False, terms.refund_cents, terms.kept_cents, text)


def cancel_booking(session: Session, booking: Booking, business: Business, *, now: datetime):
    """The customer cancels from the manage link: refused once the visit has started."""
    return manage_domain.cancel_by_customer(
        session, current_provider(), booking, reason="cancelled by the customer (manage link)", now=now,
    )


def release_hold(session: Session, booking: Booking, *, now: datetime) -> bool:
    """Give the customer's own hold back (domain.manage.release_own_hold)."""
    return manage_domain.release_own_hold(session, current_provider(), booking, now=now)


def _local(instant: datetime, business: Business) -> str:
    return format_local(instant, business.timezone, "%a %d %b, %H:%M", format_locale()) + f" ({business.timezone})"
