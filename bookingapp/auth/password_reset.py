"""Password reset by email: a signed link that expires an hour after it was asked for and
works once.

Nothing is stored for it: the link signs the account's id and its session generation
(auth.accounts), with the time it was asked for. Setting the new password moves the
generation on (accounts.set_password), which ends every open session of the account and
makes this link, and any other reset link sent before, worthless: single use without a
table of used tokens. "Sign out everywhere" ends outstanding links the same way.

Asking for a link answers the same whether or not the email has an account; the email
itself is a `messages` row (domain.notify.password_reset) sent by the worker, so a reset
is in the delivery log like every other message.

Free of Flask like auth.accounts: the views pass the secret key and `now`."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from bookingapp.auth import accounts
from bookingapp.domain import notify
from bookingapp.domain.customers import normalise_email
from bookingapp.domain.errors import DomainError, ValidationError
from bookingapp.models import Account, Message

SALT = "bookingapp.password-reset"
LINK_LIFETIME = notify.PASSWORD_RESET_LIFETIME
# One email per account this often at most: asking again and again must not flood an inbox.
RESEND_INTERVAL = timedelta(minutes=2)


class ResetLinkInvalid(DomainError):
    code = "invalid_reset_link"


def _serializer(secret_key: str, at: datetime) -> URLSafeTimedSerializer:
    """itsdangerous's timed serializer on the app's clock (domain.clock) rather than the
    machine's: the link is dated when it was asked for, and checked against `now`."""

    class _OnTheAppsClock(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(at.timestamp())

    return URLSafeTimedSerializer(secret_key, salt=SALT, signer=_OnTheAppsClock)


def reset_token(secret_key: str, account_id, generation: int, *, asked_at: datetime) -> str:
    return _serializer(secret_key, asked_at).dumps({"a": str(account_id), "g": int(generation)})


def request_reset(session: Session, email: str | None, *, now: datetime) -> None:
    """Record the reset email for the account with this email, if there is one that may
    sign in; otherwise do nothing. The caller answers the same either way."""
    try:
        address = normalise_email(email)
    except ValidationError:
        return
    account = session.scalar(select(Account).where(Account.email == address))
    if account is None or not account.is_active:
        return
    recent = session.scalar(select(Message.id).where(
        Message.kind == notify.ACCOUNT_PASSWORD_RESET, Message.recipient == account.email,
        Message.created_at > now - RESEND_INTERVAL).limit(1))
    if recent is not None:
        return
    notify.password_reset(session, account, now=now)


def account_for_token(session: Session, secret_key: str, token: str, *, now: datetime) -> Account:
    """The account a reset link is for; ResetLinkInvalid when it is forged, more than
    LINK_LIFETIME old, already used (or the account signed out everywhere since), or the
    account may no longer sign in."""
    try:
        data = _serializer(secret_key, now).loads(token or "", max_age=int(LINK_LIFETIME.total_seconds()))
    except SignatureExpired as expired:
        raise ResetLinkInvalid("This reset link has expired: links work for one hour. Ask for a new one.") from expired
    except BadSignature as bad:
        raise ResetLinkInvalid("This reset link is not valid. Ask for a new one.") from bad
    try:
        account = session.get(Account, uuid.UUID(str(data["a"])))
        generation = int(data["g"])
    except (KeyError, TypeError, ValueError) as bad:
        raise ResetLinkInvalid("This reset link is not valid. Ask for a new one.") from bad
    if account is None or not account.is_active:
        raise ResetLinkInvalid("This reset link is not valid. Ask for a new one.")
    if generation != (account.session_generation or 0):
        raise ResetLinkInvalid("This reset link has already been used. Ask for a new one if you need to.")
    return account


def reset_password(session: Session, secret_key: str, token: str, new_password: str, *, now: datetime) -> Account:
    """Set the new password through the link (the password rules of every password), which
    ends every session of the account and uses the link up."""
    account = account_for_token(session, secret_key, token, now=now)
    accounts.check_password_rules(new_password)
    accounts.set_password(account, new_password)
    session.flush()
    return account
