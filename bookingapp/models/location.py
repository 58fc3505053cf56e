"""Locations (branches) of a business, their opening hours, who works where and which
services each offers.

Every business has exactly one primary location: a partial unique index says so on both
databases, and a flush listener gives a business created without locations its primary
(so every door that creates a business, the demo and the test factories get one alike).

What a location does not set itself it takes from its business, so that the settings a
single-location business has always edited keep governing its primary location:

* `timezone` and `hold_seconds` NULL: the business's;
* no `location_hours` rows: the business's opening hours;
* a staff member's `staff_hours` rows with `location_id` NULL are hours at the primary
  location, and a staff member with no `staff_locations` rows works at the primary only;
* a service with no `service_locations` rows is offered at every location, on its own
  terms; a row's price, deposit or duration NULL is the service's own there.
"""
from __future__ import annotations

import uuid
from datetime import time
from typing import Optional

from sqlalchemy import (
    CheckConstraint, Column, ForeignKey, Index, Integer, SmallInteger, String, Table, UniqueConstraint, event, text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from bookingapp.models.base import Base, IdMixin, TimestampMixin
from bookingapp.models.business import Business

staff_locations = Table(
    "staff_locations",
    Base.metadata,
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("location_id", ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# A row offers the service at the location, optionally on terms of its own there: a price,
# deposit or duration left NULL is the service's own (domain.service_terms reads them).
service_locations = Table(
    "service_locations",
    Base.metadata,
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column("location_id", ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("price_cents", Integer, nullable=True),
    Column("deposit_cents", Integer, nullable=True),
    Column("duration_minutes", Integer, nullable=True),
    CheckConstraint("price_cents IS NULL OR price_cents >= 0", name="price_non_negative"),
    CheckConstraint("deposit_cents IS NULL OR deposit_cents >= 0", name="deposit_non_negative"),
    CheckConstraint("duration_minutes IS NULL OR duration_minutes > 0", name="duration_positive"),
)

PRIMARY_INDEX = "uq_locations_one_primary_per_business"
# The slug a business's first location gets when it is made for it (renamed at will).
PRIMARY_SLUG = "main"


class Location(IdMixin, TimestampMixin, Base):
    __tablename__ = "locations"
    __table_args__ = (
        UniqueConstraint("business_id", "slug", name="uq_locations_business_slug"),
        CheckConstraint("hold_seconds IS NULL OR hold_seconds > 0", name="hold_positive"),
        # At most one primary per business, on both databases (partial unique index).
        Index(PRIMARY_INDEX, "business_id", unique=True,
              sqlite_where=text("is_primary"), postgresql_where=text("is_primary")),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80))
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    address_street: Mapped[Optional[str]] = mapped_column(String(200))
    address_city: Mapped[Optional[str]] = mapped_column(String(100))
    address_state: Mapped[Optional[str]] = mapped_column(String(100))
    address_zip: Mapped[Optional[str]] = mapped_column(String(20))
    address_country: Mapped[Optional[str]] = mapped_column(String(2))
    timezone: Mapped[Optional[str]] = mapped_column(String(64))
    hold_seconds: Mapped[Optional[int]]
    is_primary: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    sort_order: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    business: Mapped[Business] = relationship(back_populates="locations")
    hours: Mapped[list["LocationHours"]] = relationship(
        back_populates="location", cascade="all, delete-orphan",
        order_by="(LocationHours.weekday, LocationHours.opens_at)",
    )

    @property
    def effective_timezone(self) -> str:
        return self.timezone or self.business.timezone

    @property
    def effective_hold_seconds(self) -> int:
        return self.hold_seconds or self.business.hold_seconds


class LocationHours(IdMixin, Base):
    """One opening window of a location on one weekday (0 = Monday), as BusinessHours is for
    the business; a location with no rows keeps the business's hours."""

    __tablename__ = "location_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("opens_at < closes_at", name="opens_before_closes"),
    )

    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens_at: Mapped[time]
    closes_at: Mapped[time]

    location: Mapped[Location] = relationship(back_populates="hours")


Business.locations = relationship(
    Location, back_populates="business", cascade="all, delete-orphan",
    order_by="(Location.sort_order, Location.name)",
)
# Loaded with the business in the same statement: every availability answer, hold and
# booking without a location means the primary, and must not cost a query to find it.
Business.primary_location = relationship(
    Location,
    primaryjoin=lambda: (Location.business_id == Business.id) & Location.is_primary.is_(True),
    uselist=False, lazy="joined", viewonly=True,
)


@event.listens_for(Session, "before_flush")
def _every_business_has_a_primary_location(session: Session, flush_context, instances) -> None:
    """A business created without a location gets its primary; a booking written without a
    location is at its business's primary (the rows made before locations existed are given
    theirs by migration 0017, so `bookings.location_id` is never NULL)."""
    from bookingapp.models.booking import Booking

    for obj in list(session.new):
        if isinstance(obj, Business) and not obj.locations:
            obj.locations.append(Location(name=obj.name, slug=PRIMARY_SLUG, is_primary=True))
    for obj in list(session.new):
        if isinstance(obj, Booking) and obj.location_id is None and obj.business_id is not None:
            business = session.get(Business, obj.business_id)
            primary = business.primary_location if business is not None else None
            if primary is None and business is not None:
                primary = next((loc for loc in business.locations if loc.is_primary), None)
            if primary is not None:
                if primary.id is None:
                    primary.id = uuid.uuid4()
                obj.location_id = primary.id
