"""Stand-ins, until the real ones merge, for notifications.messages.render (and its
RenderedEmail / RenderedSms) and domain.reminders.skip_reason, with the shared interfaces'
signatures, so delivery.py runs and its tests pass meanwhile. Delete this file at merge
(delivery.py imports the real ones first)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import icalendar

from bookingapp.models import Business, Customer, Message


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    reply_to: str | None
    ics: str | None
    ics_method: str | None
    unsubscribe_url: str | None


@dataclass(frozen=True)
class RenderedSms:
    body: str


def skip_reason(session, message: Message, *, now: datetime) -> str | None:
    booking = message.booking
    if booking is not None and booking.status == "cancelled" and message.kind != "booking_cancelled":
        return "booking cancelled"
    if message.kind == "reminder" and booking is not None and booking.starts_at <= now:
        return "appointment started"
    if not message.transactional and message.customer_id:
        customer = session.get(Customer, message.customer_id)
        if customer is not None and customer.unsubscribed_at is not None:
            return "customer unsubscribed"
    return None


def render(session, message: Message, *, now: datetime) -> RenderedEmail | RenderedSms:
    business = session.get(Business, message.business_id)
    booking = message.booking
    when = booking.starts_at.isoformat() if booking is not None else ""
    line = f"{message.kind.replace('_', ' ')} at {business.name} {when}".strip()
    if message.channel == "sms":
        return RenderedSms(body=line)
    ics = ics_method = None
    if booking is not None and message.kind.startswith("booking_"):
        ics_method = "CANCEL" if message.kind == "booking_cancelled" else "REQUEST"
        calendar = icalendar.Calendar()
        calendar.add("prodid", "-//bookingapp//interim//EN")
        calendar.add("version", "2.0")
        calendar.add("method", ics_method)
        event = icalendar.Event()
        event.add("uid", booking.calendar_uid or f"{booking.id}@bookingapp")
        event.add("dtstamp", now)
        event.add("dtstart", booking.starts_at)
        event.add("dtend", booking.ends_at)
        event.add("sequence", booking.calendar_sequence)
        event.add("summary", business.name)
        calendar.add_component(event)
        ics = calendar.to_ical().decode()
    unsubscribe_url = None if message.transactional else f"http://127.0.0.1:5000/unsubscribe/{message.customer_id}"
    return RenderedEmail(subject=line, text=line, html=f"<p>{line}</p>", reply_to=business.email, ics=ics,
                         ics_method=ics_method, unsubscribe_url=unsubscribe_url)


def plan_due(session, *, now: datetime | None = None) -> int:
    """domain.reminders.plan_due records due reminders and agendas; nothing to plan here."""
    return 0
