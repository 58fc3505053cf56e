"""The customer pages in English and German: chosen by the switch (kept in the session),
else the browser's Accept-Language, else the business's default language; dates, times
and money written the German way on German pages; the dashboard stays English."""
from __future__ import annotations

import re

from sqlalchemy import select

from bookingapp.models import Booking
from tests.web.conftest import csrf_from, tomorrow_at

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def iso(instant):
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def time_url(shop, service="colour", who="any"):
    return f"/corner-salon/book/{shop[service].id}/{who}"


def book(client, shop, *, service="cut", hour=10, headers=None):
    """Hold a time, give details and land on the booked page; (details page, booked page)."""
    headers = headers or {}
    page = client.get(time_url(shop, service), headers=headers)
    held = client.post(time_url(shop, service), headers=headers,
                       data={"csrf_token": csrf_from(page.text), "start": iso(tomorrow_at(shop["business"], hour))})
    assert held.status_code == 303
    details = client.get(held.headers["Location"], headers=headers)
    done = client.post(held.headers["Location"], headers=headers, data={
        "csrf_token": csrf_from(details.text), "name": "Anna Schmidt", "email": "anna@example.com", "phone": "",
        "notes": "", "promo_code": "", "action": "continue"})
    assert done.status_code == 303
    return details, client.get(done.headers["Location"], headers=headers)


def test_accept_language_german_gives_german_wizard_steps_with_german_money_and_dates(client, shop):
    services = client.get("/corner-salon/book", headers=GERMAN)
    assert services.status_code == 200
    assert '<html lang="de">' in services.text
    assert "Leistung wählen" in services.text
    # £90.00, written the German way.
    assert "90,00\xa0£" in services.text and "60 Min." in services.text
    assert "Keine Anzahlung: Zahlung vor Ort" in services.text
    assert "Choose a service" not in services.text

    staff = client.get(f"/corner-salon/book/{shop['colour'].id}", headers=GERMAN)
    assert "Bei wem möchten Sie buchen?" in staff.text and "Beliebige freie Person" in staff.text

    times = client.get(time_url(shop), headers=GERMAN)
    assert "Datum und Uhrzeit wählen" in times.text
    # NOW is Monday 2 March 2026; the month heading and the chosen day in German.
    assert "März 2026" in times.text
    assert re.search(r"Di\., 3\. März", times.text)
    assert "Ortszeit London (GMT)" in times.text
    # The calendar's spoken labels (worked out in Python, web/timepicker.calendar_weeks):
    # the day and whether it has times, both in German.
    assert 'aria-label="Di., 3. März, Termine frei">3<' in times.text
    assert 'aria-label="So., 1. März, keine Termine">1<' in times.text
    assert "times available" not in times.text and "no times" not in times.text


def test_german_details_booked_and_manage_pages(client, shop):
    details, done = book(client, shop, headers=GERMAN)
    assert "Ihre Angaben" in details.text and "Vollständiger Name" in details.text
    assert "Di., 3. März 2026, 10:00" in details.text and "40,00\xa0£" in details.text
    assert "Ihr Termin ist gebucht" in done.text and "Buchungsnummer" in done.text
    assert "Vor Ort zu zahlen" in done.text and "40,00\xa0£" in done.text
    manage_path = re.search(r'href="([^"]+/manage/[^"/]+)" id="manage-link"', done.text).group(1)
    manage = client.get(manage_path.replace("http://localhost", ""), headers=GERMAN)
    assert manage.status_code == 200
    assert "Ihre Buchung BK-" in manage.text and "Bestätigt" in manage.text
    assert "Di., 3. März 2026, 10:00" in manage.text
    assert "Die Stornierung ist bis" in manage.text and "Buchung stornieren" in manage.text


def test_english_browser_gets_english_pages(client, shop):
    _details, done = book(client, shop, headers=ENGLISH)
    assert '<html lang="en">' in done.text
    assert "You&#39;re booked" in done.text or "You're booked" in done.text
    assert "£40.00" in done.text and "Tuesday 03 March 2026, 10:00" in done.text


def test_the_switch_overrides_the_browser_and_persists(client, shop):
    switched = client.get("/corner-salon/book?lang=en", headers=GERMAN)
    assert "Choose a service" in switched.text and "£90.00" in switched.text
    # The switch offers the other language, as a plain link to this page.
    assert 'href="?lang=de"' in switched.text
    later = client.get(f"/corner-salon/book/{shop['colour'].id}", headers=GERMAN)
    assert "Who would you like?" in later.text
    back = client.get("/corner-salon/book?lang=de", headers=ENGLISH)
    assert "Leistung wählen" in back.text and 'href="?lang=en"' in back.text


def test_an_unknown_language_in_the_switch_or_header_is_ignored(client, shop):
    page = client.get("/corner-salon/book?lang=xx", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert page.status_code == 200 and "Choose a service" in page.text


def test_the_business_default_language_applies_without_a_header(client, shop, session):
    shop["business"].default_language = "de"
    session.commit()
    page = client.get("/corner-salon/book")
    assert "Leistung wählen" in page.text
    # A browser that asks for English still gets English.
    assert "Choose a service" in client.get("/corner-salon/book", headers=ENGLISH).text


def test_the_booking_remembers_the_language_it_was_booked_in(client, shop, session):
    book(client, shop, headers=GERMAN)
    assert session.scalars(select(Booking.language)).one() == "de"


def test_the_dashboard_stays_english_for_a_german_browser(client, shop):
    page = client.get("/dashboard/sign-in", headers=GERMAN)
    assert '<html lang="en">' in page.text


def test_a_mistyped_manage_link_is_a_german_404_for_a_german_browser(client, shop):
    page = client.get("/corner-salon/manage/not-a-token", headers=GERMAN)
    assert page.status_code == 404
    assert "Fehler 404" in page.text and "Diese Seite konnten wir nicht finden" in page.text
    assert "Zu Corner Salon" in page.text


def test_the_business_page_in_german_names_the_days_and_closed_days_in_german(client, shop, session):
    sunday = next(row for row in shop["business"].hours if row.weekday == 6)
    session.delete(sunday)
    session.commit()
    page = client.get("/corner-salon", headers=GERMAN)
    assert page.status_code == 200
    assert "Öffnungszeiten" in page.text and "Montag" in page.text
    assert re.search(r"Sonntag</th>\s*<td>Geschlossen</td>", page.text)
    assert "Termin buchen" in page.text and "Noch keine Bewertungen" in page.text
