"""The business (tenant): profile, weekly opening hours, booking settings."""
from __future__ import annotations

import uuid
from datetime import time
from typing import Optional

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from bookingapp.domain.money import validate_currency
from bookingapp.models.base import Base, IdMixin, TimestampMixin

ASSIGNMENT_POLICIES = ("balanced", "random", "fixed_order")
DEPOSIT_POLICIES = ("service_deposit", "full_prepayment", "none")


DEFAULT_REMINDER_STEP = {"hours_before": 24, "email": True, "sms": False}


class Business(IdMixin, TimestampMixin, Base):
    __tablename__ = "businesses"
    __table_args__ = (
        CheckConstraint("slot_interval_minutes > 0", name="slot_interval_positive"),
        CheckConstraint("min_notice_minutes >= 0", name="min_notice_non_negative"),
        CheckConstraint("max_advance_days > 0", name="max_advance_positive"),
        CheckConstraint("hold_seconds > 0", name="hold_positive"),
        CheckConstraint("free_cancellation_hours >= 0", name="cancellation_window_non_negative"),
        CheckConstraint("early_start_minutes BETWEEN 0 AND 1440", name="early_start_range"),
        CheckConstraint(
            "assignment_policy IN ('balanced', 'random', 'fixed_order')", name="assignment_policy_known"
        ),
        CheckConstraint(
            "deposit_policy IN ('service_deposit', 'full_prepayment', 'none')", name="deposit_policy_known"
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[Optional[str]] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # The customer side's language when the visitor has not chosen one and their browser
    # asks for none we speak (domain.languages).
    default_language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")

    @validates("currency")
    def _known_currency(self, _key: str, code: str) -> str:
        # Every way a currency is set (setup, the demo, a migration script) meets ISO 4217.
        return validate_currency(code)
    email: Mapped[Optional[str]] = mapped_column(String(254))
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    website: Mapped[Optional[str]] = mapped_column(String(300))
    address_street: Mapped[Optional[str]] = mapped_column(String(200))
    address_city: Mapped[Optional[str]] = mapped_column(String(100))
    address_state: Mapped[Optional[str]] = mapped_column(String(100))
    address_zip: Mapped[Optional[str]] = mapped_column(String(20))
    address_country: Mapped[str] = mapped_column(String(2), default="GB")
    is_active: Mapped[bool] = mapped_column(default=True)

    # Booking settings.
    slot_interval_minutes: Mapped[int] = mapped_column(default=15)
    min_notice_minutes: Mapped[int] = mapped_column(default=120)
    max_advance_days: Mapped[int] = mapped_column(default=60)
    hold_seconds: Mapped[int] = mapped_column(default=600)
    auto_confirm: Mapped[bool] = mapped_column(default=True)
    deposit_policy: Mapped[str] = mapped_column(String(20), default="service_deposit")
    free_cancellation_hours: Mapped[int] = mapped_column(default=24)
    # How long before its start a visit may be started (checked in early); complete and
    # no-show wait for the start itself.
    early_start_minutes: Mapped[int] = mapped_column(default=30, server_default="30")
    assignment_policy: Mapped[str] = mapped_column(String(20), default="balanced")

    # Notifications (domain.notify, domain.reminders). The reminder cadence is a list of steps
    # [{"hours_before": 24, "email": true, "sms": false}, ...]; a step with both channels off
    # is switched off. Checked by domain.reminders.clean_cadence on every door.
    reminder_cadence: Mapped[list] = mapped_column(JSON, default=lambda: [dict(DEFAULT_REMINDER_STEP)])
    # Customers with a phone number also get booking confirmations, moves and cancellations
    # by text message.
    sms_notifications: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # A completed visit's customer is asked once for a review.
    review_requests: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # Every dashboard account of the business signs in with a second factor (auth.two_factor):
    # one without it is sent to set it up right after its password. Only an owner changes it.
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Counted up by every committed change that can change availability (a booking, time off,
    # hours, staff, services, these settings): cached availability is keyed by it, so a cached
    # answer is never older than the last committed change (domain.availability_cache).
    availability_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    # The business's own websites allowed to show the booking wizard in a frame (https origins,
    # domain.embedding checks them); empty means embedding is off and no page may be framed.
    embed_origins: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")

    hours: Mapped[list["BusinessHours"]] = relationship(
        back_populates="business", cascade="all, delete-orphan", order_by="(BusinessHours.weekday, BusinessHours.opens_at)"
    )


class BusinessHours(IdMixin, Base):
    """One opening window on one weekday (0 = Monday). Several rows on a day model a
    lunch closure; no row means closed that day."""

    __tablename__ = "business_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("opens_at < closes_at", name="opens_before_closes"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens_at: Mapped[time]
    closes_at: Mapped[time]

    business: Mapped[Business] = relationship(back_populates="hours")
