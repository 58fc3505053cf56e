"""The audit trail: who did what to which thing, when and from where, for money and access.

The domain records (never the doors), so the dashboard, the API, the wizard and the CLI
leave the same rows. Who acted and from where come from the request without the domain
knowing about HTTP: a door binds a `describe` callable for the length of the request
(`bind`), and `record` asks it at the moment of writing, when the request knows its
signed-in account or API key. Outside a request (the worker, the CLI) nobody is bound and
the actor is the system, unless the caller names one.

Rows are append-only (the database refuses UPDATE and DELETE, migration 0015). A row is
written in the caller's transaction, so a change that is rolled back leaves no audit row
either: the trail says what happened, not what was tried, except sign-in failures, which
the sign-in door keeps on purpose (unit_of_work.keep_on_error).
"""
from __future__ import annotations

import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bookingapp.domain.clock import resolve_now
from bookingapp.models.audit import AuditEvent

# The fixed vocabulary: the dashboard's filter offers exactly these, with these labels.
ACTIONS: dict[str, str] = {
    "payment.refunded": "Refund",
    "booking.policy_overridden": "Cancellation policy overridden",
    "checkout.closed": "Checkout closed",
    "service.created": "Service created",
    "service.price_changed": "Service price or deposit changed",
    "account.created": "Account created",
    "account.role_changed": "Role changed",
    "account.disabled": "Sign-in switched off",
    "account.enabled": "Sign-in switched on",
    "account.removed": "Staff member with sign-in removed",
    "account.password_changed": "Password changed",
    "account.password_reset": "Password reset by a manager",
    "account.two_factor_enabled": "Two-factor switched on",
    "account.two_factor_disabled": "Two-factor switched off",
    "account.signed_out_everywhere": "Signed out everywhere",
    "account.signed_in": "Signed in",
    "account.sign_in_failed": "Sign-in refused",
    "business.two_factor_required": "Two-factor requirement changed",
    "api_key.created": "API key created",
    "api_key.revoked": "API key revoked",
    "webhook_endpoint.created": "Webhook endpoint created",
    "webhook_endpoint.deleted": "Webhook endpoint deleted",
    "webhook_endpoint.disabled": "Webhook endpoint switched off after failures",
    "client.exported": "Client data exported",
    "client.erased": "Client erased",
    "data_request.received": "Data request from a client",
    "data_request.declined": "Data request declined",
    "location.created": "Location created",
    "location.updated": "Location changed",
    "location.deactivated": "Location retired",
    "location.hours_changed": "Location opening hours changed",
    "location.staff_changed": "Who works at a location changed",
    "staff.locations_changed": "Where a staff member works changed",
    "staff.hours_at_location_changed": "Working hours at a location changed",
    "service.locations_changed": "Where a service is offered changed",
    "service.location_terms_changed": "A service's price, deposit or length at a location changed",
    "account.locations_limited": "Account's locations changed",
}

MAX_USER_AGENT = 300


@dataclass(frozen=True)
class Actor:
    """Who acted: kind is one of models.audit.ACTOR_KINDS; the label is kept as it reads
    now (an email, a key's name), since the account or key may be gone later."""

    kind: str
    label: str
    id: str | None = None

    @classmethod
    def account(cls, account) -> "Actor":
        return cls("account", f"{account.email} ({account.role})", str(account.id))

    @classmethod
    def api_key(cls, key) -> "Actor":
        return cls("api_key", f"API key {key.name} ({key.prefix}…)", str(key.id))


SYSTEM = Actor("system", "system")
CUSTOMER = Actor("customer", "customer")


@dataclass(frozen=True)
class RequestContext:
    """What a door knows about the request at the time of recording."""

    actor: Actor | None = None
    ip_address: str | None = None
    user_agent: str | None = None


_describe: ContextVar[Callable[[], RequestContext] | None] = ContextVar("bookingapp_audit_context", default=None)


def bind(describe: Callable[[], RequestContext]) -> Token:
    """Install the request's describer; returns the token `unbind` takes."""
    return _describe.set(describe)


def unbind(token: Token) -> None:
    _describe.reset(token)


def current_context() -> RequestContext:
    describe = _describe.get()
    return describe() if describe is not None else RequestContext()


def _actor_from_hint(hint: str | None) -> Actor:
    """The domain's existing actor strings ("customer", "system", "api:<prefix>",
    "<role>:<email>"), for a record made where no request describes who acts."""
    if hint == "customer":
        return CUSTOMER
    if not hint or hint == "system":
        return SYSTEM
    return Actor("system", hint[:300])


def record(
    session: Session, business, action: str, *, actor: Actor | str | None = None,
    subject: Any = None, subject_type: str | None = None, subject_id: Any = None,
    details: dict[str, Any] | None = None, now: datetime | None = None,
) -> AuditEvent:
    """Append one audit row in the caller's transaction.

    `actor`: an Actor names who acted outright (a sign-in failure names the email tried);
    a string is the domain's actor hint, used only when no request describes a signed-in
    account, an API key or a customer (the worker refunding a late payment is the system).
    `subject`: a model instance (its table's singular name and id), or subject_type/_id."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    context = current_context()
    if isinstance(actor, Actor):
        who = actor
    elif context.actor is not None:
        who = context.actor
    else:
        who = _actor_from_hint(actor)
    if subject is not None:
        subject_type = subject_type or _subject_type(subject)
        subject_id = subject.id
    event = AuditEvent(
        id=uuid.uuid4(),
        business_id=business if isinstance(business, uuid.UUID) else business.id,
        action=action, actor_kind=who.kind, actor_id=who.id, actor_label=who.label[:300],
        subject_type=subject_type, subject_id=str(subject_id) if subject_id is not None else None,
        details=details or {}, ip_address=(context.ip_address or None) and context.ip_address[:64],
        user_agent=(context.user_agent or None) and context.user_agent[:MAX_USER_AGENT],
        created_at=resolve_now(now),
    )
    session.add(event)
    return event


def _subject_type(subject) -> str:
    table = getattr(subject, "__tablename__", type(subject).__name__.lower())
    singular = {"staff": "staff", "businesses": "business"}.get(table)
    return singular or (table[:-1] if table.endswith("s") else table)


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"before": old, "after": new}} for the fields whose value changed."""
    return {name: {"before": before[name], "after": after[name]} for name in before if before[name] != after.get(name)}


# --------------------------------------------------------------------------- reading

@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor: str | None = None  # a substring of the label, or an exact actor id
    since: datetime | None = None
    until: datetime | None = None  # exclusive


def filtered(business, wanted: AuditFilter) -> Select:
    """The business's rows matching the filter, unordered (the dashboard and the API page it)."""
    query = select(AuditEvent).where(AuditEvent.business_id == business.id)
    if wanted.action:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.actor:
        needle = wanted.actor.strip().lower()
        query = query.where((func.lower(AuditEvent.actor_label).contains(needle, autoescape=True))
                            | (AuditEvent.actor_id == wanted.actor.strip()))
    if wanted.since is not None:
        query = query.where(AuditEvent.created_at >= wanted.since)
    if wanted.until is not None:
        query = query.where(AuditEvent.created_at < wanted.until)
    return query


def events(session: Session, business, wanted: AuditFilter = AuditFilter(), *, limit: int = 50,
           offset: int = 0) -> tuple[list[AuditEvent], int]:
    """One page of the business's trail, newest first, and how many rows match in all."""
    query = filtered(business, wanted)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                           .limit(limit).offset(offset)).all()
    return list(rows), total
