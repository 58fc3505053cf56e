"""The booking's calendar file (domain.ics), read back with the icalendar library as a
calendar program would."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.ics import booking_ics, calendar_uid
from bookingapp.domain.reminders import first_reminder_hours
from tests.helpers import MONDAY, at, before

# The last Sunday of March 2030: London moves from GMT to BST at 01:00 UTC.
DST_SUNDAY = date(2030, 3, 31)
MANAGE = "https://book.example/salon/manage/abc"


class TinyCalendar:
    """What a calendar program does with iTIP messages (RFC 5546): events are keyed by UID,
    a message with a lower SEQUENCE than the one held is stale, REQUEST adds or replaces,
    CANCEL removes."""

    def __init__(self):
        self.events: dict[str, object] = {}

    def apply(self, text: str) -> None:
        calendar = Calendar.from_ical(text)
        method = str(calendar["METHOD"])
        for event in calendar.walk("VEVENT"):
            uid, sequence = str(event["UID"]), int(event.get("SEQUENCE", 0))
            held = self.events.get(uid)
            if held is not None and int(held.get("SEQUENCE", 0)) > sequence:
                continue
            if method == "CANCEL" or str(event.get("STATUS")) == "CANCELLED":
                self.events.pop(uid, None)
            else:
                self.events[uid] = event

    def starts(self) -> list[datetime]:
        return [event.decoded("DTSTART") for event in self.events.values()]


def _event(text: str):
    (event,) = Calendar.from_ical(text).walk("VEVENT")
    return event


def _book(session, salon, make_customer, start, *, now=None, **customer):
    business, service, alice, _ = salon
    customer = make_customer(business, **customer)
    return booking_ops.create_booking(session, business, service, start, customer, staff=alice,
                                      now=now or before())


def test_booking_then_reschedule_then_cancel_leave_one_event_then_none(session, salon, make_customer):
    business, _, alice, _ = salon
    first = _book(session, salon, make_customer, at(MONDAY, 10))
    calendar = TinyCalendar()

    booked = booking_ics(first, business, now=before(), manage_url=MANAGE, method="REQUEST")
    assert int(_event(booked)["SEQUENCE"]) == 0
    calendar.apply(booked)
    assert calendar.starts() == [at(MONDAY, 10)]

    new_start = at(MONDAY + timedelta(days=1), 14)
    moved = booking_ops.reschedule(session, first, business, new_start, staff=alice, now=before())
    moved_ics = booking_ics(moved, business, now=before(), manage_url=MANAGE, method="REQUEST")
    # The replacement carries the calendar event on (domain.booking): same UID, one more SEQUENCE.
    assert (str(_event(moved_ics)["UID"]), int(_event(moved_ics)["SEQUENCE"])) == (calendar_uid(first), 1)
    calendar.apply(moved_ics)
    assert calendar.starts() == [new_start]
    # The booking left behind, downloaded again late, is older than what the calendar holds.
    calendar.apply(booking_ics(first, business, now=before(), method="PUBLISH"))
    assert calendar.starts() == [new_start]

    booking_ops.cancel(session, moved, now=before(), actor="customer")
    cancelled = booking_ics(moved, business, now=before(), manage_url=MANAGE, method="CANCEL")
    parsed = Calendar.from_ical(cancelled)
    assert str(parsed["METHOD"]) == "CANCEL"
    assert (int(_event(cancelled)["SEQUENCE"]), str(_event(cancelled)["STATUS"])) == (2, "CANCELLED")
    calendar.apply(cancelled)
    assert calendar.events == {}


def test_dst_day_is_written_in_local_time_with_the_zones_rules(session, salon, make_customer):
    business = salon[0]
    booking = _book(session, salon, make_customer, at(DST_SUNDAY, 10), now=before(DST_SUNDAY))
    text = booking_ics(booking, business, now=before(DST_SUNDAY), method="REQUEST")

    unfolded = text.replace("\r\n ", "")
    assert "DTSTART;TZID=Europe/London:20300331T100000" in unfolded
    assert "DTEND;TZID=Europe/London:20300331T110000" in unfolded
    event = _event(text)
    # 10:00 BST is 09:00 UTC: a reader in any zone places it there.
    assert event.decoded("DTSTART") == at(DST_SUNDAY, 10) == datetime.fromisoformat("2030-03-31T09:00:00+00:00")

    (zone,) = Calendar.from_ical(text).timezones
    assert zone.tz_name == "Europe/London"
    # The VTIMEZONE's own rules, read without the reader's zone database, give BST from
    # that Sunday and GMT the day before.
    rules = zone.to_tz(lookup_tzid=False)
    assert datetime(2030, 3, 31, 10, tzinfo=rules).utcoffset() == timedelta(hours=1)
    assert datetime(2030, 3, 30, 10, tzinfo=rules).utcoffset() == timedelta(0)
    assert {str(sub["TZNAME"]) for sub in zone.walk() if sub.name in ("STANDARD", "DAYLIGHT")} == {"GMT", "BST"}


def test_event_carries_place_people_description_and_status(session, salon, make_customer):
    business, service, _, _ = salon
    business.email = "hello@salon.example"
    business.address_street = "1 High St, Floor 2; rear"
    business.address_city = "London"
    service.name = "Cut, wash; finish " + "é" * 40
    booking = _book(session, salon, make_customer, at(MONDAY, 10), email="ada@example.com", name="Lovelace, Ada")
    text = booking_ics(booking, business, now=before(), manage_url=MANAGE, method="REQUEST")

    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    event = _event(text)
    assert str(event["UID"]) == f"{booking.id}@bookingapp" == calendar_uid(booking)
    assert str(event["LOCATION"]) == "Test Salon, 1 High St, Floor 2; rear, London"
    assert str(event["SUMMARY"]) == f"{service.name} at Test Salon"
    assert str(event["ORGANIZER"]) == "mailto:hello@salon.example"
    assert str(event["ATTENDEE"]) == "mailto:ada@example.com"
    assert event["ATTENDEE"].params["CN"] == "Lovelace, Ada"
    assert MANAGE in str(event["DESCRIPTION"]) and booking.booking_number in str(event["DESCRIPTION"])
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "VALARM" not in text


def test_status_follows_the_booking_and_the_method(session, salon, make_customer):
    business = salon[0]
    booking = _book(session, salon, make_customer, at(MONDAY, 10))
    booking.status = "pending"
    assert str(_event(booking_ics(booking, business, now=before()))["STATUS"]) == "TENTATIVE"
    booking.status = "confirmed"
    assert str(_event(booking_ics(booking, business, now=before(), method="CANCEL"))["STATUS"]) == "CANCELLED"
    for gone in ("cancelled", "expired", "rescheduled"):
        booking.status = gone
        assert str(_event(booking_ics(booking, business, now=before()))["STATUS"]) == "CANCELLED"


def test_organizer_stands_in_only_when_the_business_has_no_address(session, salon, make_customer):
    business = salon[0]
    booking = _book(session, salon, make_customer, at(MONDAY, 10))
    business.email = None
    text = booking_ics(booking, business, now=before(), method="REQUEST", organizer_email="bookings@app.example")
    assert str(_event(text)["ORGANIZER"]) == "mailto:bookings@app.example"
    business.email = "hello@salon.example"
    text = booking_ics(booking, business, now=before(), method="REQUEST", organizer_email="bookings@app.example")
    assert str(_event(text)["ORGANIZER"]) == "mailto:hello@salon.example"


def test_calendar_uid_kept_by_the_booking_wins(session, salon, make_customer):
    booking = _book(session, salon, make_customer, at(MONDAY, 10))
    booking.calendar_uid = "chain-1@bookingapp"
    assert calendar_uid(booking) == "chain-1@bookingapp"
    assert str(_event(booking_ics(booking, salon[0], now=before()))["UID"]) == "chain-1@bookingapp"


def test_alarm_rings_at_the_first_reminder(session, salon, make_customer):
    business = salon[0]
    booking = _book(session, salon, make_customer, at(MONDAY, 10))
    business.reminder_cadence = [
        {"hours_before": 72, "email": False, "sms": False},  # switched off
        {"hours_before": 2, "email": True, "sms": False},
        {"hours_before": 48, "email": False, "sms": True},
    ]
    hours = first_reminder_hours(business)
    assert hours == 48
    text = booking_ics(booking, business, now=before(), method="REQUEST", first_reminder_hours=hours)
    (alarm,) = _event(text).walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(hours=-48)
    # A cancellation takes the event away: no alarm on it.
    assert "VALARM" not in booking_ics(booking, business, now=before(), method="CANCEL", first_reminder_hours=hours)

    business.reminder_cadence = [{"hours_before": 24, "email": False, "sms": False}]
    assert first_reminder_hours(business) is None
    business.reminder_cadence = []
    assert first_reminder_hours(business) is None


def test_unknown_method_is_refused(session, salon, make_customer):
    booking = _book(session, salon, make_customer, at(MONDAY, 10))
    with pytest.raises(ValueError):
        booking_ics(booking, salon[0], now=before(), method="REPLY")
