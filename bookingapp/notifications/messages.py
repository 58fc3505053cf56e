"""Rendering the customer emails the domain recorded (domain/notify.py), at send time, in
the worker: the subject, the plain text and the calendar attachment, from the booking as
it now is and the facts recorded with the message.

Links point at PUBLIC_URL (the address customers reach the site at), built from the app's
own routes, so the worker needs no request."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.orm import Session

from bookingapp.domain import notify
from bookingapp.domain.ics import booking_ics
from bookingapp.domain.payments import money
from bookingapp.models import Booking, Business, OutboxEvent
from bookingapp.web.links import manage_token

SUBJECTS = {
    notify.BOOKING_CONFIRMED: "Booking confirmed: {service} on {day}",
    notify.BOOKING_PENDING: "Booking request received: {service} on {day}",
    notify.BOOKING_APPROVED: "Booking approved: {service} on {day}",
    notify.BOOKING_RESCHEDULED: "Booking moved: {service} now on {day}",
    notify.BOOKING_CANCELLED: "Booking cancelled: {service} on {day}",
}
WITH_CALENDAR = (notify.BOOKING_CONFIRMED, notify.BOOKING_PENDING, notify.BOOKING_APPROVED,
                 notify.BOOKING_RESCHEDULED, notify.BOOKING_CANCELLED)


@dataclass(frozen=True)
class RenderedEmail:
    to: str
    to_name: str
    reply_to: str | None
    subject: str
    text: str
    ics: str | None


def public_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000")
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def _render(name: str, context: dict) -> str:
    # The app's Jinja environment without request context processors: there is no request.
    return current_app.jinja_env.get_template(name).render(**context)


def _local(instant: datetime, business: Business) -> str:
    return instant.astimezone(ZoneInfo(business.timezone)).strftime("%A %d %B %Y, %H:%M")


def render_customer_email(session: Session, event: OutboxEvent, *, now: datetime) -> RenderedEmail | None:
    """None when the booking is gone (nothing to tell)."""
    payload = event.payload
    booking = session.get(Booking, uuid.UUID(payload["booking_id"]))
    if booking is None:
        return None
    business = session.get(Business, booking.business_id)
    kind = payload["kind"]
    token = manage_token(booking.id)
    manage_url = public_url("web.manage", slug=business.slug, token=token)
    previous = payload.get("previous_starts_at")
    context = {
        "kind": kind,
        "booking": booking,
        "business": business,
        "customer_name": payload.get("to_name") or "there",
        "when": _local(booking.starts_at, business),
        "previous_start": _local(datetime.fromisoformat(previous.replace("Z", "+00:00")), business) if previous else None,
        "cancelled_by": payload.get("cancelled_by"),
        "refunded": money(payload["refunded_cents"], payload["currency"]) if payload.get("refunded_cents") else None,
        "kept": money(payload["kept_cents"], payload["currency"]) if payload.get("kept_cents") else None,
        "manage_url": manage_url,
        "ics_url": public_url("web.booking_calendar", slug=business.slug, token=token),
        "book_again_url": public_url("web.landing", slug=business.slug),
    }
    subject = SUBJECTS[kind].format(service=booking.service.name,
                                    day=booking.starts_at.astimezone(ZoneInfo(business.timezone)).strftime("%a %d %b, %H:%M"))
    ics = booking_ics(booking, business, now=now, manage_url=manage_url) if kind in WITH_CALENDAR else None
    return RenderedEmail(
        to=payload["to"], to_name=payload.get("to_name") or "", reply_to=business.email,
        subject=f"{subject} ({business.name})", text=_render("emails/customer.txt", context), ics=ics,
    )
