"""Test bookings (made with a test API key, here through the domain with test=True) are not
the business's trade: the dashboard's day view, clients, analytics and reviews leave them
out. Their time stays taken (availability and the no-overlap rule count them)."""
from __future__ import annotations

import re

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.reviews import leave_review
from bookingapp.domain.schedule import day_schedule
from tests.helpers import MONDAY, at, before


def _kpi(html: str, name: str) -> str:
    return re.search(rf'data-kpi="{name}"[^>]*>([^<]*)<', html).group(1)


def _visit(session, business, service, staff, customer, hour, *, test=False):
    """A booking on MONDAY at `hour` that took place (started and completed)."""
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, hour), customer, staff=staff,
                                         now=before(), test=test)
    booking_ops.start(session, booking, now=at(MONDAY, hour))
    booking_ops.complete(session, booking, now=at(MONDAY, hour + 1))
    return booking


def test_day_view_leaves_out_a_test_booking_and_does_not_offer_its_time_as_free(session, salon, make_customer, as_role):
    business, service, alice, bob = salon
    live = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                      staff=alice, now=before())
    test = booking_ops.create_booking(session, business, service, at(MONDAY, 14), make_customer(business),
                                      staff=alice, now=before(), test=True)
    session.commit()

    html = as_role(business, "front_desk").get(f"/dashboard/day?date={MONDAY}").get_data(as_text=True)
    alice_column = html.split('data-staff="Alice"')[1].split('data-staff="Bob"')[0]
    assert live.booking_number in alice_column
    assert test.booking_number not in html

    # 09:00-18:00 grid: Alice is free 09-10 and 11-14, and 15-18; 14-15 is the test booking's.
    schedule = day_schedule(session, business, MONDAY, now=before())
    alice_col = schedule.columns[0]
    assert [b.booking.id for b in alice_col.bookings] == [live.id]
    assert [(g.top, g.height) for g in alice_col.free] == [(0, 60), (120, 180), (360, 180)]


def test_a_test_booking_cannot_be_opened_or_changed_from_the_dashboard(session, salon, make_customer, as_role):
    business, service, alice, _ = salon
    test = booking_ops.create_booking(session, business, service, at(MONDAY, 14), make_customer(business),
                                      staff=alice, now=before(), test=True)
    session.commit()
    owner = as_role(business, "owner")
    assert owner.get(f"/dashboard/bookings/{test.id}").status_code == 404
    assert owner.post(f"/dashboard/bookings/{test.id}/status", data={"status": "cancelled"}).status_code == 404
    session.refresh(test)
    assert test.status == "confirmed"


def test_clients_and_client_search_leave_out_test_bookings(session, salon, make_customer, as_role):
    business, service, alice, bob = salon
    regular = make_customer(business, email="regular@example.com", name="Rita Regular")
    tester = make_customer(business, email="only-tests@example.com", name="Tess Onlytests")
    live_visit = _visit(session, business, service, alice, regular, 10)
    test_visit = _visit(session, business, service, alice, regular, 12, test=True)
    _visit(session, business, service, bob, tester, 10, test=True)
    session.commit()
    dash = as_role(business, "owner")

    listing = dash.get("/dashboard/clients").get_data(as_text=True)
    assert "Rita Regular" in listing and "Tess Onlytests" not in listing
    assert "Tess Onlytests" not in dash.get("/dashboard/clients?q=onlytests").get_data(as_text=True)
    assert "Rita Regular" in dash.get("/dashboard/clients?q=regular").get_data(as_text=True)

    # The regular's page counts and lists the live visit only.
    history = dash.get(f"/dashboard/clients/{regular.id}").get_data(as_text=True)
    assert live_visit.booking_number in history and test_visit.booking_number not in history


def test_analytics_and_reviews_count_only_live_bookings(app, session, salon, make_customer, as_role):
    business, service, alice, bob = salon
    live = _visit(session, business, service, alice, make_customer(business), 10)
    test = _visit(session, business, service, bob, make_customer(business), 10, test=True)
    leave_review(session, live, rating=5, comment="Lovely cut, thank you", would_recommend=True, now=at(MONDAY, 12))
    leave_review(session, test, rating=1, comment="Integration test review", would_recommend=False, now=at(MONDAY, 12))
    session.commit()
    app.config["CLOCK"] = lambda: at(MONDAY, 20)
    dash = as_role(business, "owner")

    html = dash.get("/dashboard/analytics?period=7d").get_data(as_text=True)
    assert _kpi(html, "total_bookings") == "1"
    assert _kpi(html, "total_reviews") == "1" and _kpi(html, "avg_rating") == "5.0"

    reviews = dash.get("/dashboard/reviews").get_data(as_text=True)
    assert "Lovely cut, thank you" in reviews and "Integration test review" not in reviews
