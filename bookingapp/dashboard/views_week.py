"""The week: Monday to Sunday columns of bookings, for one staff member or for everyone,
opening the same booking panel (and its actions, the Move form included) as the day view.

The days are domain.schedule.week_schedule: the day view's own data for each day, read once
for the whole week, so both views show the same bookings and the week costs the same few
statements however busy it is; staff see only their own week, as they see only their own
column."""
from __future__ import annotations

import uuid
from datetime import timedelta

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select

from bookingapp.auth import require
from bookingapp.auth.roles import sees_everyone
from bookingapp.dashboard import bp, now_utc, render
from bookingapp.dashboard.panels import MOVABLE_STATUSES
from bookingapp.dashboard.views_day import _business, _parse_day, chosen_location
from bookingapp.domain.availability import local_date_of
from bookingapp.domain.schedule import week_schedule
from bookingapp.extensions import db
from bookingapp.models import Staff


def _chosen_staff(business) -> Staff | None:
    """The ?staff= member whose week is shown (None: everyone). Staff see only their own."""
    if not sees_everyone(current_user.role):
        return db.session.get(Staff, current_user.staff_id)
    raw = request.args.get("staff") or ""
    if not raw:
        return None
    try:
        member = db.session.get(Staff, uuid.UUID(raw))
    except ValueError:
        abort(400, description="Not a staff member's id.")
    if member is None or member.business_id != business.id:
        abort(404)
    return member


@bp.get("/week")
@require("day")
def week():
    business = _business()
    the_day = _parse_day(request.args.get("date"), business)
    monday = the_day - timedelta(days=the_day.weekday())
    member = _chosen_staff(business)
    _, location = chosen_location(business)  # an account limited to branches sees only theirs
    days = []
    for schedule in week_schedule(db.session, business, monday, 7, now=now_utc(),
                                  only_staff_id=member.id if member else None, location=location):
        bookings = sorted((block.booking for column in schedule.columns for block in column.bookings),
                          key=lambda booking: (booking.starts_at, booking.staff.sort_order if booking.staff else 0))
        days.append({"day": schedule.day, "bookings": bookings})
    staff_choices = []
    if sees_everyone(current_user.role):
        staff_choices = db.session.scalars(
            select(Staff).where(Staff.business_id == business.id, Staff.deleted_at.is_(None),
                                Staff.is_active.is_(True)).order_by(Staff.sort_order, Staff.name)).all()
    return render(
        "dashboard/_week_columns.html", "dashboard/week.html", business=business, days=days, member=member,
        monday=monday, previous_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7),
        staff_choices=staff_choices, today=local_date_of(now_utc(), business), the_day=the_day,
        movable_statuses=MOVABLE_STATUSES, location=location,
        at_location={"location": str(location.id)} if location is not None else {},
    )
