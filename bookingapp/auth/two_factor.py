"""Two-factor sign-in: TOTP codes (RFC 6238 through pyotp), single-use recovery codes, and the
business's "every account needs it" setting.

Free of Flask like auth/accounts.py: the views pass the session, the account and `now`.
The secret is sealed at rest (auth.secret_box, README "Two-factor secrets at rest"): read and
write it only through `secret_of` and `set_secret`. Their `box` defaults to the current app's
keys, as `now` defaults to the clock; code without an app passes `secret_box.box_for(config)`.
A code is accepted for the current 30-second time step and one step either side (a phone's
clock a little off); the step of the last accepted code is stored, so no code (and no older
one) is accepted twice. Recovery codes are hashed with Argon2id as passwords are.
"""
from __future__ import annotations

import hmac
import logging
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from bookingapp.auth.accounts import (
    SignInRefused, check_rate_limit, record_attempt, verify_password, _hasher,
)
from bookingapp.auth.secret_box import Opened, SecretBox, SecretUnreadable, box_for, is_sealed
from bookingapp.domain import audit
from bookingapp.domain.clock import resolve_now
from bookingapp.domain.errors import DomainError, ValidationError
from bookingapp.models import Account, Business
from bookingapp.models.account import RecoveryCode

log = logging.getLogger(__name__)

ISSUER = "Bookings dashboard"
VALID_WINDOW = 1  # time steps either side of now
RECOVERY_CODE_COUNT = 10
# Recovery codes: 10 characters of an alphabet without look-alikes (about 50 bits each),
# shown as two groups of five.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10


class CodeRefused(SignInRefused):
    code = "invalid_code"


class TwoFactorRefused(DomainError):
    code = "forbidden"


# --------------------------------------------------------------------------- the secret at rest

def _box(box: SecretBox | None) -> SecretBox:
    if box is not None:
        return box
    from flask import current_app

    return box_for(current_app.config)


def _associated_data(account: Account) -> bytes:
    # Binds a sealed secret to this account's row: copied to another row, it does not open.
    if account.id is None:
        raise ValueError("the account has no id yet: flush it before giving it a secret")
    return b"totp:" + str(account.id).encode("ascii")


def _opened(account: Account, box: SecretBox | None) -> Opened | None:
    """The stored secret opened, None when there is none; a plain value from before sealing
    counts as stale (to be sealed). SecretUnreadable when no configured key opens it."""
    stored = account.totp_secret
    if not stored:
        return None
    if not is_sealed(stored):
        return Opened(stored, stale=True)
    return _box(box).open(stored, associated_data=_associated_data(account))


def secret_of(account: Account, *, box: SecretBox | None = None) -> str | None:
    """The account's TOTP secret in clear (None without one). Raises SecretUnreadable when
    the stored value opens with none of the configured keys (a wrong key, or a value copied
    from another account's row)."""
    opened = _opened(account, box)
    return opened.plaintext if opened else None


def set_secret(account: Account, secret: str | None, *, box: SecretBox | None = None) -> None:
    """Store the secret sealed under the current key (None removes it)."""
    account.totp_secret = _box(box).seal(secret, associated_data=_associated_data(account)) if secret else None


def _readable_secret(account: Account, box: SecretBox | None) -> str | None:
    """The secret, or None when there is none or it cannot be opened: that account's codes are
    refused (recovery codes and the password still work) and the log says why, not a 500."""
    try:
        return secret_of(account, box=box)
    except SecretUnreadable as problem:
        log.warning("The two-factor secret of account %s cannot be read (%s): check TOTP_ENCRYPTION_KEY "
                    "and TOTP_ENCRYPTION_OLD_KEYS.", account.id, problem)
        return None


def _seal_under_current_key(account: Account, box: SecretBox | None) -> None:
    """After a successful verification: a plain secret, or one opened with an older key, is
    stored again sealed under the current key."""
    try:
        opened = _opened(account, box)
    except SecretUnreadable:
        return
    if opened is not None and opened.stale:
        set_secret(account, opened.plaintext, box=box)


def seal_stored_secrets(session: Session, *, box: SecretBox | None = None) -> dict[str, int]:
    """Seal every plain secret and re-seal every one opened with an older key, under the
    current key (`flask encrypt-totp-secrets`); returns the counts ("sealed", "resealed",
    "unreadable"). Running it again changes nothing."""
    from bookingapp.db import acquire_write_lock

    box = _box(box)
    counts = {"sealed": 0, "resealed": 0, "unreadable": 0}
    acquire_write_lock(session)  # a sign-in re-sealing or a disable at the same moment waits
    accounts = session.scalars(select(Account).where(Account.totp_secret.is_not(None))
                               .order_by(Account.id).with_for_update()).all()
    for account in accounts:
        try:
            opened = _opened(account, box)
        except SecretUnreadable:
            counts["unreadable"] += 1
            continue
        if opened is None or not opened.stale:
            continue
        counts["resealed" if is_sealed(account.totp_secret) else "sealed"] += 1
        set_secret(account, opened.plaintext, box=box)
    session.flush()
    return counts


# --------------------------------------------------------------------------- enrolment

def start_enrolment(account: Account, *, box: SecretBox | None = None) -> str:
    """The secret the account is enrolling with: a new one, unless an unconfirmed one is
    waiting (reloading the page must not invalidate the QR code already scanned). The waiting
    one is stored sealed under the current key; one that cannot be opened is replaced."""
    if account.has_two_factor:
        raise ValidationError("Two-factor sign-in is already on for this account.", param="code")
    secret = _readable_secret(account, box)
    if secret is None:
        secret = pyotp.random_base32()
        set_secret(account, secret, box=box)
    else:
        _seal_under_current_key(account, box)
    return secret


def has_waiting_secret(account: Account, *, box: SecretBox | None = None) -> bool:
    """Whether a secret that can be read is stored (an enrolment started, or two-factor on):
    one that cannot is as good as none, and start_enrolment replaces it."""
    return _readable_secret(account, box) is not None


def qr_svg(uri: str) -> str:
    """The QR code of the provisioning URI as an inline <svg> element (no XML declaration)."""
    return segno.make(uri, error="m").svg_inline(scale=4, title="Scan with your authenticator app")


def enrolment_details(account: Account, *, box: SecretBox | None = None) -> dict:
    """What the set-up shows (after start_enrolment): the key, and the QR code of its
    otpauth:// URI (the business's name as the issuer, so the app's entry says whose
    dashboard it opens). The only place the secret leaves the database in clear."""
    secret = secret_of(account, box=box)
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=account.business.name or ISSUER)
    return {"secret": secret, "qr": qr_svg(uri), "uri": uri}


def confirm_enrolment(session: Session, account: Account, code: str, *, now: datetime | None = None,
                      box: SecretBox | None = None) -> list[str]:
    """Switch two-factor on once a code from the app proves it holds the secret; returns the
    new recovery codes, in clear text this once."""
    now = resolve_now(now)
    if account.has_two_factor:
        raise ValidationError("Two-factor sign-in is already on for this account.", param="code")
    if _readable_secret(account, box) is None:
        raise ValidationError("Start the set-up again: no secret is waiting.", param="code")
    step = _matching_step(account, code, now, box)
    if step is None:
        raise ValidationError("That code is not right. Check the app and try the current code.", param="code")
    _seal_under_current_key(account, box)
    account.totp_last_step = step
    account.totp_enabled_at = now
    codes = new_recovery_codes(session, account, now=now)
    session.flush()
    audit.record(session, account.business_id, "account.two_factor_enabled", subject=account, now=now)
    return codes


def disable(session: Session, account: Account, *, password: str = "", code: str = "",
            now: datetime | None = None, box: SecretBox | None = None) -> None:
    """Switch two-factor off, proven with the password or a current code. Not while the
    business requires it: the account would only be sent back to set it up."""
    now = resolve_now(now)
    if not account.has_two_factor:
        raise ValidationError("Two-factor sign-in is not on.", param="code")
    if account.business.require_two_factor:
        raise TwoFactorRefused("Your business requires two-factor sign-in, so it cannot be switched off.")
    proven = bool(password) and verify_password(account, password)
    if not proven and code:
        step = _matching_step(account, code, now, box)
        if step is not None:
            account.totp_last_step = step
            proven = True
    if not proven:
        raise ValidationError("Give your password or a current code to switch two-factor sign-in off.",
                              param="password")
    set_secret(account, None, box=box)
    account.totp_enabled_at = None
    account.totp_last_step = None
    for row in session.scalars(select(RecoveryCode).where(RecoveryCode.account_id == account.id)):
        session.delete(row)
    session.flush()
    audit.record(session, account.business_id, "account.two_factor_disabled", subject=account, now=now)


def new_recovery_codes(session: Session, account: Account, *, now: datetime | None = None) -> list[str]:
    """Replace the account's recovery codes with RECOVERY_CODE_COUNT new ones."""
    now = resolve_now(now)
    for row in session.scalars(select(RecoveryCode).where(RecoveryCode.account_id == account.id)):
        session.delete(row)
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        session.add(RecoveryCode(account_id=account.id, code_hash=_hasher.hash(code), created_at=now))
    session.flush()
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_codes_left(session: Session, account: Account) -> int:
    return len(session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None))).all())


# --------------------------------------------------------------------------- sign-in

def verify_sign_in_code(session: Session, account: Account, code: str, *, address: str,
                        now: datetime | None = None, box: SecretBox | None = None) -> str:
    """The second step of signing in: a TOTP code or an unused recovery code. Returns which
    ("totp" or "recovery"); raises CodeRefused or TooManyAttempts.

    Wrong codes count towards the same limit as wrong passwords (per email and per address,
    auth.accounts), so knowing the password buys a handful of guesses per window, not a
    million. The caller keeps a refused try's record (unit_of_work.keep_on_error). A secret
    stored plain or under an older key is sealed under the current key once signed in."""
    now = resolve_now(now)
    address = (address or "unknown")[:64]
    check_rate_limit(session, account.email, address, now)
    # The account row locked (PostgreSQL) so that two requests with one code cannot both
    # read the old last step, and one recovery code cannot sign in twice at once.
    session.refresh(account, with_for_update=True)
    used = None
    if account.has_two_factor:
        cleaned = _clean(code)
        if cleaned.isdigit() and len(cleaned) == 6:
            step = _matching_step(account, cleaned, now, box)
            if step is not None:
                account.totp_last_step = step
                used = "totp"
        elif cleaned:
            row = _unused_recovery_code(session, account, cleaned)
            if row is not None:
                row.used_at = now
                used = "recovery"
    record_attempt(session, account.email, address, used is not None, now)
    who = audit.Actor.account(account)
    if used is None:
        audit.record(session, account.business_id, "account.sign_in_failed", actor=who, subject=account,
                     details={"step": "second factor"}, now=now)
        session.flush()
        raise CodeRefused("That code is not right (or was already used).")
    account.last_sign_in_at = now
    _seal_under_current_key(account, box)
    audit.record(session, account.business_id, "account.signed_in", actor=who, subject=account,
                 details={"method": "password and " + ("recovery code" if used == "recovery" else "code")}, now=now)
    session.flush()
    return used


def _clean(code: str | None) -> str:
    return "".join((code or "").split()).replace("-", "").lower()[:40]


def _matching_step(account: Account, code: str, now: datetime, box: SecretBox | None) -> int | None:
    """The time step (now ± VALID_WINDOW) whose code this is, if it is newer than the last
    accepted one."""
    code = _clean(code)
    if not (code.isdigit() and len(code) == 6):
        return None
    secret = _readable_secret(account, box)
    if secret is None:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if account.totp_last_step is not None and step <= account.totp_last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _unused_recovery_code(session: Session, account: Account, cleaned: str) -> RecoveryCode | None:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    rows = session.scalars(select(RecoveryCode).where(
        RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None)).order_by(RecoveryCode.id)).all()
    for row in rows:
        try:
            if _hasher.verify(row.code_hash, cleaned):
                return row
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            continue
    return None


# --------------------------------------------------------------------------- the business setting

def must_enrol(account: Account) -> bool:
    """Whether this account has to set up two-factor before it may use the dashboard."""
    return bool(account.business.require_two_factor) and not account.has_two_factor


def set_required(session: Session, business: Business, required: bool, *, acting: Account) -> None:
    """Owners decide; an owner turns it on only once their own account has two-factor, so
    the person who asks for it shows it works (and is not locked in a set-up they cannot do)."""
    if acting.role != "owner" or acting.business_id != business.id:
        raise TwoFactorRefused("Only an owner decides whether every account needs two-factor sign-in.")
    if required and not acting.has_two_factor:
        raise ValidationError("Set up two-factor sign-in on your own account first.", param="require_two_factor")
    if bool(business.require_two_factor) != bool(required):
        audit.record(session, business, "business.two_factor_required", subject=business,
                     details={"required": {"before": bool(business.require_two_factor), "after": bool(required)}})
    business.require_two_factor = bool(required)
    session.flush()
