"""The business's cancellation policy in time: until when a customer may cancel for a full
refund, or move their booking at all.

The deadline runs from the first booked start of the booking's reschedule chain
(Booking.policy_starts_at), so moving a booking never buys a fresh free-cancellation
window: a customer inside the late window who moves to next week and then cancels keeps
losing the deposit, as they would have without the move."""
from __future__ import annotations

from datetime import datetime, timedelta

from bookingapp.domain.languages import Translator, untranslated
from bookingapp.domain.local_time import format_local
from bookingapp.domain.money import format_money_for
from bookingapp.models import Booking, Business

# How the deadline is written in the policy's words: "Tue 03 Mar, 14:00".
DEADLINE_FORMAT = "%a %d %b, %H:%M"


def policy_start(booking: Booking) -> datetime:
    return booking.policy_starts_at or booking.starts_at


def free_cancellation_deadline(booking: Booking, business: Business) -> datetime:
    return policy_start(booking) - timedelta(hours=business.free_cancellation_hours)


def within_free_window(booking: Booking, business: Business, now: datetime) -> bool:
    return now <= free_cancellation_deadline(booking, business)


def policy_in_words(
    booking: Booking, business: Business, *, now: datetime, paid_up_front_cents: int, kept_after_cents: int,
    locale: str | None = None, gettext: Translator = untranslated,
) -> str:
    """The cancellation policy for this booking as the customer reads it before paying
    and after: "Free cancellation until Tue 03 Mar, 14:00; after that the deposit of
    £20.00 is kept." `paid_up_front_cents` is what is (or is to be) paid before the visit,
    `kept_after_cents` what the policy keeps of it once the free window has passed
    (domain.cancellation.policy_in_words works both out from the booking's money). The
    deadline is the business's wall clock, its zone marked when ambiguous. `locale` and
    `gettext` write it in the reader's language (domain.languages.untranslated: English)."""
    deadline = free_cancellation_deadline(booking, business)
    when = format_local(deadline, business.timezone, DEADLINE_FORMAT, locale)
    if paid_up_front_cents <= 0:
        return gettext("Nothing is paid in advance, so cancelling costs nothing.")
    if kept_after_cents <= 0:
        return gettext("Everything paid in advance is refunded if you cancel before the appointment.")
    kept = format_money_for(business, kept_after_cents, booking.currency, locale)
    if now <= deadline:
        return gettext("Free cancellation until %(when)s; after that the deposit of %(kept)s is kept.",
                       when=when, kept=kept)
    return gettext("Free cancellation ended %(when)s (%(hours)s hours before); if you cancel, "
                   "the deposit of %(kept)s is kept.", when=when, hours=business.free_cancellation_hours, kept=kept)
