"""Paying through the sandbox provider in Chromium: the decline card leaves the booking
held and says so, then the success card books it; leaving the page offers a retry."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from bookingapp.domain import booking as booking_domain
from bookingapp.models import Booking
from tests.helpers import MONDAY, at


@pytest.fixture
def held_booking(app, session, salon, make_customer):
    app.config["STRIPE_SECRET_KEY"] = ""  # the sandbox, as on a fresh machine
    business, service, alice, _ = salon
    booking = booking_domain.hold(
        session, business, service, at(MONDAY, 11), staff=alice, customer=make_customer(business),
        now=datetime.now(timezone.utc),
    )
    session.commit()
    return booking


def fill_card(page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM/YY)").fill("12/40")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Pay £10.00").click()


def status_of(session, booking) -> str:
    session.expire_all()
    return session.get(Booking, booking.id).status


def test_decline_then_success_card_books_through_the_sandbox(live_server, page, session, held_booking, screenshot):
    page.goto(f"{live_server}/checkout/pay/{held_booking.id}")
    screenshot(page, "1-pay-page")
    page.get_by_role("button", name="Pay £10.00").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Pay £10.00 deposit to Test Salon")
    expect(page.get_by_text("this is not a real payment and no money moves")).to_be_visible()
    screenshot(page, "2-sandbox-page")

    fill_card(page, "4000 0000 0000 0002")
    expect(page.get_by_role("alert")).to_contain_text("Your card was declined")
    screenshot(page, "3-declined")
    assert status_of(session, held_booking) == "held"

    fill_card(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are booked")
    expect(page.get_by_text(held_booking.booking_number).first).to_be_visible()
    screenshot(page, "4-booked")
    assert status_of(session, held_booking) == "confirmed"


def test_leaving_the_sandbox_page_charges_nothing_and_offers_a_retry(live_server, page, session, held_booking, screenshot):
    page.goto(f"{live_server}/checkout/pay/{held_booking.id}")
    page.get_by_role("button", name="Pay £10.00").click()
    page.get_by_role("link", name="Cancel and go back").click()
    expect(page.get_by_text("nothing was charged")).to_be_visible()
    screenshot(page, "cancelled")
    page.get_by_role("link", name="Try paying again").click()
    expect(page.get_by_role("button", name="Pay £10.00")).to_be_visible()
    assert status_of(session, held_booking) == "held"
