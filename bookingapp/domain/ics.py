"""The iCalendar (RFC 5545) file of one booking, built with the `icalendar` library.

One booking is one calendar event for its whole life: a reschedule's replacement keeps the
UID (`calendar_uid`) and counts SEQUENCE up, so a calendar that imported the first file
moves its event instead of keeping a second one, and METHOD:CANCEL removes it (RFC 5546).
Times are written as local wall-clock times with the business's TZID and a VTIMEZONE
describing that zone, so the appointment stays at 10:00 in London whatever zone the
reader's calendar is in."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vCalAddress

from bookingapp.domain.languages import Translator, untranslated
from bookingapp.domain.local_time import format_span
from bookingapp.models import Booking, Business

METHODS = ("REQUEST", "CANCEL", "PUBLISH")
PRODID = "-//bookingapp//booking//EN"
# A booking in one of these is no longer on the customer's calendar. A booking that was
# moved ("rescheduled") is left behind by its replacement, which carries the event on.
GONE_STATUSES = ("cancelled", "rescheduled", "expired")


def calendar_uid(booking: Booking) -> str:
    """The booking's event UID; rows made before calendar_uid existed use their own id."""
    return booking.calendar_uid or f"{booking.id}@bookingapp"


def event_status(booking: Booking, method: str) -> str:
    if method == "CANCEL" or booking.status in GONE_STATUSES:
        return "CANCELLED"
    return "TENTATIVE" if booking.status == "pending" else "CONFIRMED"


def location(business: Business) -> str:
    return ", ".join(part for part in (
        business.name, business.address_street, business.address_city, business.address_zip,
    ) if part)


def _mailbox(email: str, name: str | None, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    address.params.update(params)
    return address


def booking_ics(
    booking: Booking,
    business: Business,
    *,
    now: datetime,
    manage_url: str | None = None,
    method: str = "PUBLISH",
    first_reminder_hours: int | None = None,
    organizer_email: str | None = None,
    locale: str | None = None,
    gettext: Translator = untranslated,
) -> str:
    """The .ics text. `method` is REQUEST for a new or changed booking sent by email, CANCEL
    for a cancelled one, PUBLISH for a plain download. `organizer_email` stands in for the
    business's own address when it has none (REQUEST and CANCEL need an ORGANIZER).
    `locale` and `gettext` write the summary and description in the customer's language
    (domain.languages; English without them)."""
    if method not in METHODS:
        raise ValueError(f"unknown calendar method {method!r}")
    tz = ZoneInfo(business.timezone)
    start = booking.starts_at.astimezone(tz)
    service_name = booking.service.name if booking.service else gettext("Appointment")
    staff_name = booking.staff.name if booking.staff else ""
    summary = gettext("%(service)s at %(business)s", service=service_name, business=business.name)

    event = Event()
    event.add("uid", calendar_uid(booking))
    event.add("sequence", booking.calendar_sequence or 0)
    event.add("dtstamp", now.astimezone(timezone.utc))
    event.add("dtstart", start)
    event.add("dtend", booking.ends_at.astimezone(tz))
    event.add("summary", summary)
    description = [gettext("Booking %(number)s", number=booking.booking_number),
                   gettext("%(service)s with %(staff)s", service=service_name, staff=staff_name) if staff_name
                   else service_name,
                   # In words too, zone marked on the day the clocks go back: some
                   # calendars show DTSTART in the reader's zone without saying which.
                   gettext("When: %(when)s", when=f"{format_span(booking.starts_at, booking.ends_at, tz, locale=locale)}"
                                                 f" ({business.timezone})")]
    if manage_url:
        description.append(gettext("See, change or cancel your booking: %(url)s", url=manage_url))
        event.add("url", manage_url)
    event.add("description", "\n".join(description))
    where = location(business)
    if where:
        event.add("location", where)
    event.add("status", event_status(booking, method))
    organizer = business.email or organizer_email
    if organizer:
        event.add("organizer", _mailbox(organizer, business.name))
    customer = booking.customer
    if customer is not None and customer.email:
        event.add("attendee", _mailbox(customer.email, customer.name, ROLE="REQ-PARTICIPANT",
                                       PARTSTAT="ACCEPTED", RSVP="FALSE"))
    if first_reminder_hours and method != "CANCEL":
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", gettext("Reminder: %(summary)s", summary=summary))
        alarm.add("trigger", timedelta(hours=-first_reminder_hours))
        event.add_component(alarm)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(event)
    # The zone's rules around the appointment only: a VTIMEZONE from 1970 would be long.
    calendar.add_missing_timezones(first_date=date(start.year - 1, 1, 1), last_date=date(start.year + 2, 1, 1))
    return calendar.to_ical().decode("utf-8")
