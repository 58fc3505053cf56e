"""Business performance over a period: bookings, revenue, rating, top services, busy days.

A pure domain function so that the API and the dashboard show exactly the same numbers.
Bookings count by their start time within the period (up to now); revenue is what completed
bookings were charged (clients.charged_cents: a closed checkout's total, else the price less
the promotion discount); "this month" is the business's local calendar month."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from bookingapp.domain.clients import SPENT_STATUSES, VISIT_STATUSES, charged_cents
from bookingapp.domain.errors import ValidationError
from bookingapp.domain.reviews import reviews_of
from bookingapp.domain.test_mode import live_bookings, test_bookings
from bookingapp.models import Booking, Business, Location, Review, Service
from bookingapp.domain.clock import resolve_now

PERIODS = {"7d": 7, "30d": 30, "90d": 90, "all": None}
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TOP_SERVICES = 5


def period_start(period: str, now: datetime) -> datetime | None:
    if period not in PERIODS:
        raise ValidationError(f"period must be one of: {', '.join(PERIODS)}.", param="period")
    days = PERIODS[period]
    return None if days is None else now - timedelta(days=days)


def business_analytics(session: Session, business: Business, *, period: str = "30d", now: datetime | None = None,
                       test: bool = False, location: Location | None = None) -> dict[str, Any]:
    """The business's figures over live bookings (test=True, for a test API key: over its
    test bookings only, so an integration can check its own numbers); with `location`, the
    figures of that location alone (its bookings, and the reviews of its visits)."""
    now = resolve_now(now)
    since = period_start(period, now)
    tz = ZoneInfo(business.timezone)
    local_now = now.astimezone(tz)
    month_start = datetime.combine(local_now.date().replace(day=1), time(0), tzinfo=tz).astimezone(timezone.utc)

    # Test bookings (made with a test API key) are not the business's trade.
    query = select(Booking.service_id, Booking.starts_at, Booking.status, charged_cents()).where(
        Booking.business_id == business.id, Booking.status.in_(VISIT_STATUSES), Booking.starts_at <= now,
        test_bookings() if test else live_bookings(),
    )
    if location is not None:
        query = query.where(Booking.location_id == location.id)
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

    reviews = select(Review.rating).where(Review.business_id == business.id, reviews_of(test=test))
    if location is not None:
        reviews = reviews.where(Review.booking_id.in_(select(Booking.id).where(Booking.location_id == location.id)))
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


# --------------------------------------------------------------------------- the dashboard's extra figures
# business_analytics above is what GET /api/v1/analytics returns and is left as it is; the
# dashboard shows its numbers plus these, computed over the same period and the same bookings.

NO_SHOW = "no_show"
# Bookings whose time has come and gone with an outcome: the base of the no-show rate.
ATTENDED_OR_NOT = ("completed", NO_SHOW)


def dashboard_analytics(session: Session, business: Business, *, period: str = "30d",
                        now: datetime | None = None, location: Location | None = None) -> dict[str, Any]:
    """business_analytics plus busiest hours, the no-show rate and staff utilisation; with
    `location`, of that location alone: its bookings, and its staff's working time there
    (their hours at it within its opening hours, less time off and its closures)."""
    from bookingapp.domain.availability import intersect, local_day_bounds, local_windows, merge
    from bookingapp.domain.locations import opening_hours_rows, staff_at
    from bookingapp.domain.schedule import subtract
    from bookingapp.models import Staff, StaffHours, TimeOff

    now = resolve_now(now)
    result = business_analytics(session, business, period=period, now=now, location=location)
    since = period_start(period, now)
    tz = ZoneInfo(business.timezone)

    query = select(Booking.staff_id, Booking.starts_at, Booking.ends_at, Booking.status).where(
        Booking.business_id == business.id, Booking.status.in_(VISIT_STATUSES), Booking.starts_at <= now,
        live_bookings(),
    )
    if location is not None:
        query = query.where(Booking.location_id == location.id)
    if since is not None:
        query = query.where(Booking.starts_at >= since)
    rows = session.execute(query).all()

    per_hour: Counter[int] = Counter(starts_at.astimezone(tz).hour for _, starts_at, _, _ in rows)
    outcomes = Counter(status for _, _, _, status in rows if status in ATTENDED_OR_NOT)
    decided = outcomes["completed"] + outcomes[NO_SHOW]
    booked_minutes: Counter = Counter()
    for staff_id, starts_at, ends_at, _ in rows:
        booked_minutes[staff_id] += int((ends_at - starts_at).total_seconds() // 60)

    # Working time: each staff member's hours within opening hours, less time off, day by
    # day in local time over the period (for "all time", from the first booking).
    first = since or (min((starts_at for _, starts_at, _, _ in rows), default=now))
    opening: dict[int, list] = defaultdict(list)
    weekly = opening_hours_rows(session, business, location)
    for weekday, opens, closes in weekly:
        opening[weekday].append((opens, closes))
    members = session.scalars(select(Staff).where(Staff.business_id == business.id, Staff.deleted_at.is_(None))
                              .order_by(Staff.sort_order, Staff.name)).all()
    members = [m for m in members if m.services or booked_minutes.get(m.id)]
    hours_query = select(StaffHours.staff_id, StaffHours.weekday, StaffHours.starts_at, StaffHours.ends_at)
    closures = true()  # the whole business: every closure, as before locations
    if location is not None:
        here = {member.id for member in staff_at(session, business, location)}
        members = [m for m in members if m.id in here or booked_minutes.get(m.id)]
        # Hours at this location; location-less rows are hours at the primary.
        at_here = StaffHours.location_id == location.id
        hours_query = hours_query.where(at_here | StaffHours.location_id.is_(None) if location.is_primary else at_here)
        closures = (TimeOff.staff_id.is_not(None) | TimeOff.location_id.is_(None)
                    | (TimeOff.location_id == location.id))
    own_hours: dict[Any, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for staff_id, weekday, starts, ends in session.execute(hours_query):
        own_hours[staff_id][weekday].append((starts, ends))
    away = session.execute(select(TimeOff.staff_id, TimeOff.starts_at, TimeOff.ends_at).where(
        TimeOff.business_id == business.id, TimeOff.ends_at > first, TimeOff.starts_at < now, closures)).all()

    utilisation = []
    first_day, last_day = first.astimezone(tz).date(), now.astimezone(tz).date()
    for member in members:
        off = merge((s, e) for staff_id, s, e in away if staff_id in (None, member.id))
        working = 0
        day = first_day
        while day <= last_day:
            windows = local_windows(day, opening, tz)
            if member.id in own_hours:
                windows = intersect(local_windows(day, own_hours[member.id], tz), windows)
            day_start, day_end = local_day_bounds(day, tz)
            windows = intersect(windows, [(max(day_start, first), min(day_end, now))]) if day_start < now else []
            working += sum(int((e - s).total_seconds() // 60) for s, e in subtract(windows, off))
            day += timedelta(days=1)
        booked = booked_minutes.get(member.id, 0)
        utilisation.append({
            "staff_id": str(member.id), "staff_name": member.name, "booked_minutes": booked, "working_minutes": working,
            "utilisation": round(booked / working, 3) if working else None,
        })

    result.update({
        "busy_hours": [{"hour": hour, "booking_count": count} for hour, count in sorted(per_hour.items())],
        "no_show_count": outcomes[NO_SHOW],
        "no_show_rate": round(outcomes[NO_SHOW] / decided, 3) if decided else None,
        "staff_utilisation": utilisation,
    })
    return result


# --------------------------------------------------------------------------- revenue over time

BUCKETS = ("day", "week")
# The bucket a period is shown in unless one is asked for: a bar a day up to a month.
DEFAULT_BUCKET = {"7d": "day", "30d": "day", "90d": "week", "all": "week"}


def _bucket_start(day: date, bucket: str) -> date:
    return day if bucket == "day" else day - timedelta(days=day.weekday())


def revenue_over_time(session: Session, business: Business, *, period: str = "30d", bucket: str | None = None,
                      now: datetime | None = None, location: Location | None = None) -> dict[str, Any]:
    """Revenue per local day or week (weeks start on Monday) over the period, beside the
    period just before it, for the dashboard's chart.

    Revenue is business_analytics': what completed visits that started within the period
    were charged (charged_cents), so the buckets add up to the API's total_revenue_cents.
    The previous period is lined up by shifting it forward by the period's length: each
    bucket holds the same stretch of days one period earlier ("all time" has none)."""
    now = resolve_now(now)
    bucket = bucket or DEFAULT_BUCKET.get(period, "day")
    if bucket not in BUCKETS:
        raise ValidationError(f"by must be one of: {', '.join(BUCKETS)}.", param="by")
    since = period_start(period, now)
    tz = ZoneInfo(business.timezone)
    length = timedelta(days=PERIODS[period]) if since is not None else None
    query = select(Booking.starts_at, charged_cents()).where(
        Booking.business_id == business.id, Booking.status.in_(SPENT_STATUSES), Booking.starts_at <= now,
        live_bookings())
    if location is not None:
        query = query.where(Booking.location_id == location.id)
    if since is not None:
        query = query.where(Booking.starts_at >= since - length)
    rows = session.execute(query).all()
    if since is None:
        since = min((starts_at for starts_at, _ in rows), default=now)

    current: Counter[date] = Counter()
    previous: Counter[date] = Counter()
    for starts_at, cents in rows:
        if starts_at >= since:
            current[_bucket_start(starts_at.astimezone(tz).date(), bucket)] += cents
        else:
            previous[_bucket_start((starts_at + length).astimezone(tz).date(), bucket)] += cents
    first, last = _bucket_start(since.astimezone(tz).date(), bucket), _bucket_start(now.astimezone(tz).date(), bucket)
    step = timedelta(days=1 if bucket == "day" else 7)
    points = []
    day = first
    while day <= last:
        points.append({"start": day.isoformat(), "revenue_cents": current[day],
                       "previous_revenue_cents": previous[day] if length is not None else None})
        day += step
    return {
        "period": period, "by": bucket, "points": points,
        "total_revenue_cents": sum(current.values()),
        "previous_total_revenue_cents": sum(previous.values()) if length is not None else None,
    }
