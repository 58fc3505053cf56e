"""The transactional outbox: events written in the same transaction as the change they
describe, delivered after commit by the worker (webhooks, emails)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bookingapp.models.base import Base, IdMixin, utcnow


class OutboxEvent(IdMixin, Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_pending", "dispatched_at", "created_at"),)

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    # e.g. "booking.created", "payment.succeeded", "email.booking_confirmation"
    topic: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by the worker once every delivery for the event has been created or sent.
    dispatched_at: Mapped[Optional[datetime]]
