"""Pieces of dashboard pages that several view modules show: a booking's payments and its
way into checkout (the day's panel, the checkout page), and the dashboard-access card (the
staff setup page, the access actions). They live apart so that the view modules import
them, and not each other, in both directions."""
from __future__ import annotations

from flask import url_for
from flask_login import current_user

from bookingapp.auth import accounts
from bookingapp.auth.roles import allowed
from bookingapp.domain import checkout as co
from bookingapp.domain import payments as payments_domain
from bookingapp.domain.states import UPCOMING_STATUSES
from bookingapp.extensions import db
from bookingapp.models import Booking, Staff
from bookingapp.models.checkout import Checkout


def payment_rows(booking: Booking, checkout: Checkout | None) -> list[dict]:
    """Money in and out, each a row; refunds are negative and flagged so the receipt can
    show them as their own lines."""
    rows = [
        {"label": f"{p.kind} (card, {p.provider})", "is_refund": p.kind == "refund",
         "amount_cents": p.amount_cents if p.kind != "refund" else -p.amount_cents, "status": p.status}
        for p in payments_domain.payments_of(db.session, booking)
    ]
    for tender in (checkout.tenders if checkout else []):
        rows.append({"label": f"{tender.kind} ({tender.method.replace('_', ' ')})", "is_refund": tender.kind == "refund",
                     "amount_cents": tender.amount_cents if tender.kind == "payment" else -tender.amount_cents,
                     "status": "recorded", "reason": tender.reason})
    return rows


# A booking made and not yet begun; holds and reservations belong to a customer still
# choosing their time.
MOVABLE_STATUSES = UPCOMING_STATUSES


def can_move(booking: Booking) -> bool:
    """Whether the booking may be moved from the dashboard (its panel's form, a drag)."""
    return booking.status in MOVABLE_STATUSES


def panel_extras(booking: Booking) -> dict:
    """The booking panel's payments, its way into checkout and its Move form."""
    checkout = co.checkout_of(db.session, booking)
    extras = {"payments": payment_rows(booking, checkout)}
    if allowed(current_user.role, "booking.manage") and can_move(booking):
        extras["move_url"] = url_for("dashboard.move_form", booking_id=booking.id)
    if allowed(current_user.role, "checkout"):
        if checkout is not None:
            extras["checkout_url"] = url_for("dashboard.checkout_page", checkout_id=checkout.id)
        elif co.can_check_out(booking):
            extras["open_checkout_url"] = url_for("dashboard.open_checkout", booking_id=booking.id)
    return extras


def access_context(member: Staff, *, errors: dict | None = None, typed: dict | None = None,
                   error: str | None = None, chosen: set[str] | None = None) -> dict:
    """What the access card shows: the account if there is one, and whether the person
    looking may change it."""
    account = accounts.account_of(db.session, member)
    try:
        accounts.check_may_manage_access(current_user.role, member)
        may_manage = True
    except accounts.AccessRefused:
        may_manage = False
    is_self = account is not None and account.id == current_user.id
    return {"account": account, "may_manage": may_manage, "errors": errors or {}, "error": error,
            "typed": typed or {"email": member.email or ""}, "min_password": accounts.MIN_PASSWORD_LENGTH,
            "is_self": is_self, **location_limit_context(account, may_manage and not is_self, chosen=chosen)}


def location_limit_context(account, may_change: bool, *, chosen: set[str] | None = None) -> dict:
    """The access card's "Locations" part: which branches the account is limited to
    (auth.locations), offered for change when the business has several and the account is
    not an owner's (owners see everything) and not one's own."""
    from bookingapp.auth.locations import UNLIMITED_ROLES, narrow_choices
    from bookingapp.domain.locations import active_locations

    everywhere = active_locations(db.session, current_user.business)
    if account is None or account.role in UNLIMITED_ROLES or len(everywhere) < 2:
        return {"location_choices": [], "limited_to": set(), "may_limit": False}
    places = narrow_choices(current_user, everywhere)
    limited_to = chosen if chosen is not None else {str(place.id) for place in account.limited_to}
    return {"location_choices": places, "limited_to": limited_to, "may_limit": may_change}
