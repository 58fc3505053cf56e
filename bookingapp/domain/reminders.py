"""Reminders before an appointment, and the staff's morning agenda: planned by the worker
from the business's cadence as their time comes, and sent at most once.

Reminders are planned when due rather than when a booking is made, so a change of cadence,
a cancellation or a move needs no bookkeeping: a cancelled booking is simply never due, and
a moved booking is a new booking with its own times. "At most once, whatever the timing"
is the database's job: each reminder has a dedupe key ("reminder:<booking>:<hours>h:<channel>")
under a unique constraint, and planning inserts with ON CONFLICT DO NOTHING, so two workers
planning the same reminder leave one row, and a restarted worker finds it already there.

A worker that was down over a reminder's time plans it late, while the appointment is still
ahead; when a later step (say the 2-hour one) is also due by then, only that one is sent and
the earlier one is recorded as skipped. A step whose time had passed before the booking was
made (a booking made 3 hours ahead has no 24-hour reminder) is not planned at all.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bookingapp.domain import notify
from bookingapp.domain.clock import resolve_now
from bookingapp.domain.errors import ValidationError
from bookingapp.domain.states import S
from bookingapp.models import Booking, Business, Customer, Message, Review, Staff

MAX_STEPS = 3
MIN_HOURS = 1
MAX_HOURS = 24 * 14
# Staff agendas go out from this local time each day.
AGENDA_TIME = time(7, 0)


# --------------------------------------------------------------------------- the cadence


def clean_cadence(raw: Any) -> list[dict[str, Any]]:
    """A reminder cadence as stored: at most MAX_STEPS steps, each {"hours_before": int,
    "email": bool, "sms": bool}, distinct hours, largest first. A step with both channels
    off is kept (switched off, so the owner's choice of hours is not lost)."""
    param = "reminder_cadence"
    if not isinstance(raw, (list, tuple)):
        raise ValidationError("The reminder cadence must be a list of steps.", param=param)
    if len(raw) > MAX_STEPS:
        raise ValidationError(f"At most {MAX_STEPS} reminders can be set.", param=param)
    steps: list[dict[str, Any]] = []
    for step in raw:
        if not isinstance(step, dict) or set(step) - {"hours_before", "email", "sms"} or "hours_before" not in step:
            raise ValidationError('Each reminder needs "hours_before", and may have "email" and "sms".', param=param)
        hours = step["hours_before"]
        if isinstance(hours, bool) or not isinstance(hours, int) or not MIN_HOURS <= hours <= MAX_HOURS:
            raise ValidationError(
                f"A reminder is sent between {MIN_HOURS} and {MAX_HOURS} hours before the appointment.", param=param,
            )
        email, sms = step.get("email", False), step.get("sms", False)
        if not isinstance(email, bool) or not isinstance(sms, bool):
            raise ValidationError("A reminder's email and sms must be true or false.", param=param)
        if any(existing["hours_before"] == hours for existing in steps):
            raise ValidationError(f"Two reminders are set {hours} hours before; keep one.", param=param)
        steps.append({"hours_before": hours, "email": email, "sms": sms})
    return sorted(steps, key=lambda step: -step["hours_before"])


def enabled_steps(business: Business) -> list[dict[str, Any]]:
    return [step for step in (business.reminder_cadence or []) if step.get("email") or step.get("sms")]


def first_reminder_hours(business: Business) -> int | None:
    """The earliest reminder before an appointment (for a calendar file's alarm)."""
    steps = enabled_steps(business)
    return max(step["hours_before"] for step in steps) if steps else None


def _step_time(booking: Booking, hours: int) -> datetime:
    return booking.starts_at - timedelta(hours=hours)


def _plannable(booking: Booking, hours: int) -> bool:
    """A step whose time had already passed when the booking was made is not for it."""
    return _step_time(booking, hours) >= booking.created_at


def _latest_due_hours(booking: Booking, steps: Iterable[dict[str, Any]], now: datetime) -> int | None:
    due = [step["hours_before"] for step in steps
           if _plannable(booking, step["hours_before"]) and _step_time(booking, step["hours_before"]) <= now]
    return min(due) if due else None


# --------------------------------------------------------------------------- planning


def _insert_once(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert messages whose dedupe key is new; rows another worker inserted first are left
    alone (the unique constraint decides, not a read before the write)."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Message.__table__
    statement = insert(table).values(rows).on_conflict_do_nothing(index_elements=["dedupe_key"])
    # RETURNING lists only the rows inserted (rowcount is not reliable for a multi-row insert).
    return len(session.execute(statement.returning(table.c.id)).all())


def _row(*, business_id, booking_id, kind: str, channel: str, recipient: str, name: str | None,
         customer_id=None, staff_id=None, facts: dict, now: datetime, key: str, status: str = "pending",
         reason: str | None = None) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(), "business_id": business_id, "booking_id": booking_id, "customer_id": customer_id,
        "staff_id": staff_id, "audience": "staff" if kind in notify.STAFF_KINDS else "customer", "kind": kind,
        "channel": channel, "recipient": recipient, "recipient_name": name, "facts": facts,
        "transactional": kind not in notify.NON_TRANSACTIONAL, "dedupe_key": key, "status": status,
        "created_at": now, "due_at": now, "attempts": 0, "last_error": reason,
    }


def reminder_key(booking_id, hours: int, channel: str) -> str:
    return f"reminder:{booking_id}:{hours}h:{channel}"


def _plan_reminders(session: Session, now: datetime) -> int:
    """Three reads whatever the number of businesses: the businesses with reminders on, the
    confirmed bookings within the longest of their cadences, the reminders already planned
    for those; then one insert."""
    steps_of = {business.id: enabled_steps(business)
                for business in session.scalars(select(Business).where(Business.is_active.is_(True)))}
    steps_of = {business_id: steps for business_id, steps in steps_of.items() if steps}
    if not steps_of:
        return 0
    longest = max(step["hours_before"] for steps in steps_of.values() for step in steps)
    bookings = session.execute(
        select(Booking, Customer)
        .join(Customer, Customer.id == Booking.customer_id)
        .where(Booking.business_id.in_(list(steps_of)), Booking.status == S.CONFIRMED.value,
               Booking.is_test.is_(False), Booking.starts_at > now,
               Booking.starts_at <= now + timedelta(hours=longest))
    ).all()
    due = [(booking, customer, latest) for booking, customer in bookings
           if (latest := _latest_due_hours(booking, steps_of[booking.business_id], now)) is not None]
    if not due:
        return 0
    known = set(session.scalars(select(Message.dedupe_key).where(
        Message.booking_id.in_([booking.id for booking, _, _ in due]), Message.kind == notify.REMINDER)))
    rows = []
    for booking, customer, latest in due:
        for step in steps_of[booking.business_id]:
            hours = step["hours_before"]
            if not _plannable(booking, hours) or _step_time(booking, hours) > now:
                continue
            superseded = hours != latest
            for channel, address in (("email", customer.email), ("sms", customer.phone)):
                key = reminder_key(booking.id, hours, channel)
                if not step.get(channel) or not address or key in known:
                    continue
                rows.append(_row(
                    business_id=booking.business_id, booking_id=booking.id, kind=notify.REMINDER, channel=channel,
                    recipient=address, name=customer.name, customer_id=customer.id,
                    facts={"hours_before": hours, "sequence": booking.calendar_sequence}, now=now, key=key,
                    status="skipped" if superseded else "pending",
                    reason="A later reminder was due by the time this one could be sent." if superseded else None,
                ))
    return _insert_once(session, rows)


def agenda_key(staff_id, day: date) -> str:
    return f"agenda:{staff_id}:{day.isoformat()}"


def _plan_agendas(session: Session, now: datetime) -> int:
    members = session.execute(
        select(Staff, Business).join(Business, Business.id == Staff.business_id)
        .where(Staff.daily_agenda.is_(True), Staff.is_active.is_(True), Staff.deleted_at.is_(None),
               Staff.email.is_not(None), Business.is_active.is_(True))
    ).all()
    rows = []
    for member, business in members:
        local_now = now.astimezone(ZoneInfo(business.timezone))
        if local_now.time() < AGENDA_TIME:
            continue
        rows.append(_row(
            business_id=business.id, booking_id=None, kind=notify.STAFF_AGENDA, channel="email",
            recipient=member.email, name=member.name, staff_id=member.id,
            facts={"day": local_now.date().isoformat()}, now=now, key=agenda_key(member.id, local_now.date()),
        ))
    return _insert_once(session, rows)


def plan_due(session: Session, *, now: datetime | None = None) -> int:
    """Record every reminder and agenda whose time has come (the worker calls this each
    pass); returns how many were recorded. Safe to run from several workers at once."""
    now = resolve_now(now)
    planned = _plan_reminders(session, now) + _plan_agendas(session, now)
    session.flush()
    return planned


# --------------------------------------------------------------------------- at send time


def skip_reason(session: Session, message: Message, *, now: datetime | None = None) -> str | None:
    """Why a message whose time has come should not be sent any more, in words for the
    delivery log; None to send it."""
    now = resolve_now(now)
    if message.kind in notify.ACCOUNT_KINDS:
        return notify.account_skip_reason(session, message, now=now)
    if message.kind == notify.STAFF_AGENDA:
        member = session.get(Staff, message.staff_id) if message.staff_id else None
        if member is None or member.deleted_at is not None or not member.daily_agenda:
            return "The staff member no longer receives the daily agenda."
        business = session.get(Business, message.business_id)
        if now.astimezone(ZoneInfo(business.timezone)).date().isoformat() > message.facts.get("day", ""):
            return "That day is over."
        return None
    if message.customer_id is not None and not message.transactional:
        customer = session.get(Customer, message.customer_id)
        if customer is not None and customer.unsubscribed_at is not None:
            return "The customer unsubscribed from reminders and review requests."
    if message.audience == "staff" and message.staff_id is not None:
        member = session.get(Staff, message.staff_id)
        if member is None or not member.booking_emails:
            return "The staff member switched these emails off."
    booking = message.booking
    if booking is None:
        return None if message.booking_id is None else "The booking no longer exists."
    if message.kind == notify.REMINDER:
        return _reminder_skip_reason(session, message, booking, now)
    if message.kind == notify.REVIEW_REQUEST:
        business = session.get(Business, booking.business_id)
        if not business.review_requests:
            return "Review requests are switched off."
        if session.scalar(select(Review.id).where(Review.booking_id == booking.id)) is not None:
            return "The customer has already left a review."
    return None


def _reminder_skip_reason(session: Session, message: Message, booking: Booking, now: datetime) -> str | None:
    if booking.status != S.CONFIRMED.value:
        return f"The booking is {booking.status.replace('_', ' ')}."
    if booking.starts_at <= now:
        return "The appointment has already started."
    business = session.get(Business, booking.business_id)
    hours = message.facts.get("hours_before")
    steps = enabled_steps(business)
    if not any(step["hours_before"] == hours and step.get(message.channel) for step in steps):
        return "This reminder has been switched off."
    latest = _latest_due_hours(booking, steps, now)
    if latest is not None and hours is not None and latest < hours and message.resent_from_id is None:
        return "A later reminder was due by the time this one could be sent."
    return None
