"""The delivery log's words and rows, shared by the Messages page (views_messages) and a
booking's Messages section in its panel (views_day): the kind and channel of a message in
words (the kinds' words are domain.notify.KIND_LABELS); the Resend button is offered for
domain.notify.RESENDABLE_STATUSES."""
from __future__ import annotations

from flask_login import current_user

from bookingapp.auth.roles import allowed
from bookingapp.domain import notify
from bookingapp.extensions import db
from bookingapp.models import Booking
from bookingapp.models.message import MESSAGE_CHANNELS, Message

# The people who run the whole day (owner, manager, front desk) are the ones a customer
# calls about a missing email; booking.manage is exactly them, and resending is managing.
PERMISSION = "booking.manage"

CHANNEL_LABELS = {"email": "Email", "sms": "Text message"}
assert set(CHANNEL_LABELS) == set(MESSAGE_CHANNELS)


def kind_label(message: Message) -> str:
    label = notify.KIND_LABELS.get(message.kind, message.kind.replace("_", " ").capitalize())
    hours = (message.facts or {}).get("hours_before") if isinstance(message.facts, dict) else None
    return f"{label} ({hours} h before)" if message.kind == notify.REMINDER and hours else label


def log_words() -> dict:
    """What the log's table needs besides its rows."""
    return {"kind_label": kind_label, "channel_labels": CHANNEL_LABELS, "status_labels": notify.STATUS_LABELS,
            "resendable": notify.RESENDABLE_STATUSES}


def booking_messages(booking: Booking, *, error: str | None = None) -> dict:
    """A booking's Messages section, for the people who may see and resend them (nothing
    for the others: the panel then leaves the section out)."""
    if not allowed(current_user.role, PERMISSION):
        return {}
    return {"booking_messages": notify.delivery_log(db.session, current_user.business, booking_id=booking.id),
            "messages_error": error, **log_words()}
