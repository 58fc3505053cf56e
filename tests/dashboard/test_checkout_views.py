"""Checkout over HTTP: live totals in the partial, 422 on bad input, pay, close, receipt, refund."""
from __future__ import annotations

import re

from bookingapp.domain import booking as booking_ops
from bookingapp.models import Product
from bookingapp.models.checkout import Checkout
from tests.helpers import MONDAY, at, before


def _total(html, name):
    return re.search(rf'data-total="{name}">(?:<strong>)?([^<]+)<', html).group(1)


def test_front_desk_checks_out_with_product_tip_discount_and_cash(app, session, salon, make_customer, as_role):
    business, service, alice, _ = salon
    app.config["CLOCK"] = lambda: at(MONDAY, 11)  # the visit (10:00-11:00) is over: the desk checks it out
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                         staff=alice, now=before())
    booking_ops.start(session, booking, now=at(MONDAY, 10))
    product = Product(business_id=business.id, name="Heat Spray", price_cents=1600, inventory_count=5)
    session.add(product)
    session.commit()
    dash = as_role(business, "front_desk")
    panel = dash.get(f"/dashboard/bookings/{booking.id}").get_data(as_text=True)
    assert 'data-action="checkout"' in panel
    opened = dash.post(f"/dashboard/bookings/{booking.id}/checkout")
    assert opened.status_code == 302
    url = opened.headers["Location"]
    checkout_id = url.rsplit("/", 1)[1]
    base = f"/dashboard/checkout/{checkout_id}"
    html = dash.post(f"{base}/lines", {"kind": "product", "product_id": str(product.id), "quantity": "2"}, htmx=True).get_data(as_text=True)
    assert _total(html, "subtotal") == "£82.00"
    html = dash.post(f"{base}/tip", {"tip": "5.50"}, htmx=True).get_data(as_text=True)
    html = dash.post(f"{base}/lines", {"kind": "discount", "discount_kind": "amount", "discount_value": "2.00"}, htmx=True).get_data(as_text=True)
    assert (_total(html, "discount"), _total(html, "tip"), _total(html, "total")) == ("-£2.00", "£5.50", "£85.50")
    bad = dash.post(f"{base}/tip", {"tip": "abc"}, htmx=True)
    assert bad.status_code == 422 and "is not an amount" in bad.get_data(as_text=True)
    short = dash.post(f"{base}/lines", {"kind": "product", "product_id": str(product.id), "quantity": "4"}, htmx=True)
    assert short.status_code == 422 and "Only 3 of Heat Spray left" in short.get_data(as_text=True)
    paid = dash.post(f"{base}/pay", {"method": "cash"}, htmx=True)
    assert paid.status_code == 204 and paid.headers["HX-Redirect"].endswith("/receipt")
    receipt = dash.get(f"{base}/receipt").get_data(as_text=True)
    assert _total(receipt, "total") == "£85.50" and _total(receipt, "balance") == "£0.00" and "Settled" in receipt
    session.expire_all()
    checkout = session.get(Checkout, __import__("uuid").UUID(checkout_id))
    assert checkout.status == "closed" and checkout.booking.status == "completed"
    # Lines are fixed now; the front desk may not refund, the owner may.
    assert dash.post(f"{base}/tip", {"tip": "1.00"}, htmx=True).status_code == 422
    assert dash.post(f"{base}/refund", {"amount": "5.50", "method": "cash"}, htmx=True).status_code == 403
    owner = as_role(business, "owner")
    refunded = owner.post(f"{base}/refund", {"amount": "5.50", "method": "cash", "reason": "tip back"}, htmx=True)
    assert refunded.status_code == 200 and "refund (cash)" in refunded.get_data(as_text=True)
    too_much = owner.post(f"{base}/refund", {"amount": "90.00", "method": "cash"}, htmx=True)
    assert too_much.status_code == 422 and "At most" in too_much.get_data(as_text=True)
