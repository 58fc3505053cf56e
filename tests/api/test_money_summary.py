"""The one money summary (domain/booking_money.py) through the API: a closed checkout is the
bill (add-ons, products, tip), a no-show or a late cancellation owes nothing."""
from __future__ import annotations

import uuid
from datetime import timedelta

from bookingapp.domain import booking as booking_domain
from bookingapp.domain import checkout as co
from bookingapp.models import Booking, Product
from tests.helpers import MONDAY, at, before


def _book(api, service, hour):
    made = api.post("/bookings", json={"service_id": str(service.id), "start_at": at(MONDAY, hour).isoformat(),
                                       "customer_name": "Ada", "customer_email": "ada@example.com"})
    assert made.status_code == 201, made.get_json()
    return made.get_json()["data"]["id"]


def test_a_closed_checkout_is_what_the_booking_was_charged(app, api, session, salon, make_service):
    business, service, *_ = salon
    app.config["CLOCK"] = lambda: before(MONDAY)
    booking_id = _book(api, service, 10)
    booking = session.get(Booking, uuid.UUID(booking_id))
    addon = make_service(business, name="Head massage", price_cents=1500, deposit_cents=0)
    product = Product(business_id=business.id, name="Shampoo", price_cents=1200, inventory_count=5)
    session.add(product)
    session.commit()
    booking_domain.start(session, booking, now=at(MONDAY, 10))
    checkout = co.open_checkout(session, booking, now=at(MONDAY, 11))
    co.add_addon_service(session, checkout, addon)
    co.add_product(session, checkout, product, 2)
    co.set_tip(session, checkout, 300)
    session.commit()

    open_bill = api.get(f"/bookings/{booking_id}").get_json()["data"]["money"]
    assert open_bill["charged_cents"] == 5000 + 1500 + 2400 + 300
    assert open_bill["balance_due_cents"] == 9200 and open_bill["checked_out"] is False

    co.take_in_person(session, checkout, "cash", actor="desk", now=at(MONDAY, 11))
    co.close_checkout(session, checkout, actor="desk", now=at(MONDAY, 11))
    session.commit()
    data = api.get(f"/bookings/{booking_id}").get_json()["data"]
    money = data["money"]
    assert (money["list_price_cents"], money["extras_cents"], money["tip_cents"]) == (5000, 3900, 300)
    assert money["charged_cents"] == data["total_cents"] == 9200
    assert money["paid_cents"] == 9200 and money["balance_due_cents"] == data["balance_due_cents"] == 0
    assert money["checked_out"] is True


def test_a_no_show_owes_nothing(app, api, session, salon):
    business, service, *_ = salon
    app.config["CLOCK"] = lambda: before(MONDAY)
    booking_id = _book(api, service, 10)
    app.config["CLOCK"] = lambda: at(MONDAY, 10, 15)
    marked = api.patch(f"/bookings/{booking_id}", json={"status": "no_show"})
    assert marked.status_code == 200, marked.get_json()
    money = marked.get_json()["data"]["money"]
    assert money["balance_due_cents"] == 0 and money["charged_cents"] == 0


def test_no_show_is_refused_before_the_appointment(app, api, session, salon):
    business, service, *_ = salon
    app.config["CLOCK"] = lambda: before(MONDAY)
    booking_id = _book(api, service, 10)
    app.config["CLOCK"] = lambda: at(MONDAY, 10) - timedelta(hours=14)  # the evening before
    for status in ("in_progress", "completed", "no_show"):
        refused = api.patch(f"/bookings/{booking_id}", json={"status": status})
        assert refused.status_code == 400, (status, refused.get_json())
    assert api.get(f"/bookings/{booking_id}").get_json()["data"]["status"] == "confirmed"
