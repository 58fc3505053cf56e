"""Business performance over a period: bookings, revenue, rating, top services, busy days.

A pure domain function so that the API and the dashboard show exactly the same numbers.
Bookings count by their start time within the period (up to now); revenue is the price of
completed bookings; "this month" is the business's local calendar month."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookingapp.domain.clients import SPENT_STATUSES, VISIT_STATUSES
from bookingapp.domain.errors import ValidationError
from bookingapp.models import Booking, Business, Review, Service

PERIODS = {"7d": 7, "30d": 30, "90d": 90, "all": None}
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TOP_SERVICES = 5


def period_start(period: str, now: datetime) -> datetime | None:
    if period not in PERIODS:
        raise ValidationError(f"period must be one of: {', '.join(PERIODS)}.", param="period")
    days = PERIODS[period]
    return None if days is None else now - timedelta(days=days)


def business_analytics(session: Session, business: Business, *, period: str = "30d", now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(timezone.utc)
    since = period_start(period, now)
    tz = ZoneInfo(business.timezone)
    local_now = now.astimezone(tz)
    month_start = datetime.combine(local_now.date().replace(day=1), time(0), tzinfo=tz).astimezone(timezone.utc)

    query = select(Booking.service_id, Booking.starts_at, Booking.status, Booking.price_cents).where(
        Booking.business_id == business.id, Booking.status.in_(VISIT_STATUSES), Booking.starts_at <= now,
    )
    earliest = month_start if since is None else min(since, month_start)
    if since is not None:
        query = query.where(Booking.starts_at >= earliest)
    total = revenue = month_count = month_revenue = 0
    per_service: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    per_day: Counter[int] = Counter()
    for service_id, starts_at, status, price in session.execute(query):
        earned = price if status in SPENT_STATUSES else 0
        if starts_at >= month_start:
            month_count += 1
            month_revenue += earned
        if since is not None and starts_at < since:
            continue
        total += 1
        revenue += earned
        per_service[service_id][0] += 1
        per_service[service_id][1] += earned
        per_day[starts_at.astimezone(tz).weekday()] += 1

    reviews = select(Review.rating).where(Review.business_id == business.id)
    if since is not None:
        reviews = reviews.where(Review.created_at >= since)
    ratings = list(session.scalars(reviews))

    top = sorted(per_service.items(), key=lambda item: (-item[1][0], -item[1][1], str(item[0])))[:TOP_SERVICES]
    names = dict(session.execute(select(Service.id, Service.name).where(Service.id.in_([sid for sid, _ in top]))).all()) if top else {}
    return {
        "period": period,
        "total_bookings": total,
        "total_revenue_cents": revenue,
        "bookings_this_month": month_count,
        "revenue_this_month_cents": month_revenue,
        "avg_rating": round(sum(ratings) / len(ratings), 1) if ratings else None,
        "total_reviews": len(ratings),
        "top_services": [
            {"service_id": str(sid), "service_name": names.get(sid, ""), "booking_count": count, "revenue_cents": earned}
            for sid, (count, earned) in top
        ],
        "busy_days": [
            {"day": DAY_NAMES[weekday], "booking_count": count}
            for weekday, count in sorted(per_day.items(), key=lambda item: (-item[1], item[0]))
        ],
    }
