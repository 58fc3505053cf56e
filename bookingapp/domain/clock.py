"""The one clock: every door, the worker, the CLI and the domain ask `now()` and nothing
else reads the wall clock.

A caller may still pass an explicit instant (`resolve_now(now)`), which is how the domain
keeps its functions pure. Tests and demos pin the clock through one setting, the app's
`CLOCK` (a callable returning an aware datetime); the application factory installs it for
every app context (request, CLI command, worker loop) through `pinned_to`, so two apps in
one process (or two threads serving one app) never see each other's pin.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import datetime, timezone
from typing import Callable, Iterator

ClockSource = Callable[[], datetime]

_source: ContextVar[ClockSource | None] = ContextVar("bookingapp_clock_source", default=None)


def real_now() -> datetime:
    """The wall clock. Only the clock's own sources call this."""
    return datetime.now(timezone.utc)


def now() -> datetime:
    """The current instant, aware and in UTC: the pinned clock if one is installed."""
    source = _source.get()
    if source is None:
        return real_now()
    instant = source()
    if instant.tzinfo is None:
        raise ValueError("the pinned clock must return timezone-aware datetimes")
    return instant.astimezone(timezone.utc)


def resolve_now(now_: datetime | None) -> datetime:
    """An explicit instant (aware; naive is refused) or the clock's `now()`."""
    if now_ is None:
        return now()
    if now_.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now_


def install(source: ClockSource | None) -> Token:
    """Pin the clock in the current context (None: the real clock); returns the token
    that `uninstall` takes to put the previous one back."""
    return _source.set(source)


def uninstall(token: Token) -> None:
    _source.reset(token)


@contextmanager
def pinned_to(source: ClockSource | datetime | None) -> Iterator[None]:
    """`with pinned_to(instant_or_callable):` for scripts, benchmarks and tests."""
    if isinstance(source, datetime):
        fixed = source
        source = lambda: fixed  # noqa: E731 - a constant clock
    token = install(source)
    try:
        yield
    finally:
        uninstall(token)
