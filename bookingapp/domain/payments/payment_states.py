"""Payment statuses: the one transition table, and the status sets the ledger counts by.

A payment's status changes only here. Provider events are untrusted and may arrive late or
twice, so the paths they drive use `move_if_allowed` (a "failed" after "succeeded" changes
nothing); everything else uses `move_payment`, which refuses a move the table does not
allow with InvalidPaymentTransition.
"""
from __future__ import annotations

from datetime import datetime

from bookingapp.domain.errors import InvalidTransition
from bookingapp.models.payment import Payment

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

INCOMING_KINDS = ("deposit", "prepayment", "balance")
MONEY_IN_STATUSES = ("succeeded", "partially_refunded", "refunded")
REFUND_COUNTED_STATUSES = ("created", "pending", "succeeded")
# A hosted page that may still be paid: not paid yet, and not known to be closed. A
# declined card leaves the payment "failed" but Stripe's page open for another card.
OPEN_CHECKOUT_STATUSES = ("created", "pending", "failed")
# The failure_reason of a payment whose hosted page expired or was closed by us.
EXPIRED_REASON = "expired"


class InvalidPaymentTransition(InvalidTransition):
    """A payment status change PAYMENT_TRANSITIONS does not allow."""


def payment_may_move(current: str, target: str) -> bool:
    return target in PAYMENT_TRANSITIONS.get(current, ())


def move_payment(payment: Payment, target: str, *, now: datetime) -> None:
    """Move a payment along the table, stamping when; InvalidPaymentTransition (naming
    the moves that are allowed) when the table has no such move."""
    if not payment_may_move(payment.status, target):
        raise InvalidPaymentTransition(payment.status, target, PAYMENT_TRANSITIONS.get(payment.status, ()))
    payment.status = target
    payment.updated_at = now
    if target == "succeeded":
        payment.succeeded_at = now


def move_if_allowed(payment: Payment, target: str, *, now: datetime) -> bool:
    """move_payment for what an untrusted or repeated trigger asks: False, and nothing
    changed, when the table does not allow the move."""
    if not payment_may_move(payment.status, target):
        return False
    move_payment(payment, target, now=now)
    return True
