"""The integrators' API: keys, idempotency records, webhook endpoints and their delivery log."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookingapp.models.base import Base, IdMixin, utcnow

API_KEY_MODES = ("live", "test")
# What a key may do (bookingapp/api/scopes.py says what each one allows).
API_KEY_SCOPES = ("read", "bookings", "catalog", "full")
DELIVERY_STATUSES = ("pending", "succeeded", "failed")


class ApiKey(IdMixin, Base):
    """A business's API key. Only a SHA-256 digest of the secret is stored: the key is
    random (256 bits), so a fast digest is safe to look up by and a stolen table reveals
    no usable key. `prefix` keeps the first characters so a key can be recognised in lists.
`scope` is chosen when the key is made and never changes: to widen or narrow a key, make
another and revoke this one."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("mode IN ('live', 'test')", name="mode_known"),
        CheckConstraint("scope IN ('read', 'bookings', 'catalog', 'full')", name="scope_known"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="API key")
    mode: Mapped[str] = mapped_column(String(4), default="live")
    scope: Mapped[str] = mapped_column(String(8))
    prefix: Mapped[str] = mapped_column(String(24))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[Optional[datetime]]
    revoked_at: Mapped[Optional[datetime]]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(IdMixin, Base):
    """The first response to a POST sent with an Idempotency-Key, replayed to retries.

    `response_status` is NULL while the first request is still running, so a twin that
    arrives meanwhile is told so instead of running the action a second time."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("api_key_id", "key", name="uq_idempotency_records_key_per_api_key"),)

    api_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[Optional[int]]
    response_body: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class WebhookEndpoint(IdMixin, Base):
    """A URL a business wants events POSTed to, signed with its own secret."""

    __tablename__ = "webhook_endpoints"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[Optional[str]] = mapped_column(String(500))
    # The topics this endpoint receives; an empty list means every topic.
    events: Mapped[list] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    disabled_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[Optional[datetime]]

    def wants(self, topic: str) -> bool:
        return not self.events or topic in self.events


class WebhookDelivery(IdMixin, Base):
    """One event to one endpoint: its attempts, the last answer, and when to try again.

    `next_attempt_at` doubles as the lease of a worker that has claimed the row, and
    `claim_token` names that claim: a worker sends and records only while the row still
    carries its token, so two workers never send one delivery; the unique key stops an event
    from being fanned out to an endpoint twice."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status_known"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outbox_events.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[Optional[datetime]]
    response_status: Mapped[Optional[int]]
    response_body: Mapped[Optional[str]] = mapped_column(Text)
    error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[Optional[datetime]]
    claim_token: Mapped[Optional[str]] = mapped_column(String(32))

    endpoint: Mapped[WebhookEndpoint] = relationship()
