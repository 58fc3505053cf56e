"""Messages: the delivery log of emails and text messages (overall here, per booking in
its panel) and the Resend button. What was recorded, sent, skipped or failed, and why, is
domain.notify's (delivery_log); a resend is notify.resend, a new message the worker sends."""
from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from bookingapp.auth import require
from bookingapp.auth.locations import may_see_location, visible_location_ids
from bookingapp.dashboard import NAV, all_or_nothing, bp, is_htmx, now_utc, page_number, render
from bookingapp.dashboard.message_log import CHANNEL_LABELS, PERMISSION, booking_messages, log_words
from bookingapp.domain import notify
from bookingapp.domain.errors import DomainError
from bookingapp.extensions import db
from bookingapp.models import Booking
from bookingapp.models.message import Message

NAV.append(("dashboard.messages", "Messages", PERMISSION))
PAGE_SIZE = 50


def _filters(values) -> tuple[dict, list[str]]:
    """The log's filters (from the query string, or carried back by a resend form); an
    unknown value is reported, never guessed."""
    errors = []
    status = values.get("status", "")
    if status and status not in notify.STATUS_LABELS:
        errors.append(f"Status must be one of: {', '.join(notify.STATUS_LABELS)}.")
        status = ""
    channel = values.get("channel", "")
    if channel and channel not in CHANNEL_LABELS:
        errors.append(f"Channel must be one of: {', '.join(CHANNEL_LABELS)}.")
        channel = ""
    return {"status": status, "channel": channel, "page": page_number(values.get("page"))}, errors


def _preload_bookings(messages: list[Message]) -> list[Booking]:
    """Each row links its booking: one query puts them all in the session, so a message's
    many-to-one finds its booking there instead of querying once per row. The caller keeps
    the list until the page is rendered (the session holds its objects weakly)."""
    ids = {m.booking_id for m in messages if m.booking_id is not None}
    return db.session.scalars(select(Booking).where(Booking.id.in_(ids))).all() if ids else []


def _log_page(filters: dict, errors: list[str], *, error: str | None = None, status: int | None = None):
    business = current_user.business
    # One row more than a page tells whether there is a next page without counting the log.
    rows = notify.delivery_log(db.session, business, status=filters["status"] or None,
                               channel=filters["channel"] or None, limit=PAGE_SIZE + 1,
                               offset=(filters["page"] - 1) * PAGE_SIZE,
                               location_ids=visible_location_ids(current_user))
    preloaded = _preload_bookings(rows)
    return render("dashboard/_message_list.html", "dashboard/messages.html",
                  status=status or (400 if errors else 200), business=business, messages=rows[:PAGE_SIZE],
                  has_next=len(rows) > PAGE_SIZE, filters=filters, errors=errors, error=error,
                  preloaded=preloaded, **log_words())


@bp.get("/messages")
@require(PERMISSION)
def messages():
    filters, errors = _filters(request.args)
    return _log_page(filters, errors)


def _own_message(message_id: uuid.UUID) -> Message:
    message = db.session.get(Message, message_id)
    if message is None or message.business_id != current_user.business_id:
        abort(404)
    if message.booking_id is None:
        if visible_location_ids(current_user) is not None:
            abort(404)  # business-wide, at no branch: beyond a limited account, as in the log
    elif not may_see_location(current_user, db.session.get(Booking, message.booking_id).location_id):
        abort(404)  # a message about a booking at a branch the account does not see
    return message


@bp.post("/messages/<uuid:message_id>/resend")
@require(PERMISSION)
def resend_message(message_id):
    """Send a message again. From a booking's Messages section the answer is that section
    refreshed; from the log (`from=log`, with the log's filters) it is the log's list."""
    message = _own_message(message_id)
    booking_id = message.booking_id
    error = None
    try:
        with all_or_nothing():
            notify.resend(db.session, message, now=now_utc())
    except DomainError as refused:
        error = refused.message
    if request.form.get("from") == "log" or booking_id is None:
        filters, _ = _filters(request.form)
        if not is_htmx():
            flash(error or "Sent again: the new message is at the top of the log.", "error" if error else "success")
            return redirect(url_for("dashboard.messages", **{k: v for k, v in filters.items() if v}), code=303)
        return _log_page(filters, [], error=error, status=422 if error else 200)
    if not is_htmx():
        flash(error or "Sent again: the new message is listed under Messages.", "error" if error else "success")
        return redirect(url_for("dashboard.booking_panel", booking_id=booking_id), code=303)
    booking = db.session.get(Booking, booking_id)
    return render("dashboard/_booking_messages.html", "dashboard/booking.html", status=422 if error else 200,
                  business=current_user.business, booking=booking, **booking_messages(booking, error=error))
