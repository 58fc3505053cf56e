"""Payments, promotions, the Stripe events already processed, and the sandbox provider's
own checkout sessions.

What a booking has paid and still owes is never stored: it is derived from its payment
rows (bookingapp.domain.payments.ledger.balance). A refund is a payment row of kind "refund"
pointing at the payment it gives money back from.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookingapp.models.base import Base, IdMixin, TimestampMixin, utcnow

PAYMENT_KINDS = ("deposit", "prepayment", "balance", "refund")
PAYMENT_STATUSES = ("created", "pending", "succeeded", "failed", "refunded", "partially_refunded")
PAYMENT_PROVIDERS = ("stripe", "sandbox")
PROMOTION_KINDS = ("percent", "fixed")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Payment(IdMixin, TimestampMixin, Base):
    """One attempt to take money for a booking, or one refund of such money.

    amount_cents is always positive; kind says which way the money goes. The provider ids
    are unique so that an event or a return page finds exactly one row."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(PAYMENT_KINDS)})", name="kind_known"),
        CheckConstraint(f"status IN ({_in(PAYMENT_STATUSES)})", name="status_known"),
        CheckConstraint(f"provider IN ({_in(PAYMENT_PROVIDERS)})", name="provider_known"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("(kind = 'refund') = (refund_of_id IS NOT NULL)", name="refund_has_parent"),
        Index("ix_payments_booking", "booking_id", "created_at"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="created")
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(20))
    # Stripe: cs_..., pi_..., re_...; sandbox: sbx_cs_..., sbx_pi_..., sbx_re_...
    provider_session_id: Mapped[Optional[str]] = mapped_column(String(255), unique=True)
    provider_payment_intent_id: Mapped[Optional[str]] = mapped_column(String(255), index=True)
    provider_refund_id: Mapped[Optional[str]] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[Optional[str]] = mapped_column(Text)
    checkout_expires_at: Mapped[Optional[datetime]]
    refund_of_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("payments.id"), index=True)
    failure_reason: Mapped[Optional[str]] = mapped_column(Text)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(40), default="customer")
    succeeded_at: Mapped[Optional[datetime]]

    refund_of: Mapped[Optional["Payment"]] = relationship(remote_side="Payment.id")


class Promotion(IdMixin, TimestampMixin, Base):
    """A promotion code: a percentage or a fixed amount off, within validity dates, with
    an optional limit on how many paid or confirmed bookings may use it."""

    __tablename__ = "promotions"
    __table_args__ = (
        UniqueConstraint("business_id", "code", name="uq_promotions_business_code"),
        CheckConstraint(f"kind IN ({_in(PROMOTION_KINDS)})", name="kind_known"),
        CheckConstraint(
            "(kind = 'percent' AND percent_off BETWEEN 1 AND 100 AND amount_off_cents IS NULL) OR "
            "(kind = 'fixed' AND amount_off_cents > 0 AND percent_off IS NULL)",
            name="amount_matches_kind",
        ),
        CheckConstraint("max_uses IS NULL OR max_uses > 0", name="max_uses_positive"),
        CheckConstraint("valid_until IS NULL OR valid_from IS NULL OR valid_from < valid_until", name="valid_range"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    # Stored upper-case; customers type codes in any case.
    code: Mapped[str] = mapped_column(String(40))
    description: Mapped[Optional[str]] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10))
    percent_off: Mapped[Optional[int]]
    amount_off_cents: Mapped[Optional[int]]
    valid_from: Mapped[Optional[datetime]]
    valid_until: Mapped[Optional[datetime]]
    max_uses: Mapped[Optional[int]]
    is_active: Mapped[bool] = mapped_column(default=True)


class PromotionRedemption(IdMixin, Base):
    """A promotion applied to one booking, with the discount it gave.

    counted_at is set when the booking is paid or confirmed: only those count towards the
    promotion's use limit, so abandoned holds never use a code up."""

    __tablename__ = "promotion_redemptions"

    promotion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("promotions.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    discount_cents: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    counted_at: Mapped[Optional[datetime]]

    promotion: Mapped[Promotion] = relationship()


class StripeEvent(Base):
    """Each provider event id, stored once, in the transaction that acted on it: a second
    delivery of the same event finds its id here and changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[Optional[str]] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SandboxCheckoutSession(Base):
    """The sandbox provider's stand-in for a Stripe Checkout Session (and its payment
    intent and charge): what the local hosted page shows and what the return page and
    events read back. No real money is involved."""

    __tablename__ = "sandbox_checkout_sessions"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'complete', 'expired')", name="status_known"),
        CheckConstraint("payment_status IN ('unpaid', 'paid')", name="payment_status_known"),
        CheckConstraint("amount_refunded_cents >= 0 AND amount_refunded_cents <= amount_cents", name="refund_within_amount"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    payment_intent_id: Mapped[str] = mapped_column(String(64), unique=True)
    charge_id: Mapped[str] = mapped_column(String(64), unique=True)
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    payment_status: Mapped[str] = mapped_column(String(20), default="unpaid")
    # "requires_payment_method" until a card is tried, then "succeeded" or back to it on a decline.
    intent_status: Mapped[str] = mapped_column(String(40), default="requires_payment_method")
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    amount_refunded_cents: Mapped[int] = mapped_column(default=0)
    success_url: Mapped[str] = mapped_column(Text)
    cancel_url: Mapped[str] = mapped_column(Text)
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    idempotency_key: Mapped[Optional[str]] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
