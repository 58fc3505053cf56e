"""Customer reviews of a completed booking, with the business's reply."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookingapp.models.base import Base, IdMixin, TimestampMixin
from bookingapp.models.booking import Booking


class Review(IdMixin, TimestampMixin, Base):
    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    # One review per booking, enforced by the database.
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id"), unique=True)
    rating: Mapped[int]
    comment: Mapped[Optional[str]] = mapped_column(Text)
    would_recommend: Mapped[bool] = mapped_column(default=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    business_reply: Mapped[Optional[str]] = mapped_column(Text)
    business_reply_at: Mapped[Optional[datetime]]

    booking: Mapped[Booking] = relationship()
