"""Small helpers shared by tests."""
from __future__ import annotations

import os
from contextlib import contextmanager

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

# A Monday far enough ahead that notice and advance rules are easy to reason about.
MONDAY = date(2030, 6, 3)


def at(day: date, hour: int, minute: int = 0, tz: str = "Europe/London") -> datetime:
    """The UTC instant of a local wall-clock time."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def before(day: date = MONDAY, days: int = 1) -> datetime:
    """A 'now' some days before a local day."""
    return datetime.combine(day, time(0), tzinfo=timezone.utc) - timedelta(days=days)


def is_postgres() -> bool:
    """Whether this run of the suite is on PostgreSQL (DATABASE_URL set, as in .ci/run)."""
    return bool(os.environ.get("DATABASE_URL"))


def customer_emails(session, booking_id=None) -> list:
    """The emails recorded for customers (domain.notify), oldest first; those about one
    booking with booking_id."""
    from sqlalchemy import select

    from bookingapp.models import Message

    query = select(Message).where(Message.audience == "customer", Message.channel == "email")
    if booking_id is not None:
        query = query.where(Message.booking_id == booking_id)
    return list(session.scalars(query.order_by(Message.created_at, Message.kind)))


@contextmanager
def counted_statements(engine):
    """The SQL statements sent through `engine` inside the block, in order (a
    `before_cursor_execute` listener): for tests that pin how many statements a request or
    a read costs."""
    from sqlalchemy import event

    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)
