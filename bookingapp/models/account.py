"""Dashboard sign-in accounts, each linked to one staff member, and sign-in attempts.

The staff member's role (owner, manager, front_desk, staff) is the account's role: one
source of truth, so changing someone's role in setup changes what they may do.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookingapp.models.base import Base, IdMixin, TimestampMixin, utcnow
from bookingapp.models.business import Business
from bookingapp.models.location import Location
from bookingapp.models.staff import Staff

# The locations an account is limited to (auth.locations.visible_locations): no rows, the
# whole business. The composite primary key is the unique key; a retired location's rows
# stay (it keeps its bookings, which the account may still be shown), a deleted one's go.
account_locations = Table(
    "account_locations",
    Base.metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("location_id", ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True, index=True),
)


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
    # Two-factor sign-in (auth.two_factor): the TOTP secret is set when enrolment starts and
    # counts only once a code confirmed it (totp_enabled_at). totp_last_step is the time step
    # of the last code accepted, so a code is never accepted twice. totp_secret holds the
    # secret sealed ("v1:...", auth.secret_box; a plain base32 one from before migration 0023
    # until it is next used): read and write it through two_factor.secret_of / set_secret.
    totp_secret: Mapped[Optional[str]] = mapped_column(String(255))
    totp_enabled_at: Mapped[Optional[datetime]]
    totp_last_step: Mapped[Optional[int]] = mapped_column(BigInteger)
    # Copied into the session at sign-in; a session holding an older number is refused
    # ("sign out everywhere", a password change).
    session_generation: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    business: Mapped[Business] = relationship()
    staff: Mapped[Staff] = relationship()
    limited_to: Mapped[list[Location]] = relationship(secondary=account_locations, order_by=Location.name)

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

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None and bool(self.totp_secret)


class RecoveryCode(Base):
    """One single-use recovery code of an account, stored as an Argon2 hash (shown only once)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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
