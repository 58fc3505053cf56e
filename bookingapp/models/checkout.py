"""Checkout of a booking: its line items while open, fixed once closed.

Amounts are integer cents. Every line item's price_cents is positive; a discount line is
subtracted. A percent discount keeps its percent and the domain recomputes its amount
whenever the other lines change, so the stored amounts always add up.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookingapp.models.base import Base, IdMixin, TimestampMixin, utcnow
from bookingapp.models.booking import Booking

LINE_ITEM_TYPES = ("service", "addon_service", "product", "tip", "discount")
CHECKOUT_STATUSES = ("open", "closed")


class Checkout(IdMixin, TimestampMixin, Base):
    __tablename__ = "checkouts"
    __table_args__ = (CheckConstraint("status IN ('open', 'closed')", name="status_known"),)

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    # One checkout per booking, enforced by the database.
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    currency: Mapped[str] = mapped_column(String(3))
    # Totals frozen at close (while open the domain computes them from the lines).
    total_cents: Mapped[int] = mapped_column(default=0)
    tip_cents: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[Optional[datetime]]
    closed_by: Mapped[Optional[str]] = mapped_column(String(200))

    booking: Mapped[Booking] = relationship()
    line_items: Mapped[list["CheckoutLineItem"]] = relationship(
        back_populates="checkout", cascade="all, delete-orphan", order_by="CheckoutLineItem.position"
    )
    tenders: Mapped[list["CheckoutTender"]] = relationship(
        back_populates="checkout", cascade="all, delete-orphan", order_by="CheckoutTender.created_at"
    )


class CheckoutLineItem(IdMixin, Base):
    __tablename__ = "checkout_line_items"
    __table_args__ = (
        CheckConstraint(
            "type IN ('service', 'addon_service', 'product', 'tip', 'discount')", name="type_known"
        ),
        CheckConstraint("price_cents >= 0", name="price_non_negative"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("percent IS NULL OR (percent > 0 AND percent <= 100)", name="percent_range"),
    )

    checkout_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checkouts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    price_cents: Mapped[int]
    quantity: Mapped[int] = mapped_column(default=1)
    product_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("products.id"))
    service_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("services.id"))
    percent: Mapped[Optional[int]]
    promo_code: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    checkout: Mapped[Checkout] = relationship(back_populates="line_items")

    @property
    def amount_cents(self) -> int:
        return self.price_cents * self.quantity


IN_PERSON_METHODS = ("cash", "card_present")


class CheckoutTender(IdMixin, Base):
    """Money taken or given back at the desk: cash, or a card on the shop's own terminal.

    Card payments through the payment provider are the payments module's Payment rows;
    its provider column names online providers only, so in-person money is kept here and
    added to what the booking has paid."""

    __tablename__ = "checkout_tenders"
    __table_args__ = (
        CheckConstraint("method IN ('cash', 'card_present')", name="method_known"),
        CheckConstraint("kind IN ('payment', 'refund')", name="kind_known"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    checkout_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checkouts.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10), default="payment")
    amount_cents: Mapped[int]
    reason: Mapped[Optional[str]] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    checkout: Mapped[Checkout] = relationship(back_populates="tenders")
