"""An iCalendar (RFC 5545) file for one booking.

Times are written in UTC ("Z" form, RFC 5545 3.3.5 form #2): every calendar places them
correctly in the reader's own zone with no VTIMEZONE block to get wrong; the business's
local time and zone are repeated in the description for humans."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bookingapp.models import Booking, Business


def _escape(text: str) -> str:
    # RFC 5545 3.3.11: backslash, semicolon, comma and newlines are escaped in TEXT values.
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line to 75 octets (RFC 5545 3.1), never splitting a UTF-8 character."""
    out: list[str] = []
    current = ""
    limit = 75
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            out.append(current)
            current = " " + char
            limit = 75
        else:
            current += char
    out.append(current)
    return "\r\n".join(out)


def _utc(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def calendar_uid(booking: Booking) -> str:
    """The booking's calendar event: kept across reschedules (Booking.calendar_uid)."""
    return booking.calendar_uid or f"{booking.id}@bookingapp"


def booking_ics(booking: Booking, business: Business, *, now: datetime, manage_url: str | None = None) -> str:
    tz = ZoneInfo(business.timezone)
    local_start = booking.starts_at.astimezone(tz)
    service_name = booking.service.name if booking.service else "Appointment"
    staff_name = booking.staff.name if booking.staff else ""
    description = [
        f"Booking {booking.booking_number}",
        f"{service_name}" + (f" with {staff_name}" if staff_name else ""),
        f"{local_start:%A %d %B %Y, %H:%M} ({business.timezone})",
    ]
    if manage_url:
        description.append(f"Manage or cancel: {manage_url}")
    location = ", ".join(
        part for part in (business.name, business.address_street, business.address_city, business.address_zip) if part
    )
    # A booking that was moved is replaced by a new booking (its own UID): a calendar
    # that imported the old one must drop it, exactly as for a cancellation.
    if booking.status in ("cancelled", "rescheduled", "expired"):
        status = "CANCELLED"
    else:
        status = "TENTATIVE" if booking.status == "pending" else "CONFIRMED"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//bookingapp//booking//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{booking.id}@bookingapp",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(booking.starts_at)}",
        f"DTEND:{_utc(booking.ends_at)}",
        f"SUMMARY:{_escape(f'{service_name} at {business.name}')}",
        f"DESCRIPTION:{_escape(chr(10).join(description))}",
        f"LOCATION:{_escape(location)}",
        f"STATUS:{status}",
    ]
    if manage_url:
        lines.append(f"URL:{manage_url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
