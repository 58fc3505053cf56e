"""Signed, unguessable links to one booking, so no login is needed.

The wizard's link also remembers the staff choice ("anyone" or a person) so a customer
sent back to the time step keeps it. The manage link is a different salt, so a wizard link
cannot be replayed as a manage link or the other way round. Both are signed with
SECRET_KEY (itsdangerous, HMAC-SHA1 over the payload); they do not expire because the
customer keeps the manage link in their confirmation email."""
from __future__ import annotations

import base64
import uuid
from datetime import datetime, timezone
from urllib.parse import quote, urlencode

from flask import current_app, url_for
from itsdangerous import BadSignature, Signer, URLSafeSerializer

from bookingapp.domain.ics import location

WIZARD_SALT = "bookingapp.wizard-link"
MANAGE_SALT = "bookingapp.manage-link"
UNSUBSCRIBE_SALT = "bookingapp.unsubscribe-link"


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def wizard_token(booking_id: uuid.UUID, who: str) -> str:
    return _serializer(WIZARD_SALT).dumps({"b": str(booking_id), "w": who})


def read_wizard_token(token: str) -> tuple[uuid.UUID, str] | None:
    try:
        data = _serializer(WIZARD_SALT).loads(token)
        return uuid.UUID(data["b"]), str(data["w"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def manage_token(booking_id: uuid.UUID) -> str:
    return _serializer(MANAGE_SALT).dumps(str(booking_id))


def read_manage_token(token: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(_serializer(MANAGE_SALT).loads(token))
    except (BadSignature, TypeError, ValueError):
        return None


def manage_url(business, booking) -> str:
    """The customer's manage link, absolute (for the booked page and the .ics)."""
    return url_for("web.manage", slug=business.slug, token=manage_token(booking.id), _external=True)


def ics_url(business, booking) -> str:
    return url_for("web.booking_calendar", slug=business.slug, token=manage_token(booking.id), _external=True)


def unsubscribe_token(customer_id: uuid.UUID) -> str:
    """The customer's opt-out link (reminders, review requests): its own salt, so neither
    a manage link nor a wizard link can be replayed as one. Compact (the id's 16 bytes and
    a signature), so a text message has room for it beside the manage link."""
    packed = base64.urlsafe_b64encode(customer_id.bytes).rstrip(b"=")
    return Signer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).sign(packed).decode()


def read_unsubscribe_token(token: str) -> uuid.UUID | None:
    try:
        packed = Signer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).unsign(token)
        return uuid.UUID(bytes=base64.urlsafe_b64decode(packed + b"=" * (-len(packed) % 4)))
    except (BadSignature, TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- calendars and maps
#
# "Add to calendar" links for people who do not open .ics files (phones, web mail), and a
# map of the business's address. Times go in UTC ("Z"): both calendars then show the
# appointment at the right moment in the reader's own zone, the autumn's repeated hour
# included, with no zone table of ours to get wrong.

GOOGLE_CALENDAR = "https://calendar.google.com/calendar/render"
OUTLOOK_CALENDAR = "https://outlook.live.com/calendar/0/deeplink/compose"
GOOGLE_MAPS = "https://www.google.com/maps/search/"


def _query(params: dict[str, str]) -> str:
    return urlencode(params, quote_via=quote, safe="")


def _utc(instant: datetime, fmt: str) -> str:
    return instant.astimezone(timezone.utc).strftime(fmt)


def _event_words(business, booking, manage_link: str) -> tuple[str, str]:
    service = booking.service.name if booking.service else "Appointment"
    title = f"{service} at {business.name}"
    details = f"Booking {booking.booking_number}. See, change or cancel it: {manage_link}"
    return title, details


def google_calendar_url(business, booking, manage_link: str) -> str:
    """Google Calendar's event template (action=TEMPLATE, dates start/end in UTC)."""
    title, details = _event_words(business, booking, manage_link)
    params = {
        "action": "TEMPLATE", "text": title,
        "dates": f"{_utc(booking.starts_at, '%Y%m%dT%H%M%SZ')}/{_utc(booking.ends_at, '%Y%m%dT%H%M%SZ')}",
        "details": details, "ctz": business.timezone,
    }
    where = location(business)
    if where:
        params["location"] = where
    return f"{GOOGLE_CALENDAR}?{_query(params)}"


def outlook_calendar_url(business, booking, manage_link: str) -> str:
    """Outlook on the web's compose deep link (Outlook.com and Microsoft 365 accept it)."""
    title, details = _event_words(business, booking, manage_link)
    params = {
        "path": "/calendar/action/compose", "rru": "addevent", "subject": title,
        "startdt": _utc(booking.starts_at, "%Y-%m-%dT%H:%M:%SZ"), "enddt": _utc(booking.ends_at, "%Y-%m-%dT%H:%M:%SZ"),
        "body": details,
    }
    where = location(business)
    if where:
        params["location"] = where
    return f"{OUTLOOK_CALENDAR}?{_query(params)}"


def map_url(business) -> str | None:
    """Google Maps' search for the business's street address (Maps URLs, api=1); None
    when the business has no street address to find."""
    if not business.address_street:
        return None
    address = ", ".join(part for part in (
        business.name, business.address_street, business.address_city, business.address_zip, business.address_country,
    ) if part)
    return f"{GOOGLE_MAPS}?{_query({'api': '1', 'query': address})}"


def calendar_links(business, booking) -> dict[str, str | None]:
    """Everything the booked and manage pages offer to take the booking elsewhere."""
    manage_link = manage_url(business, booking)
    return {
        "ics": ics_url(business, booking),
        "google": google_calendar_url(business, booking, manage_link),
        "outlook": outlook_calendar_url(business, booking, manage_link),
        "map": map_url(business),
    }
