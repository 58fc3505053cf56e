"""Analytics for 7, 30, 90 days or all time, from domain.analytics: the API's numbers
(business_analytics) plus revenue over time beside the previous period, busiest hours, the
no-show rate and staff utilisation, with server-drawn charts (dashboard.charts)."""
from __future__ import annotations

from datetime import date

from flask import abort, request
from flask_login import current_user

from bookingapp.auth import require
from bookingapp.auth.locations import narrow_choices, visible_locations
from bookingapp.dashboard import NAV, bp, money, now_utc, render
from bookingapp.dashboard.charts import bar_chart, comparison_chart
from bookingapp.domain.analytics import BUCKETS, DAY_NAMES, DEFAULT_BUCKET, PERIODS, dashboard_analytics, revenue_over_time
from bookingapp.domain.locations import active_locations
from bookingapp.extensions import db

NAV.append(("dashboard.analytics", "Analytics", "analytics"))
PERIOD_LABELS = {"7d": "7 days", "30d": "30 days", "90d": "90 days", "all": "All time"}
BUCKET_LABELS = {"day": "By day", "week": "By week"}


def _revenue_chart(revenue: dict, currency: str):
    def fmt(cents) -> str:
        return money(int(cents), currency)

    items = [(f"{date.fromisoformat(p['start']):%-d %b}", p["revenue_cents"], p["previous_revenue_cents"])
             for p in revenue["points"]]
    title = "Revenue by day" if revenue["by"] == "day" else "Revenue by week (from Monday)"
    legend = ("This period", "Previous period") if revenue["previous_total_revenue_cents"] is not None else None
    return comparison_chart(title, items, fmt=fmt, legend=legend)


def _chosen_location(business):
    """(the selector's locations, the location shown or None for the whole business). The
    whole business is for accounts that see it all; an account limited to some branches
    (auth.locations) sees one of its own, the first unless it asks for another."""
    places = narrow_choices(current_user, active_locations(db.session, business))
    limited = visible_locations(current_user)
    raw = request.args.get("location") or ""
    if raw:
        location = next((place for place in places if str(place.id) == raw), None)
        if location is None:
            abort(404)  # an unknown id, or a branch this account does not see
        return places, location
    if limited is not None:
        return places, (places[0] if places else limited[0])
    return places, None


@bp.get("/analytics")
@require("analytics")
def analytics():
    business = current_user.business
    period = request.args.get("period", "30d")
    status = 200
    error = None
    if period not in PERIODS:
        error, period, status = f"Unknown period {period!r}: showing 30 days.", "30d", 400
    bucket = request.args.get("by") or DEFAULT_BUCKET[period]
    if bucket not in BUCKETS:
        error, bucket, status = f"Unknown grouping {bucket[:20]!r}: showing {DEFAULT_BUCKET[period]}s.", DEFAULT_BUCKET[period], 400
    if period == "all":
        bucket = "week"  # years of days would be thousands of bars
    places, location = _chosen_location(business)
    now = now_utc()
    data = dashboard_analytics(db.session, business, period=period, now=now, location=location)
    revenue = revenue_over_time(db.session, business, period=period, bucket=bucket, now=now, location=location)
    by_day = {row["day"]: row["booking_count"] for row in data["busy_days"]}
    charts = {
        "revenue": _revenue_chart(revenue, business.currency),
        "days": bar_chart("Bookings by weekday", [(name[:3], by_day.get(name, 0)) for name in DAY_NAMES]),
        "hours": bar_chart("Bookings by starting hour",
                           [(f"{row['hour']:02d}", row["booking_count"]) for row in data["busy_hours"]]),
        "services": bar_chart("Top services by bookings",
                              [(row["service_name"][:14], row["booking_count"]) for row in data["top_services"]]),
        "utilisation": bar_chart("Staff utilisation", [
            (row["staff_name"][:14], round(100 * (row["utilisation"] or 0))) for row in data["staff_utilisation"]
        ], fmt=lambda v: f"{v:g}%"),
    }
    return render("dashboard/_analytics.html", "dashboard/analytics.html", status=status, business=business, data=data,
                  period=period, periods=PERIOD_LABELS, charts=charts, error=error, revenue_series=revenue,
                  bucket=bucket, buckets=BUCKET_LABELS, location=location,
                  locations=places if len(places) > 1 or visible_locations(current_user) is not None else [],
                  all_locations=visible_locations(current_user) is None,
                  at_location={"location": str(location.id)} if location is not None else {},
                  revenue=money(data["total_revenue_cents"], business.currency))
