"""The month calendar and one day's free times, shared by the wizard's time step and the
manage link's "change time" (the same page, the same availability engine)."""
from __future__ import annotations

import calendar
import uuid
from typing import AbstractSet
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext

from bookingapp.domain.availability import local_date_of
from bookingapp.domain.availability_cache import cached_availability, cached_available_days, current_version
from bookingapp.domain.time_bounds import within_bounds
from bookingapp.extensions import db
from bookingapp.models import Business, Location, Service, Staff
from bookingapp.domain.local_time import format_dated
from bookingapp.i18n import format_locale
from bookingapp.web.rendering import local_filter, utc_iso_filter


def _parse_month(raw: str | None, fallback: date) -> date:
    """`YYYY-MM` from the query string; anything else (malformed, or a year outside the
    bounds every door keeps, see domain.time_bounds) falls back to the month shown by
    default: a calendar link is navigation, and a wrong one should still show a calendar."""
    try:
        year, month = (int(part) for part in (raw or "").split("-"))
        first = date(year, month, 1)
    except (ValueError, OverflowError):
        return fallback.replace(day=1)
    return first if within_bounds(first) else fallback.replace(day=1)


def _parse_day(raw: str | None) -> date | None:
    """`YYYY-MM-DD` from the query string, or None (the first free day is shown)."""
    try:
        chosen = date.fromisoformat(raw) if raw else None
    except (ValueError, OverflowError):
        return None
    return chosen if chosen is not None and within_bounds(chosen) else None


def local_day(start: datetime, business: Business) -> str | None:
    """The business's local date of a start time, or None for one at the very edge of
    the calendar (9999-12-31T23:59Z in a zone east of UTC has no local date)."""
    try:
        return local_date_of(start, business).isoformat()
    except OverflowError:
        return None


def _same_month(day: date, first_of_month: date) -> bool:
    return (day.year, day.month) == (first_of_month.year, first_of_month.month)


def calendar_weeks(first_of_month: date, free: AbstractSet[date], chosen: date | None) -> list[list[tuple | None]]:
    """The month's weeks (Monday first) for the template, one cell per day: None for a day
    of the next or previous month, else (day of the month, ISO date, spoken label, has
    free time, is the chosen day). The spoken label holds the number shown ("Tuesday 3
    March, times available", not "03"), so a voice-control user can say what they see.
    Worked out here rather than by attribute lookups, method calls and a translation per
    cell in Jinja, which cost several times more per cell: the two label texts are looked
    up once per month (Jinja escapes the finished label where it is written)."""
    locale = format_locale()
    has_times, no_times = gettext("%(day)s, times available"), gettext("%(day)s, no times")

    def spoken(d: date) -> str:
        return f"{d:%A} {d.day} {d:%B}" if locale is None else format_dated(d, "%A %d %B", locale)

    return [
        [
            (d.day, d.isoformat(), (has_times if d in free else no_times) % {"day": spoken(d)}, d in free, d == chosen)
            if d.month == first_of_month.month else None
            for d in week
        ]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first_of_month.year, first_of_month.month)
    ]


def slot_buttons(slots, tz: str) -> list[tuple[str, str]]:
    """(value, label) of each time's button: the start in UTC, as the POST sends it back,
    and the local wall-clock time the customer reads (the templates' own filters, called
    here once per slot rather than through Jinja)."""
    return [(utc_iso_filter(slot.start), local_filter(slot.start, tz)) for slot in slots]


def time_context(
    business: Business, service: Service, staff: Staff | None, *, now: datetime,
    month: str | None, day: str | None, exclude: tuple[uuid.UUID, ...] = (), with_calendar: bool = True,
    location: Location | None = None,
) -> dict:
    """The month calendar (days with no free slot disabled) and one day's free slots.

    The calendar only needs to know which days have any free time, so it asks the engine's
    cheap `available_days`; only the chosen day's slots are computed in full (one day,
    not the whole month). Both answers are for the same availability version (read once),
    from the cache when another visitor asked the same this minute (domain.availability_cache).

    `with_calendar=False` is for the slots partial alone (a day clicked in the calendar):
    when the day asked for lies in the month shown, that day is the answer whether or not
    it has free time, so the month is not computed at all and `weeks` and `free_days` are
    None. Otherwise (no day, or one outside the month) the month decides the day, as for
    the whole page. `location`: the times at that location, in its time zone (None: the
    primary)."""
    zone = (location.timezone if location is not None else None) or business.timezone
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    horizon = today + timedelta(days=business.max_advance_days)
    chosen_day = _parse_day(day)
    first_of_month = _parse_month(month, chosen_day or today)
    first_of_month = max(first_of_month, today.replace(day=1))
    first_of_month = min(first_of_month, horizon.replace(day=1))
    staff_id = staff.id if staff else None
    version = current_version(db.session, business)

    def days_with_slots(first_of: date) -> frozenset[date]:
        last_of = first_of.replace(day=calendar.monthrange(first_of.year, first_of.month)[1])
        first, last = max(first_of, today), min(last_of, horizon)
        if first > last:
            return frozenset()
        return cached_available_days(
            db.session, business, service, first, last, now=now, staff_id=staff_id, exclude_booking_ids=exclude,
            version=version, location=location,
        )

    if not with_calendar and chosen_day is not None and _same_month(chosen_day, first_of_month):
        slots = cached_availability(
            db.session, business, service, chosen_day, now=now, staff_id=staff_id, exclude_booking_ids=exclude,
            version=version, location=location,
        ).days.get(chosen_day, [])
        return dict(
            month=first_of_month, weeks=None, free_days=None, day=chosen_day, slots=slots,
            slot_buttons=slot_buttons(slots, zone), today=today, tz=zone,
        )

    free = days_with_slots(first_of_month)
    if not free and month is None and chosen_day is None and first_of_month < horizon.replace(day=1):
        # Nothing left this month: open the calendar on the next one rather than a blank page.
        nxt = (first_of_month + timedelta(days=32)).replace(day=1)
        free, first_of_month = days_with_slots(nxt), nxt
    if chosen_day is None or chosen_day not in free:
        if chosen_day is None or not _same_month(chosen_day, first_of_month):
            chosen_day = min(free) if free else None
    slots = []
    if chosen_day is not None and chosen_day in free:
        # A day the calendar shows as free: its times, computed for that day alone.
        slots = cached_availability(
            db.session, business, service, chosen_day, now=now, staff_id=staff_id, exclude_booking_ids=exclude,
            version=version, location=location,
        ).days.get(chosen_day, [])
    prev_month = (first_of_month - timedelta(days=1)).replace(day=1)
    next_month = (first_of_month + timedelta(days=32)).replace(day=1)
    return dict(
        month=first_of_month, weeks=calendar_weeks(first_of_month, free, chosen_day), free_days=free,
        day=chosen_day, slots=slots, slot_buttons=slot_buttons(slots, zone),
        prev_month=prev_month if prev_month >= today.replace(day=1) else None,
        next_month=next_month if next_month <= horizon else None,
        today=today, tz=zone,
    )
