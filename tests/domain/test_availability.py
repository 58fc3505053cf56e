"""The slot engine: pure interval functions and find_availability against the database."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bookingapp.domain import booking as ops
from bookingapp.domain.errors import SlotUnavailable
from bookingapp.domain.availability import (
    free_starts, intersect, local_day_bounds, local_windows, merge, find_availability,
)
from tests.helpers import MONDAY, at, before

UTC = timezone.utc


def local_times(slots, tz="Europe/London"):
    return [s.start.astimezone(ZoneInfo(tz)).strftime("%H:%M") for s in slots]


# --------------------------------------------------------------------------- pure functions


def test_merge_joins_overlapping_and_touching_intervals():
    t = lambda h: datetime(2030, 1, 1, h, tzinfo=UTC)  # noqa: E731
    assert merge([(t(5), t(6)), (t(1), t(3)), (t(2), t(4)), (t(4), t(5))]) == [(t(1), t(6))]


def test_intersect_of_two_sorted_lists():
    t = lambda h: datetime(2030, 1, 1, h, tzinfo=UTC)  # noqa: E731
    assert intersect([(t(1), t(5)), (t(7), t(9))], [(t(4), t(8))]) == [(t(4), t(5)), (t(7), t(8))]


def test_free_starts_respects_busy_blocks_and_buffers():
    t = lambda h, m=0: datetime(2030, 1, 1, h, m, tzinfo=UTC)  # noqa: E731
    starts = free_starts(
        [(t(9), t(12))], [(t(10), t(10, 30))],
        duration=timedelta(minutes=30), buffer_before=timedelta(minutes=15), buffer_after=timedelta(minutes=15),
        step=timedelta(minutes=15), earliest=t(0), latest=t(23),
    )
    # 09:15 would block 09:00-10:00 (service 09:15-09:45 + 15 after): overlaps 10:00? No, touches; allowed.
    # 09:30 blocks 09:15-10:15: overlaps the 10:00 booking. Next free: 10:45 (blocks 10:30-11:30).
    assert [s.strftime("%H:%M") for s in starts] == ["09:00", "09:15", "10:45", "11:00", "11:15", "11:30"]


@pytest.mark.parametrize("tz_name,day", [
    ("America/New_York", date(2030, 3, 10)),   # spring forward, 02:00 -> 03:00
    ("America/New_York", date(2030, 11, 3)),   # fall back, 02:00 -> 01:00
    ("Europe/London", date(2030, 3, 31)),      # spring forward, 01:00 -> 02:00
    ("Europe/London", date(2030, 10, 27)),     # fall back, 02:00 -> 01:00
])
def test_opening_hours_stay_wall_clock_on_dst_days(tz_name, day):
    tz = ZoneInfo(tz_name)
    windows = local_windows(day, {day.weekday(): [(time(9), time(18))]}, tz)
    (start, end), = windows
    assert start.astimezone(tz).time() == time(9)
    assert end.astimezone(tz).time() == time(18)
    assert end - start == timedelta(hours=9)
    day_start, day_end = local_day_bounds(day, tz)
    assert day_end - day_start in (timedelta(hours=23), timedelta(hours=25))


# --------------------------------------------------------------------------- against the database


def test_a_free_day_offers_every_interval_within_hours(session, salon):
    business, service, alice, bob = salon
    availability = find_availability(session, business, service, MONDAY, now=before())
    slots = availability.days[MONDAY]
    assert local_times(slots)[0] == "09:00"
    assert local_times(slots)[-1] == "17:00"  # a 60-minute service ends by 18:00
    assert len(slots) == 33
    assert all(set(s.staff_ids) == {alice.id, bob.id} for s in slots)
    assert availability.slots == slots  # the flat list and the per-day view agree


def test_existing_booking_and_buffers_remove_overlapping_slots(session, make_business, make_service, make_staff, make_customer):
    business = make_business()
    service = make_service(business, duration_minutes=60, buffer_before_minutes=15, buffer_after_minutes=15)
    alice = make_staff(business, [service], name="Alice")
    ops.create_booking(session, business, service, at(MONDAY, 12), make_customer(business), staff=alice, now=before())
    session.commit()
    times = local_times(find_availability(session, business, service, MONDAY, now=before()).slots)
    # Blocked 11:45-13:15. A start t is free if [t-15, t+75) misses it: t <= 10:30 or t >= 13:30.
    assert "10:30" in times and "10:45" not in times
    assert "13:15" not in times and "13:30" in times


def test_staff_hours_with_a_lunch_break_are_honoured(session, make_business, make_service, make_staff):
    business = make_business()
    service = make_service(business, duration_minutes=30)
    make_staff(business, [service], hours={MONDAY.weekday(): [(time(9), time(12)), (time(13), time(15))]})
    times = local_times(find_availability(session, business, service, MONDAY, now=before()).slots)
    assert "11:30" in times and "11:45" not in times and "12:30" not in times
    assert "13:00" in times and "14:30" in times and "14:45" not in times


def test_staff_hours_are_clipped_to_opening_hours(session, make_business, make_service, make_staff):
    business = make_business(hours={MONDAY.weekday(): [(time(10), time(16))]})
    service = make_service(business, duration_minutes=60)
    make_staff(business, [service], hours={MONDAY.weekday(): [(time(8), time(20))]})
    times = local_times(find_availability(session, business, service, MONDAY, now=before()).slots)
    assert times[0] == "10:00" and times[-1] == "15:00"


def test_closed_day_has_no_slots(session, make_business, make_service, make_staff):
    business = make_business(hours={1: [(time(9), time(17))]})  # Tuesdays only
    service = make_service(business)
    make_staff(business, [service])
    availability = find_availability(session, business, service, MONDAY, MONDAY + timedelta(days=1), now=before())
    assert availability.days[MONDAY] == []
    assert len(availability.days[MONDAY + timedelta(days=1)]) > 0


def test_staff_time_off_and_business_closure(session, salon, make_time_off):
    business, service, alice, bob = salon
    make_time_off(business, at(MONDAY, 9), at(MONDAY, 13), staff=alice)
    slots = find_availability(session, business, service, MONDAY, now=before()).slots
    morning = [s for s in slots if s.start < at(MONDAY, 12)]
    assert morning and all(s.staff_ids == (bob.id,) for s in morning)
    make_time_off(business, at(MONDAY, 0), at(MONDAY + timedelta(days=1), 0))  # whole business closed
    assert find_availability(session, business, service, MONDAY, now=before()).slots == []


def test_minimum_notice_and_maximum_advance(session, make_business, make_service, make_staff):
    business = make_business(min_notice_minutes=120, max_advance_days=1)
    service = make_service(business)
    make_staff(business, [service])
    now = at(MONDAY, 10, 7)
    today = find_availability(session, business, service, MONDAY, now=now).slots
    assert local_times(today)[0] == "12:15"  # first grid point at or after 12:07
    tomorrow = find_availability(session, business, service, MONDAY + timedelta(days=1), now=now).slots
    assert local_times(tomorrow)[-1] == "10:00"  # at most 24 h ahead of 10:07
    assert find_availability(session, business, service, MONDAY + timedelta(days=2), now=now).slots == []


def test_unexpired_hold_blocks_and_expired_hold_frees(session, salon):
    business, service, alice, bob = salon
    now = before()
    ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=now)
    session.commit()
    slot = find_availability(session, business, service, MONDAY, now=now).find(at(MONDAY, 10))
    assert slot.staff_ids == (bob.id,)
    later = now + timedelta(seconds=business.hold_seconds)
    slot = find_availability(session, business, service, MONDAY, now=later).find(at(MONDAY, 10))
    assert set(slot.staff_ids) == {alice.id, bob.id}


def test_inactive_and_unqualified_staff_are_never_offered(session, salon, make_staff, make_service):
    business, service, alice, bob = salon
    bob.is_active = False
    make_staff(business, [make_service(business, name="Other")], name="Carol")  # does not perform `service`
    session.commit()
    slots = find_availability(session, business, service, MONDAY, now=before()).slots
    assert all(s.staff_ids == (alice.id,) for s in slots)


def test_balanced_policy_prefers_the_staff_member_with_fewer_bookings_that_day(session, salon, make_customer):
    business, service, alice, bob = salon
    business.assignment_policy = "balanced"
    ops.create_booking(session, business, service, at(MONDAY, 9), make_customer(business), staff=alice, now=before())
    session.commit()
    slot = find_availability(session, business, service, MONDAY, now=before()).find(at(MONDAY, 15))
    assert slot.staff_ids == (bob.id, alice.id)
    booking = ops.create_booking(session, business, service, at(MONDAY, 15), make_customer(business), now=before())
    assert booking.staff_id == bob.id


def test_fixed_order_policy_uses_sort_order(session, salon):
    business, service, alice, bob = salon
    alice.sort_order, bob.sort_order = 5, 1
    session.commit()
    slot = find_availability(session, business, service, MONDAY, now=before()).slots[0]
    assert slot.staff_ids == (bob.id, alice.id)


def test_random_policy_spreads_assignments(session, salon):
    business, service, alice, bob = salon
    business.assignment_policy = "random"
    session.commit()
    firsts = {
        find_availability(session, business, service, MONDAY, now=before(), rng=random.Random(seed)).slots[0].staff_id
        for seed in range(20)
    }
    assert firsts == {alice.id, bob.id}


def test_asking_for_one_staff_member_returns_only_theirs(session, salon, make_customer):
    business, service, alice, bob = salon
    ops.create_booking(session, business, service, at(MONDAY, 9), make_customer(business), staff=alice, now=before())
    session.commit()
    slots = find_availability(session, business, service, MONDAY, now=before(), staff_id=alice.id).slots
    assert "09:00" not in local_times(slots)
    assert all(s.staff_ids == (alice.id,) for s in slots)


@pytest.mark.parametrize("tz_name,day,shift", [
    ("America/New_York", date(2030, 3, 10), "spring"),
    ("America/New_York", date(2030, 11, 3), "fall"),
    ("Europe/London", date(2030, 3, 31), "spring"),
    ("Europe/London", date(2030, 10, 27), "fall"),
])
def test_dst_change_day_keeps_local_hours(session, make_business, make_service, make_staff, tz_name, day, shift):
    hours = {d: [(time(9), time(12)), (time(13), time(18))] for d in range(7)}
    business = make_business(timezone=tz_name, hours=hours, slot_interval_minutes=30)
    service = make_service(business, duration_minutes=30)
    make_staff(business, [service])
    now = datetime.combine(day, time(0), tzinfo=UTC) - timedelta(days=3)
    availability = find_availability(session, business, service, day - timedelta(days=1), day + timedelta(days=1), now=now)
    expected = [f"{h:02d}:{m:02d}" for h in (9, 10, 11, 13, 14, 15, 16, 17) for m in (0, 30)]
    for each in (day - timedelta(days=1), day, day + timedelta(days=1)):
        assert local_times(availability.days[each], tz_name) == expected, each
    # The UTC offset really changes across the day boundary, and the engine followed it.
    before_offset = availability.days[day - timedelta(days=1)][0].start.astimezone(ZoneInfo(tz_name)).utcoffset()
    after_offset = availability.days[day + timedelta(days=1)][0].start.astimezone(ZoneInfo(tz_name)).utcoffset()
    assert (after_offset - before_offset) == (timedelta(hours=1) if shift == "spring" else timedelta(hours=-1))


def test_night_hours_across_the_spring_gap_are_real_instants(session, make_business, make_service, make_staff):
    """A window 00:00-05:00 on the spring-forward day is four real hours; no slot is invented in the gap."""
    day = date(2030, 3, 10)
    business = make_business(timezone="America/New_York", hours={day.weekday(): [(time(0), time(5))]}, slot_interval_minutes=60)
    service = make_service(business, duration_minutes=60)
    make_staff(business, [service])
    slots = find_availability(session, business, service, day, now=datetime(2030, 3, 1, tzinfo=UTC)).slots
    assert local_times(slots, "America/New_York") == ["00:00", "01:00", "03:00", "04:00"]
    assert all(b.start - a.start == timedelta(hours=1) for a, b in zip(slots, slots[1:]))


def test_loader_reads_a_month_in_a_fixed_number_of_queries(app, session, salon, make_customer):
    from sqlalchemy import event

    business, service, alice, bob = salon
    for day in range(5):
        ops.create_booking(session, business, service, at(MONDAY + timedelta(days=day), 10), make_customer(business), now=before())
    session.commit()
    session.refresh(business), session.refresh(service)  # reloads after commit are not the loader's
    statements = []
    engine = session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        find_availability(session, business, service, MONDAY, MONDAY + timedelta(days=30), now=before())
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # Five (the service's length at the location comes with the staff: domain.service_terms).
    assert len(selects) <= 5


@pytest.mark.parametrize("far", [date(9999, 12, 31), date(1, 1, 1)])
def test_dates_far_outside_the_booking_horizon_are_empty_not_errors(session, salon, far):
    business, service, *_ = salon
    availability = find_availability(session, business, service, far, now=before())
    assert availability.days == {far: []}


@pytest.mark.parametrize("before_minutes,after_minutes,booked_at,asked", [
    (60, 0, (0, 23, 0), (1, 0, 0)),    # a long set-up before Tuesday 00:00 reaches back over Monday 23:00
    (0, 60, (1, 0, 30), (0, 23, 30)),  # a long clean-up after Monday 23:30 reaches into Tuesday 00:30
])
def test_buffers_see_bookings_across_midnight(session, make_business, make_service, make_staff, make_customer,
                                              before_minutes, after_minutes, booked_at, asked):
    hours = {d: [(time(0), time(23, 45))] for d in range(7)}
    business = make_business(hours=hours)
    service = make_service(business, duration_minutes=15, buffer_before_minutes=before_minutes,
                           buffer_after_minutes=after_minutes)
    alice = make_staff(business, [service], name="Alice")
    day_offset, hour, minute = booked_at
    ops.create_booking(session, business, service, at(MONDAY + timedelta(days=day_offset), hour, minute),
                       make_customer(business), staff=alice, now=before())
    session.commit()
    day_offset, hour, minute = asked
    wanted = at(MONDAY + timedelta(days=day_offset), hour, minute)
    day = MONDAY + timedelta(days=day_offset)
    assert find_availability(session, business, service, day, now=before()).find(wanted) is None
    with pytest.raises(SlotUnavailable):
        ops.hold(session, business, service, wanted, staff=alice, now=before())
