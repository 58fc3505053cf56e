"""A business's own questions on the booking form ("Allergies?", "How did you hear of us?").

The answers are stored on the booking (Booking.custom_fields, keyed by `key`), so a later
change to a definition never rewrites what a customer answered."""
from __future__ import annotations

import uuid
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bookingapp.models.base import Base, IdMixin, TimestampMixin

CUSTOM_FIELD_TYPES = ("text", "textarea", "select", "checkbox", "number")


class CustomFieldDefinition(IdMixin, TimestampMixin, Base):
    __tablename__ = "custom_field_definitions"
    __table_args__ = (
        UniqueConstraint("business_id", "key", name="uq_custom_field_definitions_business_key"),
        CheckConstraint(
            "field_type IN ('text', 'textarea', 'select', 'checkbox', 'number')", name="field_type_known"
        ),
    )

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    # Stable machine name, the key under which the answer is stored on the booking.
    key: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    field_type: Mapped[str] = mapped_column(String(20), default="text")
    required: Mapped[bool] = mapped_column(default=False)
    # The choices of a "select" field; empty for the other types.
    options: Mapped[list] = mapped_column(JSON, default=list)
    help_text: Mapped[Optional[str]] = mapped_column(String(300))
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
