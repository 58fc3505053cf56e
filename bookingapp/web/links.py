"""Signed, unguessable links to one booking, so no login is needed.

The wizard's link also remembers the staff choice ("anyone" or a person) so a customer
sent back to the time step keeps it. The manage link is a different salt, so a wizard link
cannot be replayed as a manage link or the other way round. Both are signed with
SECRET_KEY (itsdangerous, HMAC-SHA1 over the payload); they do not expire because the
customer keeps the manage link in their confirmation email."""
from __future__ import annotations

import base64
import uuid

from flask import current_app, url_for
from itsdangerous import BadSignature, Signer, URLSafeSerializer

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
