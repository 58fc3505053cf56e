"""The customer's manage link (from the booked page and the confirmation email): see the
booking and what it cost, cancel or move it while the customer still may, review it once
the visit is over, and download it as an .ics calendar file.

What a customer may do is decided in bookingapp.domain.manage, the same rules whatever
the door; the money shown and the cancellation terms come from bookingapp.domain.payments
through checkout_bridge.

Nothing here commits (bookingapp.unit_of_work does, once, after a success). A change runs
in a savepoint, so that when it is refused halfway (a refund the provider could not make
after the booking was marked cancelled) the page saying so shows the booking as it stays.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from flask import abort, make_response, request, url_for

from bookingapp.domain.booking_money import money_summary
from bookingapp.domain import clock
from bookingapp.domain import manage as manage_domain
from bookingapp.domain.errors import DomainError, SlotNotOffered, SlotUnavailable
from bookingapp.domain.ics import booking_ics
from bookingapp.domain.reminders import first_reminder_hours
from bookingapp.domain.time_bounds import within_bounds
from bookingapp.domain.reviews import can_review, leave_review, review_of
from bookingapp.extensions import db
from bookingapp.models import Booking, Business
from bookingapp.web import checkout_bridge
from bookingapp.web.forms import ActionForm, ReviewForm
from bookingapp.web.links import calendar_links, manage_token, manage_url, read_manage_token
from bookingapp.i18n import error_text, format_locale
from bookingapp.web.rendering import business_or_404, render, see_other, wants_partial
from bookingapp.web.timepicker import local_day, time_context
from bookingapp.web.wizard import book_again_url

# A visit that will not (or did) take place: the manage page offers to book it again.
BOOK_AGAIN_STATUSES = ("cancelled", "completed", "no_show")


def _managed_booking(business: Business, token: str) -> Booking:
    booking_id = read_manage_token(token)
    booking = db.session.get(Booking, booking_id) if booking_id else None
    if booking is None or booking.business_id != business.id or booking.status in ("held", "expired"):
        abort(404)
    return booking


def _render_manage(business, booking, token, *, status=200, review_form=None, notice=None, error=None):
    now = clock.now()
    changeable = manage_domain.customer_may_change(booking, now)
    return render(
        "manage", status=status, business=business, booking=booking, token=token, changeable=changeable,
        cancel_terms=checkout_bridge.cancel_terms(db.session, booking, business, now=now) if changeable else None,
        money=money_summary(db.session, booking, business),
        review=review_of(db.session, booking), can_review=can_review(db.session, booking),
        review_form=review_form or ReviewForm(), form=ActionForm(),
        notice=notice or request.args.get("notice"), error=error,
        moved_to=manage_token(booking.rescheduled_to_id) if booking.rescheduled_to_id else None,
        links=calendar_links(business, booking), push_url=url_for("web.manage", slug=business.slug, token=token),
        book_again=book_again_url(business, booking) if booking.status in BOOK_AGAIN_STATUSES else None,
    )


def manage(slug: str, token: str):
    business = business_or_404(slug)
    return _render_manage(business, _managed_booking(business, token), token)


def booking_calendar(slug: str, token: str):
    business = business_or_404(slug)
    booking = _managed_booking(business, token)
    body = booking_ics(booking, business, now=clock.now(), manage_url=manage_url(business, booking),
                       first_reminder_hours=first_reminder_hours(business), locale=format_locale(), gettext=gettext)
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{booking.booking_number}.ics"'
    return response


def cancel(slug: str, token: str):
    """GET asks first, saying what cancelling now refunds and what is kept (the same
    domain terms the cancellation then acts on); the POST from that page cancels."""
    business = business_or_404(slug)
    booking = _managed_booking(business, token)
    if request.method == "GET":
        now = clock.now()
        if not manage_domain.customer_may_change(booking, now):
            return see_other(url_for("web.manage", slug=business.slug, token=token))
        return render(
            "cancel", business=business, booking=booking, token=token, form=ActionForm(),
            cancel_terms=checkout_bridge.cancel_terms(db.session, booking, business, now=now),
        )
    ActionForm().validate_on_submit()
    try:
        with db.session.begin_nested():
            checkout_bridge.cancel_booking(db.session, booking, business, now=clock.now())
    except DomainError as error:
        return _render_manage(business, booking, token, status=422, error=error_text(error))
    return see_other(url_for("web.manage", slug=business.slug, token=token, notice="cancelled"))


def reschedule(slug: str, token: str):
    """The same calendar and slots as steps 3 and 4, for the booking's own staff member;
    the booking's own time counts as free so it can move by a quarter of an hour."""
    business = business_or_404(slug)
    booking = _managed_booking(business, token)
    here = url_for("web.reschedule", slug=business.slug, token=token)
    if not manage_domain.customer_may_change(booking, clock.now()):
        if request.method == "POST":
            try:
                manage_domain.ensure_customer_may_change(booking, clock.now(), action="move")
            except DomainError as error:
                return _render_manage(business, booking, token, status=422, error=error_text(error))
        return see_other(url_for("web.manage", slug=business.slug, token=token))
    service, staff = booking.service, booking.staff
    notice, status, day, month = None, 200, request.args.get("day"), request.args.get("month")
    if request.method == "POST":
        ActionForm().validate_on_submit()
        try:
            start = datetime.fromisoformat(request.form.get("start", ""))
            if start.tzinfo is None:
                raise ValueError
        except ValueError:
            start = None
            notice, status = "bad_time", 422
        if start is not None and not within_bounds(start):
            # A time at the calendar's ends is never offered (the domain refuses it too).
            start = None
            notice, status = "not_offered", 422
        if start is not None:
            day = local_day(start, business)
            month = day[:7] if day else None
            try:
                with db.session.begin_nested():
                    moved = manage_domain.reschedule_by_customer(db.session, booking, business, start, now=clock.now())
                return see_other(url_for("web.manage", slug=business.slug, token=manage_token(moved.id),
                                         notice="rescheduled"))
            except SlotNotOffered:
                notice, status, day, month = "not_offered", 422, None, None
            except SlotUnavailable:
                notice, status = "just_taken", 409
            except DomainError as error:
                notice, status = error_text(error), 422
    # A day clicked in the calendar (the slots partial) computes that day alone, as in the wizard.
    partial_slots = request.headers.get("HX-Target") == "slots" and wants_partial() and request.method == "GET"
    context = time_context(business, service, staff, now=clock.now(), month=month, day=day, exclude=(booking.id,),
                           with_calendar=not partial_slots, location=booking.location)

    def time_url(**params):
        return url_for("web.reschedule", slug=business.slug, token=token, **params)

    return render(
        "slots" if partial_slots else "time", status=status, push_url=here if request.method == "POST" else None,
        business=business, service=service, staff=staff, who=str(staff.id), step=3, notice=notice,
        time_url=time_url, form=ActionForm(), rescheduling=booking, manage_token=token, **context,
    )


def review(slug: str, token: str):
    business = business_or_404(slug)
    booking = _managed_booking(business, token)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _render_manage(business, booking, token, status=422, review_form=form)
    try:
        with db.session.begin_nested():
            leave_review(db.session, booking, rating=form.rating.data, comment=form.comment.data,
                         would_recommend=form.would_recommend.data)
    except DomainError as error:
        field = getattr(form, error.param or "", None)
        if field is not None and hasattr(field, "errors") and error.param in ("rating", "comment"):
            field.errors = [error_text(error)]
            return _render_manage(business, booking, token, status=422, review_form=form)
        return _render_manage(business, booking, token, status=422, review_form=form, error=error_text(error))
    return see_other(url_for("web.manage", slug=business.slug, token=token, notice="reviewed"))
