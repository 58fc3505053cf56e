"""Helpers for the wizard's test-client tests: a pinned clock, a bookable business and
CSRF tokens.

Every test here that builds the app runs on a pinned clock (`pinned_clock`, standing
still at NOW until a test moves it), so nothing depends on the hour or the date the suite
runs at; bookings are placed relative to it (`tomorrow_at`)."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bookingapp.domain import clock
from bookingapp.models import ServiceCategory

# A Monday, 08:00 in London (GMT in March): "tomorrow at 10:00" is 26 hours ahead.
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


class PinnedClock:
    """The app's CLOCK setting: stands still at `now`; a test may set or advance it."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture(autouse=True)
def pinned_clock(request, monkeypatch):
    """Pin the clock of the test's app (if it has one) at NOW. The fake Stripe server then
    reads the same clock (it refuses a page that expires within 30 minutes of its own
    "now"), as real Stripe and a real server share the real time."""
    if "app" not in request.fixturenames:
        return None
    pinned = PinnedClock(NOW)
    request.getfixturevalue("app").config["CLOCK"] = pinned
    if "fake_stripe" in request.fixturenames:
        monkeypatch.setattr("tests.payments.fake_stripe.time", SimpleNamespace(time=lambda: pinned.now.timestamp()))
    return pinned

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def shop(session, make_business, make_service, make_staff):
    """A business open every day 09:00-18:00 London, bookable from now on: one service
    with a deposit, one paid at the venue, one inactive; two staff."""
    business = make_business(
        slug="corner-salon", name="Corner Salon", deposit_policy="none", address_street="1 High St",
        address_city="London", min_notice_minutes=0,
    )
    category = ServiceCategory(business_id=business.id, name="Hair", sort_order=0)
    session.add(category)
    session.commit()
    cut = make_service(business, name="Cut", price_cents=4000, deposit_cents=0, category_id=category.id)
    colour = make_service(business, name="Colour", price_cents=9000, deposit_cents=2000, category_id=category.id)
    hidden = make_service(business, name="Old Perm", is_active=False, category_id=category.id)
    alice = make_staff(business, [cut, colour], name="Alice", sort_order=0, bio="Colour specialist.")
    bob = make_staff(business, [cut], name="Bob", sort_order=1)
    return dict(business=business, cut=cut, colour=colour, hidden=hidden, alice=alice, bob=bob)


def tomorrow_at(business, hour: int) -> datetime:
    """`hour` o'clock, the business's local time, on the day after the domain clock's
    today: the pinned NOW in these tests, the real time in the browser tests (which
    share the `shop` fixture and serve the app to a real browser's clock)."""
    tz = ZoneInfo(business.timezone)
    day = clock.now().astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(timezone.utc)
