"""Cancelling from the booking panel goes through the one cancel command
(domain.cancellation.cancel): the deposit is refunded inside the free-cancellation window
and kept after it, an owner or a manager may override the policy (recorded in the
history), the front desk may not. The panel shows what the policy gives before anyone
confirms, and the booking's money summary (domain.booking_money) before and after."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import checkout as co
from bookingapp.domain import payments
from bookingapp.models import Booking, OutboxEvent, Product
from bookingapp.models.payment import Payment
from bookingapp.payments.sandbox import SUCCESS_CARD, SandboxProvider, try_card
from tests.helpers import MONDAY, at, before, customer_emails

START = at(MONDAY, 10)
INSIDE_WINDOW = START - timedelta(days=3)    # the free-cancellation window (24 hours) is open
LATE = START - timedelta(hours=2)            # past it: the deposit is kept


@pytest.fixture
def clock(app):
    def pin(instant):
        app.config["CLOCK"] = lambda: instant

    return pin


@pytest.fixture
def paid(app, session, salon, make_customer, clock):
    """A confirmed Monday 10:00 booking (50.00) whose 10.00 deposit was paid on the
    sandbox's hosted page, a week ahead."""
    app.config["STRIPE_SECRET_KEY"] = ""  # the sandbox: its refunds are rows in our own database
    business, service, alice, _ = salon
    paid_at = before(days=7)
    clock(paid_at)
    held = booking_ops.hold(session, business, service, START, staff=alice, customer=make_customer(business),
                            now=paid_at)
    session.commit()
    provider = SandboxProvider(session, url_for_checkout=lambda sid: f"http://sandbox/{sid}")
    started = payments.start_checkout(session, provider, held, now=paid_at, success_url="http://x/ok",
                                      cancel_url="http://x/cancel")
    assert try_card(provider, started.payment.provider_session_id, SUCCESS_CARD).paid
    payments.confirm_checkout(session, provider, started.payment.provider_session_id, now=paid_at)
    session.commit()
    assert held.status == "confirmed" and started.payment.amount_cents == 1000
    return held


def _refunds(session, booking):
    session.expire_all()
    return session.scalars(select(Payment).where(Payment.booking_id == booking.id, Payment.kind == "refund")).all()


def _money(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-money="(\w+)">(?:<strong>)?([^<]+)<', html))


def _terms(html: str) -> str:
    match = re.search(r"data-cancel-terms>([^<]+)<", html)
    return match.group(1) if match else ""


def _cancel(dash, booking, **form):
    return dash.post(f"/dashboard/bookings/{booking.id}/status", {"status": "cancelled", **form}, htmx=True)


def _cancellation_email(session, booking):
    (message,) = [m for m in customer_emails(session, booking.id) if m.kind == "booking_cancelled"]
    return message.facts


def test_a_deposit_cancelled_inside_the_window_is_refunded(session, salon, paid, as_role, clock):
    clock(INSIDE_WINDOW)
    desk = as_role(salon[0], "front_desk")
    panel = desk.get(f"/dashboard/bookings/{paid.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert _terms(panel).startswith("Cancelling now refunds £10.00: the free-cancellation window runs until Sun 2 Jun 2030, 10:00")
    assert _money(panel) == {"list_price": "£50.00", "extras": "£0.00", "discount": "£0.00", "tip": "£0.00",
                             "charged": "£50.00", "paid": "£10.00", "refunded": "£0.00", "balance_due": "£40.00"}
    assert "data-refund-choice" not in panel  # the front desk cancels by the policy only

    response = _cancel(desk, paid, reason="Ill")
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "day-changed"
    html = response.get_data(as_text=True)
    assert 'data-status="cancelled"' in html
    assert _money(html) == {"list_price": "£50.00", "extras": "£0.00", "discount": "£0.00", "tip": "£0.00",
                            "charged": "£0.00", "paid": "£10.00", "refunded": "-£10.00", "balance_due": "£0.00"}
    (refund,) = _refunds(session, paid)
    assert (refund.amount_cents, refund.status, refund.provider) == (1000, "succeeded", "sandbox")
    assert refund.actor.startswith("front_desk:")
    booking = session.get(Booking, paid.id)
    assert booking.status == "cancelled" and booking.cancellation_reason == "Ill"
    assert any("refunded £10.00" in (e.note or "") for e in booking.history)
    email = _cancellation_email(session, paid)
    assert email["refunded_cents"] == 1000 and email["kept_cents"] == 0


def test_a_deposit_cancelled_after_the_window_is_kept(session, salon, paid, as_role, clock):
    clock(LATE)
    desk = as_role(salon[0], "front_desk")
    panel = desk.get(f"/dashboard/bookings/{paid.id}").get_data(as_text=True)
    assert _terms(panel) == ("The free-cancellation window ended Sun 2 Jun 2030, 10:00: if cancelled now, "
                             "the deposit of £10.00 is kept.")
    response = _cancel(desk, paid)
    assert response.status_code == 200
    assert _refunds(session, paid) == []
    html = response.get_data(as_text=True)
    # What was kept is what the cancelled booking was charged; nothing is due.
    assert (_money(html)["charged"], _money(html)["refunded"], _money(html)["balance_due"]) == ("£10.00", "£0.00", "£0.00")
    assert session.get(Booking, paid.id).status == "cancelled"
    email = _cancellation_email(session, paid)
    assert email["refunded_cents"] == 0 and email["kept_cents"] == 1000


def test_an_owner_refunds_in_full_late_and_the_history_says_the_policy_was_overridden(session, salon, paid, as_role,
                                                                                      clock):
    clock(LATE)
    owner = as_role(salon[0], "owner")
    panel = owner.get(f"/dashboard/bookings/{paid.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    choices = re.findall(r'name="refund" value="(\w+)"( checked)?> ([^<]+)<', panel)
    assert choices == [("policy", " checked", "As the policy says (£0.00 back)"),
                       ("refund_all", "", "Refund in full (£10.00 back)"),
                       ("keep_all", "", "Keep everything (nothing back)")]
    response = _cancel(owner, paid, refund="refund_all", reason="Our stylist was ill")
    assert response.status_code == 200
    (refund,) = _refunds(session, paid)
    assert refund.amount_cents == 1000 and refund.actor.startswith("owner:")
    booking = session.get(Booking, paid.id)
    notes = [e.note or "" for e in booking.history]
    assert any("policy overridden by the business: everything paid refunded" in n for n in notes), notes
    assert "Our stylist was ill" in booking.cancellation_reason
    assert _money(response.get_data(as_text=True))["balance_due"] == "£0.00"
    assert _cancellation_email(session, paid)["refunded_cents"] == 1000


def test_a_manager_keeps_everything_inside_the_window(session, salon, paid, as_role, clock):
    clock(INSIDE_WINDOW)
    manager = as_role(salon[0], "manager")
    response = _cancel(manager, paid, refund="keep_all")
    assert response.status_code == 200
    assert _refunds(session, paid) == []
    notes = [e.note or "" for e in session.get(Booking, paid.id).history]
    assert any("policy overridden by the business: nothing refunded" in n for n in notes), notes


@pytest.mark.parametrize("choice", ["refund_all", "keep_all"])
def test_the_front_desk_cannot_override_the_policy(session, salon, paid, as_role, clock, choice):
    clock(LATE)
    desk = as_role(salon[0], "front_desk")
    forged = _cancel(desk, paid, refund=choice)
    assert forged.status_code == 403
    assert "Only an owner or a manager can override the cancellation policy" in forged.get_data(as_text=True)
    assert _refunds(session, paid) == []
    assert session.get(Booking, paid.id).status == "confirmed"


def test_staff_cannot_cancel_at_all(session, salon, paid, as_role, clock):
    clock(INSIDE_WINDOW)
    staff = as_role(salon[0], "staff", staff=salon[2])
    assert _cancel(staff, paid).status_code == 403
    assert _refunds(session, paid) == [] and session.get(Booking, paid.id).status == "confirmed"


def test_an_unknown_refund_choice_and_a_second_cancel_are_422_with_the_message(session, salon, paid, as_role, clock):
    clock(INSIDE_WINDOW)
    owner = as_role(salon[0], "owner")
    bogus = _cancel(owner, paid, refund="half")
    html = bogus.get_data(as_text=True)
    assert bogus.status_code == 422 and 'role="alert"' in html and "Refund choice must be one of" in html
    assert session.get(Booking, paid.id).status == "confirmed"
    assert _cancel(owner, paid).status_code == 200
    again = _cancel(owner, paid)
    assert again.status_code == 422 and 'role="alert"' in again.get_data(as_text=True)
    assert len(_refunds(session, paid)) == 1  # refunded once


def test_an_unpaid_booking_previews_nothing_to_refund_and_offers_no_override(session, salon, make_customer, as_role,
                                                                            clock):
    business, service, alice, _ = salon
    booking = booking_ops.create_booking(session, business, service, START, make_customer(business), staff=alice,
                                         now=before(days=7))
    session.commit()
    clock(INSIDE_WINDOW)
    owner = as_role(business, "owner")
    panel = owner.get(f"/dashboard/bookings/{booking.id}").get_data(as_text=True)
    assert _terms(panel) == ("Cancelling now is free (the free-cancellation window runs until Sun 2 Jun 2030, 10:00); "
                             "nothing has been paid.")
    assert "data-refund-choice" not in panel
    assert _money(panel)["balance_due"] == "£50.00"
    clock(LATE)
    panel = owner.get(f"/dashboard/bookings/{booking.id}").get_data(as_text=True)
    assert _terms(panel) == ("The free-cancellation window ended Sun 2 Jun 2030, 10:00; "
                             "nothing has been paid, so nothing is refunded or kept.")


def test_the_panel_shows_the_bill_as_the_money_summary_open_and_closed(session, salon, served, as_role):
    business = salon[0]
    product = Product(business_id=business.id, name="Comb", price_cents=1200)
    session.add(product)
    session.commit()
    checkout = co.open_checkout(session, served)
    co.add_product(session, checkout, product, quantity=1)
    co.set_tip(session, checkout, 300)
    co.add_discount(session, checkout, amount_cents=500)
    co.take_in_person(session, checkout, "cash", 2000, actor="desk")
    session.commit()
    owner = as_role(business, "owner")
    panel = owner.get(f"/dashboard/bookings/{served.id}").get_data(as_text=True)
    assert _money(panel) == {"list_price": "£50.00", "extras": "£12.00", "discount": "-£5.00", "tip": "£3.00",
                             "charged": "£60.00", "paid": "£20.00", "refunded": "£0.00", "balance_due": "£40.00"}
    assert "checked out" not in panel
    co.take_in_person(session, checkout, "cash", actor="desk")
    co.close_checkout(session, checkout, actor="desk")
    session.commit()
    panel = owner.get(f"/dashboard/bookings/{served.id}").get_data(as_text=True)
    assert _money(panel) == {"list_price": "£50.00", "extras": "£12.00", "discount": "-£5.00", "tip": "£3.00",
                             "charged": "£60.00", "paid": "£60.00", "refunded": "£0.00", "balance_due": "£0.00"}
    assert "· checked out" in panel
