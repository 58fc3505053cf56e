"""Staff members, the services they perform, their working hours and time off."""
from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Optional

from sqlalchemy import CheckConstraint, Column, ForeignKey, SmallInteger, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookingapp.models.base import Base, IdMixin, TimestampMixin
from bookingapp.models.catalog import Service
from bookingapp.models.location import Location, staff_locations

STAFF_ROLES = ("owner", "manager", "staff", "front_desk")

staff_services = Table(
    "staff_services",
    Base.metadata,
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


class Staff(IdMixin, TimestampMixin, Base):
    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'manager', 'staff', 'front_desk')", name="role_known"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[Optional[str]] = mapped_column(String(254))
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(20), default="staff")
    bio: Mapped[Optional[str]] = mapped_column(Text)
    avatar_url: Mapped[Optional[str]] = mapped_column(String(500))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Position in the "fixed_order" assignment policy and in lists.
    sort_order: Mapped[int] = mapped_column(default=0)
    deleted_at: Mapped[Optional[datetime]]
    # Emails to the staff member about their own bookings: each new booking, cancellation and
    # move, and (opted into) the day's agenda each morning.
    booking_emails: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    daily_agenda: Mapped[bool] = mapped_column(default=False, server_default=text("false"))

    services: Mapped[list[Service]] = relationship(secondary=staff_services)
    # Where they work; none means the primary location only (models.location).
    locations: Mapped[list[Location]] = relationship(secondary=staff_locations)
    hours: Mapped[list["StaffHours"]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", order_by="(StaffHours.weekday, StaffHours.starts_at)"
    )


class StaffHours(IdMixin, Base):
    """A working window on one weekday (0 = Monday). A staff member with no rows at all
    works the business's opening hours; with rows, only those (within opening hours).

    Hours are per location: `location_id` NULL means the primary location (every row
    written before locations existed, and by doors that do not name one). At a location
    where a staff member works but has no rows, they work its opening hours."""

    __tablename__ = "staff_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
    )

    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    starts_at: Mapped[time]
    ends_at: Mapped[time]
    location_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)

    staff: Mapped[Staff] = relationship(back_populates="hours")


class TimeOff(IdMixin, TimestampMixin, Base):
    """Blocked time in UTC: for one staff member (wherever they work), or a closure when
    staff_id is NULL: of one location when location_id is set, else of the whole business."""

    __tablename__ = "time_off"
    __table_args__ = (CheckConstraint("starts_at < ends_at", name="starts_before_ends"),)

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[Optional[str]] = mapped_column(String(200))
