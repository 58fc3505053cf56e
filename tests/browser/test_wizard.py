"""The booking wizard in real headless Chromium, on phone and desktop viewports, with a
screenshot of every step under artifacts/screenshots/<test name>/."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.models import Booking, OutboxEvent, Review
from tests.web.conftest import shop  # noqa: F401  (the fixture)
from tests.helpers import customer_emails

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
SUCCESS_CARD = "4242 4242 4242 4242"
DECLINE_CARD = "4000 0000 0000 0002"


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request, page):
    page.set_viewport_size(VIEWPORTS[request.param])
    return request.param


def pick_first_slot(page):
    slot = page.locator("button.slot").first
    expect(slot).to_be_visible()
    label = slot.inner_text()
    slot.click()
    return label


def fill_details(page, name="Ada Lovelace", email="ada@example.com"):
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email").fill(email)


def pay_with(page, card):
    page.locator("#card_number").fill(card)
    page.locator("#expiry").fill("12/34")
    page.locator("#cvc").fill("123")
    page.locator("#card-form button[type=submit]").click()


def test_full_booking_with_a_declined_card_then_a_paid_deposit(live_server, page, viewport, shop, session, screenshot):
    business = shop["business"]
    business.deposit_policy = "service_deposit"
    session.commit()
    page.goto(live_server + "/corner-salon")
    expect(page.locator("h1")).to_have_text("Corner Salon")
    screenshot(page, f"{viewport}-1-landing")
    page.get_by_role("link", name="Book an appointment").click()
    expect(page.locator("h1")).to_have_text("Choose a service")
    screenshot(page, f"{viewport}-2-service")
    page.get_by_role("link", name=re.compile("Colour")).click()
    expect(page.locator("h1")).to_have_text("Who would you like?")
    assert page.url.endswith(f"/book/{shop['colour'].id}")
    screenshot(page, f"{viewport}-3-staff")
    page.get_by_role("link", name=re.compile("Anyone available")).click()
    expect(page.locator("h1")).to_have_text("Choose a date and time")
    expect(page.locator("#slots")).to_contain_text("Times are in London time")
    screenshot(page, f"{viewport}-4-time")
    pick_first_slot(page)
    expect(page.locator("h1")).to_have_text("Your details")
    assert "/details" in page.url
    expect(page.locator(".countdown .remaining")).to_contain_text("left")
    expect(page.locator("h1")).to_be_focused()
    screenshot(page, f"{viewport}-5-hold-details")

    page.get_by_role("button", name="Continue to payment").click()
    expect(page.locator(".error").first).to_be_visible()
    screenshot(page, f"{viewport}-5b-details-errors")
    fill_details(page)
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.locator("h1")).to_have_text("Payment")
    expect(page.locator("#due-now")).to_have_text("£20.00")
    screenshot(page, f"{viewport}-6-payment")
    page.get_by_role("button", name=re.compile("Pay £20.00")).click()
    expect(page.locator("#card_number")).to_be_visible()
    screenshot(page, f"{viewport}-6b-sandbox-checkout")
    pay_with(page, DECLINE_CARD)
    expect(page.locator("#card-error")).to_contain_text("declined")
    screenshot(page, f"{viewport}-6c-declined")
    session.rollback()  # end the read snapshot; see what the server committed
    held = session.scalars(select(Booking)).one()
    assert held.status == "held" and held.hold_expires_at > datetime.now(timezone.utc)
    pay_with(page, SUCCESS_CARD)
    expect(page.locator("h1")).to_have_text("You're booked")
    expect(page.locator("#paid")).to_have_text("£20.00")
    expect(page.locator("#due-at-venue")).to_have_text("£70.00")
    screenshot(page, f"{viewport}-7-booked")
    session.rollback()  # end the read snapshot; see what the server committed
    booking = session.scalars(select(Booking)).one()
    assert booking.status == "confirmed"
    expect(page.locator("#booking-number")).to_have_text(booking.booking_number)
    assert [m.kind for m in customer_emails(session, booking.id)] == ["booking_confirmed"]
    page.reload()
    expect(page.locator("h1")).to_have_text("You're booked")


def test_two_customers_race_for_one_slot_and_the_loser_is_told_plainly(live_server, browser, shop, session, screenshot):
    url = f"{live_server}/corner-salon/book/{shop['cut'].id}/{shop['alice'].id}"
    first, second = browser.new_context(), browser.new_context()
    try:
        page_a, page_b = first.new_page(), second.new_page()
        for p in (page_a, page_b):
            p.goto(url)
            expect(p.locator("button.slot").first).to_be_visible()
        slot_label = page_a.locator("button.slot").first.inner_text()
        page_a.locator("button.slot").first.click()
        expect(page_a.locator("h1")).to_have_text("Your details")
        page_b.locator("button.slot").first.click()
        expect(page_b.locator("[role=alert]")).to_contain_text("That time was just taken")
        expect(page_b.locator("[role=alert]")).to_be_focused()
        # The service and staff choice are kept and the taken time is gone.
        expect(page_b.locator("#step")).to_contain_text("Cut")
        expect(page_b.locator("#step")).to_contain_text("Alice")
        assert slot_label not in page_b.locator("button.slot").all_inner_texts()[:1]
        screenshot(page_a, "winner")
        screenshot(page_b, "loser-just-taken")
        session.rollback()  # end the read snapshot; see what the server committed
        assert [b.status for b in session.scalars(select(Booking))] == ["held"]
    finally:
        first.close()
        second.close()


def test_an_expired_hold_takes_the_customer_back_to_the_time_step(live_server, page, shop, session, screenshot):
    shop["business"].hold_seconds = 3
    session.commit()
    page.goto(f"{live_server}/corner-salon/book/{shop['cut'].id}/{shop['bob'].id}")
    pick_first_slot(page)
    expect(page.locator("h1")).to_have_text("Your details")
    screenshot(page, "hold-counting-down")
    expect(page.locator("[role=alert]")).to_contain_text("Your hold has expired", timeout=15_000)
    expect(page.locator("h1")).to_have_text("Choose a date and time")
    expect(page.locator("#step")).to_contain_text("Bob")
    expect(page.locator("#step")).to_contain_text("Cut")
    screenshot(page, "hold-expired")


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_whole_flow_works_with_javascript_disabled(live_server, browser, shop, session, screenshot, size):
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORTS[size])
    try:
        page = context.new_page()
        page.goto(live_server + "/corner-salon")
        screenshot(page, f"{size}-1-landing")
        page.get_by_role("link", name="Book Cut").click()
        screenshot(page, f"{size}-2-staff")
        page.get_by_role("link", name=re.compile("Bob")).click()
        screenshot(page, f"{size}-3-time")
        # A day link is a plain link without JS.
        page.locator("a.day.free").last.click()
        expect(page.locator("#slots h2")).to_be_visible()
        pick_first_slot(page)
        expect(page.locator("h1")).to_have_text("Your details")
        page.get_by_label("Email").fill("not an email")
        page.get_by_role("button", name="Confirm booking").click()
        expect(page.locator("#email-error")).to_contain_text("Email is not valid")
        expect(page.get_by_label("Email")).to_have_value("not an email")
        screenshot(page, f"{size}-4-details-errors")
        fill_details(page, name="Grace Hopper", email="grace@example.com")
        page.get_by_label("Phone (optional)").fill("07911 123456")
        page.get_by_role("button", name="Confirm booking").click()
        expect(page.locator("h1")).to_have_text("You're booked")
        expect(page.locator("#due-at-venue")).to_have_text("£40.00")
        screenshot(page, f"{size}-5-booked")
        page.get_by_role("link", name="Manage your booking").click()
        expect(page.locator("h1")).to_contain_text("Your booking BK-")
        screenshot(page, f"{size}-6-manage")
        session.rollback()  # end the read snapshot; see what the server committed
        booking = session.scalars(select(Booking)).one()
        assert booking.status == "confirmed" and booking.customer.phone == "+447911123456"
    finally:
        context.close()


def _book_directly(session, shop, days=3, hour=11):
    from tests.web.conftest import tomorrow_at
    from bookingapp.domain.customers import find_or_create_customer

    business = shop["business"]
    customer = find_or_create_customer(session, business, email="sam@example.com", name="Sam Reilly")
    start = tomorrow_at(business, hour) + timedelta(days=days - 1)
    booking = booking_ops.create_booking(session, business, shop["cut"], start, customer, staff=shop["alice"], source="web")
    session.commit()
    return booking


def _manage_url(live_server, app, booking):
    from bookingapp.web.links import manage_token

    with app.test_request_context():
        return f"{live_server}/corner-salon/manage/{manage_token(booking.id)}"


def test_reschedule_then_cancel_through_the_manage_link(live_server, page, viewport, app, shop, session, screenshot):
    booking = _book_directly(session, shop)
    page.goto(_manage_url(live_server, app, booking))
    expect(page.locator("#cancel-terms")).to_contain_text("Cancelling is free until")
    screenshot(page, f"{viewport}-1-manage")
    page.get_by_role("link", name="Change time").click()
    expect(page.locator("h1")).to_have_text("Choose a new time")
    page.locator("a.day.free").first.click()
    expect(page.locator("#slots")).to_be_focused()
    screenshot(page, f"{viewport}-2-reschedule-time")
    pick_first_slot(page)
    expect(page.locator("[role=status]")).to_contain_text("moved to the new time")
    screenshot(page, f"{viewport}-3-rescheduled")
    session.rollback()  # end the read snapshot; see what the server committed
    assert sorted(b.status for b in session.scalars(select(Booking))) == ["confirmed", "rescheduled"]
    page.get_by_role("link", name="Cancel booking").click()
    expect(page.locator("h1")).to_have_text("Cancel this booking?")
    screenshot(page, f"{viewport}-4-confirm-cancel")
    page.get_by_role("button", name="Yes, cancel my booking").click()
    expect(page.locator("[role=status]")).to_contain_text("has been cancelled")
    screenshot(page, f"{viewport}-4-cancelled")
    session.rollback()  # end the read snapshot; see what the server committed
    assert sorted(b.status for b in session.scalars(select(Booking))) == ["cancelled", "rescheduled"]


def test_a_review_after_a_completed_visit(live_server, page, viewport, app, shop, session, screenshot):
    booking = _book_directly(session, shop)
    # The visit takes place at its time (start and complete wait for it).
    booking_ops.start(session, booking, now=booking.starts_at)
    booking_ops.complete(session, booking, now=booking.ends_at)
    session.commit()
    page.goto(_manage_url(live_server, app, booking))
    expect(page.get_by_role("heading", name="How was your visit?")).to_be_visible()
    page.get_by_role("button", name="Send review").click()
    expect(page.locator(".stars-input .error")).to_contain_text("Rating")
    # A tap on the fourth star (the radio itself is out of sight).
    page.locator("label.star", has_text="4 stars").click()
    expect(page.get_by_label("4 stars")).to_be_checked()
    page.get_by_label("Comment (optional)").fill("Friendly and on time.")
    screenshot(page, f"{viewport}-1-review-form")
    page.get_by_role("button", name="Send review").click()
    expect(page.locator("[role=status]")).to_contain_text("Thank you for your review")
    expect(page.get_by_role("heading", name="How was your visit?")).to_have_count(0)
    screenshot(page, f"{viewport}-2-reviewed")
    session.rollback()  # end the read snapshot; see what the server committed
    review = session.scalars(select(Review)).one()
    assert review.rating == 4 and review.comment == "Friendly and on time."


def test_enter_in_a_field_continues_and_apply_checks_only_the_code(live_server, page, shop, session, screenshot):
    """The hidden first submit button makes Continue the form's default: Enter in the
    email field books, it does not apply the (blank) promotion code. Apply, pressed with
    the details still empty, shows the code's own error and nothing else."""
    from bookingapp.models.payment import Promotion

    session.add(Promotion(business_id=shop["business"].id, code="SPRING20", kind="percent", percent_off=20))
    session.commit()
    page.goto(live_server + f"/corner-salon/book/{shop['cut'].id}/any")
    pick_first_slot(page)
    expect(page.locator("h1")).to_have_text("Your details")
    page.get_by_label("Promo code").fill("NOSUCH")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#promo_code-error")).to_have_text("NOSUCH is not a valid promotion code.")
    expect(page.get_by_text("Name is required.")).to_have_count(0)
    expect(page.get_by_text("Email is required.")).to_have_count(0)
    page.get_by_label("Promo code").fill("spring20")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#total-price")).to_have_text("£32.00")
    screenshot(page, "details-code-applied")
    fill_details(page)
    page.get_by_label("Email").press("Enter")
    expect(page.locator("h1")).to_have_text("You're booked")
    session.rollback()  # end the read snapshot; see what the server committed
    booking = session.scalars(select(Booking)).one()
    assert booking.status == "confirmed" and booking.customer.email == "ada@example.com"
