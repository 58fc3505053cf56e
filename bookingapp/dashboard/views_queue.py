"""The approval queue: bookings waiting for the business's yes or no, each answered in
one click. Approving and declining are the booking panel's own commands
(booking.change_status to confirmed, cancellation.cancel), so the customer hears the same
and the history reads the same whichever page the answer came from. The menu's count is
domain.approvals.pending_count, one COUNT query, run only when a full page is drawn."""
from __future__ import annotations

import uuid

from flask import flash, redirect, url_for
from flask_login import current_user

from bookingapp.auth import require
from bookingapp.auth.locations import visible_location_ids
from bookingapp.auth.roles import allowed
from bookingapp.dashboard import actor, all_or_nothing, bp, is_htmx, now_utc, render
from bookingapp.dashboard.views_day import _own_booking
from bookingapp.domain import approvals, cancellation
from bookingapp.domain import booking as booking_ops
from bookingapp.domain.errors import DomainError
from bookingapp.extensions import db
from bookingapp.payments import current_provider

# The layout links to the queue itself (not through NAV): its link carries the count.
QUEUE_PERMISSION = "booking.manage"


@bp.app_context_processor
def _approval_count():
    """`pending_approvals()` for the menu's badge: a callable, so the COUNT runs only when
    the layout draws the menu, never for a partial."""

    def pending_approvals() -> int:
        if not current_user.is_authenticated or not allowed(current_user.role, QUEUE_PERMISSION):
            return 0
        return approvals.pending_count(db.session, current_user.business,
                                       location_ids=visible_location_ids(current_user))

    return {"pending_approvals": pending_approvals}


def _queue(*, error: str | None = None, notice: str | None = None, status: int = 200):
    business = current_user.business
    waiting = approvals.pending_bookings(db.session, business, location_ids=visible_location_ids(current_user))
    return render("dashboard/_queue.html", "dashboard/queue.html", status=status, business=business,
                  waiting=waiting, error=error, notice=notice, count=len(waiting), oob_count=is_htmx())


@bp.get("/approvals")
@require(QUEUE_PERMISSION)
def approvals_queue():
    return _queue()


def _answer(booking_id: uuid.UUID, approve: bool):
    booking = _own_booking(booking_id)
    number = booking.booking_number
    try:
        with all_or_nothing():
            if booking.status != approvals.PENDING:
                raise DomainError(f"{number} is no longer waiting for approval (it is {booking.status.replace('_', ' ')}).")
            if approve:
                booking_ops.change_status(db.session, booking, "confirmed", now=now_utc(), actor=actor())
            else:
                cancellation.cancel(db.session, current_provider(), booking, actor=actor(),
                                    reason=approvals.DECLINE_REASON, override=approvals.DECLINE_REFUND,
                                    now=now_utc())
    except DomainError as error:
        return _queue(error=error.message, status=422)
    notice = f"{number} {'approved' if approve else 'declined'}; the customer has been told."
    if is_htmx():
        response, status = _queue(notice=notice)
        # The day and week columns listen for this, as after the panel's buttons.
        return response, status, {"HX-Trigger": "day-changed"}
    flash(notice, "success")
    return redirect(url_for("dashboard.approvals_queue"))


@bp.post("/approvals/<uuid:booking_id>/approve")
@require(QUEUE_PERMISSION)
def approve_booking(booking_id):
    return _answer(booking_id, approve=True)


@bp.post("/approvals/<uuid:booking_id>/decline")
@require(QUEUE_PERMISSION)
def decline_booking(booking_id):
    return _answer(booking_id, approve=False)
