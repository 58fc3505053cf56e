"""available_days: the month calendar's "which days have any free time", and the engine's
fast walk checked against the plain algorithm it replaced.

Two kinds of check:

* against the database, available_days gives exactly the days on which find_availability
  has a slot (DST month, "anyone" and one staff member, holds live and run out, time off,
  a booking being moved, the booking horizon);
* on random worlds, compute_availability (integer microseconds, one forward cursor per
  staff member, no merging) gives the same slots, staff and order as the reference below:
  the earlier engine, written from the module's public interval functions (merge the
  blocks, then free_starts day by day), and compute_available_days the same days.
"""
from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bookingapp.domain import booking as ops
from bookingapp.domain.availability import (
    AvailabilityInputs, StaffInput, available_days, compute_availability, compute_available_days,
    find_availability, free_starts, from_micros, intersect, local_windows, merge, order_staff, to_micros,
)
from bookingapp.models import Booking
from tests.helpers import MONDAY, at, before

UTC = timezone.utc


def days_with_slots(session, business, service, first, last, **kw):
    return {day for day, slots in find_availability(session, business, service, first, last, **kw).days.items() if slots}


def assert_same_days(session, business, service, first, last, **kw):
    expected = days_with_slots(session, business, service, first, last, **kw)
    assert available_days(session, business, service, first, last, **kw) == expected
    return expected


# --------------------------------------------------------------------------- against the database


def test_a_dst_month_with_bookings_time_off_and_holds_gives_the_days_find_availability_fills(
    session, make_business, make_service, make_staff, make_customer, make_time_off,
):
    # March 2030 in London: the clocks go forward on Sunday the 31st.
    business = make_business(hours={d: [(time(9), time(12))] for d in range(6)})  # closed on Sundays
    service = make_service(business, duration_minutes=60, buffer_after_minutes=15)
    alice = make_staff(business, [service], name="Alice", sort_order=0)
    bob = make_staff(business, [service], name="Bob", sort_order=1,
                     hours={d: [(time(9), time(10, 30))] for d in range(7)})
    first, last = date(2030, 3, 1), date(2030, 3, 31)
    now = before(first)
    customer = make_customer(business)
    # Alice fully booked on the 4th (each booking blocks 75 minutes); Bob's short day full
    # on the 4th too: the day is gone.
    for hour, minute in ((9, 0), (10, 15)):
        ops.create_booking(session, business, service, at(date(2030, 3, 4), hour, minute), customer, staff=alice, now=now)
    ops.create_booking(session, business, service, at(date(2030, 3, 4), 9), customer, staff=bob, now=now)
    # The 5th: Alice on leave all day, Bob away for the morning.
    make_time_off(business, at(date(2030, 3, 5), 0), at(date(2030, 3, 6), 0), staff=alice)
    make_time_off(business, at(date(2030, 3, 5), 8), at(date(2030, 3, 5), 12), staff=bob)
    # The 6th: the business closed from 09:00 to 11:30 (one free hour is left: 10:59 is
    # too late for a 60-minute service before 12:00, so the day has nothing).
    make_time_off(business, at(date(2030, 3, 6), 9), at(date(2030, 3, 6), 11, 30))
    # The 7th: live holds fill it; the 8th: the same holds have run out, so it is free.
    for hour, minute in ((9, 0), (10, 15)):
        held = ops.create_booking(session, business, service, at(date(2030, 3, 7), hour, minute), customer, staff=alice, now=now)
        held.status, held.hold_expires_at = "held", now + timedelta(days=30)
        run_out = ops.create_booking(session, business, service, at(date(2030, 3, 8), hour, minute), customer, staff=alice, now=now)
        run_out.status, run_out.hold_expires_at = "held", now - timedelta(minutes=1)
    bob_held = ops.create_booking(session, business, service, at(date(2030, 3, 7), 9), customer, staff=bob, now=now)
    bob_held.status, bob_held.hold_expires_at = "held", now + timedelta(days=30)
    session.commit()

    free = assert_same_days(session, business, service, first, last, now=now)
    assert date(2030, 3, 4) not in free and date(2030, 3, 5) not in free and date(2030, 3, 6) not in free
    assert date(2030, 3, 7) not in free and date(2030, 3, 8) in free
    assert date(2030, 3, 3) not in free and date(2030, 3, 31) not in free  # Sundays: closed
    assert date(2030, 3, 30) in free and date(2030, 3, 29) in free  # around the DST change
    # One staff member at a time: on the 5th Bob's hours (to 10:30) fall inside his time
    # away, and on the 6th inside the closure.
    assert_same_days(session, business, service, first, last, now=now, staff_id=alice.id)
    bob_days = assert_same_days(session, business, service, first, last, now=now, staff_id=bob.id)
    assert date(2030, 3, 5) not in bob_days and date(2030, 3, 6) not in bob_days
    # A generic grid (no service), as the API offers.
    assert_same_days(session, business, None, first, last, now=now)
    # Under every assignment policy: available_days skips the "balanced" policy's bookings
    # per day (it orders nobody), find_availability counts them; the days are the same.
    for policy in ("balanced", "random", "fixed_order"):
        business.assignment_policy = policy
        session.commit()
        assert assert_same_days(session, business, service, first, last, now=now) == free


def test_moving_a_booking_frees_its_own_time_on_the_calendar(session, make_business, make_service, make_staff, make_customer):
    business = make_business(hours={MONDAY.weekday(): [(time(9), time(10))]})
    service = make_service(business, duration_minutes=60)
    alice = make_staff(business, [service])
    booking = ops.create_booking(session, business, service, at(MONDAY, 9), make_customer(business), staff=alice, now=before())
    session.commit()
    assert assert_same_days(session, business, service, MONDAY, MONDAY + timedelta(days=6), now=before()) == set()
    moving = assert_same_days(session, business, service, MONDAY, MONDAY + timedelta(days=6), now=before(),
                              exclude_booking_ids=(booking.id,))
    assert moving == {MONDAY}


def test_minimum_notice_and_the_booking_horizon_bound_the_days(session, make_business, make_service, make_staff):
    business = make_business(min_notice_minutes=24 * 60, max_advance_days=10)
    service = make_service(business, duration_minutes=60)
    make_staff(business, [service])
    now = at(MONDAY, 12)
    free = assert_same_days(session, business, service, MONDAY - timedelta(days=3), MONDAY + timedelta(days=20), now=now)
    # Tomorrow from 12:00 (24 hours' notice) up to ten days ahead, 12:00.
    assert min(free) == MONDAY + timedelta(days=1) and max(free) == MONDAY + timedelta(days=10)
    assert available_days(session, business, service, date(9999, 12, 1), date(9999, 12, 31), now=now) == set()
    assert available_days(session, business, service, MONDAY + timedelta(days=3), MONDAY, now=now) == set()


def test_unknown_and_inactive_staff_have_no_days(session, salon, make_staff):
    business, service, alice, bob = salon
    retired = make_staff(business, [service], is_active=False)
    week = (MONDAY, MONDAY + timedelta(days=6))
    assert available_days(session, business, service, *week, now=before(), staff_id=retired.id) == set()
    assert available_days(session, business, service, *week, now=before(), staff_id=uuid.uuid4()) == set()
    assert len(assert_same_days(session, business, service, *week, now=before(), staff_id=alice.id)) == 7


def test_a_fully_booked_month_for_many_staff_has_no_days_and_one_gap_opens_its_day(
    session, make_business, make_service, make_staff, make_customer,
):
    business = make_business(hours={d: [(time(9), time(11))] for d in range(7)}, slot_interval_minutes=30)
    service = make_service(business, duration_minutes=30)
    staff = [make_staff(business, [service], sort_order=n) for n in range(4)]
    customer = make_customer(business)
    first, last = MONDAY, MONDAY + timedelta(days=13)
    gap = (staff[2], MONDAY + timedelta(days=9), 10)
    for day_offset in range(14):
        day = MONDAY + timedelta(days=day_offset)
        for member in staff:
            for hour, minute in ((9, 0), (9, 30), (10, 0), (10, 30)):
                if (member, day, hour) == gap and minute == 30:
                    continue
                ops.create_booking(session, business, service, at(day, hour, minute), customer, staff=member, now=before())
    session.commit()
    assert assert_same_days(session, business, service, first, last, now=before()) == {gap[1]}
    assert assert_same_days(session, business, service, first, last, now=before(), staff_id=staff[1].id) == set()


# --------------------------------------------------------------------------- random worlds, pure


def reference_availability(inputs: AvailabilityInputs, first_day: date, last_day: date, now: datetime, rng):
    """The engine before it was made fast: per day and staff member, the day's slice of the
    merged busy blocks (as datetimes) through free_starts, then order_staff per slot."""
    tz = inputs.timezone
    earliest, latest = now + inputs.min_notice, now + inputs.max_advance
    blocks = {
        member.id: merge([(from_micros(s), from_micros(e))
                          for s, e in [*inputs.busy.get(member.id, ()), *inputs.business_closed]])
        for member in inputs.staff
    }
    days = {}
    day = first_day
    while day <= last_day:
        opening = local_windows(day, inputs.business_hours, tz)
        by_start: dict[datetime, list] = {}
        for member in inputs.staff:
            windows = opening
            if member.weekly_hours is not None:
                windows = intersect(local_windows(day, member.weekly_hours, tz), opening)
            if not opening or not windows:
                continue
            for start in free_starts(
                windows, blocks[member.id], duration=inputs.duration, buffer_before=inputs.buffer_before,
                buffer_after=inputs.buffer_after, step=inputs.slot_interval, earliest=earliest, latest=latest,
            ):
                by_start.setdefault(start, []).append(member.id)
        days[day] = [
            (start, order_staff(by_start[start], policy=inputs.assignment_policy, day=day, inputs=inputs, rng=rng))
            for start in sorted(by_start)
        ]
        day += timedelta(days=1)
    return days


def random_windows(rng, *, earliest=6, latest=22):
    """Zero to two disjoint wall-clock windows on a 5-minute grid."""
    edges = sorted(rng.sample(range(earliest * 12, latest * 12), rng.choice([0, 2, 2, 4])))
    return [(time(a // 12, a % 12 * 5), time(b // 12, b % 12 * 5)) for a, b in zip(edges[::2], edges[1::2])]


def random_world(rng: random.Random, first_day: date, days: int) -> AvailabilityInputs:
    tz = ZoneInfo(rng.choice(["Europe/London", "America/New_York", "Australia/Sydney", "UTC"]))
    business_hours = {d: random_windows(rng) for d in range(7)}
    staff = []
    for n in range(rng.randint(1, 4)):
        weekly = None if rng.random() < 0.5 else {d: random_windows(rng) for d in range(7)}
        staff.append(StaffInput(id=uuid.uuid4(), sort_order=rng.randint(0, 2), name=f"S{n}", weekly_hours=weekly))
    start = datetime.combine(first_day, time(0), tzinfo=tz).astimezone(UTC) - timedelta(hours=6)
    span = (days + 1) * 24 * 60

    def random_blocks(count, longest):
        blocks = []
        for _ in range(count):
            # Mostly on a 5-minute grid, sometimes at odd seconds and microseconds.
            offset = timedelta(minutes=rng.randrange(0, span, 5))
            if rng.random() < 0.2:
                offset += timedelta(seconds=rng.randrange(60), microseconds=rng.randrange(10**6))
            begin = start + offset
            blocks.append((to_micros(begin), to_micros(begin + timedelta(minutes=rng.randint(1, longest)))))
        return blocks

    busy = {member.id: random_blocks(rng.randint(0, 12 * days), 120) for member in staff if rng.random() < 0.9}
    closed = random_blocks(rng.choice([0, 0, 1, 3]), 24 * 60)
    inputs = AvailabilityInputs(
        timezone=tz, business_hours=business_hours,
        slot_interval=timedelta(minutes=rng.choice([5, 10, 15, 30, 60])),
        min_notice=timedelta(minutes=rng.choice([0, 0, 90, 24 * 60])),
        max_advance=timedelta(days=rng.choice([2, 30, 3650])),
        assignment_policy=rng.choice(["fixed_order", "balanced", "random"]),
        duration=timedelta(minutes=rng.choice([5, 15, 30, 45, 60, 90])),
        buffer_before=timedelta(minutes=rng.choice([0, 0, 5, 15])),
        buffer_after=timedelta(minutes=rng.choice([0, 0, 10, 30])),
        staff=staff, busy=busy, business_closed=closed,
    )
    inputs.bookings_per_day = {
        (member.id, first_day + timedelta(days=n)): rng.randint(0, 3) for member in staff for n in range(days)
    }
    return inputs


# Spring and autumn DST changes in both hemispheres, and a plain month.
RANGES = [(date(2030, 3, 25), 10), (date(2030, 10, 24), 12), (date(2030, 4, 1), 8), (date(2030, 6, 1), 31)]


@pytest.mark.parametrize("seed", range(120))
def test_the_fast_engine_gives_the_reference_engines_slots_and_days(seed):
    rng = random.Random(seed)
    first_day, days = RANGES[seed % len(RANGES)]
    last_day = first_day + timedelta(days=days - 1)
    inputs = random_world(rng, first_day, days)
    now = datetime.combine(first_day, time(rng.randint(0, 23)), tzinfo=UTC) + timedelta(days=rng.choice([-3, 0, 2]))

    expected = reference_availability(inputs, first_day, last_day, now, random.Random(seed))
    got = compute_availability(inputs, service_id=None, first_day=first_day, last_day=last_day, now=now,
                               rng=random.Random(seed))
    assert {day: [(slot.start, slot.staff_ids) for slot in slots] for day, slots in got.days.items()} == expected
    assert all(slot.start.tzinfo is UTC and slot.end == slot.start + inputs.duration for slot in got.slots)
    assert compute_available_days(inputs, first_day=first_day, last_day=last_day, now=now) == {
        day for day, slots in expected.items() if slots
    }


@pytest.mark.parametrize("ends_after_ten,ten_is_free", [
    (timedelta(0), True), (timedelta(microseconds=1), False), (timedelta(seconds=-1), True), (timedelta(milliseconds=500), False),
])
def test_a_booking_ending_a_microsecond_past_a_slot_still_takes_it(
    session, make_business, make_service, make_staff, make_customer, ends_after_ten, ten_is_free,
):
    """The loader reads times as integer microseconds (computed by PostgreSQL, parsed from
    SQLite's text): nothing is rounded to the second on the way."""
    business = make_business(hours={MONDAY.weekday(): [(time(9), time(11))]}, slot_interval_minutes=60)
    service = make_service(business, duration_minutes=60)
    alice = make_staff(business, [service])
    start, end = at(MONDAY, 9), at(MONDAY, 10) + ends_after_ten
    session.add(Booking(
        business_id=business.id, booking_number="BK-MICRO0001", service_id=service.id, staff_id=alice.id,
        customer_id=make_customer(business).id, starts_at=start, ends_at=end, blocked_from=start, blocked_until=end,
        status="confirmed", source="api", custom_fields={}, price_cents=0, deposit_cents=0, currency="GBP",
    ))
    session.commit()
    slots = find_availability(session, business, service, MONDAY, now=before()).slots
    assert [slot.start for slot in slots] == ([at(MONDAY, 10)] if ten_is_free else [])
    assert available_days(session, business, service, MONDAY, MONDAY, now=before()) == ({MONDAY} if ten_is_free else set())
