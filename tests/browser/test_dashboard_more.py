"""The dashboard in headless Chromium, second part: reply to a review in place; time off
added in setup removes the slot from the public wizard; a staff-role user cannot reach setup."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from bookingapp.auth.accounts import create_account
from bookingapp.domain import booking as booking_ops
from bookingapp.domain.reviews import leave_review
from tests.browser.pages import PASSWORD, sign_in
from tests.helpers import MONDAY, at, before


def _owner(session, member):
    create_account(session, member, "owner@example.com", PASSWORD)
    member.role = "owner"
    session.commit()


def test_reply_to_a_review_in_place(live_server, page, session, salon, make_customer, screenshot):
    business, service, alice, _ = salon
    _owner(session, alice)
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business, name="Maya Chen"),
                                         staff=alice, now=before())
    booking_ops.start(session, booking, now=at(MONDAY, 10))
    booking_ops.complete(session, booking, now=at(MONDAY, 11))
    review = leave_review(session, booking, rating=2, comment="Waited twenty minutes.", would_recommend=False)
    session.commit()

    sign_in(page, live_server, "owner@example.com")
    page.get_by_role("link", name="Reviews").click()
    card = page.locator(f"#review-{review.id}")
    expect(card).to_contain_text("Waited twenty minutes.")
    page.locator("select[name=replied]").select_option("no")
    # Wait for the filtered list to land (its URL is pushed after the swap), or it would
    # replace the reply box opened next.
    expect(page).to_have_url(re.compile(r"replied=no"))
    expect(page.locator("#review-list")).to_contain_text("1 review")
    card.locator('[data-action="reply"]').click()
    page.locator(f"#review-{review.id} textarea[name=reply]").fill("   ")
    page.locator(f"#review-{review.id} button[type=submit]").click()
    expect(page.locator(f"#review-{review.id} .error")).to_have_text("The reply is required.")
    page.locator(f"#review-{review.id} textarea[name=reply]").fill("We are sorry, Maya: we have changed our booking gaps.")
    page.locator(f"#review-{review.id} button[type=submit]").click()
    expect(page.locator(f"#review-{review.id} [data-reply]")).to_contain_text("We are sorry, Maya")
    screenshot(page, "review-replied")
    # Stored: the page reloaded with the filter pushed to the URL no longer lists it as unanswered.
    page.reload()
    expect(page.locator(f"#review-{review.id}")).to_have_count(0)
    page.locator("select[name=replied]").select_option("yes")
    expect(page).to_have_url(re.compile(r"replied=yes"))
    expect(page.locator(f"#review-{review.id} [data-reply]")).to_contain_text("We are sorry, Maya")


def test_time_off_added_in_setup_removes_the_slot_from_the_wizard(live_server, page, browser, session, salon, screenshot):
    business, service, alice, bob = salon
    _owner(session, alice)
    wizard_url = f"{live_server}/{business.slug}/book/{service.id}/{bob.id}?day={MONDAY}"
    customer = browser.new_page()
    customer.goto(wizard_url)
    expect(customer.locator("#slots button.slot", has_text="14:00")).to_have_count(1)

    sign_in(page, live_server, "owner@example.com")
    page.get_by_role("link", name="Setup").click()
    page.locator(".sub-nav").get_by_role("link", name="Staff").click()
    page.get_by_role("link", name="Bob").click()
    form = page.locator("#time-off-form")
    form.locator("input[name=starts_at]").fill(f"{MONDAY}T13:30")
    form.locator("input[name=ends_at]").fill(f"{MONDAY}T15:30")
    form.locator("input[name=reason]").fill("Dentist")
    form.locator("button[type=submit]").click()
    expect(page.locator("#time-off")).to_contain_text("Dentist")
    screenshot(page, "setup-time-off")

    customer.goto(wizard_url)
    expect(customer.locator("#slots h2")).to_be_visible()
    for gone in ("13:00", "13:30", "14:00", "15:00"):
        expect(customer.locator("#slots button.slot", has_text=gone)).to_have_count(0)
    expect(customer.locator("#slots button.slot", has_text="12:30")).to_have_count(1)
    expect(customer.locator("#slots button.slot", has_text="15:30")).to_have_count(1)
    screenshot(customer, "wizard-without-the-slot")
    customer.close()


def test_a_staff_user_cannot_reach_setup(live_server, page, session, salon):
    business, _, _, bob = salon
    create_account(session, bob, "bob@example.com", PASSWORD)
    session.commit()
    sign_in(page, live_server, "bob@example.com")
    expect(page.get_by_role("link", name="Setup")).to_have_count(0)
    for path in ("/dashboard/setup", "/dashboard/setup/business", "/dashboard/setup/staff", f"/dashboard/setup/staff/{bob.id}",
                 "/dashboard/developer", "/dashboard/reviews"):
        response = page.goto(live_server + path)
        assert response.status == 403, path
