"""The audit log: who did what, when and from where, for owners only. Filters by action,
actor and a range of days (the business's own days); reading is domain.audit.events."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import request
from flask_login import current_user

from bookingapp.auth import require
from bookingapp.dashboard import bp, page_number, render
from bookingapp.domain import audit
from bookingapp.domain.time_bounds import out_of_range_message, within_bounds
from bookingapp.extensions import db

PAGE_SIZE = 50
ACTOR_KIND_LABELS = {"account": "Account", "api_key": "API key", "customer": "Customer", "system": "System"}


def _day(raw: str, label: str, errors: list[str]) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{label} must be a date (YYYY-MM-DD).")
        return None
    if not within_bounds(day):
        errors.append(out_of_range_message(label))
        return None
    return day


def _filters(values, tz: ZoneInfo) -> tuple[dict, audit.AuditFilter, list[str]]:
    """The query string as typed (to fill the form again) and as the domain's filter; an
    unknown action or a bad date is reported, never guessed."""
    errors: list[str] = []
    action = values.get("action", "")
    if action and action not in audit.ACTIONS:
        errors.append("Pick an action from the list.")
        action = ""
    actor = values.get("actor", "").strip()[:200]
    since, until = _day(values.get("from", ""), "From", errors), _day(values.get("to", ""), "To", errors)
    if since and until and until < since:
        errors.append("The range ends before it starts.")
        since = until = None
    shown = {"action": action, "actor": actor, "from": since.isoformat() if since else "",
             "to": until.isoformat() if until else "", "page": page_number(values.get("page"))}
    wanted = audit.AuditFilter(
        action=action or None, actor=actor or None,
        since=datetime.combine(since, time(), tz) if since else None,
        # "to" is a whole day, so the range ends at the start of the next.
        until=datetime.combine(until + timedelta(days=1), time(), tz) if until else None,
    )
    return shown, wanted, errors


@bp.get("/audit")
@require("audit")
def audit_log():
    business = current_user.business
    filters, wanted, errors = _filters(request.args, ZoneInfo(business.timezone))
    rows, total = audit.events(db.session, business, wanted, limit=PAGE_SIZE,
                               offset=(filters["page"] - 1) * PAGE_SIZE)
    return render("dashboard/_audit_list.html", "dashboard/audit.html", status=400 if errors else 200,
                  business=business, events=rows, total=total, has_next=filters["page"] * PAGE_SIZE < total,
                  filters=filters, errors=errors, actions=audit.ACTIONS, actor_kinds=ACTOR_KIND_LABELS)
