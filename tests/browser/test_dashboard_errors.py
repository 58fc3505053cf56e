"""htmx failures are shown, not swallowed: a refused action (403 after the role changed),
a stale CSRF token (400) and a form error (422, swapped in place)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from bookingapp.auth.accounts import create_account
from bookingapp.domain import booking as booking_ops
from bookingapp.models import Staff
from tests.browser.pages import PASSWORD, sign_in
from tests.helpers import MONDAY, at, before


def test_failed_htmx_actions_show_an_alert_banner(app, live_server, page, session, salon, make_customer, screenshot):
    business, service, alice, _ = salon
    desk = Staff(business_id=business.id, name="Dee Desk", role="front_desk", is_active=False)
    session.add(desk)
    session.flush()
    create_account(session, desk, "desk@example.com", PASSWORD)
    first = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                       staff=alice, now=before())
    session.commit()
    app.config["CLOCK"] = lambda: at(MONDAY, 9, 30)

    sign_in(page, live_server, "desk@example.com", start=f"/dashboard/day?date={MONDAY}")
    banner = page.locator("#dash-error")
    expect(banner).to_be_hidden()

    # A stale token (the page left open across a secret rotation, or forged): refused, and said so.
    page.locator(f'[data-booking="{first.booking_number}"]').click()
    panel = page.locator("#booking-panel")
    expect(panel.locator('[data-transition="in_progress"]')).to_be_visible()
    page.evaluate("""document.body.setAttribute('hx-headers', JSON.stringify({'X-CSRFToken': 'stale'}));
                     document.querySelectorAll('input[name=csrf_token]').forEach(i => i.value = 'stale');""")
    panel.locator('[data-transition="in_progress"]').click()
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("role", "alert")
    expect(banner).to_contain_text("security token")
    screenshot(page, "csrf-banner")
    banner.locator("[data-dismiss]").click()
    expect(banner).to_be_hidden()

    # The owner makes this person plain staff mid-day: the next click is refused (403), visibly.
    page.reload()
    page.locator(f'[data-booking="{first.booking_number}"]').click()
    expect(panel.locator('[data-transition="in_progress"]')).to_be_visible()
    desk.role = "staff"
    session.commit()
    panel.locator('[data-transition="in_progress"]').click()
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(re.compile(r"Not allowed \(403\)"))
    screenshot(page, "forbidden-banner")
    session.refresh(first)
    assert first.status == "confirmed"
