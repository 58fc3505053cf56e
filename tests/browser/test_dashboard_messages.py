"""The delivery log in headless Chromium: a booking's Messages section resends in place,
the Messages page filters as the owner chooses, and Setup → Notifications shows a refused
cadence with what was typed, then saves a good one."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from bookingapp.auth.accounts import create_account
from bookingapp.domain import booking as booking_ops
from bookingapp.models import Business
from bookingapp.models.message import Message
from tests.browser.pages import PASSWORD, sign_in
from tests.helpers import MONDAY, at, before


def _sign_in_as_owner(page, live_server, session, member):
    create_account(session, member, "owner@example.com", PASSWORD)
    member.role = "owner"
    session.commit()
    sign_in(page, live_server, "owner@example.com")


def test_resend_from_the_booking_and_filter_the_log(app, live_server, page, session, salon, make_customer, screenshot):
    business, service, alice, _ = salon
    app.config["CLOCK"] = lambda: before()
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10),
                                         make_customer(business, email="maya@example.com", name="Maya Chen"),
                                         staff=alice, now=before())
    session.commit()
    # The worker could not deliver the confirmation.
    confirmation = session.scalars(select(Message).where(Message.booking_id == booking.id,
                                                         Message.audience == "customer")).one()
    confirmation.status, confirmation.attempts, confirmation.last_error = "failed", 5, "550 mailbox unavailable"
    session.commit()
    _sign_in_as_owner(page, live_server, session, alice)

    page.goto(f"{live_server}/dashboard/bookings/{booking.id}")
    section = page.locator("#booking-messages")
    row = section.locator(f'[data-message="{confirmation.id}"]')
    expect(row).to_contain_text("550 mailbox unavailable")
    expect(row).to_contain_text("Maya Chen")
    app.config["CLOCK"] = lambda: before() + timedelta(hours=1)  # the customer phoned an hour later
    row.locator('[data-action="resend"]').click()
    expect(section.locator("tbody tr").first).to_contain_text("Waiting to be sent")
    expect(section.locator("tbody tr")).to_have_count(2)
    screenshot(page, "booking-messages-resent")

    page.get_by_role("link", name="Messages").click()
    expect(page.locator("#message-list tbody tr")).to_have_count(2)
    page.locator("select[name=status]").select_option("failed")
    expect(page).to_have_url(re.compile(r"status=failed"))
    expect(page.locator("#message-list tbody tr")).to_have_count(1)
    expect(page.locator("#message-list")).to_contain_text(booking.booking_number)
    screenshot(page, "messages-failed")


def test_notification_settings_refused_then_saved(live_server, page, session, salon, screenshot):
    business, _, alice, _ = salon
    _sign_in_as_owner(page, live_server, session, alice)
    page.get_by_role("link", name="Setup").click()
    page.locator(".sub-nav").get_by_role("link", name="Notifications").click()
    form = page.locator("#notification-form")
    form.locator("input[name=step0_hours]").fill("24")
    form.locator("input[name=step1_hours]").fill("400")
    form.locator("input[name=step1_sms]").check()
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#notification-form [data-error-for=reminder_cadence]")).to_be_visible()
    expect(page.locator("#notification-form input[name=step1_hours]")).to_have_value("400")
    expect(page.locator("#notification-form input[name=step1_sms]")).to_be_checked()
    screenshot(page, "notifications-refused")

    page.locator("#notification-form input[name=step1_hours]").fill("2")
    page.locator("#notification-form").get_by_role("button", name="Save").click()
    expect(page.locator(".flash-success")).to_contain_text("Notification settings saved.")
    expect(page.locator("#notification-form input[name=step2_hours]")).to_have_value("")
    session.expire_all()
    stored = session.get(Business, business.id)
    assert sorted(step["hours_before"] for step in stored.reminder_cadence) == [2, 24]
