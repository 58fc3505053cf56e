"""Booking statuses and the one transition table every front door obeys."""
from __future__ import annotations

from enum import StrEnum

from bookingapp.domain.errors import InvalidTransition


class BookingStatus(StrEnum):
    HELD = "held"                # short hold while the customer finishes; expires on its own
    RESERVED = "reserved"        # held without expiry until booked or released
    PENDING = "pending"          # booked, waiting for the business to confirm
    CONFIRMED = "confirmed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    RESCHEDULED = "rescheduled"  # left behind when a booking moves; points at its replacement
    EXPIRED = "expired"          # a hold that ran out


S = BookingStatus

TRANSITIONS: dict[BookingStatus, tuple[BookingStatus, ...]] = {
    S.HELD: (S.PENDING, S.CONFIRMED, S.CANCELLED, S.EXPIRED, S.RESCHEDULED),
    S.RESERVED: (S.PENDING, S.CONFIRMED, S.CANCELLED, S.RESCHEDULED),
    S.PENDING: (S.CONFIRMED, S.CANCELLED, S.NO_SHOW, S.RESCHEDULED),
    S.CONFIRMED: (S.IN_PROGRESS, S.CANCELLED, S.NO_SHOW, S.RESCHEDULED),
    S.IN_PROGRESS: (S.COMPLETED, S.CANCELLED),
    S.COMPLETED: (),
    S.CANCELLED: (),
    S.NO_SHOW: (),
    S.RESCHEDULED: (),
    # A hold that ran out may still be booked while its time is free (a late payment).
    S.EXPIRED: (S.PENDING, S.CONFIRMED),
}

ALL_STATUSES: tuple[str, ...] = tuple(s.value for s in BookingStatus)

# Statuses that occupy the staff member's time. The PostgreSQL exclusion constraint and
# the availability engine both use exactly this set.
ACTIVE_STATUSES: tuple[str, ...] = tuple(
    s.value for s in (S.HELD, S.RESERVED, S.PENDING, S.CONFIRMED, S.IN_PROGRESS)
)

TERMINAL_STATUSES: tuple[str, ...] = tuple(s.value for s, nxt in TRANSITIONS.items() if not nxt)

# Booked and not yet begun: what "a booking" means to the customer before the visit (a
# confirmation was owed for it; it may still be cancelled or moved).
UPCOMING_STATUSES: tuple[str, ...] = (S.PENDING.value, S.CONFIRMED.value)

# A booking that was made, whatever happened to the visit since (the wizard shows it as done).
MADE_STATUSES: tuple[str, ...] = (*UPCOMING_STATUSES, S.IN_PROGRESS.value, S.COMPLETED.value, S.NO_SHOW.value)

# Holds and reservations: a time kept for someone, not yet a booking.
PLACEHOLDER_STATUSES: tuple[str, ...] = (S.HELD.value, S.RESERVED.value)


def valid_transitions(current: str) -> tuple[str, ...]:
    return tuple(s.value for s in TRANSITIONS[BookingStatus(current)])


def check_transition(current: str, target: str) -> None:
    """Raise InvalidTransition unless the table allows current -> target."""
    valid = valid_transitions(current)
    if target not in valid:
        raise InvalidTransition(current, target, valid)


# Statuses only the system sets (expiry, reschedule) or that need a customer and a free
# time (book()), so a person or integrator cannot simply ask for them by name.
_NOT_BY_NAME = {S.EXPIRED.value, S.RESCHEDULED.value, S.HELD.value, S.RESERVED.value}
_NEEDS_BOOK = {S.HELD.value, S.RESERVED.value, S.EXPIRED.value}


def manual_transitions(current: str) -> tuple[str, ...]:
    """The moves a person may ask for by naming the target status (the dashboard's
    buttons, the API's PATCH): the table's, less what only the system or book() does."""
    if current in _NEEDS_BOOK:
        return tuple(t for t in valid_transitions(current) if t == S.CANCELLED.value)
    return tuple(t for t in valid_transitions(current) if t not in _NOT_BY_NAME)


def hold_ran_out(status: str, hold_expires_at, now) -> bool:
    """A hold is over once its time has passed, whether or not the worker has marked it
    expired yet: every door must read it the same way at the same moment."""
    return status == S.EXPIRED or (status == S.HELD and hold_expires_at is not None and hold_expires_at <= now)


def status_as_seen(booking, now) -> str:
    """The status a door shows: a held booking whose time has passed reads `expired` at
    once, on every door, without waiting for the worker's sweep (which only tidies rows)."""
    if booking.status == S.HELD and hold_ran_out(booking.status, booking.hold_expires_at, now):
        return S.EXPIRED.value
    return booking.status
