"""The owner's dashboard in headless Chromium: approving from the queue, the day at a
phone's 390 px (the page never scrolls sideways, the grid does, under a time column that
stays; the menu folds behind its button; 44 px touch targets), readable chart labels, and
screenshots of the day, week, move and analytics views at desktop and phone width; and the
front desk's client search, typed into on a phone."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bookingapp.auth.accounts import create_account
from bookingapp.domain import booking as booking_ops
from bookingapp.models import Booking
from tests.browser.pages import PASSWORD, sign_in
from tests.helpers import MONDAY, at, before

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Enough staff that their columns are wider than a phone.
STAFF = ("Alice", "Bob", "Cleo", "Dev")


@pytest.fixture
def salon_day(app, session, salon, make_staff, make_customer):
    """An owner (Alice); four staff; Maya's confirmed 10:00 with Alice and Tom's 14:00 with Bob
    waiting for approval; two completed visits for the analytics. Clock: Monday 09:00 less two days."""
    business, service, alice, bob = salon
    for name in STAFF[2:]:
        make_staff(business, [service], name=name)
    create_account(session, alice, "owner@example.com", PASSWORD)
    alice.role = "owner"
    maya = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business, name="Maya Chen"),
                                      staff=alice, now=before())
    business.auto_confirm = False
    tom = booking_ops.create_booking(session, business, service, at(MONDAY, 14), make_customer(business, name="Tom Baker"),
                                     staff=bob, now=before())
    for days_back, hour in ((3, 10), (10, 11)):
        visit = booking_ops.create_booking(session, business, service, at(MONDAY, hour) - timedelta(days=days_back),
                                           make_customer(business), staff=alice, now=before(MONDAY, days=30))
        booking_ops.change_status(session, visit, "confirmed", now=before(MONDAY, days=30))
        booking_ops.start(session, visit, now=visit.starts_at)
        booking_ops.complete(session, visit, now=visit.ends_at)
    session.commit()
    app.config["CLOCK"] = lambda: before(MONDAY, days=2)
    return {"business": business, "alice": alice, "bob": bob, "maya": maya, "tom": tom}


def _page_scrolls_sideways(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth > window.innerWidth")


def test_approving_from_the_queue(live_server, page, session, salon_day, screenshot):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, "owner@example.com")
    badge = page.locator('[data-nav="approvals"] #queue-count')
    expect(badge).to_have_text("1")
    page.locator('[data-nav="approvals"]').click()
    row = page.locator(f'#approval-queue tr[data-booking="{salon_day["tom"].booking_number}"]')
    expect(row).to_contain_text("Tom Baker")
    screenshot(page, "queue-desktop")
    row.locator('[data-action="approve"]').click()
    expect(page.locator("#approval-queue [data-notice]")).to_contain_text("approved")
    expect(row).to_have_count(0)
    # The menu's count follows without a reload.
    expect(badge).to_have_attribute("data-pending-count", "0")
    expect(badge).to_be_hidden()
    session.expire_all()
    assert session.get(Booking, salon_day["tom"].id).status == "confirmed"


def test_the_day_on_a_phone(live_server, page, salon_day, screenshot):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "owner@example.com", start=f"/dashboard/day?date={MONDAY}")
    expect(page.locator(".day-grid")).to_be_visible()
    assert not _page_scrolls_sideways(page)
    # The menu folds behind its button and opens with 44-pixel rows.
    menu_button = page.locator("[data-menu-button]")
    expect(menu_button).to_be_visible()
    expect(page.locator(".dash-nav")).to_be_hidden()
    screenshot(page, "day-phone")
    menu_button.click()
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    nav_link = page.locator(".dash-nav a", has_text="Approvals")
    expect(nav_link).to_be_visible()
    assert nav_link.bounding_box()["height"] >= 44
    screenshot(page, "day-phone-menu")
    menu_button.click()
    expect(page.locator(".dash-nav")).to_be_hidden()

    grid = page.locator("#day-columns")
    axis = page.locator("#day-columns .time-axis")
    assert page.evaluate("(g) => g.scrollWidth > g.clientWidth", grid.element_handle()), "the staff columns should overflow"
    grid_left = grid.bounding_box()["x"]
    grid.evaluate("(g) => { g.scrollLeft = g.scrollWidth; }")
    page.wait_for_function("document.querySelector('#day-columns').scrollLeft > 0")
    # The time column stays where it was, the last staff member scrolled into view beside it.
    assert abs(axis.bounding_box()["x"] - grid_left) < 2
    expect(page.locator(f'[data-staff="{STAFF[-1]}"] .column-head')).to_be_in_viewport()
    assert not _page_scrolls_sideways(page)
    # The first hour label sits inside the grid, not cut off above it.
    first_hour = page.locator("#day-columns .time-axis .hour").first
    axis_body = page.locator("#day-columns .time-axis .column-body")
    assert first_hour.bounding_box()["y"] >= axis_body.bounding_box()["y"] - 0.5
    for button in (page.locator(".day-toolbar a.button").first, page.locator("[data-menu-button]")):
        assert button.bounding_box()["height"] >= 44
    screenshot(page, "day-phone-scrolled")


@pytest.mark.parametrize("size_name, size", [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_day_week_move_and_analytics(live_server, page, salon_day, screenshot, size_name, size):
    page.set_viewport_size(size)
    sign_in(page, live_server, "owner@example.com", start=f"/dashboard/day?date={MONDAY}")
    expect(page.locator(".day-grid")).to_be_visible()
    screenshot(page, f"day-{size_name}")
    assert not _page_scrolls_sideways(page)

    page.goto(f"{live_server}/dashboard/week?date={MONDAY}")
    expect(page.locator("#week-columns")).to_be_visible()
    screenshot(page, f"week-{size_name}")
    assert not _page_scrolls_sideways(page)

    page.goto(f"{live_server}/dashboard/bookings/{salon_day['maya'].id}/move")
    expect(page.locator("#move-form")).to_be_visible()
    screenshot(page, f"move-{size_name}")
    assert not _page_scrolls_sideways(page)

    page.goto(f"{live_server}/dashboard/analytics?period=30d")
    revenue = page.locator('[data-chart="revenue"]')
    expect(revenue).to_be_visible()
    # Chart words are HTML in CSS pixels: 12 px at every width, none cut off.
    label = revenue.locator(".chart-labels li").first
    assert page.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)", label.element_handle()) >= 12
    box = label.bounding_box()
    assert box["height"] >= 12
    assert page.locator("svg.chart text").count() == 0
    screenshot(page, f"analytics-{size_name}")
    assert not _page_scrolls_sideways(page)


def test_front_desk_finds_a_client_as_it_types_and_books_them(live_server, page, session, salon_day, screenshot):
    page.set_viewport_size(PHONE)
    maya = salon_day["maya"].customer
    sign_in(page, live_server, "owner@example.com",
            start=f"/dashboard/bookings/new?staff_id={salon_day['alice'].id}&day={MONDAY}")
    form = page.locator("#new-booking-form")
    page.locator("[data-client-search]").fill("maya")
    match = page.locator(f'[data-client-match="{maya.id}"]')
    expect(match).to_be_visible()
    assert match.bounding_box()["height"] >= 44
    screenshot(page, "client-search-phone")
    match.click()
    expect(form.locator(f'[data-chosen-client="{maya.id}"]')).to_contain_text("Maya Chen")
    # What was already chosen in the form stays chosen.
    expect(form.locator("select[name=staff_id]")).to_have_value(str(salon_day["alice"].id))
    form.locator("select[name=service_id]").select_option(index=1)
    expect(form.locator("select[name=start] option").first).not_to_have_text("No free times that day")
    form.locator("select[name=start]").select_option(label="12:00")
    form.get_by_role("button", name="Book").click()
    expect(page.locator(".day-grid")).to_be_visible()
    session.expire_all()
    booked = session.scalars(select(Booking).where(
        Booking.source == "dashboard", Booking.starts_at == at(MONDAY, 12))).one()
    assert booked.customer_id == maya.id


def test_a_choice_made_the_moment_the_form_is_redrawn_still_redraws_it(live_server, page, salon_day):
    """htmx wires up a swapped-in form when it "settles", by default 20 ms after the swap: a
    service chosen inside that window changed the select but asked for no free times, and the
    form kept saying "No free times that day". The layouts settle at once (defaultSettleDelay
    0). Here the service is chosen in the first task after the swap, inside the old window."""
    page.set_viewport_size(PHONE)
    maya = salon_day["maya"].customer
    sign_in(page, live_server, "owner@example.com",
            start=f"/dashboard/bookings/new?staff_id={salon_day['alice'].id}&day={MONDAY}")
    form = page.locator("#new-booking-form")
    page.locator("[data-client-search]").fill("maya")
    match = page.locator(f'[data-client-match="{maya.id}"]')
    expect(match).to_be_visible()
    page.evaluate("""() => document.body.addEventListener("htmx:afterSwap", () => setTimeout(() => {
        const service = document.querySelector("#new-booking-form select[name=service_id]");
        service.selectedIndex = 1;
        service.dispatchEvent(new Event("change", {bubbles: true}));
    }, 0), {once: true})""")
    match.click()
    expect(form.locator(f'[data-chosen-client="{maya.id}"]')).to_contain_text("Maya Chen")
    expect(form.locator("select[name=start] option").first).to_have_text("09:00")
