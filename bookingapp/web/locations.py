"""The wizard at a business with several locations: "Choose a location" first (address,
map link, opening hours), then the usual steps there; `/<slug>/<location-slug>` opens the
service step at a location directly. A business with one location never sees any of it.

The chosen location travels in the wizard's URLs as `?location=<slug>`: the blueprint's
url_defaults hook (`carry_location`) adds it to every link and form of the steps before
the hold, so the templates need no change and Back, Reload and shared links keep it. Once
held, the booking itself knows its location."""
from __future__ import annotations

from urllib.parse import urlencode

from babel.dates import get_day_names
from flask import abort, g, request

from bookingapp.domain import locations
from bookingapp.extensions import db
from bookingapp.models import Business, Location, Service, Staff
from bookingapp.i18n import current_language
from bookingapp.web.progress import progress
from bookingapp.web.rendering import ACTIVE_LOCATIONS_READ, bookable_services, render

LOCATION_ARG = "location"
# The steps before the hold: their URLs carry the chosen location.
CARRIED_BY = frozenset({"web.choose_service", "web.choose_staff", "web.choose_time"})


def carry_location(endpoint: str, values: dict) -> None:
    """url_defaults: the location chosen for this request goes on with the wizard's links."""
    chosen = g.get("wizard_location")
    if chosen is not None and endpoint in CARRIED_BY and LOCATION_ARG not in values:
        values[LOCATION_ARG] = chosen.slug


def chosen_location(business: Business) -> Location | None:
    """The location this wizard request is at: the one named by ?location= (404 for one the
    business does not have), else the primary when the business has only that one, else
    None (the customer has not chosen yet)."""
    slug = request.args.get(LOCATION_ARG)
    if slug:
        found = locations.location_by_slug(db.session, business, slug)
        if found is None:
            abort(404)
        g.wizard_location = found
        return found
    # One active location, counted with the business (web.rendering.business_or_404), and
    # the primary is active: it is that one, and the page needs no read of the locations.
    if g.get(ACTIVE_LOCATIONS_READ) == (business.id, 1):
        primary = business.primary_location
        if primary is not None and primary.is_active:
            return primary
    places = locations.active_locations(db.session, business)
    # A single-location business keeps its URLs as they were: nothing is carried.
    return places[0] if len(places) == 1 else None


def services_at(business: Business, location: Location | None) -> list[Service]:
    """The bookable services, at `location` only when one is given (in one read)."""
    if location is None:
        return bookable_services(business)
    return list(db.session.scalars(locations.offered_at(business, location).where(Service.is_active.is_(True))))


def staff_at(staff: list[Staff], location: Location | None) -> list[Staff]:
    if location is None:
        return staff
    return [member for member in staff if locations.works_at(db.session, member, location)]


def map_url(location: Location, business: Business) -> str | None:
    """A map search for the location's address (OpenStreetMap: no key, no script)."""
    parts = [location.address_street, location.address_city, location.address_zip,
             location.address_country or business.address_country]
    query = ", ".join(part for part in parts if part)
    return f"https://www.openstreetmap.org/search?{urlencode({'query': query})}" if location.address_street else None


def choose_location_page(business: Business, service: Service | None = None):
    """The first step at a business with several locations. With `service` (a service's
    Book link on the business page), each location goes on to that service's staff step."""
    places = locations.active_locations(db.session, business)
    if service is not None:
        places = [place for place in places if locations.offers_service(db.session, service, place)]
    cards = []
    for place in places:
        hours = {day: [] for day in range(7)}
        for window in place.hours or business.hours:
            hours[window.weekday].append(window)
        cards.append({"location": place, "hours": hours, "map_url": map_url(place, business),
                      "timezone": place.timezone or business.timezone})
    return render("location", business=business, cards=cards, service=service, day_names=get_day_names("wide", locale=current_language()),
                  progress=progress("location", pays=False, with_location=True))
