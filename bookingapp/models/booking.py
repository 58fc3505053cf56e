"""Bookings and their append-only status history."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookingapp.domain.states import ACTIVE_STATUSES, ALL_STATUSES
from bookingapp.models.base import Base, IdMixin, TimestampMixin, utcnow
from bookingapp.models.catalog import Service
from bookingapp.models.customer import Customer
from bookingapp.models.location import Location
from bookingapp.models.staff import Staff

BOOKING_SOURCES = ("web", "dashboard", "api")

_status_list = ", ".join(f"'{s}'" for s in ALL_STATUSES)
_active_list = ", ".join(f"'{s}'" for s in ACTIVE_STATUSES)

# Shared with the migration so the model and the schema say the same thing.
NO_OVERLAP_CONSTRAINT = "ex_bookings_staff_no_overlap"
ACTIVE_STATUS_PREDICATE = f"status IN ({_active_list})"


class Booking(IdMixin, TimestampMixin, Base):
    """One appointment of one service with one staff member.

    starts_at/ends_at are the service time the customer sees; blocked_from/blocked_until
    add the service's buffers and are what the staff member's calendar is blocked for,
    so they are what the no-overlap constraint compares.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(f"status IN ({_status_list})", name="status_known"),
        CheckConstraint("source IN ('web', 'dashboard', 'api')", name="source_known"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        CheckConstraint("blocked_from <= starts_at AND blocked_until >= ends_at", name="block_covers_service"),
        CheckConstraint("status <> 'held' OR hold_expires_at IS NOT NULL", name="hold_has_expiry"),
        CheckConstraint("price_cents >= 0 AND deposit_cents >= 0", name="amounts_non_negative"),
        # Covers availability's busy-time read (staff, range, and whether the row still
        # occupies time), so it needs no table lookup per booking (migration 0021).
        Index("ix_bookings_staff_busy", "staff_id", "blocked_from", "blocked_until", "status", "hold_expires_at"),
        Index("ix_bookings_business_starts", "business_id", "starts_at"),
        ExcludeConstraint(
            ("staff_id", "="),
            (func.tstzrange(text("blocked_from"), text("blocked_until"), "[)"), "&&"),
            name=NO_OVERLAP_CONSTRAINT,
            using="gist",
            where=text(ACTIVE_STATUS_PREDICATE),
        ).ddl_if(dialect="postgresql"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    booking_number: Mapped[str] = mapped_column(String(16), unique=True)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    # Where the visit takes place. The no-overlap rule stays per staff member across
    # locations: one person is never booked at two branches at once.
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id"), index=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    # A hold may be taken before the customer has typed their details.
    customer_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("customers.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    blocked_from: Mapped[datetime]
    blocked_until: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    hold_expires_at: Mapped[Optional[datetime]]
    source: Mapped[str] = mapped_column(String(20), default="web")
    notes: Mapped[Optional[str]] = mapped_column(Text)
    custom_fields: Mapped[dict] = mapped_column(JSON, default=dict)
    price_cents: Mapped[int]
    deposit_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3))
    # The language the customer booked in: the worker writes their emails, texts and
    # calendar file in it (domain.languages.language_of); empty -> the business default.
    language: Mapped[Optional[str]] = mapped_column(String(8))
    confirmed_at: Mapped[Optional[datetime]]
    cancelled_at: Mapped[Optional[datetime]]
    cancellation_reason: Mapped[Optional[str]] = mapped_column(Text)
    rescheduled_from_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("bookings.id"))
    rescheduled_to_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("bookings.id"))
    # The first booked start of this booking's reschedule chain: the cancellation policy
    # (free-cancellation deadline) runs from it, so moving a booking never resets it.
    policy_starts_at: Mapped[Optional[datetime]]
    # Made with a test API key: kept out of live keys' answers, the dashboard and analytics,
    # and paid through the sandbox whatever the business's provider (domain.test_mode). It
    # still holds its staff member's time, so the no-overlap rule counts it like any other.
    is_test: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # The calendar event this booking is (RFC 5545 UID and SEQUENCE): a reschedule's
    # replacement keeps the UID and counts one more, so a calendar that imported the first
    # .ics moves its event instead of keeping a second one. NULL on rows made before
    # migration 0010, read as "<id>@bookingapp" (domain.ics.calendar_uid).
    calendar_uid: Mapped[Optional[str]] = mapped_column(String(120))
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Held or reserved with skip_notifications: when it is booked (by the integrator, or by a
    # payment), the customer is not sent the confirmation; its later changes notify as usual.
    confirmation_silent: Mapped[bool] = mapped_column(default=False, server_default=text("false"))

    service: Mapped[Service] = relationship()
    staff: Mapped[Staff] = relationship()
    location: Mapped[Location] = relationship()
    customer: Mapped[Optional[Customer]] = relationship()
    history: Mapped[list["BookingEvent"]] = relationship(
        back_populates="booking", order_by="BookingEvent.id", cascade="all, delete-orphan"
    )


class BookingEvent(Base):
    """Append-only record of every status change (and other notable moments) of a booking.

    An integer key gives a total order even when two events share a timestamp."""

    __tablename__ = "booking_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[Optional[str]] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(40), default="system")
    note: Mapped[Optional[str]] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    booking: Mapped[Booking] = relationship(back_populates="history")
