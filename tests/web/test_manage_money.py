"""The manage page shows the domain's one money summary: after the owner closed a checkout
with extras and a tip, what was charged and nothing "due at the venue"; after a no-show,
no amount due."""
from __future__ import annotations

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import checkout as co
from bookingapp.models import Product
from bookingapp.web.links import manage_token
from tests.web.conftest import tomorrow_at


def _booked(session, shop, make_customer):
    business = shop["business"]
    booking = booking_ops.create_booking(session, business, shop["cut"], tomorrow_at(business, 10),
                                         make_customer(business), staff=shop["alice"])
    session.commit()
    return booking


def test_manage_page_after_a_closed_checkout_shows_what_was_charged(app, client, session, shop, make_customer):
    booking = _booked(session, shop, make_customer)
    product = Product(business_id=shop["business"].id, name="Shampoo", price_cents=1200, inventory_count=3)
    session.add(product)
    session.commit()
    booking_ops.start(session, booking, now=booking.starts_at)
    checkout = co.open_checkout(session, booking, now=booking.ends_at)
    co.add_product(session, checkout, product)
    co.set_tip(session, checkout, 500)
    co.take_in_person(session, checkout, "cash", actor="desk", now=booking.ends_at)
    co.close_checkout(session, checkout, actor="desk", now=booking.ends_at)
    session.commit()

    with app.app_context():
        url = f"/{shop['business'].slug}/manage/{manage_token(booking.id)}"
    page = client.get(url).text
    assert '<dt>Charged</dt><dd id="charged">£57.00</dd>' in page  # 40.00 + 12.00 + 5.00 tip
    assert '<dt>Extras</dt><dd>£12.00</dd>' in page and '<dt>Tip</dt><dd>£5.00</dd>' in page
    assert '<dd id="paid">£57.00</dd>' in page
    assert "Due at the venue" not in page


def test_manage_page_of_a_no_show_shows_nothing_due(app, client, session, shop, make_customer):
    booking = _booked(session, shop, make_customer)
    booking_ops.no_show(session, booking, now=booking.starts_at)
    session.commit()
    with app.app_context():
        url = f"/{shop['business'].slug}/manage/{manage_token(booking.id)}"
    page = client.get(url).text
    assert '<dd id="due-at-venue">£0.00</dd>' in page
    assert '<dd id="charged">£0.00</dd>' in page
