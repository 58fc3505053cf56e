"""The checkout's "Card online" in Chromium, through the sandbox provider: clicking it again
after coming back from the payment page opens the same page (one page, one payment), and
paying there comes back to the receipt with the checkout closed."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from bookingapp.auth.accounts import create_account
from bookingapp.domain import booking as booking_ops
from bookingapp.models import Payment
from bookingapp.models.checkout import Checkout
from tests.browser.pages import PASSWORD, sign_in
from tests.helpers import MONDAY, at, before


def test_card_online_twice_opens_one_page_and_paying_it_closes_the_checkout(app, live_server, page, session, salon,
                                                                           make_customer, screenshot):
    app.config["STRIPE_SECRET_KEY"] = ""  # the sandbox, as on a fresh machine
    app.config["CLOCK"] = lambda: at(MONDAY, 11, 20)
    business, service, alice, _ = salon
    create_account(session, alice, "desk@example.com", PASSWORD)
    alice.role = "front_desk"
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                         staff=alice, now=before())
    booking_ops.start(session, booking, now=at(MONDAY, 10))
    session.commit()

    sign_in(page, live_server, "desk@example.com", start=f"/dashboard/bookings/{booking.id}")
    page.locator("form[action$='/checkout'] button").click()
    expect(page.locator("#checkout")).to_be_visible()
    checkout_url = page.url

    page.get_by_role("button", name="Card online").click()
    expect(page.get_by_role("button", name="Pay £50.00")).to_be_visible()
    first_page = page.url
    screenshot(page, "1-sandbox-page")
    page.goto(checkout_url)  # the desk comes back without paying, and clicks again
    page.get_by_role("button", name="Card online").click()
    expect(page.get_by_role("button", name="Pay £50.00")).to_be_visible()
    assert page.url == first_page

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/40")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Pay £50.00").click()
    expect(page.locator("#receipt")).to_be_visible()
    expect(page.locator('#receipt [data-total="balance"]')).to_have_text("£0.00")
    screenshot(page, "2-receipt")

    session.expire_all()
    payments = session.scalars(select(Payment).where(Payment.kind == "balance")).all()
    assert [(p.status, p.amount_cents) for p in payments] == [("succeeded", 5000)]
    assert session.scalars(select(Checkout)).one().status == "closed"
