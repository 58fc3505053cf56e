"""Analytics: the dashboard shows the API's numbers for the same period on the demo data,
plus busiest hours, the no-show rate and staff utilisation."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from bookingapp.api.keys import create_api_key
from bookingapp.demo import load_demo
from bookingapp.domain import booking as booking_ops
from bookingapp.domain.analytics import business_analytics, dashboard_analytics
from tests.helpers import MONDAY, at, before


def _kpi(html: str, name: str) -> str:
    return re.search(rf'data-kpi="{name}"[^>]*>([^<]*)<', html).group(1)


@pytest.mark.slow
def test_dashboard_numbers_equal_the_api_for_every_period_on_the_demo_data(app, session, as_role, client):
    business = load_demo(session)
    session.commit()
    _, key = create_api_key(session, business)
    session.commit()
    dash = as_role(business, "owner")
    for period in ("7d", "30d", "90d", "all"):
        api = client.get(f"/api/v1/analytics?period={period}", headers={"Authorization": f"Bearer {key}"}).get_json()["data"]
        html = dash.get(f"/dashboard/analytics?period={period}").get_data(as_text=True)
        assert int(_kpi(html, "total_bookings")) == api["total_bookings"], period
        assert int(re.search(r'data-kpi="total_revenue_cents" data-cents="(\d+)"', html).group(1)) == api["total_revenue_cents"]
        assert _kpi(html, "avg_rating") == (str(api["avg_rating"]) if api["avg_rating"] is not None else "—")
        assert int(_kpi(html, "total_reviews")) == api["total_reviews"]
        assert int(_kpi(html, "bookings_this_month")) == api["bookings_this_month"]
        top = re.findall(r'data-top-service="([^"]+)"><td>[^<]*</td><td class="num" data-count>(\d+)<', html)
        assert top == [(row["service_id"], str(row["booking_count"])) for row in api["top_services"]], period
        days = dict(re.findall(r'<g data-label="(\w{3})" data-value="(\d+)"', html.split('data-chart="days"')[1].split("</figure>")[0]))
        assert {d: int(v) for d, v in days.items() if int(v)} == {row["day"][:3]: row["booking_count"] for row in api["busy_days"]}
    assert api["total_bookings"] > 0 and api["total_reviews"] > 0  # the demo has history to compare


def test_extra_figures_leave_the_api_numbers_alone(session, salon, make_customer):
    business, service, alice, bob = salon
    now = at(MONDAY, 20)
    for hour, outcome in ((9, "completed"), (11, "completed"), (14, "no_show")):
        booking = booking_ops.create_booking(session, business, service, at(MONDAY, hour), make_customer(business),
                                             staff=alice, now=before())
        if outcome == "completed":
            booking_ops.start(session, booking, now=at(MONDAY, hour))
            booking_ops.complete(session, booking, now=at(MONDAY, hour + 1))
        else:
            booking_ops.no_show(session, booking, now=at(MONDAY, hour + 1))
    session.commit()
    base = business_analytics(session, business, period="7d", now=now)
    extra = dashboard_analytics(session, business, period="7d", now=now)
    assert {k: extra[k] for k in base} == base
    assert extra["busy_hours"] == [{"hour": 9, "booking_count": 1}, {"hour": 11, "booking_count": 1}, {"hour": 14, "booking_count": 1}]
    assert extra["no_show_count"] == 1 and extra["no_show_rate"] == round(1 / 3, 3)
    by_name = {row["staff_name"]: row for row in extra["staff_utilisation"]}
    # Open 09:00-18:00 every day: 7 days back from Monday 20:00 is 7 full days of 9 hours.
    assert by_name["Alice"]["working_minutes"] == 7 * 9 * 60 and by_name["Alice"]["booked_minutes"] == 180
    assert by_name["Bob"]["booked_minutes"] == 0 and by_name["Bob"]["utilisation"] == 0


def test_time_off_reduces_working_time(session, salon, make_time_off):
    business, _, alice, _ = salon
    make_time_off(business, at(MONDAY, 9), at(MONDAY, 13), staff=alice)
    data = dashboard_analytics(session, business, period="7d", now=at(MONDAY, 20))
    by_name = {row["staff_name"]: row for row in data["staff_utilisation"]}
    assert by_name["Alice"]["working_minutes"] == 7 * 9 * 60 - 4 * 60
    assert by_name["Bob"]["working_minutes"] == 7 * 9 * 60


def test_page_charts_periods_and_a_bad_period(salon, as_role, app):
    app.config["CLOCK"] = lambda: at(MONDAY, 20)
    dash = as_role(salon[0], "manager")
    page = dash.get("/dashboard/analytics?period=90d")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("<figure") == 5 and 'aria-current="page">90 days' in html
    partial = dash.get("/dashboard/analytics?period=all", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert partial.lstrip().startswith('<section id="analytics" data-period="all"') and "<html" not in partial
    bad = dash.get("/dashboard/analytics?period=forever")
    assert bad.status_code == 400 and "Unknown period" in bad.get_data(as_text=True)


def _visit(session, salon, make_customer, start, outcome="completed"):
    business, service, alice, _ = salon
    booking = booking_ops.create_booking(session, business, service, start, make_customer(business), staff=alice,
                                         now=start - timedelta(days=40))
    if outcome == "completed":
        booking_ops.start(session, booking, now=start)
        booking_ops.complete(session, booking, now=start + timedelta(hours=1))
    return booking


def test_revenue_over_time_adds_up_to_the_apis_revenue_and_lines_up_the_previous_period(
        app, session, salon, make_customer, as_role, client):
    business = salon[0]
    now = at(MONDAY, 20)
    _visit(session, salon, make_customer, at(MONDAY, 10))                           # this week, Monday
    _visit(session, salon, make_customer, at(MONDAY - timedelta(days=2), 11))       # this week, Saturday
    _visit(session, salon, make_customer, at(MONDAY - timedelta(days=7), 10))       # a week earlier: previous
    _visit(session, salon, make_customer, at(MONDAY - timedelta(days=9), 10))       # previous, Saturday
    _visit(session, salon, make_customer, at(MONDAY - timedelta(days=3), 10), "no_show")  # no revenue
    _visit(session, salon, make_customer, at(MONDAY + timedelta(days=1), 10), "booked")   # still to come
    session.commit()
    app.config["CLOCK"] = lambda: now
    _, key = create_api_key(session, business)
    session.commit()
    api = client.get("/api/v1/analytics?period=7d", headers={"Authorization": f"Bearer {key}"}).get_json()["data"]
    html = as_role(business, "owner").get("/dashboard/analytics?period=7d").get_data(as_text=True)
    points = re.findall(r'data-revenue-point="([\d-]+)" data-cents="(\d+)" data-previous-cents="(\d+)"', html)
    assert sum(int(cents) for _, cents, _ in points) == api["total_revenue_cents"] == 10000
    by_day = {day: (int(cents), int(previous)) for day, cents, previous in points}
    assert by_day[str(MONDAY)] == (5000, 5000)
    assert by_day[str(MONDAY - timedelta(days=2))] == (5000, 5000)
    assert sum(previous for _, previous in by_day.values()) == 10000
    # The chart's bars carry the same numbers, and every label is HTML, not SVG text.
    chart = html.split('data-chart="revenue"')[1].split("</figure>")[0]
    assert sorted(float(v) for v in re.findall(r'<g data-label="[^"]+" data-value="([\d.]+)"', chart)) == sorted(
        float(cents) for _, cents, _ in points)
    assert "<text" not in html and 'class="chart-row chart-labels"' in chart and "Previous period" in chart
    weekly = as_role(business, "owner").get("/dashboard/analytics?period=30d&by=week").get_data(as_text=True)
    week_points = re.findall(r'data-revenue-point="([\d-]+)" data-cents="(\d+)"', weekly)
    api30 = client.get("/api/v1/analytics?period=30d", headers={"Authorization": f"Bearer {key}"}).get_json()["data"]
    assert sum(int(c) for _, c in week_points) == api30["total_revenue_cents"] == 20000
    assert all(date.fromisoformat(day).weekday() == 0 for day, _ in week_points)


def test_revenue_over_time_refuses_an_unknown_grouping(salon, as_role, app):
    app.config["CLOCK"] = lambda: at(MONDAY, 20)
    bad = as_role(salon[0], "owner").get("/dashboard/analytics?period=7d&by=fortnight")
    assert bad.status_code == 400 and "Unknown grouping" in bad.get_data(as_text=True)
