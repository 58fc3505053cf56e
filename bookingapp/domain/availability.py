"""The slot engine.

Two halves:

* pure functions over time intervals (UTC datetimes) that turn opening hours, working
  hours, busy blocks and booking settings into bookable start times; they never touch the
  database and are what the DST and buffer tests exercise directly;
* one loader, `load_inputs`, that reads everything those functions need in a fixed handful
  of queries whatever the number of days, staff or bookings (no query per slot or per day).

`find_availability` puts the two together and is what every front door calls.

The rule for a start time t of a service with duration d and buffers (before b, after a):
the service time [t, t + d) lies inside one of the staff member's working windows that
day, and the blocked time [t - b, t + d + a) overlaps no busy block (another active
booking's blocked time, an unexpired hold, or time off). Buffers may reach outside the
working window: a 09:00 opening still offers 09:00 to a service with set-up time.
"""
from __future__ import annotations

import random
import uuid
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import String, TypeDecorator, and_, not_, or_, select, type_coerce
from sqlalchemy.orm import Session

from bookingapp.domain.states import ACTIVE_STATUSES, BookingStatus
from bookingapp.models import Booking, Business, BusinessHours, Service, Staff, StaffHours, TimeOff, staff_services

Interval = tuple[datetime, datetime]
WeeklyHours = Mapping[int, Sequence[tuple[time, time]]]  # weekday (0 = Monday) -> windows

UTC = timezone.utc


# --------------------------------------------------------------------------- pure part


def local_day_bounds(day: date, tz: ZoneInfo) -> Interval:
    """The UTC instants at which a local calendar day starts and ends (23 or 25 hours long
    on DST change days)."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def local_windows(day: date, weekly: WeeklyHours, tz: ZoneInfo) -> list[Interval]:
    """Weekly wall-clock hours for one local date, as UTC intervals.

    Each boundary is converted on its own, so 09:00-18:00 stays 09:00-18:00 local on a DST
    change day (the UTC length of the window changes only if the change falls inside it).
    """
    windows = []
    for opens, closes in weekly.get(day.weekday(), ()):
        start = datetime.combine(day, opens, tzinfo=tz).astimezone(UTC)
        end = datetime.combine(day, closes, tzinfo=tz).astimezone(UTC)
        if start < end:
            windows.append((start, end))
    windows.sort()
    return windows


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersect(first: Sequence[Interval], second: Sequence[Interval]) -> list[Interval]:
    """Intersection of two sorted lists of disjoint intervals, in one linear sweep."""
    result: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if start < end:
            result.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return result


def _ceil_to_grid(origin: datetime, at_least: datetime, step: timedelta) -> datetime:
    """The first point origin + k*step (k >= 0) that is >= at_least."""
    if at_least <= origin:
        return origin
    steps = -((origin - at_least) // step)  # ceiling division on timedeltas
    return origin + steps * step


def free_starts(
    windows: Sequence[Interval],
    busy: Sequence[Interval],
    *,
    duration: timedelta,
    buffer_before: timedelta,
    buffer_after: timedelta,
    step: timedelta,
    earliest: datetime,
    latest: datetime,
) -> list[datetime]:
    """Start times on each window's grid (window start + k*step) that are free.

    `busy` must be sorted and merged. A busy block [s, e) rules out every start t in the
    open interval (s - duration - buffer_after, e + buffer_before). One pass over the
    windows and the busy blocks together: linear in slots plus bookings.
    """
    starts: list[datetime] = []
    forbidden = [(s - duration - buffer_after, e + buffer_before) for s, e in busy]
    i = 0
    for window_start, window_end in windows:
        last = min(window_end - duration, latest)
        t = _ceil_to_grid(window_start, earliest, step)
        while t <= last:
            while i < len(forbidden) and forbidden[i][1] <= t:
                i += 1
            if i < len(forbidden) and forbidden[i][0] < t:
                t = _ceil_to_grid(window_start, forbidden[i][1], step)
                continue
            starts.append(t)
            t += step
    return starts


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    # Everyone who can take the slot, best first by the business's assignment policy.
    staff_ids: tuple[uuid.UUID, ...]

    @property
    def staff_id(self) -> uuid.UUID:
        """The staff member the policy assigns when the customer chose "anyone"."""
        return self.staff_ids[0]


@dataclass
class Availability:
    service_id: uuid.UUID | None  # None: the generic grid of GENERIC_SLOT_MINUTES
    timezone: str
    days: dict[date, list[Slot]]

    @property
    def slots(self) -> list[Slot]:
        return [slot for day in sorted(self.days) for slot in self.days[day]]

    def find(self, start: datetime) -> Slot | None:
        for slot in self.slots:
            if slot.start == start:
                return slot
        return None


@dataclass
class StaffInput:
    id: uuid.UUID
    sort_order: int
    name: str
    weekly_hours: WeeklyHours | None  # None: works the business's opening hours


@dataclass
class AvailabilityInputs:
    """Everything the pure part needs, as plain values."""

    timezone: ZoneInfo
    business_hours: WeeklyHours
    slot_interval: timedelta
    min_notice: timedelta
    max_advance: timedelta
    assignment_policy: str
    duration: timedelta
    buffer_before: timedelta
    buffer_after: timedelta
    staff: list[StaffInput]
    busy: dict[uuid.UUID, list[Interval]] = field(default_factory=dict)
    business_closed: list[Interval] = field(default_factory=list)
    # Active bookings per staff member per local day, for the "balanced" policy.
    bookings_per_day: dict[tuple[uuid.UUID, date], int] = field(default_factory=dict)

    @property
    def fixed_rank(self) -> dict[uuid.UUID, int]:
        """Each staff member's place in the fixed order (sort order, then name)."""
        if not hasattr(self, "_fixed_rank"):
            ordered = sorted(self.staff, key=lambda s: (s.sort_order, s.name, str(s.id)))
            self._fixed_rank = {member.id: place for place, member in enumerate(ordered)}
        return self._fixed_rank


def order_staff(
    candidates: Iterable[uuid.UUID],
    *,
    policy: str,
    day: date,
    inputs: AvailabilityInputs,
    rng: random.Random,
) -> tuple[uuid.UUID, ...]:
    """Order the staff who can take a slot by the business's assignment policy."""
    rank = inputs.fixed_rank
    fixed = sorted(candidates, key=rank.__getitem__)
    if policy == "random":
        rng.shuffle(fixed)
        return tuple(fixed)
    if policy == "balanced":
        return tuple(sorted(fixed, key=lambda sid: inputs.bookings_per_day.get((sid, day), 0)))
    return tuple(fixed)


def compute_availability(
    inputs: AvailabilityInputs,
    *,
    service_id: uuid.UUID | None,
    first_day: date,
    last_day: date,
    now: datetime,
    rng: random.Random | None = None,
) -> Availability:
    """Free slots per local day, from first_day to last_day inclusive."""
    rng = rng or random.Random()
    tz = inputs.timezone
    earliest = now + inputs.min_notice
    latest = now + inputs.max_advance
    days: dict[date, list[Slot]] = {}
    # Merge each staff member's busy blocks once for the whole range; each day then takes
    # its slice by binary search, so the cost grows with days + bookings, not their product.
    busy_by_staff = {
        member.id: merge([*inputs.busy.get(member.id, ()), *inputs.business_closed]) for member in inputs.staff
    }
    busy_starts = {sid: [start for start, _ in blocks] for sid, blocks in busy_by_staff.items()}
    busy_ends = {sid: [end for _, end in blocks] for sid, blocks in busy_by_staff.items()}
    reach = inputs.duration + inputs.buffer_after + inputs.buffer_before
    day = first_day
    while day <= last_day:
        opening = local_windows(day, inputs.business_hours, tz)
        by_start: dict[datetime, list[uuid.UUID]] = defaultdict(list)
        if opening:
            for member in inputs.staff:
                windows = opening
                if member.weekly_hours is not None:
                    windows = intersect(local_windows(day, member.weekly_hours, tz), opening)
                if not windows:
                    continue
                blocks = busy_by_staff[member.id]
                first = bisect_right(busy_ends[member.id], windows[0][0] - reach)
                last = bisect_left(busy_starts[member.id], windows[-1][1] + reach)
                for start in free_starts(
                    windows,
                    blocks[first:last],
                    duration=inputs.duration,
                    buffer_before=inputs.buffer_before,
                    buffer_after=inputs.buffer_after,
                    step=inputs.slot_interval,
                    earliest=earliest,
                    latest=latest,
                ):
                    by_start[start].append(member.id)
        days[day] = [
            Slot(
                start=start,
                end=start + inputs.duration,
                staff_ids=order_staff(
                    by_start[start], policy=inputs.assignment_policy, day=day, inputs=inputs, rng=rng
                ),
            )
            for start in sorted(by_start)
        ]
        day += timedelta(days=1)
    return Availability(service_id=service_id, timezone=str(tz), days=days)


# --------------------------------------------------------------------------- loader

# Without a service (the API's availability with no service_id, as in the seed), slots are
# this long, with no buffers, for every active staff member who performs any service.
GENERIC_SLOT_MINUTES = 30


def _weekly(rows: Iterable[tuple[int, time, time]]) -> dict[int, list[tuple[time, time]]]:
    weekly: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for weekday, opens, closes in rows:
        weekly[weekday].append((opens, closes))
    return dict(weekly)


class _Raw(TypeDecorator):
    """No result processing: the loader converts values itself, faster, in bulk."""

    impl = String
    cache_ok = True


def _instant(value) -> datetime:
    """A UTC datetime from a raw column value: ISO text from SQLite, an aware datetime from psycopg."""
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")  # several times faster than .replace(tzinfo=)
    return value.astimezone(UTC)


def _local_day_starts(first_day: date, last_day: date, tz: ZoneInfo) -> tuple[list[datetime], list[date]]:
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    return [local_day_bounds(day, tz)[0] for day in days], days


def hold_is_live(now: datetime):
    """SQL condition: the booking occupies time (active, and not a hold that has run out)."""
    return and_(
        Booking.status.in_(ACTIVE_STATUSES),
        not_(and_(Booking.status == BookingStatus.HELD.value, Booking.hold_expires_at <= now)),
    )


def load_inputs(
    session: Session,
    business: Business,
    service: Service | None,
    first_day: date,
    last_day: date,
    *,
    now: datetime,
    staff_id: uuid.UUID | None = None,
    exclude_booking_ids: Sequence[uuid.UUID] = (),
) -> AvailabilityInputs:
    """Read what compute_availability needs: five queries, whatever the range."""
    tz = ZoneInfo(business.timezone)
    duration = service.duration_minutes if service else GENERIC_SLOT_MINUTES
    buffer_before = service.buffer_before_minutes if service else 0
    buffer_after = service.buffer_after_minutes if service else 0
    # A busy block [s, e) rules out starts in (s - duration - buffer_after, e + buffer_before),
    # so blocks ending up to buffer_before before the first day and starting up to
    # buffer_after after the last one still matter; the margin covers both sides generously.
    margin = timedelta(minutes=buffer_before + duration + buffer_after)
    range_start = local_day_bounds(first_day, tz)[0] - margin
    range_end = local_day_bounds(last_day, tz)[1] + margin

    business_hours = _weekly(
        session.execute(
            select(BusinessHours.weekday, BusinessHours.opens_at, BusinessHours.closes_at).where(
                BusinessHours.business_id == business.id
            )
        ).all()
    )

    performs = select(staff_services.c.staff_id).join(Service, Service.id == staff_services.c.service_id)
    performs = performs.where(Service.id == service.id) if service else performs.where(
        Service.is_active.is_(True), Service.deleted_at.is_(None)
    )
    staff_query = select(Staff.id, Staff.sort_order, Staff.name).where(
        Staff.id.in_(performs),
        Staff.business_id == business.id,
        Staff.is_active.is_(True),
        Staff.deleted_at.is_(None),
    )
    if staff_id is not None:
        staff_query = staff_query.where(Staff.id == staff_id)
    staff_rows = session.execute(staff_query).all()
    staff_ids = [row.id for row in staff_rows]

    hours_by_staff: dict[uuid.UUID, list[tuple[int, time, time]]] = defaultdict(list)
    busy: dict[uuid.UUID, list[Interval]] = defaultdict(list)
    per_day: dict[tuple[uuid.UUID, date], int] = defaultdict(int)
    closed: list[Interval] = []
    if staff_ids:
        for row in session.execute(
            select(StaffHours.staff_id, StaffHours.weekday, StaffHours.starts_at, StaffHours.ends_at).where(
                StaffHours.staff_id.in_(staff_ids)
            )
        ):
            hours_by_staff[row.staff_id].append((row.weekday, row.starts_at, row.ends_at))

        # The hot path: a month for many staff is thousands of rows. Columns are read raw
        # (no per-value UUID/timezone type processing) and converted by _instant, and each
        # row's local day is found by binary search over the days' UTC starts.
        staff_by_raw = {**{sid: sid for sid in staff_ids}, **{sid.hex: sid for sid in staff_ids}}
        day_starts, days = _local_day_starts(first_day, last_day, tz)
        booking_query = select(
            type_coerce(Booking.staff_id, _Raw()),
            type_coerce(Booking.blocked_from, _Raw()),
            type_coerce(Booking.blocked_until, _Raw()),
        ).where(
            Booking.staff_id.in_(staff_ids),
            hold_is_live(now),
            Booking.blocked_until > range_start,
            Booking.blocked_from < range_end,
        )
        if exclude_booking_ids:
            booking_query = booking_query.where(Booking.id.not_in(list(exclude_booking_ids)))
        for raw_staff, raw_from, raw_until in session.execute(booking_query):
            member = staff_by_raw[raw_staff]
            blocked_from = _instant(raw_from)
            busy[member].append((blocked_from, _instant(raw_until)))
            index = bisect_right(day_starts, blocked_from) - 1
            if 0 <= index < len(days):
                per_day[(member, days[index])] += 1

        for row in session.execute(
            select(TimeOff.staff_id, TimeOff.starts_at, TimeOff.ends_at).where(
                TimeOff.business_id == business.id,
                or_(TimeOff.staff_id.is_(None), TimeOff.staff_id.in_(staff_ids)),
                TimeOff.ends_at > range_start,
                TimeOff.starts_at < range_end,
            )
        ):
            if row.staff_id is None:
                closed.append((row.starts_at, row.ends_at))
            else:
                busy[row.staff_id].append((row.starts_at, row.ends_at))

    return AvailabilityInputs(
        timezone=tz,
        business_hours=business_hours,
        slot_interval=timedelta(minutes=business.slot_interval_minutes),
        min_notice=timedelta(minutes=business.min_notice_minutes),
        max_advance=timedelta(days=business.max_advance_days),
        assignment_policy=business.assignment_policy,
        duration=timedelta(minutes=duration),
        buffer_before=timedelta(minutes=buffer_before),
        buffer_after=timedelta(minutes=buffer_after),
        staff=[
            StaffInput(
                id=row.id,
                sort_order=row.sort_order,
                name=row.name,
                weekly_hours=_weekly(hours_by_staff[row.id]) if hours_by_staff.get(row.id) else None,
            )
            for row in staff_rows
        ],
        busy=dict(busy),
        business_closed=closed,
        bookings_per_day=dict(per_day),
    )


def find_availability(
    session: Session,
    business: Business,
    service: Service | None,
    first_day: date,
    last_day: date | None = None,
    *,
    now: datetime,
    staff_id: uuid.UUID | None = None,
    exclude_booking_ids: Sequence[uuid.UUID] = (),
    rng: random.Random | None = None,
    front_desk: bool = False,
) -> Availability:
    """Free slots for a service between two local dates (inclusive), for one staff member
    or for everyone who performs the service (service None: a generic 30-minute grid
    for everyone who performs any service). `front_desk`: the business's own people
    booking a walk-in or a phone call are not bound by the minimum notice meant for
    online bookings (everything else still applies)."""
    last_day = last_day or first_day
    # Nothing is bookable past the maximum advance (nor before now), so days outside that
    # horizon are empty without asking the database, and far-off dates such as 9999-12-31
    # never reach date arithmetic that would overflow.
    tz = ZoneInfo(business.timezone)
    horizon = (now + timedelta(days=business.max_advance_days)).astimezone(tz).date()
    today = now.astimezone(tz).date()
    open_first, open_last = max(first_day, today), min(last_day, horizon)
    if open_first > open_last:
        return Availability(service_id=service.id if service else None, timezone=business.timezone, days={
            day: [] for day in _days_between(first_day, last_day, limit=MAX_RANGE_DAYS)
        })
    inputs = load_inputs(
        session, business, service, open_first, open_last,
        now=now, staff_id=staff_id, exclude_booking_ids=exclude_booking_ids,
    )
    if front_desk:
        inputs.min_notice = timedelta(0)
    result = compute_availability(
        inputs, service_id=service.id if service else None, first_day=open_first, last_day=open_last, now=now, rng=rng
    )
    for day in _days_between(first_day, last_day, limit=MAX_RANGE_DAYS):
        result.days.setdefault(day, [])
    result.days = dict(sorted(result.days.items()))
    return result


# More days than any calendar view asks for; a guard against a runaway range.
MAX_RANGE_DAYS = 400


def _days_between(first_day: date, last_day: date, *, limit: int) -> list[date]:
    count = min((last_day - first_day).days + 1, limit)
    return [first_day + timedelta(days=n) for n in range(max(count, 0))]


def local_date_of(instant: datetime, business: Business) -> date:
    return instant.astimezone(ZoneInfo(business.timezone)).date()


def available_days(
    session: Session,
    business: Business,
    service: Service | None,
    first_day: date,
    last_day: date,
    *,
    now: datetime,
    staff_id: uuid.UUID | None = None,
    exclude_booking_ids: Sequence[uuid.UUID] = (),
) -> set[date]:
    """The local dates from first_day to last_day (inclusive) with at least one free slot:
    the same answer as the days of find_availability that have slots, for the month
    calendar, which only needs to know whether a day has any free time."""
    result = find_availability(
        session, business, service, first_day, last_day,
        now=now, staff_id=staff_id, exclude_booking_ids=exclude_booking_ids,
    )
    return {day for day, slots in result.days.items() if slots}
