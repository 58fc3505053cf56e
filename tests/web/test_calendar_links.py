"""Google Calendar, Outlook and map links on the booked and manage pages (issue 16),
built by bookingapp.web.links: the exact URLs."""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from types import SimpleNamespace

from bookingapp.web.links import google_calendar_url, map_url, outlook_calendar_url
from tests.web.test_wizard import book_at_venue

BUSINESS = SimpleNamespace(name="Corner Salon", address_street="1 High St", address_city="London",
                           address_zip="N1 9GU", address_country="GB", timezone="Europe/London")
BOOKING = SimpleNamespace(
    service=SimpleNamespace(name="Cut & Colour"), booking_number="BK-7Q2",
    starts_at=datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc), ends_at=datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc),
)
MANAGE = "https://book.example/corner-salon/manage/abc"


def test_google_calendar_link():
    assert google_calendar_url(BUSINESS, BOOKING, MANAGE) == (
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text=Cut%20%26%20Colour%20at%20Corner%20Salon"
        "&dates=20261025T003000Z%2F20261025T013000Z"
        "&details=Booking%20BK-7Q2.%20See%2C%20change%20or%20cancel%20it%3A%20https%3A%2F%2Fbook.example%2Fcorner-salon%2Fmanage%2Fabc"
        "&ctz=Europe%2FLondon&location=Corner%20Salon%2C%201%20High%20St%2C%20London%2C%20N1%209GU"
    )


def test_outlook_link():
    assert outlook_calendar_url(BUSINESS, BOOKING, MANAGE) == (
        "https://outlook.live.com/calendar/0/deeplink/compose?path=%2Fcalendar%2Faction%2Fcompose&rru=addevent"
        "&subject=Cut%20%26%20Colour%20at%20Corner%20Salon&startdt=2026-10-25T00%3A30%3A00Z&enddt=2026-10-25T01%3A30%3A00Z"
        "&body=Booking%20BK-7Q2.%20See%2C%20change%20or%20cancel%20it%3A%20https%3A%2F%2Fbook.example%2Fcorner-salon%2Fmanage%2Fabc"
        "&location=Corner%20Salon%2C%201%20High%20St%2C%20London%2C%20N1%209GU"
    )


def test_map_link_and_none_without_an_address():
    assert map_url(BUSINESS) == (
        "https://www.google.com/maps/search/?api=1&query=Corner%20Salon%2C%201%20High%20St%2C%20London%2C%20N1%209GU%2C%20GB"
    )
    assert map_url(SimpleNamespace(**{**vars(BUSINESS), "address_street": None})) is None


def test_booked_and_manage_pages_offer_the_calendar_and_map_links(client, shop):
    done, manage = book_at_venue(client, shop)
    for page in (done.text, client.get(manage).text):
        links = {name: html.unescape(url) for url, name in re.findall(r'href="([^"]+)"[^>]*id="(add-google|add-outlook|add-ics|map-link)"', page)}
        assert set(links) == {"add-google", "add-outlook", "add-ics", "map-link"}
        assert links["add-google"].startswith("https://calendar.google.com/calendar/render?action=TEMPLATE&text=Cut%20at%20Corner%20Salon")
        assert "manage" in links["add-google"] and links["add-outlook"].startswith("https://outlook.live.com/")
        assert links["map-link"].endswith("query=Corner%20Salon%2C%201%20High%20St%2C%20London%2C%20GB")
        assert links["add-ics"].endswith("/booking.ics")
