"""Clients' spend and analytics' revenue count what was charged, not list prices: a closed
checkout's total, else the price less the promotion discount; the dashboard's figures match."""
from __future__ import annotations

import uuid
from datetime import timedelta

from bookingapp.domain import booking as booking_domain
from bookingapp.domain import checkout as co
from bookingapp.domain.analytics import business_analytics, dashboard_analytics
from bookingapp.domain.clients import dashboard_clients
from bookingapp.models import Booking, Promotion
from tests.helpers import MONDAY, at, before


def _serve(session, booking, when):
    booking_domain.start(session, booking, now=when)
    session.commit()


def test_spend_and_revenue_use_what_was_charged(app, api, session, salon):
    business, service, alice, bob = salon
    session.add(Promotion(business_id=business.id, code="SPRING20", kind="percent", percent_off=20, is_active=True))
    session.commit()
    app.config["CLOCK"] = lambda: before(MONDAY)
    body = {"service_id": str(service.id), "customer_name": "Ada", "customer_email": "ada@example.com"}
    promo = api.post("/bookings", json={**body, "start_at": at(MONDAY, 10).isoformat(), "promo_code": "SPRING20"})
    assert promo.status_code == 201, promo.get_json()
    plain = api.post("/bookings", json={**body, "start_at": at(MONDAY, 12).isoformat()})
    listed = api.post("/bookings", json={**body, "start_at": at(MONDAY, 14).isoformat()})
    discounted, checked_out, served = (session.get(Booking, uuid.UUID(r.get_json()["data"]["id"])) for r in (promo, plain, listed))

    # 1) 5000 less 20 % = 4000, completed without a checkout.
    _serve(session, discounted, at(MONDAY, 10))
    booking_domain.complete(session, discounted, now=at(MONDAY, 11))
    # 2) a checkout with a 500 tip, paid and closed: 5000 + 500 = 5500.
    _serve(session, checked_out, at(MONDAY, 12))
    checkout = co.open_checkout(session, checked_out, now=at(MONDAY, 13))
    co.set_tip(session, checkout, 500)
    co.take_in_person(session, checkout, "cash", actor="desk", now=at(MONDAY, 13))
    co.close_checkout(session, checkout, actor="desk", now=at(MONDAY, 13))
    # 3) a plain completed booking at list price: 5000.
    _serve(session, served, at(MONDAY, 14))
    booking_domain.complete(session, served, now=at(MONDAY, 15))
    session.commit()

    expected = 4000 + 5500 + 5000
    (client,) = api.get("/clients").get_json()["data"]
    assert client["total_spent_cents"] == expected
    app.config["CLOCK"] = lambda: at(MONDAY, 20)
    figures = api.get("/analytics?period=7d").get_json()["data"]
    assert figures["total_revenue_cents"] == figures["revenue_this_month_cents"] == expected
    assert figures["top_services"][0]["revenue_cents"] == expected
    # The dashboard shows the same numbers as the API.
    later = at(MONDAY, 20)
    assert dashboard_analytics(session, business, period="7d", now=later)["total_revenue_cents"] == expected
    assert business_analytics(session, business, period="7d", now=later) == figures
    rows, _ = dashboard_clients(session, business, now=later)
    assert rows[0].spent_cents == expected
    assert business_analytics(session, business, period="7d", now=later + timedelta(days=30))["total_revenue_cents"] == 0
