"""Moving a booking from the dashboard: the panel's Move form (a day, a staff member, that
day's free times) and the day view's drag and drop, which posts the same form.

The free times are the availability engine's, with the booking's own time counted as free
and without the online minimum notice (the business moves its own bookings). The move is
domain.booking.reschedule with the dashboard's actor: the customer's policy rules (how
late they may move a booking themselves) are not the owner's, but the new time is checked
exactly as a new booking's would be, and the domain records the customer's message."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from bookingapp.auth import require
from bookingapp.dashboard import actor, all_or_nothing, bp, is_htmx, localtime, now_utc
from bookingapp.dashboard.forms import MoveBookingForm
from bookingapp.dashboard.panels import can_move
from bookingapp.dashboard.views_day import _business, _load_staff, _own_booking, _panel, _parse_day
from bookingapp.domain import booking as booking_ops
from bookingapp.domain.availability import find_availability, local_date_of
from bookingapp.domain.errors import DomainError, SlotNotOffered, SlotUnavailable
from bookingapp.domain.time_bounds import within_bounds
from bookingapp.extensions import db
from bookingapp.models import Booking, Staff, staff_services

# A refused move: the time was taken meanwhile (a conflict) or was never one on offer.
TAKEN, REFUSED = 409, 422


def _performers(business, booking: Booking) -> list[Staff]:
    """Who can take the booking: the active staff members who perform its service."""
    query = (select(Staff).join(staff_services, staff_services.c.staff_id == Staff.id)
             .where(staff_services.c.service_id == booking.service_id, Staff.business_id == business.id,
                    Staff.deleted_at.is_(None), Staff.is_active.is_(True))
             .order_by(Staff.sort_order, Staff.name))
    return list(db.session.scalars(query))


def free_times(business, booking: Booking, the_day: date | None, staff: Staff | None) -> list[tuple[str, str]]:
    """(ISO instant, local "HH:MM") of the day's free starts for the booking's service with
    that staff member, the booking's own time counted as free."""
    if the_day is None or staff is None or not within_bounds(the_day):
        return []
    availability = find_availability(db.session, business, booking.service, the_day, now=now_utc(),
                                     staff_id=staff.id, exclude_booking_ids=(booking.id,), front_desk=True)
    tz = ZoneInfo(business.timezone)
    return [(slot.start.isoformat(), slot.start.astimezone(tz).strftime("%H:%M")) for slot in availability.slots]


def _fill(form: MoveBookingForm, business, booking: Booking) -> Staff | None:
    """The form's choices for its day and staff member (by default the booking's own)."""
    performers = _performers(business, booking)
    form.staff_id.choices = [(str(m.id), m.name) for m in performers]
    if not form.staff_id.data:
        form.staff_id.data = str(booking.staff_id)
    if form.day.data is None or not within_bounds(form.day.data):
        form.day.data = local_date_of(booking.starts_at, business)
    staff = _load_staff(business, form.staff_id.data)
    if staff is not None and staff.id not in {m.id for m in performers}:
        staff = None
    form.start.choices = free_times(business, booking, form.day.data, staff)
    return staff


@bp.get("/bookings/<uuid:booking_id>/move")
@require("booking.manage")
def move_form(booking_id):
    business = _business()
    booking = _own_booking(booking_id)
    form = MoveBookingForm(formdata=request.args if request.args else None)
    if request.args.get("day"):
        _parse_day(request.args.get("day"), business)  # a malformed day is a 400, as on the day view
    if not can_move(booking):
        refusal = f"A {booking.status.replace('_', ' ')} booking cannot be moved."
        if is_htmx():  # the panel was stale: say so where the form would have opened
            return render_template("dashboard/_move_refused.html", message=refusal), REFUSED
        return _panel(booking, error=refusal, status=REFUSED)
    _fill(form, business, booking)
    if is_htmx():
        return _move_partial(booking, form)
    return _panel(booking, move_form=form, own_start=_own_start(booking, form))


def _own_start(booking: Booking, form: MoveBookingForm) -> str | None:
    """The booking's current start, marked in the list when the form shows its own staff member."""
    return booking.starts_at.isoformat() if form.staff_id.data == str(booking.staff_id) else None


def _move_partial(booking: Booking, form: MoveBookingForm):
    return render_template("dashboard/_move_form.html", business=_business(), booking=booking, move_form=form,
                           own_start=_own_start(booking, form)), 200


@bp.post("/bookings/<uuid:booking_id>/move")
@require("booking.manage")
def move_booking(booking_id):
    business = _business()
    booking = _own_booking(booking_id)
    if not can_move(booking):
        return _panel(booking, error=f"A {booking.status.replace('_', ' ')} booking cannot be moved.", status=REFUSED)
    form = MoveBookingForm()
    staff = _fill(form, business, booking)

    def refused(message: str, status: int):
        # The panel with the form open again, the message at its top, the times fresh.
        return _panel(db.session.get(Booking, booking_id), error=message, status=status, move_form=form,
                      own_start=_own_start(booking, form))

    if not form.validate_on_submit():
        first = next(iter(form.errors.values()))[0]
        return refused(f"Not moved: {first}", REFUSED)
    if staff is None:
        return refused(f"Not moved: choose a staff member who performs {booking.service.name}.", REFUSED)
    try:
        new_start = datetime.fromisoformat(form.start.data)
        # Aware, and far from the calendar's ends (a zone conversion there would overflow).
        if new_start.tzinfo is None or not within_bounds(new_start):
            raise ValueError
    except ValueError:
        return refused("Not moved: choose a time from the list.", REFUSED)
    if new_start == booking.starts_at and staff.id == booking.staff_id:
        return refused("Not moved: that is where the booking already is.", REFUSED)
    try:
        with all_or_nothing():
            moved = booking_ops.reschedule(db.session, booking, business, new_start, staff=staff, now=now_utc(),
                                           actor=actor(), notify_customer=not form.skip_notifications.data,
                                           front_desk=True)
    except SlotNotOffered as error:
        _fill(form, business, booking)
        return refused(f"Not moved: {error.message} Choose one of the listed times.", REFUSED)
    except SlotUnavailable:
        _fill(form, business, booking)
        when = localtime(new_start, business.timezone, "%a %-d %b %H:%M")
        return refused(f"Not moved: {staff.name} is not free at {when}. The list shows what is still free.", TAKEN)
    except DomainError as error:
        return refused(f"Not moved: {error.message}", REFUSED)
    when = localtime(moved.starts_at, business.timezone, "%a %-d %b %Y, %H:%M")
    notice = f"Moved to {when} with {staff.name} (now {moved.booking_number})."
    if is_htmx():
        response, status = _panel(moved, notice=notice)
        # The columns listen for this and refresh, so the card moves at once.
        return response, status, {"HX-Trigger": "day-changed"}
    flash(notice)
    return redirect(url_for("dashboard.booking_panel", booking_id=moved.id), 303)
