"""The wizard's "Choose a location" step (issue 12) in headless Chromium, for a business
with two locations: on a phone (390 px, nothing wider than the screen) each card shows its
address, a map link and its opening hours, and choosing one leads to the services there;
and with JavaScript off the whole walk, from the location to a held time, still works
(plain links and forms, no htmx). Screenshots under artifacts/screenshots/<test name>/."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from bookingapp.models import Booking
from tests.browser.test_visit import VIEWPORTS, RunningClock, clocks  # noqa: F401  (the fixture)
from tests.helpers import MONDAY, at, before
from tests.locations.conftest import branches  # noqa: F401  (the fixture)

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_on_a_phone_each_location_shows_where_and_when_and_leads_to_its_services(
        live_server, page, branches, clocks, screenshot):
    business, service, alice, bob, main, riverside = branches
    page.set_viewport_size(VIEWPORTS["phone"])
    clocks(page, before())
    page.goto(live_server + f"/{business.slug}/book")
    expect(page.locator("h1")).to_have_text("Choose a location")
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the location step scrolls sideways on a phone"
    card = page.locator(".location-card", has_text="Riverside")
    expect(card).to_contain_text("2 River Walk")
    expect(card.get_by_role("link", name=re.compile("Map of Riverside"))).to_be_visible()
    card.locator("summary", has_text="Opening hours").click()
    expect(card.locator("table.hours")).to_be_visible()
    expect(card.locator("table.hours")).to_contain_text("10:00–16:00")
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the opened hours make the page scroll sideways"
    screenshot(page, "phone-1-locations")

    card.get_by_role("link", name="Riverside", exact=True).click()
    expect(page.locator("h1")).to_have_text("Choose a service")
    expect(page).to_have_url(re.compile(r"/riverside"))
    page.get_by_role("link", name=re.compile(service.name)).first.click()
    # The staff at Riverside only: Bob works at the primary location.
    expect(page.locator("h1")).not_to_have_text("Choose a service")
    expect(page.get_by_role("link", name=re.compile("Alice"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Bob"))).to_have_count(0)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(page, "phone-2-staff-at-riverside")
    page.get_by_role("link", name=re.compile("Alice")).first.click()
    page.get_by_role("link", name=re.compile(r"Mon.*3 Jun.*times available")).click()
    expect(page.locator("button.slot").first).to_contain_text("13:00")
    page.locator("button.slot").first.click()
    expect(page.locator("h1")).to_have_text("Your details")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    screenshot(page, "phone-3-details-at-riverside")


def test_without_javascript_a_location_is_chosen_and_a_time_held_there(live_server, browser, app, session, branches,
                                                                      screenshot):
    business, service, alice, bob, main, riverside = branches
    app.config["CLOCK"] = RunningClock(before())
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORTS["phone"])
    page = context.new_page()
    page.goto(live_server + f"/{business.slug}/book")
    expect(page.locator("h1")).to_have_text("Choose a location")
    card = page.locator(".location-card", has_text="Riverside")
    # <details> opens without JavaScript.
    card.locator("summary", has_text="Opening hours").click()
    expect(card.locator("table.hours")).to_contain_text("10:00–16:00")
    screenshot(page, "phone-no-js-1-locations")
    card.get_by_role("link", name="Riverside", exact=True).click()
    expect(page.locator("h1")).to_have_text("Choose a service")
    page.get_by_role("link", name=re.compile(service.name)).first.click()
    expect(page.get_by_role("link", name=re.compile("Bob"))).to_have_count(0)
    page.get_by_role("link", name=re.compile("Alice")).first.click()
    expect(page.locator("h1")).to_have_text("Choose a date and time")
    # The calendar's days are plain links: Monday 3 June 2030, the location carried along.
    page.get_by_role("link", name=re.compile(r"Mon.*3 Jun.*times available")).click()
    expect(page).to_have_url(re.compile(r"location=riverside"))
    slots = page.locator("button.slot")
    # Alice is at Riverside in the afternoons (13:00-16:00) only.
    expect(slots.first).to_contain_text("13:00")
    screenshot(page, "phone-no-js-2-times")
    slots.first.click()
    expect(page.locator("h1")).to_have_text("Your details")
    screenshot(page, "phone-no-js-3-details")
    context.close()

    session.expire_all()
    held = session.scalars(select(Booking).where(Booking.business_id == business.id)).all()
    assert [(b.status, b.location_id, b.staff_id, b.starts_at.replace(tzinfo=None))
            for b in held] == [("held", riverside.id, alice.id, at(MONDAY, 13).replace(tzinfo=None))]
