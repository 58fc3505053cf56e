"""The payment transition table: the one way a payment's status changes."""
from datetime import datetime, timezone

import pytest

from bookingapp.domain.errors import InvalidTransition
from bookingapp.domain.payments.payment_states import (
    PAYMENT_TRANSITIONS, InvalidPaymentTransition, move_if_allowed, move_payment,
)
from bookingapp.models.payment import PAYMENT_STATUSES, Payment

NOW = datetime(2030, 5, 6, 9, 0, tzinfo=timezone.utc)


def _payment(status: str) -> Payment:
    return Payment(kind="deposit", status=status, amount_cents=1000, currency="GBP", provider="sandbox")


def test_table_covers_every_stored_status():
    assert set(PAYMENT_TRANSITIONS) == set(PAYMENT_STATUSES)
    assert all(set(targets) <= set(PAYMENT_STATUSES) for targets in PAYMENT_TRANSITIONS.values())


def test_illegal_payment_move_raises_and_names_the_valid_moves():
    payment = _payment("succeeded")
    with pytest.raises(InvalidPaymentTransition) as raised:
        move_payment(payment, "failed", now=NOW)
    assert isinstance(raised.value, InvalidTransition) and raised.value.param == "status"
    assert raised.value.details == {"from": "succeeded", "to": "failed",
                                    "valid_transitions": ["partially_refunded", "refunded"]}
    assert "partially_refunded, refunded" in raised.value.message
    assert payment.status == "succeeded" and payment.updated_at is None


def test_a_refunded_payment_is_terminal():
    with pytest.raises(InvalidPaymentTransition, match="none"):
        move_payment(_payment("refunded"), "succeeded", now=NOW)


def test_legal_move_stamps_the_time():
    payment = _payment("pending")
    move_payment(payment, "succeeded", now=NOW)
    assert (payment.status, payment.updated_at, payment.succeeded_at) == ("succeeded", NOW, NOW)


def test_a_late_trigger_changes_nothing_through_move_if_allowed():
    payment = _payment("succeeded")
    assert move_if_allowed(payment, "failed", now=NOW) is False
    assert payment.status == "succeeded" and payment.updated_at is None
    assert move_if_allowed(payment, "refunded", now=NOW) is True and payment.status == "refunded"
