"""The slot engine.

Two halves:

* pure functions over time intervals (UTC datetimes) that turn opening hours, working
  hours, busy blocks and booking settings into bookable start times; they never touch the
  database and are what the DST and buffer tests exercise directly;
* one loader, `load_inputs`, that reads everything those functions need in a fixed handful
  of queries whatever the number of days, staff or bookings (no query per slot or per day).

`find_availability` puts the two together and is what every front door calls;
`available_days` answers the month calendar's "which days have any free time" from the
same loader, stopping at each day's first free start.

The engine itself (compute_availability) walks integer microseconds with one forward
cursor per staff member instead of merging and slicing datetimes per day; `merge` and
`free_starts` remain as the plain statement of the rule, and the tests check the engine
against them on random worlds (tests/domain/test_available_days.py).

The rule for a start time t of a service with duration d and buffers (before b, after a):
the service time [t, t + d) lies inside one of the staff member's working windows that
day, and the blocked time [t - b, t + d + a) overlaps no busy block (another active
booking's blocked time, an unexpired hold, or time off). Buffers may reach outside the
working window: a 09:00 opening still offers 09:00 to a service with set-up time.
"""
from __future__ import annotations

import random
import uuid
from bisect import bisect_left
from collections import defaultdict
from operator import itemgetter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger, Boolean, DateTime, String, and_, bindparam, cast, exists, func, literal_column, not_, null, or_,
    select, type_coerce, union_all,
)
from sqlalchemy import Interval as SqlInterval
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.orm import Session

from bookingapp.domain.assignment import assignment_policy
from bookingapp.domain.locations import location_timezone, primary_location
from bookingapp.domain.states import ACTIVE_STATUSES, BookingStatus
from bookingapp.models import (
    Booking, Business, BusinessHours, Location, LocationHours, Service, Staff, StaffHours, TimeOff, service_locations,
    staff_locations, staff_services,
)

Interval = tuple[datetime, datetime]
MicroInterval = tuple[int, int]  # UTC microseconds since the epoch
WeeklyHours = Mapping[int, Sequence[tuple[time, time]]]  # weekday (0 = Monday) -> windows

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_micros(instant: datetime) -> int:
    """An aware datetime as whole UTC microseconds since the epoch (exact)."""
    return (instant - _EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    """The aware UTC datetime of to_micros's integer."""
    return _EPOCH + timedelta(microseconds=micros)


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
    # Busy blocks as UTC microseconds since the epoch (see to_micros), not datetimes: the
    # engine compares and steps through thousands of them, and integers are several times
    # cheaper than aware datetimes; the loader reads them as integers straight from SQL.
    # On PostgreSQL, bookings closer together than a slot needs come merged (_island_statement).
    busy: dict[uuid.UUID, list[MicroInterval]] = field(default_factory=dict)
    business_closed: list[MicroInterval] = field(default_factory=list)
    # Active bookings per staff member per local day, read for the "balanced" policy only.
    bookings_per_day: dict[tuple[uuid.UUID, date], int] = field(default_factory=dict)
    # Staff with a hold that ran out (still marked held) in the range: read for placements only.
    run_out_hold_staff: set[uuid.UUID] = field(default_factory=set)

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


def _first_free_or_all(
    windows: Sequence[MicroInterval],
    blocks: Sequence[MicroInterval],
    cursor: int,
    *,
    reach: int,
    buffer_before: int,
    step: int,
    duration: int,
    earliest: int,
    latest: int,
    found: list[int] | None,
) -> tuple[int, bool]:
    """free_starts over unmerged blocks sorted by start, walking a cursor that only moves
    forward; with found None it stops at the first free start (all available_days needs).
    Every value is an integer of UTC microseconds (to_micros).

    A block [s, e) rules out a start t when s < t + reach (reach = duration + buffer after)
    and t - buffer_before < e. The cursor skips blocks that end at or before t - buffer_before:
    they rule out no later t either, as t only grows (within a window, and from one day to
    the next). The first block not skipped is the only one to check: every later block
    starts no earlier, so if it starts too late for t, they all do. Merging is not needed
    (touching or overlapping blocks rule out the same starts as their union, duration > 0),
    and the comparisons need no arithmetic per block. Returns the cursor to resume from and
    whether a free start was found."""
    day_cursor = cursor
    any_free = False
    count = len(blocks)
    for window_start, window_end in windows:
        i = day_cursor  # each window from the day's cursor: windows may (oddly) overlap
        last = window_end - duration
        if latest < last:
            last = latest
        t = window_start if earliest <= window_start else _ceil_to_grid(window_start, earliest, step)
        while t <= last:
            back = t - buffer_before
            while i < count and blocks[i][1] <= back:
                i += 1
            if i < count and blocks[i][0] < t + reach:
                # The next start on the window's grid at or after the block's end (plus
                # buffer): _ceil_to_grid inlined, as that point is always past window_start.
                t = window_start - ((window_start - blocks[i][1] - buffer_before) // step) * step
                continue
            any_free = True
            if found is None:
                break
            found.append(t)
            t += step
        if i > cursor:
            cursor = i
        if any_free and found is None:
            break
    return cursor, any_free


class _Plan:
    """What both compute_availability and available_days walk: per staff member, every
    busy block (bookings, their time off and the business's closures) sorted once by start
    for the whole range, and each day's working windows, all in integer microseconds."""

    def __init__(self, inputs: AvailabilityInputs, now: datetime):
        self.inputs = inputs
        self.earliest = to_micros(now + inputs.min_notice)
        self.latest = to_micros(now + inputs.max_advance)
        self.duration = inputs.duration // _MICROSECOND
        self.reach = (inputs.duration + inputs.buffer_after) // _MICROSECOND
        self.buffer_before = inputs.buffer_before // _MICROSECOND
        self.step = inputs.slot_interval // _MICROSECOND
        closed = inputs.business_closed
        start_of = _start_of
        self.blocks: dict[uuid.UUID, list[Interval]] = {}
        for member in inputs.staff:
            own = inputs.busy.get(member.id, ())
            # The loader's rows come mostly in index order (staff, start): sorting an
            # already sorted list is a single linear pass.
            self.blocks[member.id] = sorted([*own, *closed], key=start_of) if closed or own else []
        self.cursor = {member.id: 0 for member in inputs.staff}

    def opening(self, day: date) -> list[Interval]:
        return local_windows(day, self.inputs.business_hours, self.inputs.timezone)

    def windows(self, day: date, member: StaffInput, opening: list[Interval]) -> list[MicroInterval]:
        if member.weekly_hours is not None:
            opening = intersect(local_windows(day, member.weekly_hours, self.inputs.timezone), opening)
        return [(to_micros(start), to_micros(end)) for start, end in opening]

    def walk(self, member: StaffInput, windows: list[MicroInterval], found: list[int] | None) -> bool:
        cursor, any_free = _first_free_or_all(
            windows, self.blocks[member.id], self.cursor[member.id],
            reach=self.reach, buffer_before=self.buffer_before, step=self.step,
            duration=self.duration, earliest=self.earliest, latest=self.latest, found=found,
        )
        self.cursor[member.id] = cursor
        return any_free


_start_of = itemgetter(0)  # an interval's start (C-level, for sort keys and maps)


def _days(first_day: date, last_day: date) -> Iterable[date]:
    day = first_day
    while day <= last_day:
        yield day
        day += timedelta(days=1)


def compute_availability(
    inputs: AvailabilityInputs,
    *,
    service_id: uuid.UUID | None,
    first_day: date,
    last_day: date,
    now: datetime,
    rng: random.Random | None = None,
) -> Availability:
    """Free slots per local day, from first_day to last_day inclusive.

    Each staff member's busy blocks are sorted once for the whole range and walked with a
    cursor that only moves forward, day after day, so the cost grows with days + slots +
    bookings, never their product."""
    rng = rng or random.Random()
    tz = inputs.timezone
    plan = _Plan(inputs, now)
    policy = inputs.assignment_policy
    # Staff are walked in the fixed order, so each slot's list of candidates is already in
    # that order: order_staff's answer for "fixed_order" and its starting point for the
    # others, worked out here without a sort per slot where that gives the same tuple.
    rank = inputs.fixed_rank
    members = sorted(inputs.staff, key=lambda member: rank[member.id])
    days: dict[date, list[Slot]] = {}
    for day in _days(first_day, last_day):
        opening = plan.opening(day)
        by_start: dict[int, list[uuid.UUID]] = defaultdict(list)
        if opening:
            for member in members:
                windows = plan.windows(day, member, opening)
                if not windows:
                    continue
                found: list[int] = []
                plan.walk(member, windows, found)
                for start in found:
                    by_start[start].append(member.id)
        if policy == "balanced":
            # sorted() is stable: fewest bookings that day first, ties in the fixed order.
            load = {member.id: inputs.bookings_per_day.get((member.id, day), 0) for member in members}
        slots = []
        for start in sorted(by_start):
            candidates = by_start[start]
            if len(candidates) == 1 or policy not in ("random", "balanced"):
                staff_ids = tuple(candidates)
            elif policy == "balanced":
                staff_ids = tuple(sorted(candidates, key=load.__getitem__))
            else:
                staff_ids = order_staff(candidates, policy=policy, day=day, inputs=inputs, rng=rng)
            instant = from_micros(start)
            slots.append(Slot(start=instant, end=instant + inputs.duration, staff_ids=staff_ids))
        days[day] = slots
    return Availability(service_id=service_id, timezone=str(tz), days=days)


def compute_available_days(inputs: AvailabilityInputs, *, first_day: date, last_day: date, now: datetime) -> set[date]:
    """The days of compute_availability that have a slot, without building the slots: each
    staff member's walk stops at their first free start of the day, and once one member
    is free the day is known free and the others are not asked."""
    plan = _Plan(inputs, now)
    free: set[date] = set()
    for day in _days(first_day, last_day):
        opening = plan.opening(day)
        if not opening:
            continue
        for member in inputs.staff:
            windows = plan.windows(day, member, opening)
            if windows and plan.walk(member, windows, None):
                free.add(day)
                break
    return free


# --------------------------------------------------------------------------- loader

# Without a service (the API's availability with no service_id, as in the seed), slots are
# this long, with no buffers, for every active staff member who performs any service.
GENERIC_SLOT_MINUTES = 30


def _weekly(rows: Iterable[tuple[int, time, time]]) -> dict[int, list[tuple[time, time]]]:
    weekly: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for weekday, opens, closes in rows:
        weekly[weekday].append((opens, closes))
    return dict(weekly)


_NAIVE_EPOCH = datetime(1970, 1, 1)


def _micros_from_sqlite_text(value: str, _parse=datetime.fromisoformat, _epoch=_NAIVE_EPOCH, _unit=_MICROSECOND) -> int:
    return (_parse(value) - _epoch) // _unit


class _busy_blocks(FunctionElement):
    """SQL aggregate: one text per staff member, their blocks' start and end times joined by
    commas (start, end, start, end, ...), so that a busy month arrives as one row per staff
    member rather than 155,000 row tuples (fifth pass, docs/performance.md). In no particular
    order: the loader sorts each member's blocks.

    PostgreSQL: whole UTC microseconds since the epoch. `date_part` (float8) rather than
    `EXTRACT` (numeric, which cost more than the rest of the aggregate): the float8 is the
    correctly rounded quotient of the exact integer microseconds by 10^6, within 0.12 us of
    it before 2038 and 0.24 us before 2106, and the product by 10^6 adds at most 0.25 us,
    so ROUND gives the exact integer back (tests/domain/test_availability_exactness.py).
    SQLite: the stored UTC text ('YYYY-MM-DD HH:MM:SS.ffffff'), parsed by the loader once
    per distinct value. Computing the number in SQLite cost more than the parse, and
    unixepoch() rounds to the millisecond (.9996 s reads as the next second)."""

    type = String()
    name = "busy_blocks"
    inherit_cache = True


@compiles(_busy_blocks)
def _busy_blocks_postgresql(element, compiler, **kw):
    starts, ends = (compiler.process(clause, **kw) for clause in element.clauses)
    micros = "CAST(ROUND(date_part('epoch', {}) * 1000000) AS BIGINT)"
    return f"string_agg({micros.format(starts)} || ',' || {micros.format(ends)}, ',')"


@compiles(_busy_blocks, "sqlite")
def _busy_blocks_sqlite(element, compiler, **kw):
    starts, ends = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"group_concat({starts} || ',' || {ends}, ',')"


def _day_bounds(first_day: date, last_day: date, tz: ZoneInfo) -> tuple[list[datetime], list[date]]:
    """The local days from first_day to last_day, and their bounds: each day's local
    midnight (UTC) and then the end of the last day, one more bound than days."""
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    return [local_day_bounds(day, tz)[0] for day in days] + [local_day_bounds(last_day, tz)[1]], days


def _bookings_per_day(busy: dict[uuid.UUID, list[MicroInterval]], bounds: list[datetime],
                      days: list[date]) -> dict[tuple[uuid.UUID, date], int]:
    """Active bookings per staff member per local day (for the "balanced" policy), by
    binary search in each member's sorted starts (each block one booking: SQLite's read)."""
    day_starts = [to_micros(bound) for bound in bounds]
    per_day: dict[tuple[uuid.UUID, date], int] = {}
    for member, member_blocks in busy.items():
        starts = list(map(_start_of, member_blocks))
        below = bisect_left(starts, day_starts[0])
        for index, day in enumerate(days):
            above = bisect_left(starts, day_starts[index + 1], below)
            if above > below:
                per_day[(member, day)] = above - below
            below = above
    return per_day


def _bookings_per_day_from_firsts(member: uuid.UUID, firsts: str, last: int,
                                  days: list[date]) -> dict[tuple[uuid.UUID, date], int]:
    """_bookings_per_day for one member from _island_statement's counting columns: "day:
    position" of the member's first block each day (day 1 the first; 0 before it and one
    past the last day after it), in no particular order, and the position of the member's
    last block."""
    marks = sorted((tuple(map(int, mark.split(":"))) for mark in firsts.split(",")), key=itemgetter(1))
    counts = {}
    for (day, first), (_, next_first) in zip(marks, [*marks[1:], (0, last + 1)]):
        if 1 <= day <= len(days):
            counts[(member, days[day - 1])] = next_first - first
    return counts


def hold_is_live(now: datetime):
    """SQL condition: the booking occupies time (active, and not a hold that has run out)."""
    return and_(
        Booking.status.in_(ACTIVE_STATUSES),
        not_(and_(Booking.status == BookingStatus.HELD.value, Booking.hold_expires_at <= now)),
    )


# The loader's statements, built once at import with bind parameters, so that each call
# only binds values and hits SQLAlchemy's compiled cache: building and cache-keying the
# five SELECTs afresh cost about 2 ms a call, more than running them. They are Core
# statements over the tables (no ORM entity, so no per-row ORM processing); the SQL is
# the same as the ORM queries it replaced. Bound values: business_id, location_id,
# location_is_primary, service_id, staff_id, staff_ids (a list), now, range_start,
# range_end, exclude (a list).
#
# Locations (models.location) are bound values too, so answering for a branch costs the
# same statements: the location's own hours or else the business's in one UNION,
# staff who work there (linked to it, or linked nowhere and it is the primary) performing
# a service offered there (no service_locations rows, or one for it), their hours there
# (rows of this location, or location-less rows at the primary), and closures of the
# whole business or of this location. Busy blocks are read per staff member whatever
# the location: one person is never in two branches at once.
_bh = BusinessHours.__table__.c
_st = Staff.__table__.c
_sv = Service.__table__.c
_sh = StaffHours.__table__.c
_bk = Booking.__table__.c
_to = TimeOff.__table__.c
_ss = staff_services.c
_lh = LocationHours.__table__.c
_sl = staff_locations.c
_svl = service_locations.c
_AT_PRIMARY = bindparam("location_is_primary", type_=Boolean)

# `own` tells the location's rows from the business's: with any of its own, only those count.
_HOURS_STATEMENT = union_all(
    select(literal_column("1").label("own"), _lh.weekday, _lh.opens_at, _lh.closes_at)
    .where(_lh.location_id == bindparam("location_id")),
    select(literal_column("0").label("own"), _bh.weekday, _bh.opens_at, _bh.closes_at)
    .where(_bh.business_id == bindparam("business_id")),
)


def _staff_statement(by_service: bool, one_staff: bool):
    performs = select(_ss.staff_id).join(Service.__table__, _sv.id == _ss.service_id).where(or_(
        ~exists().where(_svl.service_id == _sv.id),
        exists().where(_svl.service_id == _sv.id, _svl.location_id == bindparam("location_id")),
    ))
    performs = performs.where(_sv.id == bindparam("service_id")) if by_service else performs.where(
        _sv.is_active.is_(True), _sv.deleted_at.is_(None)
    )
    columns = [_st.id, _st.sort_order, _st.name]
    if by_service:
        # The service's own length at this location (domain.service_terms), read with the
        # staff rather than in a statement of its own: NULL is the service's own length. With
        # nobody to offer, no slot needs the length at all.
        columns.append(select(_svl.duration_minutes).where(
            _svl.service_id == bindparam("service_id"), _svl.location_id == bindparam("location_id"),
        ).scalar_subquery().label("minutes_here"))
    statement = select(*columns).where(
        _st.id.in_(performs),
        _st.business_id == bindparam("business_id"),
        _st.is_active.is_(True),
        _st.deleted_at.is_(None),
        or_(
            exists().where(_sl.staff_id == _st.id, _sl.location_id == bindparam("location_id")),
            and_(_AT_PRIMARY, ~exists().where(_sl.staff_id == _st.id)),
        ),
    )
    return statement.where(_st.id == bindparam("staff_id")) if one_staff else statement


_STAFF_STATEMENTS = {(by, one): _staff_statement(by, one) for by in (False, True) for one in (False, True)}

_STAFF_HOURS_STATEMENT = select(_sh.staff_id, _sh.weekday, _sh.starts_at, _sh.ends_at).where(
    _sh.staff_id.in_(bindparam("staff_ids", expanding=True)),
    or_(_sh.location_id == bindparam("location_id"), and_(_sh.location_id.is_(None), _AT_PRIMARY)),
)


def _live_blocks(excluding: bool) -> list:
    """The WHERE of the busy-time read: the staff members' blocks that occupy time
    (hold_is_live(now), over the table's columns) and reach into the range."""
    conditions = [
        _bk.staff_id.in_(bindparam("staff_ids", expanding=True)),
        _bk.status.in_(ACTIVE_STATUSES),
        not_(and_(_bk.status == BookingStatus.HELD.value, _bk.hold_expires_at <= bindparam("now"))),
        _bk.blocked_until > bindparam("range_start"),
        _bk.blocked_from < bindparam("range_end"),
    ]
    if excluding:
        conditions.append(_bk.id.not_in(bindparam("exclude", expanding=True)))
    return conditions


def _booking_statement(excluding: bool):
    # The hot path: a month for many staff is thousands of bookings. One row per staff
    # member (_busy_blocks): the staff id as text (looked up in a dict of both spellings)
    # and their blocks as one string, split in C. No ORDER BY: on PostgreSQL, sorting
    # 155,000 rows (50 staff, a busy month) spilled to disk and cost more than the query;
    # the loader sorts each member's blocks itself, and they mostly arrive in index order
    # (staff_id, blocked_from), which Python's sort takes in one linear pass. The last three
    # columns are _island_statement's.
    return select(
        literal_column("'booked'"),
        type_coerce(cast(_bk.staff_id, String), String),
        _busy_blocks(_bk.blocked_from, _bk.blocked_until),
        null(),
        null(),
        null(),
    ).where(*_live_blocks(excluding)).group_by(_bk.staff_id)


def _micros_postgresql(column):
    """Whole UTC microseconds since the epoch, as _busy_blocks makes them on PostgreSQL."""
    return cast(func.round(func.date_part(literal_column("'epoch'"), column) * literal_column("1000000")), BigInteger)


def _island_statement(excluding: bool, counting: bool):
    """PostgreSQL's busy-time read: _booking_statement's rows, with each staff member's
    blocks merged into islands wherever the gap between two is too short for a slot
    (issue 13, eighth pass). A busy month of 50 staff is 155,000 blocks but 1,550
    islands, and the blocks' conversion, transfer, parsing and walk were most of its time.

    A block [s, e) rules out the starts t in (s - reach, e + before), reach being the
    service's length plus its buffer after and `before` its buffer before. For two blocks
    one after the other (e1 <= s2), those two ranges of starts overlap exactly when
    s2 - e1 < reach + before, and then together they rule out what [s1, e2) rules out:
    so blocks closer than `merge_gap` (= reach + before, bound per call) merge, and the
    answer is the same to the microsecond. A gap of exactly merge_gap keeps its one start.

    One pass of window functions over the covering index (staff_id, blocked_from, ...),
    without a sort: a block opens an island if the block before it ends merge_gap or more
    earlier, and closes one if the block after it starts merge_gap or more later. lag and
    lead suffice, rather than a running maximum of the ends, because a staff member's
    active blocks never overlap: the exclusion constraint ex_bookings_staff_no_overlap
    forbids it, and the blocks read here are some of those. The third column lists the
    islands' starts and the fourth their ends, each in no particular order: islands are
    disjoint, so the loader sorts each list and pairs them in order (an ORDER BY in the
    aggregates cost a quarter of the statement).

    `counting` (the "balanced" policy, which orders staff by their bookings that day):
    the bookings per local day come with the islands. Each block's day is its start's
    bucket among `day_bounds` (the local midnights, UTC, and the end of the last day:
    width_bucket, 1 for the first day); the fifth column lists "day:position" for each
    member's first block of each day, positions counting the member's blocks in order, and
    the sixth is the member's last position, so a day's count is the next first position
    minus its own."""
    window = {"partition_by": _bk.staff_id, "order_by": _bk.blocked_from}
    columns = [
        _bk.staff_id, _bk.blocked_from, _bk.blocked_until,
        func.lag(_bk.blocked_until).over(**window).label("until_before"),
        func.lead(_bk.blocked_from).over(**window).label("from_after"),
    ]
    if counting:
        day = func.width_bucket(_bk.blocked_from, bindparam("day_bounds", type_=ARRAY(DateTime(timezone=True))))
        columns += [
            day.label("day"),
            func.lag(day).over(**window).label("day_before"),
            func.row_number().over(**window).label("position"),
        ]
    live = select(*columns).where(*_live_blocks(excluding)).subquery("live")
    gap = bindparam("merge_gap", type_=SqlInterval())
    # Worked out once per block, in a subquery of their own, then read as booleans.
    flags = [
        or_(live.c.until_before.is_(None), live.c.blocked_from - live.c.until_before >= gap).label("opens"),
        or_(live.c.from_after.is_(None), live.c.from_after - live.c.blocked_until >= gap).label("closes"),
    ]
    if counting:
        flags.append(live.c.day_before.is_distinct_from(live.c.day).label("new_day"))
        flags += [live.c.day, live.c.position]
    marked = select(live.c.staff_id, live.c.blocked_from, live.c.blocked_until, *flags).subquery("marked")
    edges = [
        func.string_agg(cast(_micros_postgresql(marked.c.blocked_from), String), literal_column("','"))
        .filter(marked.c.opens),
        func.string_agg(cast(_micros_postgresql(marked.c.blocked_until), String), literal_column("','"))
        .filter(marked.c.closes),
    ]
    staff = type_coerce(cast(marked.c.staff_id, String), String)
    if not counting:
        return select(literal_column("'booked'"), staff, *edges, null(), null()).where(
            or_(marked.c.opens, marked.c.closes),
        ).group_by(marked.c.staff_id)
    firsts = func.string_agg(func.concat(marked.c.day, ":", marked.c.position), literal_column("','")).filter(
        marked.c.new_day,
    )
    # The member's last block always closes an island, so it is kept and max() sees it.
    return select(literal_column("'booked'"), staff, *edges, firsts, func.max(marked.c.position)).where(
        or_(marked.c.opens, marked.c.closes, marked.c.new_day),
    ).group_by(marked.c.staff_id)


# Time off in the same shape, in the same statement (one round trip fewer for every
# availability answer and every hold, issue 13, seventh pass): one row per staff member
# with time off, and one (staff NULL) for the closures of the whole business or of this
# location.
_TIME_OFF_BLOCKS = select(
    literal_column("'off'"),
    type_coerce(cast(_to.staff_id, String), String),
    _busy_blocks(_to.starts_at, _to.ends_at),
    null(),
    null(),
    null(),
).where(
    _to.business_id == bindparam("business_id"),
    or_(
        and_(_to.staff_id.is_(None), or_(_to.location_id.is_(None), _to.location_id == bindparam("location_id"))),
        _to.staff_id.in_(bindparam("staff_ids", expanding=True)),
    ),
    _to.ends_at > bindparam("range_start"),
    _to.starts_at < bindparam("range_end"),
).group_by(_to.staff_id)

# For a placement (load_inputs' `run_out_holds`): which staff members have a hold that has
# run out but is still marked held within the range, where it would refuse the insert
# (the no-overlap rule counts it until it is marked expired). Almost always nobody, and then
# the placement skips its expiry read (domain.booking._place, issue 13, eighth pass).
_RUN_OUT_HOLDS = select(
    literal_column("'run_out'"), type_coerce(cast(_bk.staff_id, String), String), null(), null(), null(), null(),
).where(
    _bk.staff_id.in_(bindparam("staff_ids", expanding=True)),
    _bk.status == BookingStatus.HELD.value,
    _bk.hold_expires_at <= bindparam("now"),
    _bk.blocked_until > bindparam("range_start"),
    _bk.blocked_from < bindparam("range_end"),
).group_by(_bk.staff_id)


def _busy_statement(excluding: bool, islands: bool, counting: bool, run_out_holds: bool):
    bookings = _island_statement(excluding, counting) if islands else _booking_statement(excluding)
    return union_all(bookings, _TIME_OFF_BLOCKS, *([_RUN_OUT_HOLDS] if run_out_holds else []))


# Keyed by (excluding some bookings, islands, counting, run-out holds): SQLite reads every
# block, PostgreSQL islands with or without the bookings per day.
_BUSY_STATEMENTS = {
    (excluding, islands, counting, run_out): _busy_statement(excluding, islands, counting, run_out)
    for excluding in (False, True) for islands in (False, True) for counting in (False, True)
    for run_out in (False, True) if islands or not counting
}


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
    location: Location | None = None,
    assignment: str | None = None,
    duration_minutes: int | None = None,
    run_out_holds: bool = False,
    ordered: bool = True,
) -> AvailabilityInputs:
    """Read what compute_availability needs: four queries, whatever the range. `location`
    None: the business's primary (loaded with the business, so it costs no query).
    `assignment`: this request's policy (domain.assignment), else the business's. The
    service's length is its length at the location (domain.service_terms), read with the
    staff; `duration_minutes` overrides it when the caller has read the terms already.
    `run_out_holds` (a placement): also which staff have holds that ran out in the range
    (AvailabilityInputs.run_out_hold_staff), in the same statement as the busy time.
    `ordered=False`: the caller does not order staff (available_days only asks whether a
    day has a free start), so the "balanced" policy's bookings per day are not counted:
    on PostgreSQL over a quarter of a busy month's statement (docs/performance.md, issue
    13, ninth pass)."""
    location = location or primary_location(session, business)
    tz = location_timezone(business, location)
    policy = assignment_policy(business, assignment)  # checked before any query
    buffer_before = service.buffer_before_minutes if service else 0
    buffer_after = service.buffer_after_minutes if service else 0

    # Core statements skip the ORM's autoflush: flush here, as the first ORM query did,
    # so that a booking added but not yet flushed in this session is seen.
    if session.autoflush:
        session.flush()
    connection = session.connection(bind_arguments={"mapper": Booking})
    at = {"location_id": location.id, "location_is_primary": location.is_primary}
    hour_rows = connection.execute(_HOURS_STATEMENT, {"business_id": business.id, **at}).all()
    own = [row for row in hour_rows if row.own]
    business_hours = _weekly((row.weekday, row.opens_at, row.closes_at) for row in (own or hour_rows))

    staff_params = {"business_id": business.id, **at}
    if service is not None:
        staff_params["service_id"] = service.id
    if staff_id is not None:
        staff_params["staff_id"] = staff_id
    staff_rows = connection.execute(
        _STAFF_STATEMENTS[(service is not None, staff_id is not None)], staff_params
    ).all()
    staff_ids = [row.id for row in staff_rows]
    if service is None:
        duration = GENERIC_SLOT_MINUTES
    elif duration_minutes is not None:
        duration = duration_minutes
    else:
        here = staff_rows[0].minutes_here if staff_rows else None
        duration = service.duration_minutes if here is None else here
    # A busy block [s, e) rules out starts in (s - duration - buffer_after, e + buffer_before),
    # so blocks ending up to buffer_before before the first day and starting up to
    # buffer_after after the last one still matter; the margin covers both sides generously.
    margin = timedelta(minutes=buffer_before + duration + buffer_after)
    range_start = local_day_bounds(first_day, tz)[0] - margin
    range_end = local_day_bounds(last_day, tz)[1] + margin

    hours_by_staff: dict[uuid.UUID, list[tuple[int, time, time]]] = defaultdict(list)
    run_out: set[uuid.UUID] = set()
    busy: dict[uuid.UUID, list[MicroInterval]] = {}
    per_day: dict[tuple[uuid.UUID, date], int] = {}
    closed: list[MicroInterval] = []
    if staff_ids:
        for row in connection.execute(_STAFF_HOURS_STATEMENT, {"staff_ids": staff_ids, **at}):
            hours_by_staff[row.staff_id].append((row.weekday, row.starts_at, row.ends_at))

        # The raw staff id is SQLite's 32-digit hex or PostgreSQL's dashed text.
        staff_by_raw = {**{sid.hex: sid for sid in staff_ids}, **{str(sid): sid for sid in staff_ids}}
        params = {"staff_ids": staff_ids, "now": now, "range_start": range_start, "range_end": range_end,
                  "business_id": business.id, "location_id": location.id}
        if exclude_booking_ids:
            params["exclude"] = list(exclude_booking_ids)
        # PostgreSQL merges each member's blocks into islands (_island_statement), with the
        # bookings per day when the "balanced" policy needs them; SQLite reads every block.
        islands = connection.dialect.name == "postgresql"
        counting = ordered and policy == "balanced"
        if counting:
            bounds, days = _day_bounds(first_day, last_day, tz)
        if islands:
            params["merge_gap"] = margin  # reach + buffer before: see _island_statement
            if counting:
                params["day_bounds"] = bounds
        result = connection.execute(
            _BUSY_STATEMENTS[(bool(exclude_booking_ids), islands, islands and counting, run_out_holds)], params
        )
        # The driver's own tuples (text needs no result processing): one per staff member
        # with bookings, their blocks in one string, split in C and paired with C-level
        # map and zip rather than a Python loop per block (for a busy month, 155,000 row
        # tuples and the per-row work were most of the loader's time); then the time off,
        # the same way.
        try:
            rows = result.cursor.fetchall() if result.cursor is not None else []
        finally:
            result.close()
        run_out = {staff_by_raw[raw_staff] for kind, raw_staff, *_ in rows if kind == "run_out"}
        if run_out_holds:
            rows = [row for row in rows if row[0] != "run_out"]
        values = [row[2].split(",") for row in rows]
        if connection.dialect.name == "sqlite":
            # Staff share the grid's times, so most texts repeat: each is parsed once.
            texts = set().union(*values)
            to_number = dict(zip(texts, map(_micros_from_sqlite_text, texts))).__getitem__
        else:
            to_number = int  # already whole microseconds
        time_off: list[tuple[str | None, list[MicroInterval]]] = []
        for (kind, raw_staff, _, island_ends, firsts, last), member_values in zip(rows, values):
            if island_ends is not None:
                # PostgreSQL's islands: their starts and their ends, each sorted, pair in order.
                member_blocks = list(zip(sorted(map(int, member_values)), sorted(map(int, island_ends.split(",")))))
            else:
                numbers = map(to_number, member_values)
                member_blocks = list(zip(numbers, numbers))  # (start, end), (start, end), ...
            if kind != "booked":
                time_off.append((raw_staff, member_blocks))
                continue
            member_blocks.sort()  # by start (then end); usually sorted already, a linear pass
            member = staff_by_raw[raw_staff]
            busy[member] = member_blocks
            if firsts is not None:
                per_day.update(_bookings_per_day_from_firsts(member, firsts, last, days))
        if counting and not islands:
            per_day = _bookings_per_day(busy, bounds, days)

        for raw_staff, blocks in time_off:
            if raw_staff is None:
                closed.extend(blocks)
            else:
                busy.setdefault(staff_by_raw[raw_staff], []).extend(blocks)

    return AvailabilityInputs(
        timezone=tz,
        business_hours=business_hours,
        slot_interval=timedelta(minutes=business.slot_interval_minutes),
        min_notice=timedelta(minutes=business.min_notice_minutes),
        max_advance=timedelta(days=business.max_advance_days),
        assignment_policy=policy,
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
        busy=busy,
        business_closed=closed,
        bookings_per_day=per_day,
        run_out_hold_staff=run_out,
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
    location: Location | None = None,
    assignment: str | None = None,
) -> Availability:
    """Free slots for a service between two local dates (inclusive), for one staff member
    or for everyone who performs the service (service None: a generic 30-minute grid
    for everyone who performs any service). `front_desk`: the business's own people
    booking a walk-in or a phone call are not bound by the minimum notice meant for
    online bookings (everything else still applies). `location` None: the primary; days
    are the location's local days. `assignment`: how "anyone" is ordered for this request
    (domain.assignment), else by the business's policy."""
    last_day = last_day or first_day
    location = location or primary_location(session, business)
    # Nothing is bookable past the maximum advance (nor before now), so days outside that
    # horizon are empty without asking the database, and far-off dates such as 9999-12-31
    # never reach date arithmetic that would overflow.
    tz = location_timezone(business, location)
    horizon = (now + timedelta(days=business.max_advance_days)).astimezone(tz).date()
    today = now.astimezone(tz).date()
    open_first, open_last = max(first_day, today), min(last_day, horizon)
    if open_first > open_last:
        return Availability(service_id=service.id if service else None, timezone=str(tz), days={
            day: [] for day in _days_between(first_day, last_day, limit=MAX_RANGE_DAYS)
        })
    inputs = load_inputs(
        session, business, service, open_first, open_last,
        now=now, staff_id=staff_id, exclude_booking_ids=exclude_booking_ids, location=location,
        assignment=assignment,
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


def local_date_of(instant: datetime, business: Business, location: Location | None = None) -> date:
    """The local date of an instant at a location (its time zone, else the business's)."""
    zone = location.timezone if location is not None and location.timezone else business.timezone
    return instant.astimezone(ZoneInfo(zone)).date()


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
    location: Location | None = None,
) -> set[date]:
    """The local dates from first_day to last_day (inclusive) with at least one free slot:
    the same answer as the days of find_availability that have slots, for the month
    calendar, which only needs to know whether a day has any free time. The same loader
    (the same four queries), then a walk that stops at each day's first free start."""
    if last_day < first_day:
        return set()
    location = location or primary_location(session, business)
    tz = location_timezone(business, location)
    horizon = (now + timedelta(days=business.max_advance_days)).astimezone(tz).date()
    today = now.astimezone(tz).date()
    open_first, open_last = max(first_day, today), min(last_day, horizon)
    if open_first > open_last:
        return set()
    inputs = load_inputs(
        session, business, service, open_first, open_last,
        now=now, staff_id=staff_id, exclude_booking_ids=exclude_booking_ids, location=location, ordered=False,
    )
    return compute_available_days(inputs, first_day=open_first, last_day=open_last, now=now)
