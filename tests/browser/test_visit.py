"""The customer's visit in headless Chromium (issue 16), on a phone and a desktop: a
visitor in New York sees both zones, the autumn's repeated hour is labelled, Back then
the same time works, a hold that ran out keeps the typing, cancelling asks first, and
axe-core finds no serious or critical accessibility violation on any wizard step, the
manage page or the dashboard's day view. Screenshots of every step under
artifacts/screenshots/<test name>/.

Server and browser share one pinned clock: the app's CLOCK starts at START and runs on
with real seconds (a hold can run out while the test waits), and the browser's Date is
installed at the same moment (page.clock), so nothing depends on today's date."""
from __future__ import annotations

import re
import time as real_time
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bookingapp.auth.accounts import create_account
from bookingapp.domain import booking as booking_ops
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.models import Booking
from tests.browser.pages import PASSWORD, sign_in
from tests.web.conftest import shop  # noqa: F401  (the fixture)

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
START = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)  # Monday 08:00 London (GMT)
TOMORROW_10 = datetime(2026, 3, 3, 10, 0, tzinfo=timezone.utc)


class RunningClock:
    """START, moving on with real time: the server's view of "now" for these tests."""

    def __init__(self, start: datetime):
        self.start, self.began = start, real_time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=real_time.monotonic() - self.began)


@pytest.fixture
def clocks(app):
    def pin(page, start: datetime = START):
        app.config["CLOCK"] = RunningClock(start)
        page.clock.install(time=start)
    return pin


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request, page):
    page.set_viewport_size(VIEWPORTS[request.param])
    return request.param


def axe_check(page, where: str) -> None:
    """Run axe-core in the page; fail on any serious or critical violation."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"axe on {where}: " + "; ".join(bad)


def _first_slot(page):
    slot = page.locator("button.slot").first
    expect(slot).to_be_visible()
    return slot


def test_every_step_is_accessible_and_cancelling_asks_first(live_server, page, viewport, app, shop, session,
                                                            clocks, screenshot):
    shop["business"].deposit_policy = "service_deposit"
    shop["business"].free_cancellation_hours = 24
    session.commit()
    clocks(page)
    page.goto(live_server + "/corner-salon/book")
    expect(page.locator("h1")).to_have_text("Choose a service")
    expect(page.locator(".progress li")).to_have_count(6)  # Service Staff Time Details Payment Booked
    axe_check(page, "service")
    screenshot(page, f"{viewport}-1-service")
    page.get_by_role("link", name=re.compile("Colour")).click()
    expect(page.locator("h1")).to_have_text("Who would you like?")
    axe_check(page, "staff")
    screenshot(page, f"{viewport}-2-staff")
    page.get_by_role("link", name=re.compile("Alice")).click()
    expect(page.locator("h1")).to_have_text("Choose a date and time")
    page.get_by_role("link", name="Tuesday 3 March, times available").click()
    expect(page.locator("#slots-heading")).to_have_text("Tuesday 03 March")
    axe_check(page, "time")
    screenshot(page, f"{viewport}-3-time")
    _first_slot(page).click()
    expect(page.locator("h1")).to_have_text("Your details")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.locator("#form-errors")).to_be_visible()
    # The summary links to the field; the field is highlighted (its border is the danger red).
    page.locator("#form-errors a[href='#name']").click()
    expect(page.get_by_label("Full name")).to_be_focused()
    assert page.get_by_label("Full name").evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(164, 22, 26)"
    axe_check(page, "details with errors")
    screenshot(page, f"{viewport}-4-details-errors")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.locator("h1")).to_have_text("Payment")
    expect(page.locator("#cancellation-policy")).to_have_text(
        "Free cancellation until Mon 02 Mar, 09:00; after that the deposit of £20.00 is kept.")
    expect(page.locator("#left-for-venue")).to_have_text("£70.00")
    axe_check(page, "payment")
    screenshot(page, f"{viewport}-5-payment")
    page.get_by_role("button", name=re.compile("Pay £20.00")).click()
    page.locator("#card_number").fill("4242 4242 4242 4242")
    page.locator("#expiry").fill("12/34")
    page.locator("#cvc").fill("123")
    page.locator("#card-form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("You're booked")
    expect(page.locator("#add-google")).to_be_visible()
    expect(page.locator(".progress li.done", has_text="Payment")).to_have_count(1)
    axe_check(page, "done")
    screenshot(page, f"{viewport}-6-done")
    page.locator("#manage-link").click()
    expect(page.locator("h1")).to_contain_text("Your booking")
    axe_check(page, "manage")
    screenshot(page, f"{viewport}-7-manage")
    page.get_by_role("link", name="Cancel booking").click()
    expect(page.locator("h1")).to_have_text("Cancel this booking?")
    # Still inside the free window (it ends at 09:00 today): all of the deposit back.
    expect(page.locator("#refund-amount")).to_have_text("£20.00")
    expect(page.locator("#kept-amount")).to_have_text("£0.00")
    axe_check(page, "confirm cancel")
    screenshot(page, f"{viewport}-8-confirm-cancel")
    page.get_by_role("link", name="No, keep it").click()
    expect(page.locator(".status")).to_have_text("Confirmed")
    page.goto(live_server + "/corner-salon/manage/not-a-real-link")
    expect(page.locator("h1")).to_have_text("We could not find that page")
    expect(page.get_by_role("link", name="Go to Corner Salon")).to_be_visible()
    axe_check(page, "404")
    screenshot(page, f"{viewport}-9-not-found")


def test_a_visitor_in_new_york_sees_both_zones(live_server, browser, app, shop, session, clocks, screenshot):
    for name, size in VIEWPORTS.items():
        context = browser.new_context(timezone_id="America/New_York", viewport=size)
        page = context.new_page()
        clocks(page)
        page.goto(live_server + f"/corner-salon/book/{shop['cut'].id}/any?day=2026-03-03")
        first = _first_slot(page)
        expect(first).to_contain_text("09:00")
        # 09:00 in London is 04:00 in New York (EST) in early March.
        expect(first.locator(".visitor-time")).to_contain_text(re.compile(r"0?4:00"))
        expect(page.locator(".zone-note")).to_contain_text("Times are in London time (GMT)")
        expect(page.locator(".visitor-zone-note")).to_contain_text("New York")
        screenshot(page, f"{name}-1-time-new-york")
        first.click()
        expect(page.locator("h1")).to_have_text("Your details")
        expect(page.locator(".summary .visitor-time")).to_contain_text("your time (New York)")
        screenshot(page, f"{name}-2-details-new-york")
        context.close()
        session.rollback()
        for held in session.scalars(select(Booking).where(Booking.status == "held")):
            booking_ops.cancel(session, held, now=START)
        session.commit()


def test_without_javascript_the_business_zone_is_stated_and_booking_works(live_server, browser, app, shop, clocks,
                                                                          screenshot):
    context = browser.new_context(java_script_enabled=False, timezone_id="America/New_York",
                                  viewport=VIEWPORTS["phone"])
    page = context.new_page()
    app.config["CLOCK"] = RunningClock(START)
    page.goto(live_server + f"/corner-salon/book/{shop['cut'].id}/any?day=2026-03-03")
    expect(page.locator(".zone-note")).to_contain_text("Times are in London time (GMT)")
    expect(page.locator("button.slot .visitor-time")).to_have_count(0)
    page.locator("button.slot").first.click()
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.locator("h1")).to_have_text("You're booked")
    screenshot(page, "phone-no-js-done")
    context.close()


def test_the_fall_back_days_repeated_hour_is_labelled(live_server, page, viewport, app, make_business, make_service,
                                                     make_staff, clocks, screenshot):
    night = {d: [(time(0), time(4))] for d in range(7)}
    business = make_business(slug="night-owl", name="Night Owl", hours=night, slot_interval_minutes=60)
    service = make_service(business, name="Float", duration_minutes=60, price_cents=3000, deposit_cents=0)
    make_staff(business, [service], name="Noor", hours=night)
    clocks(page, datetime(2026, 10, 20, 12, 0, tzinfo=timezone.utc))
    page.goto(live_server + f"/night-owl/book/{service.id}/any?day=2026-10-25")
    slots = page.locator("button.slot")
    expect(slots.nth(1)).to_contain_text("01:00 BST")
    expect(slots.nth(2)).to_contain_text("01:00 GMT")
    axe_check(page, "fall-back day")
    screenshot(page, f"{viewport}-fall-back-day")


def test_back_then_the_same_time_again_goes_on_to_details(live_server, page, viewport, shop, clocks, screenshot):
    clocks(page)
    page.goto(live_server + f"/corner-salon/book/{shop['cut'].id}/any?day=2026-03-03")
    _first_slot(page).click()
    expect(page.locator("h1")).to_have_text("Your details")
    page.go_back()
    expect(page.locator("h1")).to_have_text("Choose a date and time")
    _first_slot(page).click()
    expect(page.locator("h1")).to_have_text("Your details")
    screenshot(page, f"{viewport}-details-after-back")


def test_a_hold_that_runs_out_keeps_what_was_typed(live_server, page, shop, session, clocks, screenshot):
    shop["business"].hold_seconds = 3
    session.commit()
    page.set_viewport_size(VIEWPORTS["phone"])
    clocks(page)
    page.goto(live_server + f"/corner-salon/book/{shop['cut'].id}/any?day=2026-03-03")
    _first_slot(page).click()
    expect(page.locator("h1")).to_have_text("Your details")
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    # The countdown runs out (3 s and a moment's grace) and takes the form along.
    expect(page.locator("[role=alert]")).to_contain_text("Your hold has expired", timeout=15000)
    screenshot(page, "phone-1-hold-ran-out")
    _first_slot(page).click()
    expect(page.get_by_label("Full name")).to_have_value("Grace Hopper")
    expect(page.get_by_label("Email")).to_have_value("grace@example.com")
    screenshot(page, "phone-2-details-kept")


def test_tapping_a_day_on_a_phone_brings_its_times_into_view(live_server, page, shop, clocks):
    page.set_viewport_size(VIEWPORTS["phone"])
    clocks(page)
    page.goto(live_server + f"/corner-salon/book/{shop['cut'].id}/any")
    page.locator("a.day.free").nth(2).click()
    expect(page.locator("#slots")).to_be_in_viewport()
    expect(page.locator("#slots")).to_be_focused()


def test_the_dashboard_day_view_is_accessible(live_server, page, viewport, app, session, shop, clocks, screenshot):
    create_account(session, shop["alice"], "owner@example.com", PASSWORD)
    shop["alice"].role = "owner"
    customer = find_or_create_customer(session, shop["business"], email="sam@example.com", name="Sam Reilly")
    booking_ops.create_booking(session, shop["business"], shop["cut"], TOMORROW_10, customer, staff=shop["alice"],
                               now=START)
    session.commit()
    clocks(page)
    sign_in(page, live_server, "owner@example.com", start="/dashboard/day?date=2026-03-03")
    expect(page.locator(".day-grid")).to_be_visible()
    axe_check(page, "dashboard day")
    screenshot(page, f"{viewport}-dashboard-day")


def test_the_review_stars_are_tappable_and_accessible(live_server, page, viewport, app, shop, session, clocks,
                                                      screenshot):
    customer = find_or_create_customer(session, shop["business"], email="sam@example.com", name="Sam Reilly")
    booking = booking_ops.create_booking(session, shop["business"], shop["cut"], TOMORROW_10, customer,
                                         staff=shop["alice"], now=START)
    booking_ops.start(session, booking, now=booking.starts_at)
    booking_ops.complete(session, booking, now=booking.ends_at)
    session.commit()
    from bookingapp.web.links import manage_token
    with app.test_request_context():
        url = f"{live_server}/corner-salon/manage/{manage_token(booking.id)}"
    clocks(page, TOMORROW_10 + timedelta(hours=2))
    page.goto(url)
    expect(page.locator(".star-radio:checked")).to_have_count(0)
    expect(page.get_by_label("I would recommend this business")).not_to_be_checked()
    expect(page.locator("#book-again")).to_be_visible()
    page.locator("label.star", has_text="3 stars").click()
    expect(page.get_by_label("3 stars")).to_be_checked()
    axe_check(page, "review")
    screenshot(page, f"{viewport}-review-stars")
