"""The one notion of "now" every domain function accepts: an aware instant passed in by
the caller (tests, demos, a pinned API clock), or the current UTC time."""
from __future__ import annotations

from datetime import datetime, timezone


def resolve_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now
