"""The week view reads its week once (domain.schedule.week_schedule): a constant number of
statements however many bookings and staff the week has, the same reads as one day; and
each of its days is exactly what day_schedule gives for that day, across a DST change, at a
location, for one staff member, with cancelled, test and expired bookings and time off."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import locations
from bookingapp.domain.schedule import day_schedule, week_schedule
from bookingapp.extensions import db
from tests.helpers import MONDAY, at, before, counted_statements
from tests.locations.conftest import branches  # noqa: F401 (a fixture)

# London's clocks go forward on Sunday 31 March 2030 and back on Sunday 27 October 2030.
SPRING_MONDAY = date(2030, 3, 25)
AUTUMN_MONDAY = date(2030, 10, 21)


def _page_statements(app, dash, url):
    with app.app_context():
        engine = db.engine
    with counted_statements(engine) as statements:
        response = dash.get(url)
    assert response.status_code == 200
    return len(statements)


def _week_statements(app, dash, monday=MONDAY, query=""):
    return _page_statements(app, dash, f"/dashboard/week?date={monday}{query}")


def _day_statements(app, dash, day=MONDAY):
    return _page_statements(app, dash, f"/dashboard/day?date={day}")


def _busy_week(session, business, service, staff, make_customer, make_time_off, monday=MONDAY):
    """Bookings on every day of the week for every staff member, some cancelled, one a test
    booking, and time off: everything the week shows or keeps out of its free time."""
    now = before(monday)
    for offset in range(7):
        day = monday + timedelta(days=offset)
        for index, member in enumerate(staff):
            for hour in (9 + index, 13 + index):
                booking = booking_ops.create_booking(session, business, service, at(day, hour),
                                                     make_customer(business), staff=member, now=now)
                if offset == 2 and hour == 9 + index:
                    booking_ops.cancel(session, booking, now=now, actor="staff")
    booking_ops.create_booking(session, business, service, at(monday, 16), make_customer(business),
                               staff=staff[0], now=now, test=True)
    session.commit()
    make_time_off(business, at(monday + timedelta(days=3), 16), at(monday + timedelta(days=4), 11), staff=staff[1])
    make_time_off(business, at(monday + timedelta(days=5), 17), at(monday + timedelta(days=5), 18))


def test_the_week_costs_the_same_statements_empty_or_busy_and_not_seven_days(
        app, session, salon, make_staff, make_customer, make_time_off, as_role):
    business, service, alice, bob = salon
    dash = as_role(business, "owner")
    empty_week = _week_statements(app, dash)
    one_day = _day_statements(app, dash)

    carol = make_staff(business, [service], name="Carol", sort_order=2)
    dan = make_staff(business, [service], name="Dan", sort_order=3)
    _busy_week(session, business, service, [alice, bob, carol, dan], make_customer, make_time_off)
    busy_week = _week_statements(app, dash)

    assert busy_week == empty_week
    # The week page reads what the day page reads (and lists the staff to choose from):
    # nowhere near seven days' worth (it was over forty statements, one day's reads each day).
    assert empty_week < 2 * one_day, (empty_week, one_day)
    # One staff member's week costs the same, empty or busy.
    assert _week_statements(app, dash, query=f"&staff={carol.id}") == \
        _week_statements(app, dash, monday=MONDAY + timedelta(days=7), query=f"&staff={carol.id}")


def test_the_week_reads_each_thing_once_whatever_the_number_of_days(
        session, salon, make_staff, make_customer, make_time_off):
    business, service, alice, bob = salon
    _busy_week(session, business, service, [alice, bob], make_customer, make_time_off)
    session.expire_all()
    now = at(MONDAY, 11)
    with counted_statements(session.get_bind()) as day_reads:
        day_schedule(session, business, MONDAY, now=now)
    session.expire_all()
    with counted_statements(session.get_bind()) as week_reads:
        week = week_schedule(session, business, MONDAY, 7, now=now)
    assert len(week) == 7
    assert len(week_reads) == len(day_reads), week_reads


# --------------------------------------------------------------------------- equivalence

def _blocks(blocks):
    return [(b.kind, b.start, b.end, b.top, b.height, b.booking.id if b.booking else None, b.label) for b in blocks]


def _picture(schedule):
    """Everything a day's schedule shows, as plain values."""
    return {
        "day": schedule.day, "timezone": str(schedule.timezone), "grid": (schedule.grid_start, schedule.grid_end),
        "now_offset": schedule.now_offset, "hour_marks": schedule.hour_marks,
        "columns": [(column.staff.id, _blocks(column.working), _blocks(column.bookings), _blocks(column.time_off),
                     _blocks(column.free)) for column in schedule.columns],
    }


def _assert_week_is_its_days(session, business, monday, *, now, **options):
    week = week_schedule(session, business, monday, 7, now=now, **options)
    assert [schedule.day for schedule in week] == [monday + timedelta(days=offset) for offset in range(7)]
    for schedule in week:
        one_day = day_schedule(session, business, schedule.day, now=now, **options)
        assert _picture(schedule) == _picture(one_day), schedule.day
    return week


@pytest.mark.parametrize("monday", [MONDAY, SPRING_MONDAY, AUTUMN_MONDAY], ids=["june", "spring-dst", "autumn-dst"])
def test_each_day_of_the_week_is_that_days_schedule(session, salon, make_staff, make_customer, make_time_off,
                                                    monday):
    business, service, alice, bob = salon
    _busy_week(session, business, service, [alice, bob], make_customer, make_time_off, monday=monday)
    sunday = monday + timedelta(days=6)
    # A late booking running past midnight into the Sunday (the DST night in spring and autumn).
    late = booking_ops.create_booking(session, business, service, at(sunday - timedelta(days=1), 16),
                                      make_customer(business), staff=alice, now=before(monday))
    late.starts_at = late.blocked_from = at(sunday - timedelta(days=1), 23)
    late.ends_at = late.blocked_until = at(sunday, 0, 30)
    # A hold that ran out occupies nothing; one still running shows.
    booking_ops.hold(session, business, service, at(sunday, 15), staff=bob, now=before(monday))
    now = at(monday + timedelta(days=2), 11)
    booking_ops.hold(session, business, service, at(monday + timedelta(days=2), 16), staff=bob, now=now)
    # A stylist who left on Tuesday: a column only on the day she still has a booking.
    eve = make_staff(business, [service], name="Eve", sort_order=5)
    booking_ops.create_booking(session, business, service, at(monday + timedelta(days=1), 12),
                               make_customer(business), staff=eve, now=before(monday))
    eve.is_active = False
    # The front desk performs nothing: never a column.
    make_staff(business, [], name="Desk", sort_order=6)
    # Someone with their own hours (Tuesday and Thursday afternoons only).
    make_staff(business, [service], name="Fay", sort_order=7,
               hours={1: [(time(12), time(17))], 3: [(time(12), time(17))]})
    session.commit()

    week = _assert_week_is_its_days(session, business, monday, now=now)
    columns = {schedule.day: [column.staff.name for column in schedule.columns] for schedule in week}
    assert columns[monday + timedelta(days=1)] == ["Alice", "Bob", "Eve", "Fay"]
    assert columns[monday] == ["Alice", "Bob", "Fay"]
    assert any(block.booking.id == late.id for block in week[6].columns[0].bookings)
    assert week[2].now_offset is not None and all(s.now_offset is None for i, s in enumerate(week) if i != 2)

    for member in (alice, eve):
        _assert_week_is_its_days(session, business, monday, now=now, only_staff_id=member.id)
    _assert_week_is_its_days(session, business, monday, now=now, min_gap_minutes=90)


def test_each_day_of_a_branchs_week_is_that_days_schedule(session, branches, make_customer,  # noqa: F811
                                                          make_time_off):
    business, service, alice, bob, main, riverside = branches
    customer = make_customer(business)
    for offset in range(7):
        day = MONDAY + timedelta(days=offset)
        booking_ops.create_booking(session, business, service, at(day, 9), customer, staff=alice,
                                   now=before(), location=main)
        if offset % 2:
            booking_ops.create_booking(session, business, service, at(day, 14), customer, staff=alice,
                                       now=before(), location=riverside)
        booking_ops.create_booking(session, business, service, at(day, 11), customer, staff=bob,
                                   now=before(), location=main)
    session.commit()
    closed = make_time_off(business, at(MONDAY + timedelta(days=2), 10), at(MONDAY + timedelta(days=2), 12))
    closed.location_id = riverside.id
    make_time_off(business, at(MONDAY + timedelta(days=4), 9), at(MONDAY + timedelta(days=4), 18), staff=alice)
    session.commit()

    now = at(MONDAY, 10)
    for location in (None, main, riverside):
        _assert_week_is_its_days(session, business, MONDAY, now=now, location=location)
        _assert_week_is_its_days(session, business, MONDAY, now=now, location=location, only_staff_id=alice.id)
    at_riverside = week_schedule(session, business, MONDAY, 7, now=now, location=riverside)
    assert [len(schedule.columns) for schedule in at_riverside] == [1] * 7  # Alice's column, every day


def test_a_branchs_week_reads_no_more_for_bookings_at_other_branches(session, branches, make_customer):  # noqa: F811
    """Alice's time at the other branches shows as "At <branch>" on a branch's view: the
    branches' names come with the week's one bookings read, not one read per branch."""
    business, service, alice, bob, main, riverside = branches
    harbour = locations.create_location(session, business, {
        "name": "Harbour", "slug": "harbour", "address": {"street": "3 Quay", "city": "London"},
    }, now=before())
    locations.set_location_hours(session, business, harbour, {d: [(time(8), time(20))] for d in range(7)})
    locations.set_staff_locations(session, business, alice, [main, riverside, harbour])
    locations.set_staff_hours_at(session, business, alice, harbour, {d: [(time(15), time(17))] for d in range(7)})
    session.commit()
    now = at(MONDAY, 8)

    def reads() -> int:
        session.expire_all()
        with counted_statements(session.get_bind()) as statements:
            week = week_schedule(session, business, MONDAY, 7, now=now, location=main)
        return len(statements), week

    alone, _ = reads()
    customer = make_customer(business)
    for offset in range(7):
        day = MONDAY + timedelta(days=offset)
        booking_ops.create_booking(session, business, service, at(day, 13), customer, staff=alice,
                                   now=before(), location=riverside)
        booking_ops.create_booking(session, business, service, at(day, 15), customer, staff=alice,
                                   now=before(), location=harbour)
    session.commit()
    busy, week = reads()
    labels = {block.label for schedule in week for column in schedule.columns for block in column.time_off}
    assert {"At Riverside", "At Harbour"} <= labels, labels
    assert busy == alone
