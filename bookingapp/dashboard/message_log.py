"""The delivery log's words and rows, shared by the Messages page (views_messages) and a
booking's Messages section in its panel (views_day): the kind and channel of a message in
words, and which messages the Resend button is offered for."""
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

KIND_LABELS = {
    notify.BOOKING_CONFIRMED: "Booking confirmed",
    notify.BOOKING_PENDING: "Booking waiting for approval",
    notify.BOOKING_APPROVED: "Booking approved",
    notify.BOOKING_RESCHEDULED: "Booking moved",
    notify.BOOKING_CANCELLED: "Booking cancelled",
    notify.REMINDER: "Reminder",
    notify.REVIEW_REQUEST: "Review request",
    notify.RECEIPT: "Receipt",
    notify.STAFF_NEW_BOOKING: "New booking (to staff)",
    notify.STAFF_CANCELLED: "Cancellation (to staff)",
    notify.STAFF_RESCHEDULED: "Move (to staff)",
    notify.STAFF_AGENDA: "Daily agenda (to staff)",
}
CHANNEL_LABELS = {"email": "Email", "sms": "Text message"}
assert set(CHANNEL_LABELS) == set(MESSAGE_CHANNELS)
# A message still waiting to go (or being sent) cannot be sent again yet: notify.resend
# refuses it, so no button is offered.
NOT_RESENDABLE = ("pending", "sending")


def kind_label(message: Message) -> str:
    label = KIND_LABELS.get(message.kind, message.kind.replace("_", " ").capitalize())
    hours = (message.facts or {}).get("hours_before") if isinstance(message.facts, dict) else None
    return f"{label} ({hours} h before)" if message.kind == notify.REMINDER and hours else label


def log_words() -> dict:
    """What the log's table needs besides its rows."""
    return {"kind_label": kind_label, "channel_labels": CHANNEL_LABELS, "status_labels": notify.STATUS_LABELS,
            "not_resendable": NOT_RESENDABLE}


def booking_messages(booking: Booking, *, error: str | None = None) -> dict:
    """A booking's Messages section, for the people who may see and resend them (nothing
    for the others: the panel then leaves the section out)."""
    if not allowed(current_user.role, PERMISSION):
        return {}
    return {"booking_messages": notify.delivery_log(db.session, current_user.business, booking_id=booking.id),
            "messages_error": error, **log_words()}
