"""Dashboard access on a staff member's setup page: give them a sign-in (email and an
initial password), switch it off or on, set a new password. The rules (who may, the last
owner, not yourself) are auth.accounts'; this module maps form text and errors."""
from __future__ import annotations

import uuid

from flask import abort, request, url_for
from flask_login import current_user

from bookingapp.auth import require
from bookingapp.auth import accounts
from bookingapp.auth import locations as location_access
from bookingapp.dashboard import all_or_nothing, bp, now_utc
from bookingapp.dashboard.panels import access_context
from bookingapp.dashboard.views_setup import SECTIONS, _done, _edit_page, _staff
from bookingapp.domain.errors import DomainError, ValidationError
from bookingapp.extensions import db
from bookingapp.models import Staff


def _refuse(member: Staff, error: DomainError):
    member = _staff(member.id)
    field = error.param if error.param in ("email", "password", "location_ids") else None
    access = access_context(member, errors={field: error.message} if field else {},
                            error=None if field else error.message,
                            typed={"email": request.form.get("email", "")},
                            chosen=set(request.form.getlist("location_ids")) if field == "location_ids" else None)
    return _edit_page(SECTIONS["staff"], member, status=422, partial="dashboard/_access.html", access=access)


def _change(item_id, run, message: str):
    member = _staff(item_id)
    try:
        with all_or_nothing():
            run(member)
    except accounts.AccessRefused:
        abort(403)
    except DomainError as error:
        return _refuse(member, error)
    return _done(message, url_for("dashboard.setup_edit", section="staff", item_id=member.id))


def _account(member: Staff):
    account = accounts.account_of(db.session, member)
    if account is None:
        abort(404)
    return account


@bp.post("/setup/staff/<uuid:item_id>/access")
@require("setup")
def staff_access_grant(item_id):
    def run(member):
        accounts.grant_access(db.session, member, request.form.get("email", ""), request.form.get("password", ""),
                              acting_role=current_user.role)

    return _change(item_id, run, "Dashboard access given: tell them their email and password.")


@bp.post("/setup/staff/<uuid:item_id>/access/disable")
@require("setup")
def staff_access_disable(item_id):
    def run(member):
        accounts.set_access_enabled(db.session, _account(member), False, acting_role=current_user.role,
                                    acting_account_id=current_user.id)

    return _change(item_id, run, "Dashboard access switched off: their open sessions have ended.")


@bp.post("/setup/staff/<uuid:item_id>/access/enable")
@require("setup")
def staff_access_enable(item_id):
    def run(member):
        accounts.set_access_enabled(db.session, _account(member), True, acting_role=current_user.role)

    return _change(item_id, run, "Dashboard access switched back on.")


@bp.post("/setup/staff/<uuid:item_id>/access/password")
@require("setup")
def staff_access_password(item_id):
    def run(member):
        accounts.reset_password(db.session, _account(member), request.form.get("password", ""),
                                acting_role=current_user.role)

    return _change(item_id, run, "New password set: tell them, they sign in with it from now on.")


@bp.post("/setup/staff/<uuid:item_id>/access/locations")
@require("setup")
def staff_access_locations(item_id):
    """Limit a sign-in to some locations (none ticked: the whole business), by the rule of
    auth.locations.set_account_locations."""
    def run(member):
        places = []
        for raw in request.form.getlist("location_ids"):
            try:
                places.append(uuid.UUID(raw))
            except ValueError:
                raise ValidationError("Choose from the list.", param="location_ids") from None
        location_access.set_account_locations(db.session, current_user.business, _account(member), places,
                                              acting=current_user, now=now_utc())

    return _change(item_id, run, "Locations saved: they see only those from their next click.")
