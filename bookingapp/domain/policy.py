"""The business's cancellation policy in time: until when a customer may cancel for a full
refund, or move their booking at all.

The deadline runs from the first booked start of the booking's reschedule chain
(Booking.policy_starts_at), so moving a booking never buys a fresh free-cancellation
window: a customer inside the late window who moves to next week and then cancels keeps
losing the deposit, as they would have without the move."""
from __future__ import annotations

from datetime import datetime, timedelta

from bookingapp.models import Booking, Business


def policy_start(booking: Booking) -> datetime:
    return booking.policy_starts_at or booking.starts_at


def free_cancellation_deadline(booking: Booking, business: Business) -> datetime:
    return policy_start(booking) - timedelta(hours=business.free_cancellation_hours)


def within_free_window(booking: Booking, business: Business, now: datetime) -> bool:
    return now <= free_cancellation_deadline(booking, business)
