"""Dashboard sign-in accounts, each linked to one staff member, and sign-in attempts.

The staff member's role (owner, manager, front_desk, staff) is the account's role: one
source of truth, so changing someone's role in setup changes what they may do.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookingapp.models.base import Base, IdMixin, TimestampMixin, utcnow
from bookingapp.models.business import Business
from bookingapp.models.staff import Staff


class Account(IdMixin, TimestampMixin, Base):
    __tablename__ = "accounts"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), unique=True)
    # Sign-in is by email alone, so an email names one account across all businesses.
    # Stored lower case (domain.accounts normalises it).
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    last_sign_in_at: Mapped[Optional[datetime]]

    business: Mapped[Business] = relationship()
    staff: Mapped[Staff] = relationship()

    @property
    def role(self) -> str:
        return self.staff.role

    # The attributes Flask-Login reads, written out so models stay free of Flask.
    @property
    def is_active(self) -> bool:
        # Only the account's own switch and the staff member still existing matter:
        # staff.is_active means "takes bookings", and an owner or front desk who is not
        # on the calendar still runs the business.
        return bool(self.is_enabled) and self.staff.deleted_at is None

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


class SignInAttempt(Base):
    """One sign-in try. Recent failures per email and per address are what the sign-in
    rate limit counts; kept in the database so every worker process sees the same count."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_email_at", "email", "at"),
        Index("ix_sign_in_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)
