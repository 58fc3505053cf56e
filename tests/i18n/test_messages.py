"""Customer emails, text messages and calendar files in the language the customer booked
in (else the business's default), rendered by the worker outside any request; staff
messages stay English."""
from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import notify
from bookingapp.domain.languages import language_of
from bookingapp.models import Message
from bookingapp.notifications.messages import render
from tests.helpers import MONDAY, at, before

TUESDAY = MONDAY + timedelta(days=1)  # Tuesday 4 June 2030


@pytest.fixture
def booked(app, session, salon, make_customer):
    """Anna's Tuesday 14:00 with Alice at a London salon (prices in GBP)."""
    app.config["PUBLIC_URL"] = "https://book.example"
    business, service, alice, _ = salon
    business.address_street, business.address_city = "1 High St", "London"
    customer = make_customer(business, email="anna@example.com", name="Anna Schmidt")
    customer.phone = "+447700900123"
    booking = booking_ops.create_booking(session, business, service, at(TUESDAY, 14), customer, staff=alice,
                                         now=before())
    session.commit()
    return business, booking, alice


def _message(session, booking, kind, *, channel="email", audience="customer", staff=None, facts=None):
    customer = booking.customer
    row = Message(
        business_id=booking.business_id, booking_id=booking.id,
        customer_id=customer.id if audience == "customer" else None, staff_id=staff.id if staff else None,
        audience=audience, kind=kind, channel=channel,
        recipient=(customer.phone if channel == "sms" else customer.email) if audience == "customer" else staff.email,
        recipient_name=customer.name if audience == "customer" else staff.name,
        facts=facts or {}, transactional=kind not in notify.NON_TRANSACTIONAL,
    )
    session.add(row)
    session.flush()
    return row


def _description(rendered) -> str:
    (event,) = Calendar.from_ical(rendered.ics).walk("VEVENT")
    return str(event["DESCRIPTION"]), str(event["SUMMARY"])


def test_a_german_customers_confirmation_email_and_calendar_file_are_german(session, booked):
    business, booking, _ = booked
    booking.language = "de"
    rendered = render(session, _message(session, booking, notify.BOOKING_CONFIRMED), now=before())
    assert rendered.subject.startswith("Buchung bestätigt: ")
    assert "Di., 4. Juni, 14:00" in rendered.subject
    for body in (rendered.text, rendered.html):
        assert "Hallo Anna Schmidt," in body and "Ihre Buchung bei" in body
        assert "Di., 4. Juni 2030, 14:00" in body and "Buchungsnummer" in body
        assert "Buchung ansehen, ändern oder stornieren" in body
    assert '<html lang="de">' in rendered.html
    description, summary = _description(rendered)
    assert summary.endswith(f"bei {business.name}")
    assert f"Buchung {booking.booking_number}" in description
    assert "Wann: Di., 4. Juni 2030, 14:00–15:00" in description or "Wann: Di., 4. Juni 2030, 14:00" in description
    assert "Buchung ansehen, ändern oder stornieren: https://book.example/" in description


def test_a_german_customers_reminder_text_is_german(session, booked):
    _, booking, _ = booked
    booking.language = "de"
    rendered = render(session, _message(session, booking, notify.REMINDER, channel="sms",
                                        facts={"hours_before": 24}), now=before())
    assert "Erinnerung, Di., 4. Juni, 14:00 in 1 High St" in rendered.body
    assert "Verwalten: https://book.example/" in rendered.body and "Abmelden: " in rendered.body


def test_a_german_cancellation_writes_the_money_the_german_way(session, booked):
    _, booking, _ = booked
    booking.language = "de"
    rendered = render(session, _message(session, booking, notify.BOOKING_CANCELLED, facts={
        "cancelled_by": "customer", "refunded_cents": 1000, "kept_cents": 0, "currency": "GBP"}), now=before())
    assert "Sie haben Ihre Buchung für Di., 4. Juni 2030, 14:00 storniert." in rendered.text
    assert "10,00\xa0£ werden auf die Karte erstattet" in rendered.text


def test_an_english_customer_stays_english(session, booked):
    business, booking, _ = booked
    booking.language = "en"
    rendered = render(session, _message(session, booking, notify.BOOKING_CONFIRMED), now=before())
    assert rendered.subject.startswith("Booking confirmed: ") and "Tuesday 4 June 2030, 14:00" in rendered.text
    assert "Hello Anna Schmidt," in rendered.text and '<html lang="en">' in rendered.html
    description, summary = _description(rendered)
    assert summary == f"{booking.service.name} at {business.name}" and "When: Tuesday 04 June 2030, 14:00" in description


def test_a_booking_without_a_language_follows_the_business_default(session, booked):
    business, booking, _ = booked
    business.default_language = "de"
    assert booking.language is None and language_of(booking, business) == "de"
    rendered = render(session, _message(session, booking, notify.REMINDER, facts={"hours_before": 24}), now=before())
    assert rendered.subject.startswith("Erinnerung: ") and "Bis bald" in rendered.text


def test_staff_messages_stay_english_for_a_german_booking(session, booked):
    _, booking, alice = booked
    booking.language = "de"
    alice.email = "alice@salon.example"
    rendered = render(session, _message(session, booking, notify.STAFF_NEW_BOOKING, audience="staff", staff=alice),
                      now=before())
    assert rendered.subject.startswith("New booking: ") and "Tuesday 4 June 2030, 14:00" in rendered.text


def test_a_moved_booking_keeps_the_language_it_was_booked_in(session, booked):
    business, booking, _ = booked
    booking.language = "de"
    session.commit()
    moved = booking_ops.reschedule(session, booking, business, at(TUESDAY, 16), now=before())
    assert moved.id != booking.id and moved.language == "de"
