"""Analytics for 7, 30, 90 days or all time, from domain.analytics: the API's numbers
(business_analytics) plus busiest hours, the no-show rate and staff utilisation, with
server-drawn SVG charts."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from bookingapp.auth import require
from bookingapp.dashboard import NAV, bp, money, now_utc, render
from bookingapp.dashboard.charts import bar_chart
from bookingapp.domain.analytics import DAY_NAMES, PERIODS, dashboard_analytics
from bookingapp.extensions import db

NAV.append(("dashboard.analytics", "Analytics", "analytics"))
PERIOD_LABELS = {"7d": "7 days", "30d": "30 days", "90d": "90 days", "all": "All time"}


@bp.get("/analytics")
@require("analytics")
def analytics():
    business = current_user.business
    period = request.args.get("period", "30d")
    status = 200
    error = None
    if period not in PERIODS:
        error, period, status = f"Unknown period {period!r}: showing 30 days.", "30d", 400
    data = dashboard_analytics(db.session, business, period=period, now=now_utc())
    by_day = {row["day"]: row["booking_count"] for row in data["busy_days"]}
    charts = {
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
                  period=period, periods=PERIOD_LABELS, charts=charts, error=error,
                  revenue=money(data["total_revenue_cents"], business.currency))
