"""The German walk (issue 16) in headless Chromium, on a phone and on a desktop: a browser that asks for
German books a service with a deposit from the first step to the manage page, every page
in German with German dates and money, axe-core finding no serious or critical violation
on any of them; then the language switch turns the page English and the choice stays.
Screenshots of every step under artifacts/screenshots/<test name>/."""
from __future__ import annotations

import re
from datetime import datetime, time, timezone

import pytest
from playwright.sync_api import expect

from tests.browser.test_visit import VIEWPORTS, axe_check, clocks  # noqa: F401  (the fixture)
from tests.web.conftest import shop  # noqa: F401  (the fixture)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_german_visitor_books_in_german(live_server, browser, app, shop, session, clocks, screenshot, size):
    shop["business"].deposit_policy = "service_deposit"
    shop["business"].free_cancellation_hours = 24
    session.commit()
    context = browser.new_context(locale="de-DE", viewport=VIEWPORTS[size])
    page = context.new_page()
    clocks(page)

    page.goto(live_server + "/corner-salon/book")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("h1")).to_have_text("Leistung wählen")
    expect(page.locator(".choice", has_text="Colour")).to_contain_text("Anzahlung 20,00\xa0£ bei der Buchung")
    axe_check(page, "service (de)")
    screenshot(page, f"{size}-1-leistung")

    page.get_by_role("link", name=re.compile("Colour")).click()
    expect(page.locator("h1")).to_have_text("Bei wem möchten Sie buchen?")
    axe_check(page, "staff (de)")
    screenshot(page, f"{size}-2-mitarbeiter")

    page.get_by_role("link", name=re.compile("Alice")).click()
    expect(page.locator("h1")).to_have_text("Datum und Uhrzeit wählen")
    expect(page.locator("#month-heading")).to_have_text("März 2026")
    page.get_by_role("link", name="Di., 3. März, Termine frei").click()
    expect(page.locator("#slots-heading")).to_have_text("Di., 3. März")
    expect(page.locator(".zone-note")).to_contain_text("Ortszeit London (GMT)")
    axe_check(page, "time (de)")
    screenshot(page, f"{size}-3-zeit")

    page.locator("button.slot", has_text="10:00").click()
    expect(page.locator("h1")).to_have_text("Ihre Angaben")
    expect(page.locator(".summary")).to_contain_text("Di., 3. März 2026, 10:00")
    expect(page.locator(".countdown")).to_contain_text("Für Sie reserviert bis")
    expect(page.locator(".countdown .remaining")).to_contain_text("noch")
    page.get_by_label("Vollständiger Name").fill("Anna Schmidt")
    page.get_by_label("E-Mail").fill("anna@example.com")
    axe_check(page, "details (de)")
    screenshot(page, f"{size}-4-angaben")

    page.get_by_role("button", name="Weiter zur Zahlung").click()
    expect(page.locator("h1")).to_have_text("Zahlung")
    expect(page.locator("#cancellation-policy")).to_have_text(
        "Kostenlose Stornierung bis Mo., 2. März, 10:00; danach wird die Anzahlung von 20,00\xa0£ einbehalten.")
    expect(page.locator("#left-for-venue")).to_have_text("70,00\xa0£")
    axe_check(page, "payment (de)")
    screenshot(page, f"{size}-5-zahlung")

    page.get_by_role("button", name=re.compile(r"20,00\s£ sicher bezahlen")).click()
    page.locator("#card_number").fill("4242 4242 4242 4242")
    page.locator("#expiry").fill("12/34")
    page.locator("#cvc").fill("123")
    page.locator("#card-form button[type=submit]").click()

    expect(page.locator("h1")).to_have_text("Ihr Termin ist gebucht")
    expect(page.locator(".summary")).to_contain_text("Buchungsnummer")
    expect(page.locator("#paid")).to_have_text("20,00\xa0£")
    expect(page.locator("#due-at-venue")).to_have_text("70,00\xa0£")
    axe_check(page, "booked (de)")
    screenshot(page, f"{size}-6-gebucht")

    page.locator("#manage-link").click()
    expect(page.locator("h1")).to_contain_text("Ihre Buchung BK-")
    expect(page.locator(".status")).to_have_text("Bestätigt")
    expect(page.locator("#cancel-terms")).to_contain_text("Die Stornierung ist bis Mo., 2. März, 10:00")
    axe_check(page, "manage (de)")
    screenshot(page, f"{size}-7-verwalten")

    page.get_by_role("link", name="Buchung stornieren …").click()
    expect(page.locator("h1")).to_have_text("Diese Buchung stornieren?")
    expect(page.locator("#refund-amount")).to_have_text("20,00\xa0£")
    axe_check(page, "confirm cancel (de)")
    screenshot(page, f"{size}-8-stornieren")

    # The switch: English from here on, although the browser still asks for German.
    page.locator("#switch-en").click()
    expect(page.locator("h1")).to_have_text("Cancel this booking?")
    page.get_by_role("link", name="No, keep it").click()
    expect(page.locator(".status")).to_have_text("Confirmed")
    screenshot(page, f"{size}-9-english-again")
    context.close()


def test_a_german_hold_that_runs_out_keeps_what_was_typed_and_says_so_in_german(
        live_server, browser, shop, session, clocks, screenshot):
    shop["business"].hold_seconds = 3
    session.commit()
    context = browser.new_context(locale="de-DE", viewport=VIEWPORTS["phone"])
    page = context.new_page()
    clocks(page)
    page.goto(live_server + f"/corner-salon/book/{shop['cut'].id}/any?day=2026-03-03")
    page.locator("button.slot").first.click()
    expect(page.locator("h1")).to_have_text("Ihre Angaben")
    # A domain-made error first, in German: the email the domain refuses.
    page.get_by_label("Vollständiger Name").fill("Anna Schmidt")
    page.get_by_label("E-Mail").fill("anna@")
    page.locator("button.primary[name=action][value=continue]").click()
    expect(page.locator("#step")).to_contain_text("Diese E-Mail-Adresse ist ungültig. Bitte prüfen Sie sie.")
    expect(page.get_by_label("Vollständiger Name")).to_have_value("Anna Schmidt")
    page.get_by_label("E-Mail").fill("anna@example.com")
    # The countdown runs out (3 s and a moment's grace) and takes the form along.
    expect(page.locator("[role=alert]")).to_contain_text("Ihre Reservierung ist abgelaufen", timeout=15000)
    screenshot(page, "phone-1-reservierung-abgelaufen")
    page.locator("button.slot").first.click()
    expect(page.locator("h1")).to_have_text("Ihre Angaben")
    expect(page.get_by_label("Vollständiger Name")).to_have_value("Anna Schmidt")
    expect(page.get_by_label("E-Mail")).to_have_value("anna@example.com")
    screenshot(page, "phone-2-angaben-behalten")
    context.close()


def test_the_fall_back_days_repeated_hour_is_labelled_in_german(live_server, browser, make_business, make_service,
                                                                make_staff, clocks, screenshot):
    night = {d: [(time(0), time(4))] for d in range(7)}
    business = make_business(slug="night-owl", name="Night Owl", hours=night, slot_interval_minutes=60)
    service = make_service(business, name="Float", duration_minutes=60, price_cents=3000, deposit_cents=0)
    make_staff(business, [service], name="Noor", hours=night)
    context = browser.new_context(locale="de-DE", viewport=VIEWPORTS["phone"])
    page = context.new_page()
    clocks(page, datetime(2026, 10, 20, 12, 0, tzinfo=timezone.utc))
    page.goto(live_server + f"/night-owl/book/{service.id}/any?day=2026-10-25")
    expect(page.locator("#slots-heading")).to_have_text("So., 25. Oktober")
    slots = page.locator("button.slot")
    expect(slots.nth(1)).to_contain_text("01:00 BST")
    expect(slots.nth(2)).to_contain_text("01:00 GMT")
    axe_check(page, "fall-back day (de)")
    screenshot(page, "phone-fall-back-day-de")
    slots.nth(2).click()
    expect(page.locator("h1")).to_have_text("Ihre Angaben")
    # The second 01:00 is the one held, and the summary says which.
    expect(page.locator(".summary")).to_contain_text("01:00 GMT")
    screenshot(page, "phone-fall-back-details-de")
    context.close()


def test_a_german_visitor_in_new_york_sees_both_zones_in_german(live_server, browser, shop, session, clocks, screenshot):
    """The New York visitor of test_visit, asking for German, on a phone: the business's
    London times and the visitor's own beside them, each zone named, in German."""
    context = browser.new_context(locale="de-DE", timezone_id="America/New_York", viewport=VIEWPORTS["phone"])
    page = context.new_page()
    clocks(page)
    page.goto(live_server + f"/corner-salon/book/{shop['cut'].id}/any?day=2026-03-03")
    expect(page.locator("#slots-heading")).to_have_text("Di., 3. März")
    first = page.locator("button.slot").first
    expect(first).to_contain_text("09:00")
    # 09:00 in London is 04:00 in New York (EST) in early March.
    expect(first.locator(".visitor-time")).to_contain_text(re.compile(r"0?4:00"))
    expect(page.locator(".zone-note")).to_contain_text("Alle Zeiten in Ortszeit London (GMT)")
    expect(page.locator(".visitor-zone-note")).to_contain_text(
        "die kleinere Zeit auf jeder Schaltfläche ist Ihre (New York)")
    axe_check(page, "time, New York (de)")
    screenshot(page, "phone-1-zeit-new-york")
    first.click()
    expect(page.locator("h1")).to_have_text("Ihre Angaben")
    expect(page.locator(".summary")).to_contain_text("Di., 3. März 2026, 09:00")
    expect(page.locator(".summary .visitor-time")).to_contain_text("Ihre Zeit (New York)")
    screenshot(page, "phone-2-angaben-new-york")
    context.close()
