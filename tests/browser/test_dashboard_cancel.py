"""Cancelling from the booking panel in Chromium: the owner reads what the policy gives
(the deposit is kept, late), chooses "Refund in full", confirms, and the panel comes back
cancelled with the refund in its money summary and the override in its history."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from bookingapp.auth.accounts import create_account
from bookingapp.domain import booking as booking_ops
from bookingapp.domain import payments
from bookingapp.models.payment import Payment
from bookingapp.payments.sandbox import SUCCESS_CARD, SandboxProvider, try_card
from tests.browser.pages import PASSWORD, sign_in
from tests.helpers import MONDAY, at, before


def test_owner_reads_the_policy_then_refunds_in_full(app, live_server, page, session, salon, make_customer,
                                                     screenshot):
    app.config["STRIPE_SECRET_KEY"] = ""  # the sandbox, as on a fresh machine
    business, service, alice, _ = salon
    create_account(session, alice, "owner@example.com", PASSWORD)
    alice.role = "owner"
    held = booking_ops.hold(session, business, service, at(MONDAY, 10), staff=alice,
                            customer=make_customer(business, name="Maya Chen"), now=before(days=7))
    provider = SandboxProvider(session, url_for_checkout=lambda sid: f"http://sandbox/{sid}")
    started = payments.start_checkout(session, provider, held, now=before(days=7), success_url="http://x/ok",
                                      cancel_url="http://x/cancel")
    assert try_card(provider, started.payment.provider_session_id, SUCCESS_CARD).paid
    payments.confirm_checkout(session, provider, started.payment.provider_session_id, now=before(days=7))
    session.commit()
    app.config["CLOCK"] = lambda: at(MONDAY, 10) - timedelta(hours=2)  # past the 24-hour free window

    sign_in(page, live_server, "owner@example.com", start=f"/dashboard/day?date={MONDAY}")
    page.locator(f'[data-booking="{held.booking_number}"]').click()
    panel = page.locator("#booking-panel")
    expect(panel.locator("[data-cancel-terms]")).to_contain_text("the deposit of £10.00 is kept")
    expect(panel.locator('[data-money="paid"]')).to_have_text("£10.00")
    panel.get_by_label("Refund in full").check()
    panel.get_by_label("Cancellation reason").fill("Stylist ill")
    screenshot(page, "1-cancel-choice")
    page.once("dialog", lambda dialog: dialog.accept())
    panel.locator('[data-transition="cancelled"]').click()

    expect(panel.locator("[data-status]").first).to_have_attribute("data-status", "cancelled")
    expect(panel.locator('[data-money="refunded"]')).to_have_text("-£10.00")
    expect(panel.locator('[data-money="balance_due"]')).to_have_text("£0.00")
    expect(panel.locator(".history")).to_contain_text("policy overridden by the business: everything paid refunded")
    screenshot(page, "2-cancelled")
    session.expire_all()
    refunds = session.scalars(select(Payment).where(Payment.booking_id == held.id, Payment.kind == "refund")).all()
    assert [(r.amount_cents, r.status) for r in refunds] == [(1000, "succeeded")]
