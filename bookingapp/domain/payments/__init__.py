"""Payments for bookings, in four rooms:

    payment_states   the payment status transition table and the one way to move along it
    ledger           reads: what a booking has paid, had refunded and owes (balance), its
                     payment rows and open checkout pages; the shared locks and records
    online_checkout  hosted payment pages: start, close, abandon, confirm, fail; promotion
                     code changes; payments that arrive after the hold ran out
    refunds          refunds and the cancellation policy (cancellation_terms, cancel_with_policy)
    provider_events  webhook events (once per event id) and refunds made at the provider

Free of Flask like the rest of the domain: every function takes the SQLAlchemy session
and, where it talks to the provider, a payment provider (bookingapp.payments); it flushes
and never commits.

This package re-exports the names the HTTP layers and tests use, so that
`from bookingapp.domain import payments` keeps working; modules inside the domain import
from the submodule that holds a name.
"""
from __future__ import annotations

from bookingapp.domain.errors import PaymentUnavailable
from bookingapp.domain.money import format_money
from bookingapp.domain.payments.ledger import (
    Balance, amount_due_up_front, balance, is_open_checkout, money_taken, open_checkouts,
    payment_may_still_arrive, payment_payload, payments_of, refundable_cents,
)
from bookingapp.domain.payments.online_checkout import (
    DUPLICATE_REASON, HOLD_GRACE, REUSE_MARGIN, CheckoutOutcome, CheckoutStart, abandon_open_checkouts,
    change_promotion, close_checkout, confirm_checkout, fail_checkout, payment_attempt_failed, start_checkout,
)
from bookingapp.domain.payments.payment_states import (
    EXPIRED_REASON, INCOMING_KINDS, MONEY_IN_STATUSES, OPEN_CHECKOUT_STATUSES, PAYMENT_TRANSITIONS,
    REFUND_COUNTED_STATUSES,
)
from bookingapp.domain.payments.provider_events import HANDLED_EVENTS, handle_event, reconcile_charge_refunds
from bookingapp.domain.payments.refunds import (
    CancellationTerms, CancelOutcome, cancel_with_policy, cancellation_terms, refund,
)

# The old name of the one money formatter, for the callers not moved to
# bookingapp.domain.money.format_money yet.
money = format_money

__all__ = [
    "Balance", "CancelOutcome", "CancellationTerms", "CheckoutOutcome", "CheckoutStart", "DUPLICATE_REASON",
    "EXPIRED_REASON", "HANDLED_EVENTS", "HOLD_GRACE", "INCOMING_KINDS", "MONEY_IN_STATUSES",
    "OPEN_CHECKOUT_STATUSES", "PAYMENT_TRANSITIONS", "PaymentUnavailable", "REFUND_COUNTED_STATUSES",
    "REUSE_MARGIN", "abandon_open_checkouts", "amount_due_up_front", "balance", "cancel_with_policy",
    "cancellation_terms", "change_promotion", "close_checkout", "confirm_checkout", "fail_checkout",
    "handle_event", "is_open_checkout", "money", "money_taken", "open_checkouts", "payment_attempt_failed",
    "payment_may_still_arrive", "payment_payload", "payments_of", "reconcile_charge_refunds", "refund",
    "refundable_cents", "start_checkout",
]
