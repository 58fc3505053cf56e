"""Setup → Locations (owner and manager): the business's branches, each one's details,
opening hours, who works there (and their hours there), which services it offers and
each offered service's own price, deposit and length there (domain.service_terms).

Every change is one domain.locations call (shared with /api/v1/locations, so both doors
leave the same rows and audit trail); this module turns form text into plain values and
domain errors back into the form beside the field, with what was typed (422, the form
partial for htmx). An account limited to some locations (auth.locations) sees and edits
only those, as unknown otherwise (404), and does not add new ones.
"""
from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from bookingapp.auth import require
from bookingapp.auth.locations import may_see_location, visible_locations
from bookingapp.dashboard import all_or_nothing, bp, is_htmx, now_utc, render
from bookingapp.dashboard.setup_forms import (
    FormErrors, Spec, display, field_of, parse, parse_week, typed, week_values,
)
from bookingapp.dashboard.views_setup import PAGES, _done, _form_ctx, _place_error
from bookingapp.domain import locations as domain
from bookingapp.domain import service_terms
from bookingapp.domain.errors import DomainError, NotFound
from bookingapp.extensions import db
from bookingapp.models import Location, Service, Staff, StaffHours

PAGES.append(("locations", "Locations"))

MIN_HOLD_MINUTES, MAX_HOLD_MINUTES = domain.MIN_HOLD_SECONDS // 60, domain.MAX_HOLD_SECONDS // 60
ADDRESS_KEYS = ("street", "city", "state", "zip", "country")

LOCATION_SPECS = [
    Spec("name", "Name", required=True),
    Spec("slug", "Address in links (slug)", required=True,
         help="Customers book it at /<your slug>/<this slug>. Changing it breaks old links."),
    Spec("phone", "Phone"),
    Spec("address_street", "Street"),
    Spec("address_city", "City"),
    Spec("address_state", "County or state"),
    Spec("address_zip", "Postcode"),
    Spec("address_country", "Country (two letters)"),
    Spec("timezone", "Time zone", help="An IANA zone such as Europe/London; empty: the business's."),
    Spec("hold_minutes", "Hold length (minutes)", "optint",
         help=f"How long a chosen time is kept while the customer pays ({MIN_HOLD_MINUTES}-{MAX_HOLD_MINUTES}); "
              "empty: the business's setting."),
    Spec("sort_order", "Position", "int"),
]
NEW_DEFAULTS = {"sort_order": "0"}


def _business():
    return current_user.business


def _location(location_id: uuid.UUID) -> Location:
    """One of this business's locations that the account sees (404 otherwise)."""
    location = db.session.get(Location, location_id)
    if (location is None or location.business_id != current_user.business_id
            or not may_see_location(current_user, location.id)):
        abort(404)
    return location


def _shown(location: Location) -> dict:
    shown = display([spec for spec in LOCATION_SPECS if spec.name != "hold_minutes"], location, _business())
    shown["hold_minutes"] = "" if location.hold_seconds is None else str(location.hold_seconds // 60)
    return shown


def _fields(values: dict) -> dict:
    """The parsed form as domain.locations fields (empty optional text is none)."""
    return {
        "name": values["name"], "slug": values["slug"], "phone": values["phone"] or None,
        "address": {key: values[f"address_{key}"] or None for key in ADDRESS_KEYS},
        "timezone": values["timezone"] or None,
        "hold_seconds": None if values["hold_minutes"] is None else values["hold_minutes"] * 60,
        "sort_order": values["sort_order"],
    }


def _place(form: dict, error: DomainError) -> None:
    if error.param == "hold_seconds":
        form["errors"] = {**form["errors"],
                          "hold_minutes": f"Give between {MIN_HOLD_MINUTES} and {MAX_HOLD_MINUTES} minutes."}
    else:
        _place_error(form, error, LOCATION_SPECS)


def _save_details(form: dict, run) -> Location | None:
    """Parse and run; on a refusal the form carries the errors and None is returned."""
    try:
        with all_or_nothing():
            return run(_fields(parse(LOCATION_SPECS, request.form, _business())))
    except FormErrors as errors:
        form["errors"] = errors.errors
    except DomainError as error:
        _place(form, error)
    return None


# --------------------------------------------------------------------------- the list and a new location

def _new_form(values=None, errors=None) -> dict:
    return _form_ctx("new-location-form", url_for("dashboard.setup_locations"), LOCATION_SPECS,
                     values if values is not None else dict(NEW_DEFAULTS), errors, submit="Add location",
                     title="Add a location")["form"]


def _list_page(*, form: dict | None = None, status: int = 200):
    business = _business()
    query = select(Location).where(Location.business_id == business.id).order_by(
        Location.is_active.is_(False), Location.is_primary.desc(), Location.sort_order, Location.name)
    places = [place for place in db.session.scalars(query) if may_see_location(current_user, place.id)]
    may_add = visible_locations(current_user) is None
    return render("dashboard/_setup_form.html", "dashboard/locations/list.html", status=status, business=business,
                  current_page="locations", pages=PAGES, places=places, may_add=may_add,
                  form=form or (_new_form() if may_add else None),
                  staff_counts={place.id: len(domain.staff_at(db.session, business, place)) for place in places})


@bp.route("/setup/locations", methods=["GET", "POST"])
@require("setup")
def setup_locations():
    if request.method == "GET":
        return _list_page()
    if visible_locations(current_user) is not None:
        abort(403)  # a manager of some branches runs those; adding branches is for the whole business's managers
    form = _new_form(values=typed(LOCATION_SPECS, request.form))
    location = _save_details(form, lambda fields: domain.create_location(db.session, _business(), fields,
                                                                         now=now_utc()))
    if location is None:
        return _list_page(form=form, status=422)
    return _done(f"Location {location.name} added: set its hours and who works there.",
                 url_for("dashboard.setup_location", location_id=location.id))


# --------------------------------------------------------------------------- one location

def _week_errors(errors: dict | None) -> tuple[dict, str | None]:
    """A weekday's error goes beside its row; one about the week as a whole above the button."""
    errors = errors or {}
    by_day = {key: message for key, message in errors.items() if key.isdigit()}
    rest = [message for key, message in errors.items() if not key.isdigit()]
    return by_day, (" ".join(rest) or None)


def _hours_form(location: Location, *, values=None, errors=None) -> dict:
    by_day, error = _week_errors(errors)
    return {"id": "location-hours-form", "title": "Opening hours",
            "action": url_for("dashboard.setup_location_hours", location_id=location.id),
            "values": values if values is not None else week_values(location.hours, "opens_at", "closes_at"),
            "errors": by_day, "error": error,
            "help": "Leave every day empty to keep the business's opening hours."}


def _all_staff(business) -> list[Staff]:
    return list(db.session.scalars(select(Staff).where(Staff.business_id == business.id, Staff.deleted_at.is_(None))
                                   .order_by(Staff.sort_order, Staff.name)))


def _all_services(business) -> list[Service]:
    return list(db.session.scalars(select(Service).where(Service.business_id == business.id,
                                                         Service.deleted_at.is_(None))
                                   .order_by(Service.sort_order, Service.name)))


def _edit_page(location: Location, *, form: dict | None = None, hours: dict | None = None,
               staff_form: dict | None = None, services_form: dict | None = None, terms_row: dict | None = None,
               status: int = 200, partial: str = "dashboard/_setup_form.html"):
    business = _business()
    terms_rows = [terms_row if terms_row and row["service"].id == terms_row["service"].id else row
                  for row in _terms_rows(location, business)]
    form = form or _form_ctx("edit-location-form", url_for("dashboard.setup_location", location_id=location.id),
                             LOCATION_SPECS, _shown(location), title="Details")["form"]
    staff_form = staff_form or {"chosen": {str(m.id) for m in domain.staff_at(db.session, business, location)},
                                "error": None}
    services_form = services_form or {"chosen": {str(s.id) for s in domain.services_at(db.session, business, location)},
                                      "error": None}
    return render(partial, "dashboard/locations/edit.html", status=status, business=business,
                  current_page="locations", pages=PAGES, location=location, form=form, edit_form=form,
                  hours=hours or _hours_form(location), staff_form=staff_form, services_form=services_form,
                  staff=_all_staff(business), services=_all_services(business), terms_rows=terms_rows)


@bp.route("/setup/locations/<uuid:location_id>", methods=["GET", "POST"])
@require("setup")
def setup_location(location_id):
    location = _location(location_id)
    if request.method == "GET":
        return _edit_page(location)
    form = _form_ctx("edit-location-form", url_for("dashboard.setup_location", location_id=location.id),
                     LOCATION_SPECS, typed(LOCATION_SPECS, request.form), title="Details")["form"]
    saved = _save_details(form, lambda fields: domain.update_location(db.session, _business(), location, fields,
                                                                      now=now_utc()))
    if saved is None:
        return _edit_page(_location(location_id), form=form, status=422)
    return _done("Location saved.", url_for("dashboard.setup_location", location_id=location.id))


@bp.post("/setup/locations/<uuid:location_id>/hours")
@require("setup")
def setup_location_hours(location_id):
    location = _location(location_id)
    week, errors = parse_week(request.form)
    if not errors:
        try:
            with all_or_nothing():
                domain.set_location_hours(db.session, _business(), location, week, now=now_utc())
        except DomainError as error:
            errors = {(error.param or "").split(".")[-1]: error.message}
    if errors:
        location = _location(location_id)
        return _edit_page(location, hours=_hours_form(location, values=dict(request.form), errors=errors),
                          status=422, partial="dashboard/_week_form.html")
    return _done("Opening hours saved.", url_for("dashboard.setup_location", location_id=location.id))


def _picked(model, field: str, business) -> list:
    """The ticked ids of a checkbox list as this business's rows; an id that is not one is
    a FormErrors (a forged or stale form), never a 500."""
    chosen = []
    for raw in request.form.getlist(field):
        try:
            row = db.session.get(model, uuid.UUID(raw))
        except ValueError:
            row = None
        if row is None or row.business_id != business.id or row.deleted_at is not None:
            raise FormErrors({field: "Choose from the list."})
        chosen.append(row)
    return chosen


def _set_list(location_id, field: str, model, run, message: str, partial: str, form_key: str):
    location = _location(location_id)
    business = _business()
    try:
        with all_or_nothing():
            run(db.session, business, location, _picked(model, field, business), now=now_utc())
    except FormErrors as errors:
        error = errors.errors[field]
    except DomainError as refused:
        error = refused.message
    else:
        return _done(message, url_for("dashboard.setup_location", location_id=location.id))
    return _edit_page(_location(location_id), status=422, partial=partial,
                      **{form_key: {"chosen": set(request.form.getlist(field)), "error": error}})


@bp.post("/setup/locations/<uuid:location_id>/staff")
@require("setup")
def setup_location_staff(location_id):
    return _set_list(location_id, "staff_ids", Staff, domain.set_location_staff, "Who works here saved.",
                     "dashboard/locations/_staff_form.html", "staff_form")


@bp.post("/setup/locations/<uuid:location_id>/services")
@require("setup")
def setup_location_services(location_id):
    return _set_list(location_id, "service_ids", Service, domain.set_location_services, "Services offered here saved.",
                     "dashboard/locations/_services_form.html", "services_form")


# --------------------------------------------------------------------------- a service's terms at a location
# One small form per offered service: its own price, deposit and length here, each left
# blank for the service's own. Shape (an amount, a whole number) is parsed here as the
# services form parses it; every rule is domain.service_terms.set_terms_at's, shared with
# PUT /api/v1/locations/{id}/services/{service_id}.

TERM_SPECS = [
    Spec("price_cents", "Price here", "optmoney"),
    Spec("deposit_cents", "Deposit here", "optmoney"),
    Spec("duration_minutes", "Length here (minutes)", "optint"),
]


def _terms_row(location: Location, service: Service, own: service_terms.OwnTerms, business, *,
               values: dict | None = None, errors: dict | None = None, error: str | None = None,
               saved: bool = False) -> dict:
    """One service's form: its terms here now, what this location sets itself (the inputs;
    blank is the service's own, shown as the placeholder) and any refusal by its field."""
    return {
        "id": f"terms-{service.id}", "service": service, "specs": TERM_SPECS,
        "action": url_for("dashboard.setup_location_service_terms", location_id=location.id, service_id=service.id),
        "terms": service_terms.effective_terms(service, own), "own": own,
        "values": values if values is not None else display(TERM_SPECS, own, business),
        "placeholders": display(TERM_SPECS, service, business),
        "errors": errors or {}, "error": error, "saved": saved,
    }


def _terms_rows(location: Location, business) -> list[dict]:
    services = list(db.session.scalars(service_terms.offered_at(business, location)))
    own = service_terms.own_terms_for(db.session, services, location)
    return [_terms_row(location, service, own[service.id], business) for service in services]


def _service_of(location: Location, service_id: uuid.UUID) -> Service:
    """A live service of the location's business (404 otherwise: another business's, removed, unknown)."""
    service = db.session.get(Service, service_id)
    if service is None or service.business_id != location.business_id or service.deleted_at is not None:
        abort(404)
    return service


def _terms_answer(location: Location, row: dict, status: int):
    """htmx swaps the one row; without JavaScript the whole page, that row as given."""
    if is_htmx():
        return render_template("dashboard/locations/_terms_row.html", business=_business(), location=location,
                               row=row), status
    return _edit_page(location, terms_row=row, status=status)


@bp.post("/setup/locations/<uuid:location_id>/services/<uuid:service_id>/terms")
@require("setup")
def setup_location_service_terms(location_id, service_id):
    location = _location(location_id)
    service = _service_of(location, service_id)
    business = _business()
    errors: dict[str, str] = {}
    general = None
    try:
        with all_or_nothing():
            service_terms.set_terms_at(db.session, business, service, location,
                                       parse(TERM_SPECS, request.form, business), now=now_utc())
    except FormErrors as refused:
        errors = refused.errors
    except NotFound:
        abort(404)  # a retired location: the domain knows only active ones (as the API's 404)
    except DomainError as refused:
        field = field_of(refused.param, TERM_SPECS)
        if field:
            errors = {field: refused.message}
        else:
            general = refused.message
    if errors or general:
        location = _location(location_id)
        service = _service_of(location, service_id)
        row = _terms_row(location, service, service_terms.own_terms_at(db.session, service, location), business,
                         values=typed(TERM_SPECS, request.form), errors=errors, error=general)
        return _terms_answer(location, row, 422)
    if is_htmx():
        row = _terms_row(location, service, service_terms.own_terms_at(db.session, service, location), business,
                         saved=True)
        return _terms_answer(location, row, 200)
    return _done(f"{service.name} at {location.name} saved.",
                 url_for("dashboard.setup_location", location_id=location.id))


@bp.post("/setup/locations/<uuid:location_id>/deactivate")
@require("setup")
def setup_location_deactivate(location_id):
    location = _location(location_id)
    try:
        with all_or_nothing():
            domain.deactivate_location(db.session, _business(), location, now=now_utc())
    except DomainError as error:
        flash(error.message, "error")
        target = url_for("dashboard.setup_location", location_id=location_id)
        # Shown on the page it lands on (a refusal answered with a redirect: the savepoint undid it).
        return ("", 204, {"HX-Redirect": target}) if is_htmx() else redirect(target, code=303)
    return _done(f"{location.name} retired: its bookings keep it.", url_for("dashboard.setup_locations"))


# --------------------------------------------------------------------------- a staff member's hours at a location

def _member_here(location: Location, staff_id: uuid.UUID) -> Staff:
    member = db.session.get(Staff, staff_id)
    if member is None or member.business_id != location.business_id or member.deleted_at is not None:
        abort(404)
    return member


def _member_hours(location: Location, member: Staff) -> list[StaffHours]:
    """Their rows at this location (location-less rows are hours at the primary)."""
    return [row for row in member.hours if row.location_id == location.id
            or (location.is_primary and row.location_id is None)]


def _staff_hours_page(location: Location, member: Staff, *, values=None, errors=None, status: int = 200):
    by_day, error = _week_errors(errors)
    hours = {"id": "staff-location-hours-form", "title": f"{member.name}'s hours at {location.name}",
             "action": url_for("dashboard.setup_location_staff_hours", location_id=location.id, staff_id=member.id),
             "values": values if values is not None else week_values(_member_hours(location, member),
                                                                    "starts_at", "ends_at"),
             "errors": by_day, "error": error,
             "help": "Leave every day empty to work this location's opening hours."}
    works_here = domain.works_at(db.session, member, location)
    return render("dashboard/_week_form.html", "dashboard/locations/staff_hours.html", status=status,
                  business=_business(), current_page="locations", pages=PAGES, location=location, member=member,
                  hours=hours, works_here=works_here)


@bp.route("/setup/locations/<uuid:location_id>/staff/<uuid:staff_id>/hours", methods=["GET", "POST"])
@require("setup")
def setup_location_staff_hours(location_id, staff_id):
    location = _location(location_id)
    member = _member_here(location, staff_id)
    if request.method == "GET":
        return _staff_hours_page(location, member)
    week, errors = parse_week(request.form)
    if not errors:
        try:
            with all_or_nothing():
                domain.set_staff_hours_at(db.session, _business(), member, location, week, now=now_utc())
        except DomainError as error:
            errors = {(error.param or "").split(".")[-1]: error.message}
    if errors:
        return _staff_hours_page(_location(location_id), _member_here(location, staff_id), values=dict(request.form),
                                 errors=errors, status=422)
    return _done(f"{member.name}'s hours at {location.name} saved.",
                 url_for("dashboard.setup_location", location_id=location.id))
