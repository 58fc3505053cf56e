"""The wizard's time page (and the manage link's "change time", the same page): the month
calendar offers exactly the days the availability engine has free time on, the chosen
day's buttons are exactly the engine's slots for that day, every link is the page's own
address plus a query string, and the page costs the same number of SQL statements
whatever the number of staff, bookings and days.

The clock is pinned (tests/web/conftest.py): Monday 2 March 2026, 08:00 UTC (GMT); London
moves to BST on Sunday 29 March."""
from __future__ import annotations

import html
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.availability import find_availability
from bookingapp.extensions import db
from bookingapp.models import TimeOff
from tests.web.conftest import NOW, tomorrow_at
from tests.web.test_wizard import book_at_venue

HX = {"HX-Request": "true"}
FREE_DAY = re.compile(
    r'<a class="day free" href="([^"]+)"\s+hx-get="([^"]+)"[^>]*?(aria-current="date")?\s*'
    r'aria-label="([^"]+), times available">(\d+)</a>'
)
OFF_DAY = re.compile(r'<span class="day off" aria-disabled="true" aria-label="([^"]+), no times">(\d+)</span>')
BUTTON = re.compile(r'<button type="submit" name="start" value="([^"]+)" class="slot">([^<]+)</button>')
NAV = re.compile(r'<a class="cal-nav" href="([^"]+)" aria-label="(Previous|Next) month">')
FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)" class="slot-buttons">')


def free_days(page_text: str) -> dict[str, dict]:
    """The calendar's free days by the `day` their link asks for."""
    found = {}
    for href, hx_get, current, label, number in FREE_DAY.findall(page_text):
        link = html.unescape(href)
        found[link.rsplit("day=", 1)[1]] = dict(
            href=link, hx_get=html.unescape(hx_get), current=bool(current), label=label, number=int(number),
        )
    return found


def buttons(page_text: str) -> list[tuple[str, str]]:
    return BUTTON.findall(page_text)


def engine_free_days(session, business, service, first: date, last: date, staff=None, exclude=()) -> set[str]:
    result = find_availability(session, business, service, first, last, now=NOW,
                               staff_id=staff.id if staff else None, exclude_booking_ids=exclude)
    return {day.isoformat() for day, slots in result.days.items() if slots}


def engine_buttons(session, business, service, day: date, staff=None, exclude=()) -> list[tuple[str, str]]:
    result = find_availability(session, business, service, day, now=NOW,
                               staff_id=staff.id if staff else None, exclude_booking_ids=exclude)
    return [(slot.start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
             slot.start.astimezone(_tz(business)).strftime("%H:%M"))
            for slot in result.days[day]]


def _tz(business) -> ZoneInfo:
    return ZoneInfo(business.timezone)


def whole_local_day(business, day: date) -> tuple[datetime, datetime]:
    tz = _tz(business)
    return (datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc),
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(timezone.utc))


@pytest.fixture
def studio(session, make_business, make_service, make_staff):
    """One person, open Monday to Saturday 09:00-18:00 London (closed on Sundays), off all
    day on Tuesday 10 March; a 45-minute service on a 15-minute grid."""
    business = make_business(slug="studio", name="Studio", hours={d: [(time(9), time(18))] for d in range(6)})
    service = make_service(business, name="Massage", duration_minutes=45, deposit_cents=0)
    member = make_staff(business, [service], name="Nia")
    starts, ends = whole_local_day(business, date(2026, 3, 10))
    session.add(TimeOff(business_id=business.id, staff_id=member.id, starts_at=starts, ends_at=ends, reason="away"))
    session.commit()
    return dict(business=business, service=service, member=member,
                base=f"/studio/book/{service.id}/{member.id}", any_base=f"/studio/book/{service.id}/any")


# --------------------------------------------------------------------------- the calendar


def test_calendar_offers_exactly_the_days_the_engine_has_free_time_on(client, session, studio):
    page = client.get(studio["base"])
    assert page.status_code == 200
    shown = free_days(page.text)
    expected = engine_free_days(session, studio["business"], studio["service"], date(2026, 3, 2), date(2026, 3, 31),
                                staff=studio["member"])
    assert set(shown) == expected
    # Sundays (closed) and the day off are shown, disabled; so are the days already past.
    off = {int(number) for _, number in OFF_DAY.findall(page.text)}
    assert {1, 8, 10, 15, 22, 29} <= off and "2026-03-10" not in shown and "2026-03-11" in shown
    assert {int(day[-2:]) for day in shown} | off == set(range(1, 32))
    # No day given: the first free day is chosen, and its times shown.
    assert [day for day, cell in shown.items() if cell["current"]] == ["2026-03-02"]
    assert buttons(page.text) == engine_buttons(session, studio["business"], studio["service"], date(2026, 3, 2),
                                                staff=studio["member"])


def test_every_calendar_link_is_the_page_address_with_month_and_day(client, studio):
    shown = free_days(client.get(studio["base"]).text)
    for day, cell in shown.items():
        assert cell["href"] == cell["hx_get"] == f"{studio['base']}?month=2026-03&day={day}"
        assert cell["number"] == int(day[-2:])
        the_day = date.fromisoformat(day)
        assert cell["label"] == f"{the_day:%A} {the_day.day} {the_day:%B}"
    # A link opens that day (full page, and the htmx slots partial the calendar asks for).
    link = shown["2026-03-12"]["href"]
    page = client.get(link)
    assert free_days(page.text)["2026-03-12"]["current"] and "Thursday 12 March" in page.text
    partial = client.get(link, headers={**HX, "HX-Target": "slots"})
    assert partial.text.lstrip().startswith('<section id="slots"')
    assert FORM_ACTION.search(partial.text).group(1) == studio["base"]
    assert buttons(partial.text) == buttons(page.text) != []


def test_month_links_carry_the_month_and_open_that_month(client, session, studio):
    page = client.get(studio["base"])
    assert NAV.findall(page.text) == [(f"{studio['base']}?month=2026-04", "Next")]  # no month before today's
    assert FORM_ACTION.search(page.text).group(1) == studio["base"]
    april = client.get(f"{studio['base']}?month=2026-04")
    assert "April 2026" in april.text
    assert [(html.unescape(href), which) for href, which in NAV.findall(april.text)] == [
        (f"{studio['base']}?month=2026-03", "Previous"), (f"{studio['base']}?month=2026-05", "Next"),
    ]
    assert set(free_days(april.text)) == engine_free_days(
        session, studio["business"], studio["service"], date(2026, 4, 1), date(2026, 4, 30), staff=studio["member"])
    assert all(cell["href"].startswith(f"{studio['base']}?month=2026-04&day=2026-04-")
               for cell in free_days(april.text).values())


def test_day_times_on_the_dst_change_are_the_engine_slots_in_local_time(client, session, make_business, make_service,
                                                                         make_staff):
    business = make_business(slug="every-day")
    service = make_service(business, name="Cut", duration_minutes=60, deposit_cents=0)
    make_staff(business, [service], name="Kai")
    base = f"/every-day/book/{service.id}/any"
    for day, first_value in ((date(2026, 3, 28), "2026-03-28T09:00:00Z"), (date(2026, 3, 29), "2026-03-29T08:00:00Z")):
        page = client.get(f"{base}?day={day.isoformat()}")
        shown = buttons(page.text)
        assert shown == engine_buttons(session, business, service, day)
        # 09:00 London is 09:00 UTC in GMT and 08:00 UTC in BST; the last start is 17:00 local.
        assert shown[0] == (first_value, "09:00") and shown[-1][1] == "17:00"
        assert free_days(page.text)[day.isoformat()]["current"]


def test_a_month_with_nothing_left_opens_on_the_next_one(client, session, studio):
    starts, _ = whole_local_day(studio["business"], date(2026, 3, 2))
    _, ends = whole_local_day(studio["business"], date(2026, 3, 31))
    session.add(TimeOff(business_id=studio["business"].id, staff_id=studio["member"].id, starts_at=starts,
                        ends_at=ends, reason="the rest of March"))
    session.commit()
    page = client.get(studio["base"])
    assert "April 2026" in page.text
    shown = free_days(page.text)
    assert shown and all(day.startswith("2026-04-") for day in shown)
    assert [day for day, cell in shown.items() if cell["current"]] == ["2026-04-01"]
    # Asked for March explicitly, it shows March, with nothing free.
    march = client.get(f"{studio['base']}?month=2026-03")
    assert "March 2026" in march.text and free_days(march.text) == {} and "No free times this month" in march.text


def test_a_chosen_day_without_free_time_shows_the_month_and_no_times(client, studio):
    page = client.get(f"{studio['base']}?day=2026-03-10")
    assert "Tuesday 10 March" in page.text and "No free times on this day." in page.text
    assert buttons(page.text) == [] and "2026-03-11" in free_days(page.text)


def slots_section(page_text: str) -> str:
    """The #slots section, whitespace folded and the CSRF token (new per render) blanked."""
    section = re.search(r'<section id="slots".*?</section>', page_text, re.S).group(0)
    section = re.sub(r'(name="csrf_token" type="hidden" value=")[^"]+', r"\1", section)
    return re.sub(r"\s+", " ", section)


@pytest.mark.parametrize("query", [
    "?month=2026-03&day=2026-03-12",  # a free day of the month shown
    "?month=2026-03&day=2026-03-10",  # the day off: no times
    "?month=2026-03&day=2026-03-01",  # past
    "?day=2026-03-29",  # a Sunday (closed), the month taken from the day
    "?month=2026-04&day=2026-03-12",  # a day outside the month shown: the month's first free day instead
    "?month=2026-04",  # no day: the month's first free day
    "?day=not-a-day",
])
def test_the_slots_partial_is_exactly_the_full_page_slots_section(client, studio, query):
    page = client.get(studio["base"] + query)
    partial = client.get(studio["base"] + query, headers={**HX, "HX-Target": "slots"})
    assert page.status_code == partial.status_code == 200
    assert partial.text.lstrip().startswith('<section id="slots"') and "<table" not in partial.text
    assert slots_section(partial.text) == slots_section(page.text)


def test_a_day_clicked_in_the_calendar_does_not_compute_the_month(client, studio):
    url = f"{studio['base']}?month=2026-03&day=2026-03-12"
    whole_page = statements_for(client, url)
    day_only = statements_for(client, url, {**HX, "HX-Target": "slots"})
    assert day_only < whole_page


def test_reschedule_calendar_stays_on_the_manage_link_and_offers_the_booking_own_time(client, session, shop):
    _, manage = book_at_venue(client, shop, hour=10)
    tomorrow = tomorrow_at(shop["business"], 10).date()
    page = client.get(f"{manage}/reschedule?day={tomorrow.isoformat()}")
    assert page.status_code == 200 and "Choose a new time" in page.text
    shown = free_days(page.text)
    assert shown and all(cell["href"] == f"{manage}/reschedule?month={tomorrow:%Y-%m}&day={day}"
                         for day, cell in shown.items())
    assert FORM_ACTION.search(page.text).group(1) == f"{manage}/reschedule"
    # The booking's own 10:00 is free to move to (it does not block itself).
    assert "10:00" in [label for _, label in buttons(page.text)]


# --------------------------------------------------------------------------- cost


def statements_for(client, url: str, headers=None) -> int:
    count = 0

    def counted(*_args):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        response = client.get(url, headers=headers or {})
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    assert response.status_code == 200
    return count


def test_the_time_page_costs_the_same_sql_statements_for_many_staff_and_bookings_as_for_one(
    client, session, make_business, make_service, make_staff,
):
    def shop(slug: str, staff_count: int, bookings_per_day: int):
        business = make_business(slug=slug)
        service = make_service(business, name="Cut", duration_minutes=30, deposit_cents=0)
        members = [make_staff(business, [service], name=f"Staff {n}", sort_order=n) for n in range(staff_count)]
        tz = _tz(business)
        for day_offset in range(1, 6):
            day = date(2026, 3, 2) + timedelta(days=day_offset)
            for member in members:
                for n in range(bookings_per_day):
                    start = datetime.combine(day, time(9), tzinfo=tz) + timedelta(hours=n)
                    booking_ops.hold(session, business, service, start.astimezone(timezone.utc), staff=member, now=NOW)
        session.commit()
        return f"/{slug}/book/{service.id}", members[0]

    small, small_member = shop("small-shop", 1, 0)
    big, big_member = shop("big-shop", 6, 4)
    for who_small, who_big in (("any", "any"), (small_member.id, big_member.id)):
        for query in ("", "?day=2026-03-04", "?month=2026-04"):
            for headers in ({}, {**HX, "HX-Target": "slots"}):
                small_count = statements_for(client, f"{small}/{who_small}{query}", headers)
                big_count = statements_for(client, f"{big}/{who_big}{query}", headers)
                assert small_count == big_count, (who_small, query, headers)


def test_a_time_page_answered_from_the_cache_reads_four_statements(client, studio):
    """Once the month and the day are cached (another visitor asked this minute), the page
    reads only what it shows: the business (with its availability version and how many
    active locations it has, in the same statement), the service, the staff member and the
    service's terms at the location, read once for the length shown and the steps' "pay"
    marker (issue 13, ninth pass)."""
    url = f"{studio['base']}?month=2026-03&day=2026-03-12"
    client.get(url)  # the first visit computes and caches the answers
    assert statements_for(client, url) == 4
