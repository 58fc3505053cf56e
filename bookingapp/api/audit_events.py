"""GET /api/v1/audit-events: the business's audit trail for its own tooling (a SIEM, an
accountant's export), read with a `full` key only: it names accounts, addresses and keys,
which a reporting tool with a read-only key has no need to learn. The rows and the filter
are domain.audit's, as on the dashboard's Audit log."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Optional
from zoneinfo import ZoneInfo

from pydantic import Field

from bookingapp.api import schemas as s
from bookingapp.api.operations import Page, operation
from bookingapp.api.pagination import paginate
from bookingapp.api.schemas_types import Bound, Timestamp, UuidText, one_of, text
from bookingapp.api.views import business
from bookingapp.domain import audit
from bookingapp.domain.outbox import iso
from bookingapp.models.audit import ACTOR_KINDS, AuditEvent


class AuditEventQuery(s.PageQuery):
    action: Optional[one_of(tuple(audit.ACTIONS))] = Field(None, description="Only this action")
    actor: Optional[text(200)] = Field(None, description="Part of who acted (an email, a key's name), or an "
                                                         "account's or key's id")
    from_: Optional[Bound] = Field(None, alias="from", description="Events at or after this: a date (the start of "
                                   "that local day) or an ISO 8601 date-time")
    to: Optional[Bound] = Field(None, description="Events before the end of this date (a whole local day), or "
                                "before this date-time")


class AuditEventOut(s.Out):
    id: UuidText
    action: one_of(tuple(audit.ACTIONS))
    actor: dict[str, Optional[str]] = Field(description="kind (one of " + ", ".join(ACTOR_KINDS) + "), id, label")
    subject: Optional[dict[str, Optional[str]]] = Field(description="type and id of what the action touched")
    details: dict[str, Any]
    ip_address: Optional[str]
    user_agent: Optional[str]
    created_at: Timestamp


def _serialise(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": str(event.id), "action": event.action,
        "actor": {"kind": event.actor_kind, "id": event.actor_id, "label": event.actor_label},
        "subject": {"type": event.subject_type, "id": event.subject_id} if event.subject_type else None,
        "details": event.details or {}, "ip_address": event.ip_address, "user_agent": event.user_agent,
        "created_at": iso(event.created_at),
    }


def _instant(bound: date | datetime | None, tz: ZoneInfo, *, end: bool) -> datetime | None:
    if bound is None or isinstance(bound, datetime):
        return bound
    return datetime.combine(bound + timedelta(days=1) if end else bound, time(), tz)


@operation("GET", "/audit-events", "listAuditEvents", "Who did what, when and from where (newest first)",
           tag="Audit", query=AuditEventQuery, response=list[AuditEventOut], meta=s.PageMeta, scope="full",
           rules="Needs a full key. The trail is append-only: nothing here can be changed or deleted.")
def list_audit_events(query: AuditEventQuery):
    tz = ZoneInfo(business().timezone)
    wanted = audit.AuditFilter(action=query.action, actor=query.actor,
                               since=_instant(query.from_, tz, end=False), until=_instant(query.to, tz, end=True))
    rows = audit.filtered(business(), wanted).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    return Page(*paginate(rows, _serialise, query.page, query.limit))
