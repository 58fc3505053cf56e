"""Helpers for the wizard's test-client tests: a bookable business and CSRF tokens."""
from __future__ import annotations

import re
from datetime import datetime, time, timezone

import pytest

from bookingapp.models import ServiceCategory

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
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(business.timezone)
    day = datetime.now(tz).date() + timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(timezone.utc)
