"""/api/v1/locations: a business's branches (seed 001's branchId, OnSched's LocationId).

Reading needs the read scope, changing them the catalog scope (scopes.WRITE_SCOPE_OF_TAG).
Each view is one domain call (domain.locations); the request commits once."""
from __future__ import annotations

from datetime import time

from sqlalchemy import select

from bookingapp.api import schemas as s
from bookingapp.api import serializers as out
from bookingapp.api.errors import not_found
from bookingapp.api.operations import Page, operation
from bookingapp.api.pagination import paginate
from bookingapp.api.views import _fields, _referenced, business, now
from bookingapp.domain import locations, service_terms
from bookingapp.extensions import db
from bookingapp.models import Location, Service, Staff

LOCATION_RULES = ("slug is unique among your locations and may not be one of the booking pages' own words; "
                  "timezone an IANA zone; staff_ids your staff (nobody may be left working nowhere).")


def _location(location_id) -> Location:
    place = db.session.get(Location, location_id)
    if place is None or place.business_id != business().id:
        raise not_found("Location")
    return place


def _weekly(hours: dict | None) -> dict | None:
    """The body's {monday: [{open, close}]} as the domain's {0: [(time, time)]}."""
    if hours is None:
        return None
    return {s.WEEKDAY_NAMES.index(day): [(time.fromisoformat(w.open), time.fromisoformat(w.close)) for w in windows]
            for day, windows in hours.items()}


def _staff(ids) -> list[Staff] | None:
    if ids is None:
        return None
    return [_referenced(Staff, staff_id, "Staff member", f"staff_ids[{n}]") for n, staff_id in enumerate(ids)]


def _changes(body: s.LocationBody) -> dict:
    fields = _fields(body)
    fields.pop("hours", None)
    fields.pop("staff_ids", None)
    return fields


def _answer(place: Location) -> dict:
    return out.location(place, business(), [member.id for member in locations.staff_at(db.session, business(), place)])


@operation("GET", "/locations", "listLocations", "Your locations, the primary first", tag="Locations",
           query=s.LocationListQuery, response=list[s.LocationOut], meta=s.PageMeta)
def list_locations(query: s.LocationListQuery):
    rows = (select(Location).where(Location.business_id == business().id, Location.is_active.is_(query.active))
            .order_by(Location.is_primary.desc(), Location.sort_order, Location.name, Location.id))
    return Page(*paginate(rows, _answer, query.page, query.limit))


@operation("POST", "/locations", "createLocation", "Add a location", tag="Locations", body=s.CreateLocationBody,
           response=s.LocationOut, status=201, idempotent_key=True, rules=LOCATION_RULES)
def create_location(body: s.CreateLocationBody, query):
    place = locations.create_location(db.session, business(), _changes(body), hours=_weekly(body.hours),
                                      staff=_staff(body.staff_ids), now=now())
    return _answer(place)


@operation("GET", "/locations/{location_id}", "getLocation", "One location", tag="Locations",
           response=s.LocationOut)
def get_location(location_id, query):
    return _answer(_location(location_id))


@operation("PATCH", "/locations/{location_id}", "updateLocation", "Update a location (only the fields sent)",
           tag="Locations", body=s.LocationBody, response=s.LocationOut,
           rules=LOCATION_RULES + " The primary cannot be deactivated.")
def update_location(location_id, body: s.LocationBody, query):
    place = _location(location_id)
    sent = body.model_fields_set
    hours = (_weekly(body.hours) or {}) if "hours" in sent else None
    locations.update_location(db.session, business(), place, _changes(body), hours=hours,
                              staff=_staff(body.staff_ids), now=now())
    return _answer(place)


@operation("DELETE", "/locations/{location_id}", "deleteLocation",
           "Retire a location (its bookings keep it); the primary cannot be removed", tag="Locations",
           response=s.DeletedOut, rules="The primary location cannot be removed (400 naming location_id).")
def delete_location(location_id, query):
    place = _location(location_id)
    locations.deactivate_location(db.session, business(), place, now=now())
    return {"id": str(place.id), "deleted": True, "is_active": False}


# --------------------------------------------------------------------------- services at a location


def _service_at(place: Location, service: Service) -> dict:
    own = service_terms.own_terms_at(db.session, service, place)
    return out.service_at(service, place, service_terms.effective_terms(service, own), own)


@operation("GET", "/locations/{location_id}/services", "listLocationServices",
           "The services offered at a location, with their price, deposit and duration there", tag="Locations",
           query=s.PageQuery, response=list[s.ServiceAtLocationOut], meta=s.PageMeta)
def list_location_services(location_id, query: s.PageQuery):
    place = _location(location_id)
    page, meta = paginate(service_terms.offered_at(business(), place), lambda service: service, query.page, query.limit)
    own = service_terms.own_terms_for(db.session, page, place)
    data = [out.service_at(service, place, service_terms.effective_terms(service, own[service.id]), own[service.id])
            for service in page]
    return Page(data, meta)


@operation("PUT", "/locations/{location_id}/services/{service_id}", "setLocationServiceTerms",
           "Offer a service at a location on its own terms there (price, deposit, duration)", tag="Locations",
           body=s.ServiceTermsBody, body_required=False, response=s.ServiceAtLocationOut,
           rules="Replaces the location's own terms: a field left out or null is the service's own. The deposit "
                 "may not exceed the price here (400 naming deposit_cents). A service offered at every location "
                 "is then listed at each active location (so it stays offered where it was; a location opened "
                 "later offers it once it is listed there); one limited to other locations is offered here too.")
def set_location_service_terms(location_id, service_id, body: s.ServiceTermsBody, query):
    place = _location(location_id)
    service = db.session.get(Service, service_id)
    if service is None or service.business_id != business().id or service.deleted_at is not None:
        raise not_found("Service")
    service_terms.set_terms_at(db.session, business(), service, place, body.model_dump(), now=now())
    return _service_at(place, service)
