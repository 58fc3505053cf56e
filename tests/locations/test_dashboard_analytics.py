"""Analytics per location and for the whole business on the dashboard's page: the numbers
equal the API's /api/v1/analytics?location_id= for each branch and without one."""
from __future__ import annotations

import re

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.analytics import dashboard_analytics, revenue_over_time
from tests.helpers import MONDAY, at, before


def _kpi(html: str, name: str) -> str:
    return re.search(rf'data-kpi="{name}"[^>]*>([^<]*)<', html).group(1)


def _cents(html: str) -> int:
    return int(re.search(r'data-kpi="total_revenue_cents" data-cents="(\d+)"', html).group(1))


def _visit(session, business, service, staff, location, hour, customer, outcome="completed"):
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, hour), customer, staff=staff,
                                         now=before(), location=location)
    if outcome == "completed":
        booking_ops.start(session, booking, now=booking.starts_at)
        booking_ops.complete(session, booking, now=booking.ends_at)
    else:
        booking_ops.no_show(session, booking, now=booking.ends_at)
    return booking


def test_each_branch_and_the_whole_business_equal_the_api(app, session, branches, make_customer, as_role, api):
    business, service, alice, bob, main, riverside = branches
    customer = make_customer(business)
    _visit(session, business, service, bob, main, 9, customer)
    _visit(session, business, service, bob, main, 11, customer, outcome="no_show")
    _visit(session, business, service, alice, riverside, 13, customer)
    _visit(session, business, service, alice, riverside, 14, customer)
    _visit(session, business, service, alice, riverside, 15, customer)
    session.commit()
    app.config["CLOCK"] = lambda: at(MONDAY, 20)
    dash = as_role(business, "owner")
    whole_page = dash.get("/dashboard/analytics?period=7d").get_data(as_text=True)
    assert "Whole business" in whole_page and 'data-location="all"' in whole_page
    for location, expected in ((None, 5), (main, 2), (riverside, 3)):
        query = f"&location_id={location.id}" if location else ""
        numbers = api.get(f"/analytics?period=7d{query}").get_json()["data"]
        html = dash.get(f"/dashboard/analytics?period=7d{'&location=%s' % location.id if location else ''}",
                        headers={"HX-Request": "true"}).get_data(as_text=True)
        assert int(_kpi(html, "total_bookings")) == numbers["total_bookings"] == expected
        assert _cents(html) == numbers["total_revenue_cents"]
        assert int(_kpi(html, "bookings_this_month")) == numbers["bookings_this_month"]
        if location is not None:
            # The period and grouping links keep the location.
            assert f"location={location.id}" in html
    assert dash.get("/dashboard/analytics?location=not-an-id").status_code == 404


def test_the_dashboards_own_figures_follow_the_location(session, branches, make_customer):
    business, service, alice, bob, main, riverside = branches
    customer = make_customer(business)
    _visit(session, business, service, bob, main, 9, customer, outcome="no_show")
    _visit(session, business, service, alice, riverside, 13, customer)
    session.commit()
    now = at(MONDAY, 20)
    river = dashboard_analytics(session, business, period="7d", now=now, location=riverside)
    assert river["no_show_count"] == 0 and river["busy_hours"] == [{"hour": 13, "booking_count": 1}]
    # Only the staff who work at Riverside, in their hours there (13:00-16:00 daily).
    (alice_row,) = river["staff_utilisation"]
    assert alice_row["staff_name"] == "Alice" and alice_row["booked_minutes"] == 60
    assert alice_row["working_minutes"] == 7 * 3 * 60
    main_numbers = dashboard_analytics(session, business, period="7d", now=now, location=main)
    assert main_numbers["no_show_count"] == 1
    whole = revenue_over_time(session, business, period="7d", now=now)
    at_main = revenue_over_time(session, business, period="7d", now=now, location=main)
    at_river = revenue_over_time(session, business, period="7d", now=now, location=riverside)
    assert whole["total_revenue_cents"] == at_main["total_revenue_cents"] + at_river["total_revenue_cents"]
    assert at_main["total_revenue_cents"] == 0 and at_river["total_revenue_cents"] > 0
