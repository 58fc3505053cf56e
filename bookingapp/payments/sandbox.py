"""The sandbox provider: a hosted checkout page of our own that moves no real money.

It mirrors the parts of Stripe Checkout the app uses: a session with a payment intent and
a charge, read back by id; test card 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is
declined and the customer may try again on the same page, as on Stripe. After a card is
tried, the page drives exactly the path Stripe drives: an event (checkout.session.completed
or payment_intent.payment_failed) goes through bookingapp.domain.payments.handle_event,
and a success redirects to the success_url, whose return page confirms again (and, the
event having come first, changes nothing).

Its sessions live in our own database (SandboxCheckoutSession), in the caller's
transaction, so a sandbox payment commits or rolls back with the booking it pays for.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookingapp.models.payment import SandboxCheckoutSession
from bookingapp.domain.clock import resolve_now
from bookingapp.domain.messages import N_
from bookingapp.payments.base import (
    Charge, CheckoutSession, PaymentIntent, ProviderRejected, Refund,
)

SUCCESS_CARD = "4242424242424242"
DECLINE_CARD = "4000000000000002"
DECLINE_MESSAGE = N_("Your card was declined. (Sandbox test card 4000 0000 0000 0002.)")


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _utcnow() -> datetime:
    return resolve_now(None)


class SandboxProvider:
    name = "sandbox"

    def __init__(self, session: Session, *, url_for_checkout=None, now=None):
        self.session = session
        self.url_for_checkout = url_for_checkout or (lambda sid: f"/sandbox/checkout/{sid}")
        self._now = now or _utcnow

    # ---------------------------------------------------------------- reading

    def _get(self, **where) -> SandboxCheckoutSession:
        (column, value), = where.items()
        row = self.session.scalar(select(SandboxCheckoutSession).where(getattr(SandboxCheckoutSession, column) == value))
        if row is None:
            raise ProviderRejected(f"No such sandbox object: {value}")
        return row

    def _expire_if_due(self, row: SandboxCheckoutSession) -> None:
        if row.status == "open" and row.expires_at <= self._now():
            row.status = "expired"
            self.session.flush()

    def _to_session(self, row: SandboxCheckoutSession) -> CheckoutSession:
        return CheckoutSession(
            id=row.id,
            url=self.url_for_checkout(row.id),
            status=row.status,
            payment_status=row.payment_status,
            amount_total=row.amount_cents,
            currency=row.currency.lower(),
            payment_intent_id=row.payment_intent_id,
            metadata=dict(row.metadata_ or {}),
        )

    # ---------------------------------------------------------------- the interface

    def create_checkout_session(
        self, *, amount_cents, currency, description, metadata, success_url, cancel_url, expires_at,
        idempotency_key, customer_email=None,
    ) -> CheckoutSession:
        existing = self.session.scalar(
            select(SandboxCheckoutSession).where(SandboxCheckoutSession.idempotency_key == idempotency_key)
        )
        if existing is not None:
            return self._to_session(existing)
        row = SandboxCheckoutSession(
            id=_new_id("sbx_cs"), payment_intent_id=_new_id("sbx_pi"), charge_id=_new_id("sbx_ch"),
            amount_cents=amount_cents, currency=currency.upper(), description=description,
            status="open", payment_status="unpaid", intent_status="requires_payment_method",
            amount_refunded_cents=0, success_url=success_url, cancel_url=cancel_url,
            metadata_=dict(metadata), idempotency_key=idempotency_key,
            created_at=self._now(), expires_at=expires_at,
        )
        self.session.add(row)
        self.session.flush()
        return self._to_session(row)

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        row = self._get(id=session_id)
        self._expire_if_due(row)
        return self._to_session(row)

    def expire_checkout_session(self, session_id: str) -> CheckoutSession:
        row = self._get(id=session_id)
        self._expire_if_due(row)
        if row.status != "open":
            raise ProviderRejected(f"Only an open checkout session can be expired; this one is {row.status}.")
        row.status = "expired"
        self.session.flush()
        return self._to_session(row)

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        row = self._get(payment_intent_id=payment_intent_id)
        return PaymentIntent(
            id=row.payment_intent_id, status=row.intent_status, amount=row.amount_cents,
            currency=row.currency.lower(), metadata=dict(row.metadata_ or {}), failure_message=row.last_error,
        )

    def retrieve_charge(self, charge_id: str) -> Charge:
        row = self._get(charge_id=charge_id)
        return Charge(
            id=row.charge_id, payment_intent_id=row.payment_intent_id, amount=row.amount_cents,
            amount_refunded=row.amount_refunded_cents, currency=row.currency.lower(),
        )

    def create_refund(self, *, payment_intent_id, amount_cents, metadata, idempotency_key) -> Refund:
        row = self._get(payment_intent_id=payment_intent_id)
        if row.payment_status != "paid":
            raise ProviderRejected("This sandbox payment was never paid, so there is nothing to refund.")
        if amount_cents <= 0 or row.amount_refunded_cents + amount_cents > row.amount_cents:
            raise ProviderRejected("Refund amount is more than what is left on this sandbox payment.")
        row.amount_refunded_cents += amount_cents
        self.session.flush()
        return Refund(id=_new_id("sbx_re"), status="succeeded", amount=amount_cents)

    # ---------------------------------------------------------------- the hosted page

    def checkout_page(self, session_id: str) -> SandboxCheckoutSession:
        row = self._get(id=session_id)
        self._expire_if_due(row)
        return row


@dataclass(frozen=True)
class CardResult:
    """What trying a card did: `event` is the (type, object id) Stripe would send."""

    paid: bool
    message: str | None
    event: tuple[str, str] | None


class CardError(ValueError):
    """The form was filled in wrongly (not a test card, bad expiry); nothing happened."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


def _digits(value: str | None) -> str:
    return re.sub(r"[\s-]", "", value or "")


def check_card_form(card_number: str | None, expiry: str | None, cvc: str | None, *, today: date) -> str:
    """Validate the hosted page's form like a card form would; return the card number."""
    number = _digits(card_number)
    if not number.isdigit() or len(number) != 16:
        raise CardError(N_("Enter a 16-digit card number, e.g. the test card 4242 4242 4242 4242."), "card_number")
    if number not in (SUCCESS_CARD, DECLINE_CARD):
        raise CardError(
            N_("The sandbox accepts only test cards: 4242 4242 4242 4242 (succeeds) or 4000 0000 0000 0002 (declined)."),
            "card_number",
        )
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", expiry or "")
    if not match or not 1 <= int(match.group(1)) <= 12:
        raise CardError(N_("Enter the expiry as MM/YY, e.g. 12/34."), "expiry")
    month, year = int(match.group(1)), int(match.group(2))
    year = year + 2000 if year < 100 else year
    if (year, month) < (today.year, today.month):
        raise CardError(N_("This expiry date has passed; any future date works."), "expiry")
    if not re.fullmatch(r"\d{3,4}", (cvc or "").strip()):
        raise CardError(N_("Enter the 3-digit security code; any 3 digits work."), "cvc")
    return number


def try_card(provider: SandboxProvider, session_id: str, card_number: str) -> CardResult:
    """Charge a valid test card on an open sandbox session."""
    row = provider.checkout_page(session_id)
    if row.status != "open":
        raise CardError(N_("This payment page is no longer open."), "card_number")
    if card_number == SUCCESS_CARD:
        row.status, row.payment_status, row.intent_status, row.last_error = "complete", "paid", "succeeded", None
        provider.session.flush()
        return CardResult(paid=True, message=None, event=("checkout.session.completed", row.id))
    row.intent_status, row.last_error = "requires_payment_method", DECLINE_MESSAGE
    provider.session.flush()
    return CardResult(paid=False, message=DECLINE_MESSAGE, event=("payment_intent.payment_failed", row.payment_intent_id))


def new_event_id() -> str:
    return _new_id("evt_sbx")


def success_redirect(row: SandboxCheckoutSession) -> str:
    return row.success_url.replace("{CHECKOUT_SESSION_ID}", row.id)


def cancel_redirect(row: SandboxCheckoutSession) -> str:
    return row.cancel_url.replace("{CHECKOUT_SESSION_ID}", row.id)
