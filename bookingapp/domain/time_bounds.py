"""The range of dates and instants the product accepts from any door.

Python's calendar ends at the years 1 and 9999: converting 0001-01-01T00:00+14:00 to UTC,
or adding a day to 9999-12-31, raises OverflowError. Nothing the product books, reports
or schedules comes anywhere near those ends, so every door keeps its input to
MIN_YEAR..MAX_YEAR (in the zone the value was written in), and the domain checks it once
more before doing any arithmetic: a value outside is the domain's ValidationError naming
the field (400/422 on every door), never an overflow 500."""
from __future__ import annotations

from datetime import date, datetime

from bookingapp.domain.errors import SlotNotOffered, ValidationError

MIN_YEAR, MAX_YEAR = 1970, 2200


def out_of_range_message(field: str) -> str:
    return f"{field} must be between the years {MIN_YEAR} and {MAX_YEAR}."


def within_bounds(value: date) -> bool:
    """True for a date or datetime whose (local) year lies in MIN_YEAR..MAX_YEAR: then any
    zone conversion, and adding or subtracting well under a century, cannot overflow."""
    return MIN_YEAR <= value.year <= MAX_YEAR


class StartOutOfBounds(SlotNotOffered, ValidationError):
    """A booking start outside MIN_YEAR..MAX_YEAR: a ValidationError naming start_at (400
    on the API), and a time the business never offers, so every door that already tells
    "not available to book" apart from "just taken" answers it the same way."""

    def __init__(self, param: str = "start_at"):
        super().__init__(out_of_range_message(param), param=param)


def check_start(start: datetime, field: str = "start_at") -> None:
    """StartOutOfBounds for a booking start outside the bounds, checked before any zone
    conversion (which could overflow)."""
    if not within_bounds(start):
        raise StartOutOfBounds(field)
