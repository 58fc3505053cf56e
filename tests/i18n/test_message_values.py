"""A domain message's values reach the web door raw (a moment as a datetime on the
business's clock, a booking status as its code) and are written there in the page's
language: a German sentence says its date and status in German. The API's English text
is what it always was."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bookingapp.domain.errors import ValidationError
from bookingapp.domain.messages import N_, StatusValue, at_business_clock
from bookingapp.i18n import error_text
from bookingapp.models import Booking
from tests.web.conftest import csrf_from, tomorrow_at
from tests.web.test_wizard_money import deposit_shop, paid_sandbox_booking  # noqa: F401  (the fixture)

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
DEADLINE = datetime(2026, 3, 3, 14, 0, tzinfo=timezone.utc)


def _too_late(status: str = "no_show") -> tuple[ValidationError, ValidationError]:
    moved = ValidationError(
        N_("Bookings can be moved online until %(deadline)s. Please contact %(business)s to change it."),
        params={"deadline": at_business_clock(DEADLINE, "Europe/London"), "business": "Corner Salon"})
    return moved, ValidationError(N_("A %(status)s booking cannot be moved."), params={"status": StatusValue(status)})


def test_the_english_text_writes_raw_values_as_the_api_always_has():
    moved, status = _too_late()
    assert moved.message == ("Bookings can be moved online until Tue 03 Mar 2026 14:00. "
                             "Please contact Corner Salon to change it.")
    assert status.message == "A no show booking cannot be moved."
    # The value itself stays the raw code for anyone who compares it.
    assert status.params["status"] == "no_show"


def test_a_german_page_writes_the_date_and_the_status_in_german(app):
    moved, status = _too_late()
    with app.test_request_context("/corner-salon/book", headers=GERMAN):
        assert error_text(moved) == ("Buchungen können online bis Di., 3. März 2026, 14:00 verschoben werden. "
                                     "Bitte wenden Sie sich an Corner Salon, um sie zu ändern.")
        assert error_text(status) == "Eine Buchung im Status „Nicht erschienen“ kann nicht verschoben werden."
    with app.test_request_context("/corner-salon/book", headers=ENGLISH):
        assert error_text(moved) == moved.message and error_text(status) == status.message
    with app.test_request_context("/dashboard/", headers=GERMAN):
        assert error_text(status) == "A no show booking cannot be moved."


def test_a_summer_deadline_is_written_on_the_business_clock(app):
    summer = ValidationError(N_("Bookings can be moved online until %(deadline)s. Please contact %(business)s to change it."),
                             params={"deadline": at_business_clock(datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc),
                                                                   "Europe/London"), "business": "Corner Salon"})
    assert "Wed 01 Jul 2026 10:00" in summer.message  # BST
    with app.test_request_context("/corner-salon/book", headers=GERMAN):
        assert "Mi., 1. Juli 2026, 10:00" in error_text(summer)


def test_the_manage_page_says_the_move_deadline_in_german(client, deposit_shop, session):
    deposit_shop["business"].free_cancellation_hours = 72  # tomorrow's booking is past its deadline
    session.commit()
    client.get("/corner-salon/book?lang=de")
    manage = paid_sandbox_booking(client, deposit_shop, session)
    booking = session.scalars(select(Booking)).one()
    page = client.get(manage + "/reschedule")
    response = client.post(manage + "/reschedule", data={
        "csrf_token": csrf_from(page.text),
        "start": (tomorrow_at(deposit_shop["business"], 10) + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert response.status_code == 422
    deadline = booking.starts_at - timedelta(hours=72)
    german_day = {0: "Mo.", 1: "Di.", 2: "Mi.", 3: "Do.", 4: "Fr.", 5: "Sa.", 6: "So."}[deadline.weekday()]
    said = re.search(r"Buchungen können online bis ([^<]+) verschoben werden", response.text)
    assert said is not None, response.text
    assert said.group(1).startswith(f"{german_day}, {deadline.day}. ") and said.group(1).endswith(f"{deadline.year}, 10:00")
    assert "Bookings can be moved" not in response.text
    assert session.scalar(select(Booking.status)) == "confirmed"


def test_moving_a_cancelled_booking_is_refused_in_german_naming_its_status(client, deposit_shop, session):
    client.get("/corner-salon/book?lang=de")
    manage = paid_sandbox_booking(client, deposit_shop, session)
    # The session's token, read while the page still had a form (a cancelled booking's has none).
    token = csrf_from(client.get(manage + "/cancel").text)
    cancelled = client.post(manage + "/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    response = client.post(manage + "/reschedule", data={
        "csrf_token": token,
        "start": (tomorrow_at(deposit_shop["business"], 10) + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert response.status_code == 422
    assert "Eine Buchung im Status „Storniert“ kann nicht verschoben werden." in response.text
    assert "cannot be moved" not in response.text


def test_the_sandbox_page_says_what_is_paid_for_in_german(client, deposit_shop, session):
    from tests.web.test_wizard_money import open_sandbox_checkout
    client.get("/corner-salon/book?lang=de")
    url, payment_url, hosted = open_sandbox_checkout(client, deposit_shop)
    page = client.get(hosted)
    number = session.scalar(select(Booking.booking_number))
    assert f'<p class="muted">Anzahlung für Colour an Corner Salon ({number})</p>' in page.text
    assert " deposit to " not in page.text
    client.get("/corner-salon/book?lang=en")
    english = client.get(hosted)
    assert f'<p class="muted">Colour deposit to Corner Salon ({number})</p>' in english.text
