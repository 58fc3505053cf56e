"""On PostgreSQL the loader reads each staff member's bookings merged into islands wherever
the gap between two is too short for a slot (domain/availability._island_statement, issue
13, eighth pass), and the "balanced" policy's bookings per day come with them. Merging is
only allowed where it changes no answer, so these tests write random calendars with gaps
just below, at and just above the merge gap (service length + both buffers) and check the
loader's answer against the same calendar read block by block: the same slots, the same
staff order for every policy, and the same bookings per day. On SQLite the loader reads every
block, and the same tests check it against itself the same way."""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest

from bookingapp.domain.availability import compute_availability, load_inputs, to_micros
from bookingapp.models import Booking

UTC = timezone.utc
US = timedelta(microseconds=1)
FIRST_DAY = date(2031, 3, 29)  # London's spring change falls on the 30th
DAYS = 3
BEFORE, LENGTH, AFTER = 10, 30, 5  # minutes: the merge gap is 45 minutes
GAP = timedelta(minutes=BEFORE + LENGTH + AFTER)


def random_calendar(rng: random.Random, first_start: datetime, count: int, *, on_grid: bool
                    ) -> list[tuple[datetime, datetime]]:
    """Blocks one after the other whose gaps are mostly on the merge gap's edges. `on_grid`:
    every time on the 5-minute slot grid, so that a gap of exactly the merge gap leaves a
    start the grid offers (a merge one microsecond too eager would take it away); else
    odd microseconds."""
    five = timedelta(minutes=5)
    if on_grid:
        gaps = [timedelta(0), GAP - five, GAP, GAP + five]
        lengths = [five, 10 * five]
    else:
        gaps = [timedelta(0), US, GAP - US, GAP, GAP + US]
        lengths = [five, rng.randrange(1, 3600 * 10**6) * US]
    blocks, cursor = [], first_start
    for _ in range(count):
        gap = rng.choice([*gaps, rng.randrange(1, 48) * five])
        start = cursor + gap
        end = start + rng.choice(lengths)
        blocks.append((start, end))
        cursor = end
    return blocks


def raw_bookings_per_day(blocks_by_member, tz_name="Europe/London"):
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(tz_name)
    counts = {}
    for member, blocks in blocks_by_member.items():
        for start, _ in blocks:
            day = start.astimezone(tz).date()
            if FIRST_DAY <= day < FIRST_DAY + timedelta(days=DAYS):
                counts[(member, day)] = counts.get((member, day), 0) + 1
    return counts


@pytest.mark.parametrize("policy", ["balanced", "fixed_order", "random"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_loaders_calendar_answers_as_every_block_read_one_by_one(
    session, make_business, make_service, make_staff, make_customer, policy, seed,
):
    rng = random.Random(seed)
    business = make_business(hours={d: [(time(0), time(23, 59))] for d in range(7)}, slot_interval_minutes=5,
                             assignment_policy=policy)
    service = make_service(business, duration_minutes=LENGTH, buffer_before_minutes=BEFORE,
                           buffer_after_minutes=AFTER)
    members = [make_staff(business, [service], name=f"Island {n}", sort_order=n) for n in range(4)]
    customer = make_customer(business)
    written = {}
    number = 0
    for n, member in enumerate(members):
        # From the evening before the first day, so that blocks cross midnights too.
        blocks = random_calendar(rng, datetime(2031, 3, 28, 22, 0, tzinfo=UTC) + (n % 2) * 7 * US, 40 + 10 * n,
                                 on_grid=n % 2 == 0)
        written[member.id] = blocks
        for start, end in blocks:
            number += 1
            session.add(Booking(
                business_id=business.id, booking_number=f"BK-ISLAND{number:05d}",
                service_id=service.id, staff_id=member.id, customer_id=customer.id, starts_at=start, ends_at=end,
                blocked_from=start, blocked_until=end, status="confirmed", source="api", custom_fields={},
                price_cents=0, deposit_cents=0, currency="GBP",
            ))
    session.commit()

    now = datetime(2031, 3, 1, tzinfo=UTC)
    last_day = FIRST_DAY + timedelta(days=DAYS - 1)
    loaded = load_inputs(session, business, service, FIRST_DAY, last_day, now=now)
    one_by_one = replace(
        loaded,
        busy={member: [(to_micros(start), to_micros(end)) for start, end in blocks]
              for member, blocks in written.items()},
        bookings_per_day=raw_bookings_per_day(written),
    )
    if policy == "balanced":
        assert loaded.bookings_per_day == one_by_one.bookings_per_day
    if session.get_bind().dialect.name == "postgresql":
        # The islands are fewer than the blocks: the merge did happen.
        assert sum(map(len, loaded.busy.values())) < sum(map(len, one_by_one.busy.values()))

    def slots(inputs):
        answer = compute_availability(inputs, service_id=service.id, first_day=FIRST_DAY, last_day=last_day, now=now,
                                      rng=random.Random(seed))
        return {day: [(slot.start, slot.staff_ids) for slot in day_slots] for day, day_slots in answer.days.items()}

    expected = slots(one_by_one)
    assert any(expected.values())  # the calendars leave room: the comparison is not of empty days
    assert slots(loaded) == expected
    # One staff member alone, and a booking left out (as a reschedule reads its calendar).
    member = members[2]
    moved = session.query(Booking).filter_by(staff_id=member.id).order_by(Booking.blocked_from).all()[5]
    alone = load_inputs(session, business, service, FIRST_DAY, last_day, now=now, staff_id=member.id,
                        exclude_booking_ids=[moved.id])
    kept = [(start, end) for start, end in written[member.id] if start != moved.blocked_from]
    assert len(kept) == len(written[member.id]) - 1
    assert slots(alone) == slots(replace(
        alone, busy={member.id: [(to_micros(start), to_micros(end)) for start, end in kept]},
        bookings_per_day=raw_bookings_per_day({member.id: kept}),
    ))
