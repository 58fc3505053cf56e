"""The audit trail (who did what, when, from where) and customers' data requests.

`audit_events` is append-only: the database itself refuses UPDATE and DELETE on it (a
trigger on PostgreSQL and on SQLite, made by migration 0015), so a dashboard account or a
bug cannot rewrite what happened. domain.audit is the only writer.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookingapp.models.base import Base, IdMixin, utcnow

ACTOR_KINDS = ("account", "api_key", "customer", "system")
DATA_REQUEST_KINDS = ("export", "erasure")
DATA_REQUEST_STATUSES = ("pending", "completed", "declined")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class AuditEvent(IdMixin, Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        CheckConstraint(_one_of("actor_kind", ACTOR_KINDS), name="actor_kind_known"),
        Index("ix_audit_events_business_created", "business_id", "created_at"),
    )

    # No foreign key to the business on purpose: the trail must outlive what it speaks of
    # (a deleted account, a revoked key, an erased client) and a cascade would be a DELETE.
    business_id: Mapped[uuid.UUID] = mapped_column()
    # Dotted and from domain.audit.ACTIONS only, so the dashboard's filter lists them all.
    action: Mapped[str] = mapped_column(String(60))
    actor_kind: Mapped[str] = mapped_column(String(10))
    # The account's or API key's id; none for the customer and the system.
    actor_id: Mapped[Optional[str]] = mapped_column(String(64))
    # Readable as it was then (an email, a key's name and prefix): the account may be gone later.
    actor_label: Mapped[str] = mapped_column(String(300))
    subject_type: Mapped[Optional[str]] = mapped_column(String(40))
    subject_id: Mapped[Optional[str]] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip_address: Mapped[Optional[str]] = mapped_column(String(64))
    user_agent: Mapped[Optional[str]] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DataRequest(IdMixin, Base):
    """A customer's request, made from their manage link, for their data or for its erasure.
    It waits for the owner: confirming an export makes it downloadable through the link that
    asked; confirming an erasure erases (domain.data_rights)."""

    __tablename__ = "data_requests"
    __table_args__ = (
        CheckConstraint(_one_of("kind", DATA_REQUEST_KINDS), name="kind_known"),
        CheckConstraint(_one_of("status", DATA_REQUEST_STATUSES), name="status_known"),
        Index("ix_data_requests_business_status", "business_id", "status"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    # The booking whose manage link asked: the export is downloaded through that link.
    booking_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[Optional[datetime]]
    decided_by: Mapped[Optional[str]] = mapped_column(String(300))

    customer = relationship("Customer")
