"""What a business sells: service categories, services, retail products."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from bookingapp.domain.money import validate_currency
from bookingapp.models.base import Base, IdMixin, TimestampMixin


class ServiceCategory(IdMixin, TimestampMixin, Base):
    __tablename__ = "service_categories"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    sort_order: Mapped[int] = mapped_column(default=0)
    deleted_at: Mapped[Optional[datetime]]


class Service(IdMixin, TimestampMixin, Base):
    """A bookable service. Soft-deleted (deleted_at) so past bookings keep their service;
    bookings also snapshot price and deposit, so later price changes never rewrite history."""

    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("buffer_before_minutes >= 0 AND buffer_after_minutes >= 0", name="buffers_non_negative"),
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
        CheckConstraint("deposit_cents >= 0 AND deposit_cents <= price_cents", name="deposit_within_price"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("service_categories.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[Optional[str]] = mapped_column(Text)
    duration_minutes: Mapped[int]
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    price_cents: Mapped[int]
    deposit_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")

    @validates("currency")
    def _known_currency(self, _key: str, code: str) -> str:
        # Every way a currency is set (setup, the demo, a migration script) meets ISO 4217.
        return validate_currency(code)
    is_active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    deleted_at: Mapped[Optional[datetime]]

    category: Mapped[Optional[ServiceCategory]] = relationship()

    @property
    def is_bookable(self) -> bool:
        return self.is_active and self.deleted_at is None


class Product(IdMixin, TimestampMixin, Base):
    """A retail product sold at checkout. inventory_count NULL means stock is not tracked."""

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
        CheckConstraint("inventory_count IS NULL OR inventory_count >= 0", name="inventory_non_negative"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[Optional[str]] = mapped_column(Text)
    price_cents: Mapped[int]
    category: Mapped[Optional[str]] = mapped_column(String(120))
    sku: Mapped[Optional[str]] = mapped_column(String(64))
    inventory_count: Mapped[Optional[int]]
    is_active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    image_url: Mapped[Optional[str]] = mapped_column(String(500))
    deactivated_at: Mapped[Optional[datetime]]
