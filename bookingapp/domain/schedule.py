"""The day view's data: one column per staff member with their working windows, bookings
placed by time, time off and the free gaps between them.

Everything is computed in UTC and handed over with minute offsets from the top of the
grid, so a template only positions boxes and never does time arithmetic.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import Session, joinedload

from bookingapp.domain.availability import intersect, local_day_bounds, local_windows, merge
from bookingapp.domain.states import BookingStatus, status_as_seen
from bookingapp.domain.locations import location_timezone, opening_hours_rows, staff_at
from bookingapp.models import (
    Booking, Business, Location, Staff, StaffHours, TimeOff, staff_services,
)

S = BookingStatus

# What the day shows: everything that happened or will happen. Cancelled, expired and
# rescheduled bookings occupy no time and would only hide the live ones behind them.
SHOWN_STATUSES = (S.HELD, S.RESERVED, S.PENDING, S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED, S.NO_SHOW)

UTC = timezone.utc


@dataclass
class Block:
    kind: str  # "booking", "time_off", "free", "off_hours"
    start: datetime
    end: datetime
    top: int = 0       # minutes from the grid's start
    height: int = 0    # minutes
    booking: Booking | None = None
    label: str = ""


@dataclass
class Column:
    staff: Staff
    bookings: list[Block] = field(default_factory=list)
    time_off: list[Block] = field(default_factory=list)
    free: list[Block] = field(default_factory=list)
    working: list[Block] = field(default_factory=list)


@dataclass
class DaySchedule:
    day: date
    timezone: ZoneInfo
    grid_start: datetime
    grid_end: datetime
    columns: list[Column]
    now_offset: int | None  # minutes from the grid's start, when now is on the grid
    hour_marks: list[tuple[int, str]]  # (offset minutes, "09:00")

    @property
    def minutes(self) -> int:
        return int((self.grid_end - self.grid_start).total_seconds() // 60)


def _weekly(rows) -> dict[int, list[tuple[time, time]]]:
    weekly: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for weekday, starts, ends in rows:
        weekly[weekday].append((starts, ends))
    return weekly


def _floor_hour(instant: datetime, tz: ZoneInfo) -> datetime:
    local = instant.astimezone(tz)
    return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)


def _ceil_hour(instant: datetime, tz: ZoneInfo) -> datetime:
    floored = _floor_hour(instant, tz)
    return floored if floored == instant else floored + timedelta(hours=1)


def subtract(windows: list[tuple[datetime, datetime]], busy: list[tuple[datetime, datetime]]):
    """The parts of sorted disjoint windows that no (merged) busy interval covers."""
    free = []
    for start, end in windows:
        cursor = start
        for busy_start, busy_end in busy:
            if busy_end <= cursor or busy_start >= end:
                continue
            if busy_start > cursor:
                free.append((cursor, busy_start))
            cursor = max(cursor, busy_end)
        if cursor < end:
            free.append((cursor, end))
    return free


def day_schedule(
    session: Session,
    business: Business,
    day: date,
    *,
    now: datetime,
    only_staff_id: uuid.UUID | None = None,
    min_gap_minutes: int | None = None,
    location: Location | None = None,
) -> DaySchedule:
    """The day of the whole business, or with `location` of one branch: its opening hours and
    time zone, the staff who work there (in their hours there), its bookings, and its own
    closures; a column's time its staff member spends at another branch shows as away.

    The one-day run of week_schedule, so the day and the week views are the same code."""
    return week_schedule(session, business, day, 1, now=now, only_staff_id=only_staff_id,
                         min_gap_minutes=min_gap_minutes, location=location)[0]


def week_schedule(
    session: Session,
    business: Business,
    first_day: date,
    days: int,
    *,
    now: datetime,
    only_staff_id: uuid.UUID | None = None,
    min_gap_minutes: int | None = None,
    location: Location | None = None,
) -> list[DaySchedule]:
    """The DaySchedule of each of `days` local days from `first_day`, each exactly what
    day_schedule gives for that day, from one read of the whole run: opening hours,
    bookings, performers, staff, staff hours and time off are each read once, however many
    days are shown and however busy they are."""
    if days < 1:
        raise ValueError("days must be 1 or more")
    tz = location_timezone(business, location) if location is not None else ZoneInfo(business.timezone)
    run = [first_day + timedelta(days=offset) for offset in range(days)]
    # Local days: on a DST change day a day is 23 or 25 hours, so each day has its own bounds.
    bounds = [local_day_bounds(day, tz) for day in run]
    run_start, run_end = bounds[0][0], bounds[-1][1]
    weekly = _weekly(opening_hours_rows(session, business, location))

    bookings = session.scalars(
        select(Booking)
        .where(
            Booking.business_id == business.id,
            Booking.status.in_([s.value for s in SHOWN_STATUSES]),
            Booking.starts_at < run_end,
            Booking.ends_at > run_start,
        )
        # Joined, not a statement each: the count stays the same with no bookings as with many.
        # The location too: a branch's view labels another branch's bookings "At <branch>".
        .options(joinedload(Booking.customer), joinedload(Booking.service, innerjoin=True),
                 joinedload(Booking.location, innerjoin=True))
        .order_by(Booking.starts_at)
    ).all()
    # A hold whose time ran out occupies nothing any more.
    bookings = [b for b in bookings if status_as_seen(b, now) != S.EXPIRED.value]
    # Test bookings (made with a test API key) are not shown, but their time is not free
    # either (availability counts them), so it is kept out of the free gaps below.
    test_busy = [b for b in bookings if b.is_test]
    bookings = [b for b in bookings if not b.is_test]
    elsewhere: list[Booking] = []
    if location is not None:
        # Another branch's bookings are not this branch's diary, but its staff are busy then.
        elsewhere = [b for b in bookings if b.location_id != location.id]
        bookings = [b for b in bookings if b.location_id == location.id]
    busy_in_run = {b.staff_id for b in bookings}

    # Only this business's links: the table holds every business's.
    performers = set(session.scalars(
        select(staff_services.c.staff_id).join(Staff, Staff.id == staff_services.c.staff_id)
        .where(Staff.business_id == business.id).distinct()
    ).all())
    # Whoever could have a column on any day of the run; each day keeps its own below.
    staff_query = select(Staff).where(
        Staff.business_id == business.id, Staff.deleted_at.is_(None),
        or_(Staff.is_active.is_(True), Staff.id.in_(busy_in_run) if busy_in_run else false()),
    ).order_by(Staff.sort_order, Staff.name)
    if only_staff_id is not None:
        staff_query = staff_query.where(Staff.id == only_staff_id)
    here: set[uuid.UUID] | None = None
    if location is not None:
        here = {member.id for member in staff_at(session, business, location)}
        staff_query = staff_query.where(or_(Staff.id.in_(here), Staff.id.in_(busy_in_run)))
    candidates = list(session.scalars(staff_query))

    def staff_of(day_bookings: list[Booking]) -> list[Staff]:
        """A day's columns: the active staff (working here, with a location) who perform
        services, and whoever has a booking that day (not the front desk)."""
        busy = {b.staff_id for b in day_bookings}
        return [m for m in candidates
                if (m.is_active or m.id in busy)
                and (here is None or m.id in here or m.id in busy)
                and (m.id in performers or m.id in busy or m.id == only_staff_id)]

    day_bookings = [[b for b in bookings if b.starts_at < end and b.ends_at > start] for start, end in bounds]
    day_staff = [staff_of(shown) for shown in day_bookings]
    shown_ids = {m.id: None for members in day_staff for m in members}  # ordered, no repeats
    staff_ids = list(shown_ids)

    hours_rows: dict[uuid.UUID, list] = defaultdict(list)
    if staff_ids:
        hours_query = select(StaffHours.staff_id, StaffHours.weekday, StaffHours.starts_at,
                             StaffHours.ends_at).where(StaffHours.staff_id.in_(staff_ids))
        if location is not None:
            # Their hours at this branch (location-less rows are hours at the primary).
            hours_query = hours_query.where(or_(
                StaffHours.location_id == location.id,
                StaffHours.location_id.is_(None) if location.is_primary else false()))
        for row in session.execute(hours_query):
            hours_rows[row.staff_id].append((row.weekday, row.starts_at, row.ends_at))
    closures_here = (or_(TimeOff.location_id.is_(None), TimeOff.location_id == location.id)
                     if location is not None else true())
    time_off_rows = session.scalars(
        select(TimeOff).where(
            TimeOff.business_id == business.id,
            or_(TimeOff.staff_id.is_(None) & closures_here,
                TimeOff.staff_id.in_(staff_ids) if staff_ids else false()),
            TimeOff.starts_at < run_end, TimeOff.ends_at > run_start,
        ).order_by(TimeOff.starts_at)
    ).all()

    gap_minimum = timedelta(minutes=min_gap_minutes or business.slot_interval_minutes)
    return [
        _one_day(
            day, tz, start, end, now=now, opening=local_windows(day, weekly, tz), staff_members=members,
            bookings=shown, hours_rows=hours_rows, gap_minimum=gap_minimum,
            time_off_rows=[t for t in time_off_rows if t.starts_at < end and t.ends_at > start],
            elsewhere=[b for b in elsewhere if b.starts_at < end and b.ends_at > start],
            test_busy=[b for b in test_busy if b.starts_at < end and b.ends_at > start],
        )
        for day, (start, end), members, shown in zip(run, bounds, day_staff, day_bookings)
    ]


def _one_day(
    day: date, tz: ZoneInfo, day_start: datetime, day_end: datetime, *, now: datetime,
    opening: list[tuple[datetime, datetime]], staff_members: list[Staff], bookings: list[Booking],
    hours_rows: dict[uuid.UUID, list], time_off_rows: list[TimeOff], elsewhere: list[Booking],
    test_busy: list[Booking], gap_minimum: timedelta,
) -> DaySchedule:
    """One day's grid and columns from what was read for it (no reads here)."""
    # The grid spans the opening hours, stretched to whatever else happens that day.
    edges = [*(w for pair in opening for w in pair), *(t for b in bookings for t in (b.starts_at, b.ends_at))]
    if edges:
        grid_start = max(day_start, _floor_hour(min(edges), tz))
        grid_end = min(day_end, _ceil_hour(max(edges), tz))
    else:
        grid_start = datetime.combine(day, time(9), tzinfo=tz).astimezone(UTC)
        grid_end = datetime.combine(day, time(18), tzinfo=tz).astimezone(UTC)

    def place(block: Block) -> Block:
        start, end = max(block.start, grid_start), min(block.end, grid_end)
        block.top = int((start - grid_start).total_seconds() // 60)
        block.height = max(int((end - start).total_seconds() // 60), 1)
        return block

    columns = []
    for member in staff_members:
        column = Column(staff=member)
        windows = opening
        if hours_rows.get(member.id):
            windows = intersect(local_windows(day, _weekly(hours_rows[member.id]), tz), opening)
        column.working = [place(Block("working", s, e)) for s, e in windows]
        mine = [b for b in bookings if b.staff_id == member.id]
        column.bookings = [
            place(Block("booking", b.starts_at, b.ends_at, booking=b, label=b.service.name)) for b in mine
        ]
        away = [t for t in time_off_rows if t.staff_id in (None, member.id)]
        column.time_off = [
            place(Block("time_off", max(t.starts_at, grid_start), min(t.ends_at, grid_end),
                        label=t.reason or ("Closed" if t.staff_id is None else "Time off")))
            for t in away if t.starts_at < grid_end and t.ends_at > grid_start
        ]
        at_other_branch = [b for b in elsewhere if b.staff_id == member.id and b.status != S.NO_SHOW.value]
        column.time_off += [
            place(Block("time_off", max(b.starts_at, grid_start), min(b.ends_at, grid_end),
                        label=f"At {b.location.name}"))
            for b in at_other_branch if b.starts_at < grid_end and b.ends_at > grid_start
        ]
        busy = merge([*((b.blocked_from, b.blocked_until) for b in mine
                        if b.status != S.NO_SHOW.value), *((t.starts_at, t.ends_at) for t in away),
                      *((b.blocked_from, b.blocked_until) for b in at_other_branch),
                      *((b.blocked_from, b.blocked_until) for b in test_busy
                        if b.staff_id == member.id and b.status != S.NO_SHOW.value)])
        column.free = [
            place(Block("free", s, e, label=f"{int((e - s).total_seconds() // 60)} min free"))
            for s, e in subtract(windows, busy) if e - s >= gap_minimum
        ]
        columns.append(column)

    now_offset = None
    if grid_start <= now <= grid_end:
        now_offset = int((now - grid_start).total_seconds() // 60)
    marks = []
    mark = _ceil_hour(grid_start, tz)
    while mark < grid_end:
        marks.append((int((mark - grid_start).total_seconds() // 60), mark.astimezone(tz).strftime("%H:%M")))
        mark += timedelta(hours=1)
    return DaySchedule(day=day, timezone=tz, grid_start=grid_start, grid_end=grid_end, columns=columns,
                       now_offset=now_offset, hour_marks=marks)
