"""Messages to people (emails and text messages), recorded by the domain in the same
transaction as the change that calls for them and sent by the worker; the rows are also
the delivery log the dashboard shows (what went to whom, when, on which channel, and why
one failed or was skipped)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookingapp.models.base import Base, IdMixin, utcnow

MESSAGE_CHANNELS = ("email", "sms")
MESSAGE_AUDIENCES = ("customer", "staff")
# pending: waiting for its due time (or for a retry); sending: claimed by one worker until
# claimed_until; sent: accepted by the SMTP server or the SMS provider; recorded: rendered and
# kept because no provider is configured (SMTP_HOST / TWILIO_* unset); failed: given up after
# the last retry or refused for good; skipped: no longer wanted when its time came (booking
# cancelled, appointment started, customer unsubscribed; the reason is in last_error);
# cancelled: withdrawn before it was due.
MESSAGE_STATUSES = ("pending", "sending", "sent", "recorded", "failed", "skipped", "cancelled")

_status_list = ", ".join(f"'{s}'" for s in MESSAGE_STATUSES)


class Message(IdMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(f"status IN ({_status_list})", name="status_known"),
        CheckConstraint("channel IN ('email', 'sms')", name="channel_known"),
        CheckConstraint("audience IN ('customer', 'staff')", name="audience_known"),
        CheckConstraint("status <> 'sending' OR claimed_until IS NOT NULL", name="sending_has_lease"),
        Index("ix_messages_due", "status", "due_at"),
        Index("ix_messages_business_created", "business_id", "created_at"),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    booking_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    staff_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(String(20))
    # domain.notify's kinds: booking_confirmed, reminder, staff_new_booking, ...
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    # An email address, or a phone number in E.164 form.
    recipient: Mapped[str] = mapped_column(String(254))
    recipient_name: Mapped[Optional[str]] = mapped_column(String(200))
    # The facts of the change that the booking as it later is cannot tell (the old time of a
    # move, who cancelled, what was refunded, which reminder step).
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    # Reminders and review requests are not transactional: a customer who unsubscribed gets
    # only the transactional ones.
    transactional: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # At most one message per key, whatever the timing: "reminder:<booking>:<step>",
    # "review_request:<booking>", "receipt:<checkout>", "agenda:<staff>:<day>". Two workers
    # planning the same reminder both insert; the database keeps one.
    dedupe_key: Mapped[Optional[str]] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it may next be sent: its planned time, then each retry's time.
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[Optional[datetime]]
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    sent_at: Mapped[Optional[datetime]]
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    # The SMTP Message-ID or the SMS provider's id, for tracing a complaint.
    provider_ref: Mapped[Optional[str]] = mapped_column(String(200))
    # A resend from the dashboard is a new message pointing at the one it repeats.
    resent_from_id: Mapped[Optional[uuid.UUID]] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))

    booking = relationship("Booking")
