"""Customers, one per email within a business so that repeat visitors are grouped."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bookingapp.models.base import Base, IdMixin, TimestampMixin


class Customer(IdMixin, TimestampMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("business_id", "email", name="uq_customers_business_email"),)

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    # Stored normalised (lower case) by domain.customers so the unique key groups visitors.
    # None for a walk-in booked at the front desk with a name only (NULLs never collide in
    # the unique key, so there may be many of those).
    email: Mapped[Optional[str]] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    # Set by the unsubscribe link: from then on only transactional messages (confirmations,
    # moves, cancellations, receipts), no reminders or review requests.
    unsubscribed_at: Mapped[Optional[datetime]]
