"""The dashboard in headless Chromium: sign in, the day, start/complete/check out, roles."""
from __future__ import annotations

from playwright.sync_api import expect

from bookingapp.auth.accounts import create_account
from bookingapp.domain import booking as booking_ops
from bookingapp.models import Product
from tests.browser.pages import PASSWORD, sign_in
from tests.helpers import MONDAY, at, before


def test_day_view_then_start_complete_and_check_out(app, live_server, page, session, salon, make_customer, screenshot):
    business, service, alice, bob = salon
    # The dashboard's clock sits inside the seeded Monday, so "now" is marked on the grid.
    app.config["CLOCK"] = lambda: at(MONDAY, 11, 20)
    create_account(session, alice, "owner@example.com", PASSWORD)
    alice.role = "owner"
    first = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business, name="Maya Chen"),
                                       staff=alice, now=before())
    second = booking_ops.create_booking(session, business, service, at(MONDAY, 14, 30), make_customer(business, name="Tom Baker"),
                                        staff=bob, now=before())
    session.add(Product(business_id=business.id, name="Heat Protect Spray", price_cents=1600, inventory_count=4))
    session.commit()

    sign_in(page, live_server, "owner@example.com", start=f"/dashboard/day?date={MONDAY}")
    alice_column = page.locator('[data-staff="Alice"]')
    bob_column = page.locator('[data-staff="Bob"]')
    expect(alice_column.locator(f'[data-booking="{first.booking_number}"]')).to_have_attribute("data-start", "10:00")
    expect(bob_column.locator(f'[data-booking="{second.booking_number}"]')).to_have_attribute("data-start", "14:30")
    # Placed by time: the 14:30 booking sits further down than the 10:00 one.
    top_first = alice_column.locator(f'[data-booking="{first.booking_number}"]').bounding_box()["y"]
    top_second = bob_column.locator(f'[data-booking="{second.booking_number}"]').bounding_box()["y"]
    assert top_second > top_first
    expect(page.locator(".now-line").first).to_be_visible()
    screenshot(page, "day-view")

    alice_column.locator(f'[data-booking="{first.booking_number}"]').click()
    panel = page.locator("#booking-panel")
    expect(panel).to_contain_text("Maya Chen")
    panel.locator('[data-transition="in_progress"]').click()
    expect(panel.locator("[data-status]").first).to_have_attribute("data-status", "in_progress")
    # The columns refresh after the change: the booking's colour follows its status.
    expect(alice_column.locator(f'[data-booking="{first.booking_number}"]')).to_have_attribute("data-status", "in_progress")
    panel.locator('[data-transition="completed"]').click()
    expect(panel.locator("[data-status]").first).to_have_attribute("data-status", "completed")
    panel.locator('[data-action="checkout"]').click()

    expect(page.locator("#checkout")).to_be_visible()
    page.locator('[data-form="product"] select[name=product_id]').select_option(label="Heat Protect Spray · £16.00 (4 in stock)")
    page.locator('[data-form="product"] button').click()
    expect(page.locator('[data-total="subtotal"]')).to_have_text("£66.00")
    page.fill('[data-form="tip"] input[name=tip]', "5")
    page.locator('[data-form="tip"] button').click()
    expect(page.locator('[data-total="tip"]')).to_have_text("£5.00")
    page.locator('[data-form="discount"] select[name=discount_kind]').select_option("percent")
    page.fill('[data-form="discount"] input[name=discount_value]', "10")
    page.locator('[data-form="discount"] button').click()
    expect(page.locator('[data-total="discount"]')).to_have_text("-£6.60")
    expect(page.locator('[data-total="total"]')).to_have_text("£64.40")
    screenshot(page, "checkout")
    page.get_by_role("button", name="Cash £64.40 & close").click()
    expect(page.locator("#receipt")).to_be_visible()
    expect(page.locator('#receipt [data-total="total"]')).to_have_text("£64.40")
    expect(page.locator('#receipt [data-total="balance"]')).to_have_text("£0.00")
    expect(page.locator("#receipt")).to_contain_text("Settled")
    screenshot(page, "receipt")


def test_staff_role_cannot_reach_setup_or_checkout(app, live_server, page, session, salon, make_customer):
    business, service, alice, bob = salon
    create_account(session, bob, "bob@example.com", PASSWORD)
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                         staff=bob, now=before())
    booking_ops.start(session, booking, now=at(MONDAY, 10))
    session.commit()
    sign_in(page, live_server, "bob@example.com", start=f"/dashboard/day?date={MONDAY}")
    expect(page.locator('[data-staff="Alice"]')).to_have_count(0)
    expect(page.locator('[data-staff="Bob"]')).to_have_count(1)
    expect(page.get_by_role("link", name="Setup")).to_have_count(0)
    for path in ("/dashboard/setup", f"/dashboard/bookings/{booking.id}"):
        response = page.goto(live_server + path)
        if path.endswith("setup"):
            assert response.status == 403  # setup exists: refused, not missing
        else:
            assert response.status == 200
            expect(page.locator('[data-action="checkout"]')).to_have_count(0)
