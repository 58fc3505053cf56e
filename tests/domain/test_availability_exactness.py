"""The availability loader reads busy blocks as whole UTC microseconds since the epoch, made
in SQL (PostgreSQL: ROUND(date_part('epoch', t) * 10^6), a float8 on the way) or parsed from
SQLite's stored text, and aggregated per staff member (_busy_blocks). A microsecond off
would let a slot start inside a booking or refuse one that touches it, so the conversion is
checked against Python's own arithmetic (`to_micros`) over many random instants, across the
years the float8 argument covers and with the fractions where rounding could go wrong
(SQLite's own unixepoch() reads .9996 s as the next second, the reason it is not used)."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from bookingapp.domain.availability import _busy_blocks, _micros_from_sqlite_text, load_inputs, to_micros
from bookingapp.models import Booking
from bookingapp.models.base import UTCDateTime

UTC = timezone.utc
US = timedelta(microseconds=1)
# Fractions of a second next to the places a rounding would show: whole seconds, a
# millisecond's rounding edge, and the last microseconds before the next second.
EDGE_FRACTIONS = (0, 1, 499, 500, 999, 500_000, 999_499, 999_500, 999_600, 999_999)


def random_instants(rng: random.Random, count: int, low: datetime, high: datetime) -> list[datetime]:
    span = (high - low) // US
    instants = []
    for n in range(count):
        instant = low + rng.randrange(span) * US
        if n % 3 == 0:  # a third of them on an edge fraction
            instant = instant.replace(microsecond=EDGE_FRACTIONS[n % len(EDGE_FRACTIONS)])
        instants.append(instant)
    return instants


def read_back(session, pairs: list[tuple[datetime, datetime]], groups: int) -> dict[int, list[tuple[int, int]]]:
    """The pairs written to a temporary table and read back through _busy_blocks, parsed as
    the loader parses them."""
    probe = Table(
        "availability_exactness_probe", MetaData(),
        Column("id", Integer, primary_key=True), Column("grp", Integer, nullable=False),
        Column("starts", UTCDateTime(), nullable=False), Column("ends", UTCDateTime(), nullable=False),
        prefixes=["TEMPORARY"],
    )
    connection = session.connection()
    probe.create(connection)
    try:
        connection.execute(insert(probe), [
            {"id": n, "grp": n % groups, "starts": starts, "ends": ends} for n, (starts, ends) in enumerate(pairs)
        ])
        rows = connection.execute(
            select(probe.c.grp, _busy_blocks(probe.c.starts, probe.c.ends)).group_by(probe.c.grp)
        ).all()
    finally:
        probe.drop(connection)
    to_number = _micros_from_sqlite_text if connection.dialect.name == "sqlite" else int
    read = {}
    for group, blocks in rows:
        numbers = map(to_number, blocks.split(","))
        read[group] = sorted(zip(numbers, numbers))
    return read


def test_random_instants_read_back_to_the_microsecond(session):
    rng = random.Random(20261130)
    # 1970 to 2105: the PostgreSQL conversion's error bound holds below 2^52 microseconds.
    starts = random_instants(rng, 20_000, datetime(1970, 1, 2, tzinfo=UTC), datetime(2105, 12, 31, tzinfo=UTC))
    pairs = [(start, start + rng.randrange(1, 10**10) * US) for start in starts]
    groups = 7
    expected: dict[int, list[tuple[int, int]]] = {}
    for n, (start, end) in enumerate(pairs):
        expected.setdefault(n % groups, []).append((to_micros(start), to_micros(end)))
    read = read_back(session, pairs, groups)
    assert read == {group: sorted(blocks) for group, blocks in expected.items()}


def test_loader_reads_odd_microsecond_bookings_exactly(session, make_business, make_service, make_staff, make_customer):
    """Through load_inputs itself: bookings whose times fall on odd microseconds (including
    .9995-.999999 s), back to back or a microsecond apart, come back as exactly their blocks,
    sorted, for each staff member."""
    rng = random.Random(13)
    business = make_business(hours={d: [(time(0), time(23, 59))] for d in range(7)}, min_notice_minutes=0)
    service = make_service(business, duration_minutes=30)
    members = [make_staff(business, [service], name=f"Exact {n}", sort_order=n) for n in range(3)]
    customer = make_customer(business)
    first_day = date(2031, 3, 29)  # over London's spring change: stored UTC does not care
    last_day = first_day + timedelta(days=2)
    expected = {}
    number = 0
    for member in members:
        cursor = datetime(2031, 3, 29, 6, 0, tzinfo=UTC)
        blocks = []
        for n in range(60):
            start = cursor + rng.choice([0, 1, rng.randrange(10**9)]) * US
            if n % 4 == 0:
                start = start.replace(microsecond=EDGE_FRACTIONS[n % len(EDGE_FRACTIONS)])
                start = max(start, cursor)
            end = start + rng.randrange(1, 45 * 60 * 10**6) * US
            blocks.append((start, end))
            cursor = end
        # Written in reverse so nothing relies on insertion order.
        for start, end in reversed(blocks):
            number += 1
            session.add(Booking(
                business_id=business.id, booking_number=f"BK-EXACT{number:05d}", service_id=service.id,
                staff_id=member.id, customer_id=customer.id, starts_at=start, ends_at=end,
                blocked_from=start, blocked_until=end, status="confirmed", source="api",
                custom_fields={}, price_cents=0, deposit_cents=0, currency="GBP",
            ))
        expected[member.id] = [(to_micros(start), to_micros(end)) for start, end in blocks]
    session.commit()

    now = datetime(2031, 3, 1, tzinfo=UTC)
    inputs = load_inputs(session, business, service, first_day, last_day, now=now)
    if session.get_bind().dialect.name == "postgresql":
        # PostgreSQL merges blocks less than a slot's reach apart (here the 30-minute
        # service, no buffers) into islands; tests/domain/test_availability_islands.py
        # checks that the answers stay the same. The islands' edges are still exact.
        expected = {member: islands(blocks, 30 * 60 * 10**6) for member, blocks in expected.items()}
    assert inputs.busy == expected


def islands(blocks: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in blocks:
        if merged and start - merged[-1][1] < gap:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
