"""Dashboard accounts: creating them, checking passwords, and the sign-in rate limit.

Free of Flask like the domain: the views pass the session, the client address and `now`.
Passwords are hashed with Argon2id (argon2-cffi's defaults, the OWASP recommendation).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from bookingapp.domain import audit
from bookingapp.domain.customers import normalise_email
from bookingapp.domain.errors import DomainError, NotFound, ValidationError
from bookingapp.models import Account, Business, SignInAttempt, Staff
from bookingapp.domain.clock import resolve_now

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200

# The limit: this many failures within the window refuses further tries, per email (a
# guessed password) and per client address (one machine spraying many emails).
RATE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_ADDRESS = 20

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs as long as a wrong
# password and response times do not reveal which emails have accounts.
_DUMMY_HASH = _hasher.hash("not-a-real-password-just-for-timing")


class SignInRefused(DomainError):
    code = "invalid_credentials"


class TooManyAttempts(DomainError):
    code = "rate_limited"

    def __init__(self, retry_after: timedelta):
        minutes = max(1, int(retry_after.total_seconds() // 60) + 1)
        super().__init__(f"Too many failed sign-in attempts. Try again in {minutes} minute(s).")
        self.retry_after = retry_after


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def check_password_rules(password: str | None) -> None:
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.", param="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"The password must be at most {MAX_PASSWORD_LENGTH} characters.", param="password")


def create_account(session: Session, staff: Staff, email: str, password: str) -> Account:
    """An account for a staff member, who signs in with this email."""
    email = normalise_email(email)
    if session.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise ValidationError("An account with this email already exists.", param="email")
    if session.scalar(select(Account.id).where(Account.staff_id == staff.id)) is not None:
        raise ValidationError(f"{staff.name} already has an account.", param="staff_id")
    account = Account(business_id=staff.business_id, staff_id=staff.id, staff=staff, email=email,
                      password_hash=hash_password(password))
    session.add(account)
    session.flush()
    audit.record(session, staff.business_id, "account.created", subject=account,
                 details={"email": email, "role": staff.role, "staff_id": str(staff.id)})
    return account


def create_owner(session: Session, business_slug: str, email: str, password: str) -> Account:
    """The first account of a business (the create-owner command, the demo seed).

    The staff member with this email becomes the owner; if there is none, an owner staff
    member is created for the account."""
    business = session.scalar(select(Business).where(Business.slug == business_slug))
    if business is None:
        raise NotFound(f"No business with the slug {business_slug!r}.", param="business_slug")
    email = normalise_email(email)
    check_password_rules(password)
    staff = session.scalar(
        select(Staff).where(Staff.business_id == business.id, func.lower(Staff.email) == email,
                            Staff.deleted_at.is_(None))
    )
    if staff is None:
        staff = Staff(business_id=business.id, name=email.split("@")[0].replace(".", " ").title(), email=email,
                      role="owner", sort_order=0)
        session.add(staff)
        session.flush()
    else:
        staff.role = "owner"
    return create_account(session, staff, email, password)


def set_password(account: Account, password: str) -> None:
    """A new password ends every open session of the account (they hold the old generation)."""
    account.password_hash = hash_password(password)
    _bump_session_generation(account)


# --------------------------------------------------------------------------- sessions

# A dashboard session unused this long ends (DASHBOARD_IDLE_MINUTES overrides it).
DEFAULT_IDLE_MINUTES = 30
# Between a right password and the second factor: how long the half-signed-in state lasts.
PENDING_CODE_TTL = timedelta(minutes=5)
# Setting up two-factor at sign-in (the business requires it) takes installing an app.
PENDING_ENROLMENT_TTL = timedelta(minutes=15)


class PasswordChangeRefused(DomainError):
    code = "invalid_credentials"


def _bump_session_generation(account: Account) -> None:
    account.session_generation = (account.session_generation or 0) + 1


def end_all_sessions(account: Account) -> None:
    """Every session signed in before now is refused from its next request on ("sign out
    everywhere"; a password change ends them too, audited as the password change)."""
    _bump_session_generation(account)
    session = object_session(account)
    if session is not None:
        audit.record(session, account.business_id, "account.signed_out_everywhere", subject=account)


def session_is_current(account: Account, generation) -> bool:
    return isinstance(generation, int) and generation == (account.session_generation or 0)


def is_idle(last_seen: float | None, now: datetime, idle_minutes: float | None) -> bool:
    """Whether a session last used at `last_seen` (a POSIX timestamp) has been idle too long
    (never, when idle_minutes is None). A session that never recorded a request counts as idle."""
    if not idle_minutes:
        return False
    if not isinstance(last_seen, (int, float)):
        return True
    return now.timestamp() - last_seen > idle_minutes * 60


def change_password(session: Session, account: Account, current: str, new: str) -> Account:
    """The signed-in person's own password change: the current password proves it is them;
    the new one follows the same rules as a new account's. Ends every other session."""
    if not verify_password(account, current):
        raise PasswordChangeRefused("The current password is not right.")
    check_password_rules(new)
    set_password(account, new)
    session.flush()
    audit.record(session, account.business_id, "account.password_changed", subject=account)
    return account


# --------------------------------------------------------------------------- managing access

MANAGING_ROLES = ("owner", "manager")


def account_of(session: Session, staff: Staff) -> Account | None:
    return session.scalar(select(Account).where(Account.staff_id == staff.id))


def check_may_manage_access(acting_role: str, staff: Staff) -> None:
    """Owners and managers give and take dashboard access; an owner's account is an owner's
    to manage (a manager giving someone with the owner role a sign-in would be granting
    owner rights, which setup.check_staff_change keeps for owners)."""
    if acting_role not in MANAGING_ROLES:
        raise AccessRefused("Only an owner or a manager manages dashboard access.")
    if staff.role == "owner" and acting_role != "owner":
        raise AccessRefused("Only an owner can give or change an owner's dashboard access.")


class AccessRefused(DomainError):
    code = "forbidden"


def grant_access(session: Session, staff: Staff, email: str, password: str, *, acting_role: str) -> Account:
    """A sign-in for a staff member: this email and an initial password (told to them by
    whoever sets it; they can be given a new one with reset_password)."""
    check_may_manage_access(acting_role, staff)
    if staff.deleted_at is not None:
        raise ValidationError(f"{staff.name} has been removed.", param="staff_id")
    return create_account(session, staff, email, password)


def set_access_enabled(session: Session, account: Account, enabled: bool, *, acting_role: str,
                       acting_account_id=None) -> Account:
    """Switch a sign-in off (their open sessions end at their next request: the user loader
    checks is_active every time) or back on. Nobody switches off their own, and a business
    keeps at least one owner who can sign in."""
    check_may_manage_access(acting_role, account.staff)
    if not enabled:
        if acting_account_id is not None and account.id == acting_account_id:
            raise ValidationError("You cannot disable your own sign-in.", param="account")
        if account.staff.role == "owner":
            others = session.scalar(
                select(func.count(Account.id)).join(Staff, Staff.id == Account.staff_id).where(
                    Account.business_id == account.business_id, Account.id != account.id,
                    Account.is_enabled.is_(True), Staff.role == "owner", Staff.deleted_at.is_(None))
            ) or 0
            if others == 0:
                raise ValidationError("The business needs at least one owner who can sign in.", param="account")
    changed = account.is_enabled != enabled
    account.is_enabled = enabled
    session.flush()
    if changed:
        audit.record(session, account.business_id, "account.enabled" if enabled else "account.disabled",
                     subject=account, details={"email": account.email})
    return account


def reset_password(session: Session, account: Account, password: str, *, acting_role: str) -> Account:
    check_may_manage_access(acting_role, account.staff)
    set_password(account, password)
    session.flush()
    audit.record(session, account.business_id, "account.password_reset", subject=account,
                 details={"email": account.email})
    return account


def create_staff_account(session: Session, business_slug: str, email: str, role: str, password: str) -> Account:
    """An account of any role from the command line (flask create-account): the staff
    member with this email gets it, or a new staff member with this role is made. The role
    is the staff member's (one source of truth)."""
    from bookingapp.auth.roles import ROLES

    if role not in ROLES:
        raise ValidationError(f"The role must be one of: {', '.join(ROLES)}.", param="role")
    business = session.scalar(select(Business).where(Business.slug == business_slug))
    if business is None:
        raise NotFound(f"No business with the slug {business_slug!r}.", param="business_slug")
    email = normalise_email(email)
    check_password_rules(password)
    staff = session.scalar(
        select(Staff).where(Staff.business_id == business.id, func.lower(Staff.email) == email,
                            Staff.deleted_at.is_(None))
    )
    if staff is None:
        # Someone who runs the desk or manages is not on the calendar until setup says so.
        staff = Staff(business_id=business.id, name=email.split("@")[0].replace(".", " ").title(), email=email,
                      role=role, sort_order=0, is_active=role == "staff")
        session.add(staff)
        session.flush()
    else:
        from bookingapp.domain.setup import check_staff_change

        check_staff_change(session, business, staff, acting_role="owner", new_role=role)
        staff.role = role
    return create_account(session, staff, email, password)


def _failures_since(session: Session, column, value: str, since: datetime) -> tuple[int, datetime | None]:
    count, oldest = session.execute(
        select(func.count(SignInAttempt.id), func.min(SignInAttempt.at)).where(
            column == value, SignInAttempt.succeeded.is_(False), SignInAttempt.at > since
        )
    ).one()
    return count, oldest


def check_rate_limit(session: Session, email: str, address: str, now: datetime) -> None:
    """TooManyAttempts when this email or this address failed too often lately (a wrong
    password or a wrong second-factor code: both count)."""
    since = now - RATE_WINDOW
    for column, value, limit in (
        (SignInAttempt.email, email, MAX_FAILURES_PER_EMAIL),
        (SignInAttempt.address, address, MAX_FAILURES_PER_ADDRESS),
    ):
        count, oldest = _failures_since(session, column, value, since)
        if count >= limit:
            raise TooManyAttempts(oldest + RATE_WINDOW - now if oldest else RATE_WINDOW)


def record_attempt(session: Session, email: str, address: str, succeeded: bool, now: datetime) -> None:
    session.add(SignInAttempt(email=email, address=address, succeeded=succeeded, at=now))


def verify_password(account: Account | None, password: str | None) -> bool:
    """Whether this is the account's password (the dummy hash is checked for no account, so
    both cases take as long)."""
    try:
        ok = _hasher.verify(account.password_hash if account else _DUMMY_HASH, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    return ok and account is not None


def authenticate(session: Session, email: str, password: str, *, address: str, now: datetime | None = None) -> Account:
    """The account for these credentials, or SignInRefused / TooManyAttempts.

    Every try is recorded; the caller keeps the record of a refused one too
    (unit_of_work.keep_on_error), so failures count towards the limit. An account with
    two-factor sign-in is not signed in yet: the caller asks for its code
    (auth.two_factor.verify_sign_in_code) first."""
    now = resolve_now(now)
    try:
        email = normalise_email(email)
    except ValidationError:
        email = (email or "").strip().lower()[:254]
    address = (address or "unknown")[:64]
    check_rate_limit(session, email, address, now)

    account = session.scalar(select(Account).where(Account.email == email))
    ok = verify_password(account, password) and account.is_active
    record_attempt(session, email, address, ok, now)
    if not ok:
        if account is not None:  # an unknown email belongs to no business's trail
            audit.record(session, account.business_id, "account.sign_in_failed", actor=audit.Actor.account(account),
                         subject=account, details={"step": "password"}, now=now)
        session.flush()
        raise SignInRefused("Wrong email or password.")
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    account.last_sign_in_at = now
    if not account.has_two_factor:  # with two-factor, the sign-in is audited once the code is right
        audit.record(session, account.business_id, "account.signed_in", actor=audit.Actor.account(account),
                     subject=account, details={"method": "password"}, now=now)
    session.flush()
    return account
