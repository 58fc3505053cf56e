"""Locations (branches) of a business: finding the one a request means, creating and
changing them, their opening hours, who works where and which services each offers.

A request that names no location means the business's primary location (as OnSched's
LocationId does), so a business with one location never has to think about them. What a
location leaves unset it takes from its business (models.location).

Refusals are worded as the catalogue's are (domain.catalog): read by an owner beside the
field on Setup → Locations and by an integrator in the API's envelope, which names the
field by `param`; the fields the catalogue also has (name, address, position, the active
switch) are refused in its words and limits."""
from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from bookingapp.domain import audit
from bookingapp.domain.catalog import ADDRESS_FIELDS, SORT_ORDER_RANGE, _int, _name, _switch, _text, _words
from bookingapp.domain.clock import resolve_now as _now
from bookingapp.domain.customers import normalise_phone
from bookingapp.domain.errors import NotFound, ValidationError
from bookingapp.domain.setup import SETTING_RANGES, WeeklyHours, _clean_weekly
from bookingapp.models import (
    Business, BusinessHours, Location, LocationHours, Service, Staff, StaffHours, service_locations, staff_locations,
    staff_services,
)

# A location's slug is the second segment of /<business>/<location>: the wizard's own
# second segments must never be taken by one.
RESERVED_LOCATION_SLUGS = frozenset({"book", "manage", "pay", "review", "reviews", "embed", "cancel", "ics",
                                     "locations", "services", "static"})
_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
# A location's own hold length is bounded as the business's is (setup.SETTING_RANGES).
_, MIN_HOLD_SECONDS, MAX_HOLD_SECONDS = SETTING_RANGES["hold_seconds"]


def primary_location(session: Session, business: Business) -> Location:
    """The business's primary location (loaded with the business, so usually no query)."""
    primary = business.primary_location
    if primary is None:
        # Created in this transaction: the view-only relationship has not seen it yet.
        primary = next((location for location in business.locations if location.is_primary), None)
    if primary is None:
        raise NotFound("This business has no primary location.", param="location_id")
    return primary


def resolve_location(session: Session, business: Business, location: Location | uuid.UUID | str | None, *,
                     param: str = "location_id") -> Location:
    """The location a request means: None is the primary; an id or a Location must be one
    of this business's active locations, else NotFound naming `param` (another business's
    location is as unknown as one that never existed)."""
    if location is None:
        return primary_location(session, business)
    if not isinstance(location, Location):
        try:
            location_id = location if isinstance(location, uuid.UUID) else uuid.UUID(str(location))
        except ValueError:
            raise NotFound("No such location in this business.", param=param) from None
        location = session.get(Location, location_id)
    if location is None or location.business_id != business.id or not location.is_active:
        raise NotFound("No such location in this business.", param=param)
    return location


def location_by_slug(session: Session, business: Business, slug: str) -> Location | None:
    return session.scalar(select(Location).where(
        Location.business_id == business.id, Location.slug == slug.lower(), Location.is_active.is_(True)))


def active_locations(session: Session, business: Business) -> list[Location]:
    return list(session.scalars(select(Location).where(
        Location.business_id == business.id, Location.is_active.is_(True),
    ).order_by(Location.is_primary.desc(), Location.sort_order, Location.name)))


def location_timezone(business: Business, location: Location) -> ZoneInfo:
    return ZoneInfo(location.timezone or business.timezone)


def hold_length_seconds(business: Business, location: Location, requested: int | None = None) -> int:
    """How long a hold at this location lasts: the location's setting (or the business's),
    or less when the caller asks for less (OnSched's expirationDelay, bounded)."""
    allowed = location.hold_seconds or business.hold_seconds
    if requested is None:
        return allowed
    if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
        raise ValidationError("The hold length must be a whole number of seconds, 1 or more.", param="hold_seconds")
    if requested > allowed:
        raise ValidationError(f"The hold length may be at most {allowed} seconds at this location.",
                              param="hold_seconds")
    return requested


def opening_hours_rows(session: Session, business: Business, location: Location | None) -> list:
    """(weekday, opens_at, closes_at) rows of a location's opening hours, or the business's
    when the location has none of its own (models.location) or none is given."""
    weekly = []
    if location is not None:
        weekly = session.execute(select(LocationHours.weekday, LocationHours.opens_at, LocationHours.closes_at)
                                 .where(LocationHours.location_id == location.id)).all()
    if not weekly:
        weekly = session.execute(select(BusinessHours.weekday, BusinessHours.opens_at, BusinessHours.closes_at)
                                 .where(BusinessHours.business_id == business.id)).all()
    return weekly


def works_at(session: Session, member: Staff, location: Location) -> bool:
    """Whether a staff member works at a location: linked to it, or linked nowhere and it is
    the primary (staff made before locations, or by a door that names none)."""
    linked = session.scalars(select(staff_locations.c.location_id).where(
        staff_locations.c.staff_id == member.id)).all()
    return location.id in linked if linked else location.is_primary


_CAN_TAKE_HERE = select(
    exists().where(staff_services.c.staff_id == bindparam("staff_id"),
                   staff_services.c.service_id == bindparam("service_id")),
    exists().where(staff_locations.c.staff_id == bindparam("staff_id"),
                   staff_locations.c.location_id == bindparam("location_id")),
    exists().where(staff_locations.c.staff_id == bindparam("staff_id")),
)


def can_take_here(session: Session, member: Staff, service: Service, location: Location) -> tuple[bool, bool]:
    """(performs the service, works at the location) for one staff member, in one read, for
    a placement that names them and has failed (domain/booking._refuse_unfit_staff: on the
    way to a slot the availability read's staff row answers both). "Works at" is works_at's
    rule."""
    row = session.execute(_CAN_TAKE_HERE, {"staff_id": member.id, "service_id": service.id,
                                           "location_id": location.id}).one()
    return bool(row[0]), bool(row[1]) or (not row[2] and location.is_primary)


def offers_service(session: Session, service: Service, location: Location) -> bool:
    """Whether a service is offered at a location: business-wide (no rows) or listed there."""
    limited = session.scalar(select(exists().where(service_locations.c.service_id == service.id)))
    if not limited:
        return True
    return bool(session.scalar(select(exists().where(
        service_locations.c.service_id == service.id, service_locations.c.location_id == location.id))))


# --------------------------------------------------------------------------- changing
# Every change below leaves an audit row (domain.audit) in the caller's transaction, so the
# dashboard and the API leave the same trail whichever door changed a location.

_AUDITED_COLUMNS = ("name", "slug", "phone", "address_street", "address_city", "address_state", "address_zip",
                    "address_country", "timezone", "hold_seconds", "sort_order", "is_active")


def _snapshot(location: Location) -> dict[str, Any]:
    return {column: getattr(location, column) for column in _AUDITED_COLUMNS}


def _weekly_details(rows) -> dict[str, list[str]]:
    """Weekly windows as {"0": ["09:00-12:00"]}: readable and JSON-safe in an audit row."""
    shown: dict[str, list[str]] = {}
    for weekday, opens, closes in rows:
        shown.setdefault(str(weekday), []).append(f"{opens:%H:%M}-{closes:%H:%M}")
    return shown


def _names(places) -> list[str]:
    return sorted(place.name for place in places)


LOCATION_FIELDS = ("name", "slug", "phone", "address", "timezone", "hold_seconds", "sort_order", "is_active")


def _clean_slug(session: Session, business: Business, raw: Any, *, exclude: uuid.UUID | None) -> str:
    slug = raw.strip().lower() if isinstance(raw, str) else ""
    if not slug:
        raise ValidationError("The slug is required.", param="slug")
    if not _SLUG_RE.match(slug):
        raise ValidationError("The slug may use lower-case letters, digits and hyphens (not at either end), "
                              "80 characters at most.", param="slug")
    if slug in RESERVED_LOCATION_SLUGS:
        raise ValidationError(f"“{slug}” is used by the booking pages; choose another slug.", param="slug")
    query = select(Location.id).where(Location.business_id == business.id, Location.slug == slug)
    if exclude is not None:
        query = query.where(Location.id != exclude)
    if session.scalar(query) is not None:
        raise ValidationError(f"Another location already uses the slug “{slug}”.", param="slug")
    return slug


def _known_zone(name: Any) -> bool:
    if not isinstance(name, str) or not name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _clean(session: Session, business: Business, location: Location | None, fields: dict[str, Any]) -> dict[str, Any]:
    """Check every field before anything changes; the address has the business profile's
    shape and limits (catalog.ADDRESS_FIELDS)."""
    unknown = set(fields) - set(LOCATION_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown field {sorted(unknown)[0]!r}.", param=sorted(unknown)[0])
    clean: dict[str, Any] = {}
    if "name" in fields:
        clean["name"] = _name(fields["name"])
    if "slug" in fields:
        clean["slug"] = _clean_slug(session, business, fields["slug"], exclude=location.id if location else None)
    if "address" in fields:
        address = fields["address"] or {}
        if not isinstance(address, dict):
            raise ValidationError(f"{_words('address')} must be an object of street, city, state, zip and country.",
                                  param="address")
        for key, value in address.items():
            if key not in ADDRESS_FIELDS:
                raise ValidationError(f"Unknown address field {key!r}.", param=f"address.{key}")
            text = _text(value, f"address.{key}", ADDRESS_FIELDS[key])
            if key == "country" and text is not None:
                if len(text) != 2 or not text.isalpha():
                    raise ValidationError(f"{_words('address.country')} must be a two-letter code, such as GB.",
                                          param="address.country")
                text = text.upper()
            clean[f"address_{key}"] = text
    if "phone" in fields:
        country = (clean.get("address_country") or (location.address_country if location else None)
                   or business.address_country or "GB")
        clean["phone"] = normalise_phone(fields["phone"], country) if fields["phone"] else None
    if "timezone" in fields:
        zone = fields["timezone"]
        if zone is not None and not _known_zone(zone):
            raise ValidationError("The time zone must be a known zone name, such as Europe/London.",
                                  param="timezone")
        clean["timezone"] = zone
    if "hold_seconds" in fields:
        value = fields["hold_seconds"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not MIN_HOLD_SECONDS <= value <= MAX_HOLD_SECONDS):
            raise ValidationError(f"The hold length must be between {MIN_HOLD_SECONDS} and {MAX_HOLD_SECONDS} "
                                  "seconds.", param="hold_seconds")
        clean["hold_seconds"] = value
    if "sort_order" in fields:
        clean["sort_order"] = _int(fields["sort_order"], "sort_order", minimum=-SORT_ORDER_RANGE,
                                   maximum=SORT_ORDER_RANGE)
    if "is_active" in fields:
        _switch(fields["is_active"], "is_active")
        if location is not None and location.is_primary and not fields["is_active"]:
            raise ValidationError("The primary location cannot be deactivated.", param="is_active")
        clean["is_active"] = fields["is_active"]
    return clean


def create_location(session: Session, business: Business, fields: dict[str, Any], *,
                    hours: WeeklyHours | None = None, staff: list[Staff] | None = None,
                    now: datetime | None = None) -> Location:
    """A new (secondary) location; `hours` its own opening hours (None: the business's),
    `staff` who works there."""
    for required in ("name", "slug"):
        if required not in fields:
            raise ValidationError(f"The {required} is required.", param=required)
    now = _now(now)
    clean = _clean(session, business, None, fields)
    rows = _clean_weekly(hours, "hours") if hours else []
    # A sort_order (or is_active) sent overrides the default rather than clashing with it.
    location = Location(**{"business_id": business.id, "is_primary": False, "is_active": True, "sort_order": 0,
                           "created_at": now, "updated_at": now, **clean})
    location.hours = [LocationHours(weekday=day, opens_at=opens, closes_at=closes) for day, opens, closes in rows]
    session.add(location)
    session.flush()
    audit.record(session, business, "location.created", subject=location, now=now, details={
        "name": location.name, "slug": location.slug, "hours": _weekly_details(rows)})
    if staff is not None:
        set_location_staff(session, business, location, staff, now=now)
    return location


def update_location(session: Session, business: Business, location: Location, fields: dict[str, Any], *,
                    hours: WeeklyHours | None = None, staff: list[Staff] | None = None,
                    now: datetime | None = None) -> Location:
    """Change the fields given; `hours` (when not None) replaces the opening hours ({}:
    the business's again), `staff` (when not None) who works there."""
    _owned(business, location)
    clean = _clean(session, business, location, fields)
    before = _snapshot(location)
    for name, value in clean.items():
        setattr(location, name, value)
    if hours is not None:
        set_location_hours(session, business, location, hours, now=now)
    if staff is not None:
        set_location_staff(session, business, location, staff, now=now)
    location.updated_at = _now(now)
    session.flush()
    changed = audit.changes(before, _snapshot(location))
    if changed:
        action = "location.deactivated" if changed.get("is_active", {}).get("after") is False else "location.updated"
        audit.record(session, business, action, subject=location, now=now,
                     details={"name": location.name, **changed})
    return location


def _owned(business: Business, location: Location) -> Location:
    if location.business_id != business.id:
        raise NotFound("No such location in this business.", param="location_id")
    return location


def deactivate_location(session: Session, business: Business, location: Location, *,
                        now: datetime | None = None) -> Location:
    """Retire a location: it is no longer offered, its past and booked visits keep it. The
    primary cannot be retired (every request without a location means it)."""
    _owned(business, location)
    if location.is_primary:
        raise ValidationError("The primary location cannot be removed.", param="location_id")
    retiring = location.is_active
    location.is_active = False
    location.updated_at = _now(now)
    session.flush()
    if retiring:
        audit.record(session, business, "location.deactivated", subject=location, now=now,
                     details={"name": location.name})
    return location


def set_location_hours(session: Session, business: Business, location: Location, windows: WeeklyHours, *,
                       now: datetime | None = None) -> Location:
    """Replace a location's weekly opening hours. No windows at all: the business's hours."""
    _owned(business, location)
    rows = _clean_weekly(windows, "hours")
    before = _weekly_details((row.weekday, row.opens_at, row.closes_at) for row in location.hours)
    location.hours.clear()
    session.flush()
    for weekday, opens, closes in rows:
        location.hours.append(LocationHours(weekday=weekday, opens_at=opens, closes_at=closes))
    location.updated_at = _now(now)
    session.flush()
    after = _weekly_details(rows)
    if after != before:
        audit.record(session, business, "location.hours_changed", subject=location, now=now,
                     details={"name": location.name, "hours": {"before": before, "after": after}})
    return location


def set_staff_hours_at(session: Session, business: Business, member: Staff, location: Location,
                       windows: WeeklyHours, *, now: datetime | None = None) -> Staff:
    """Replace a staff member's working hours at one location, leaving their hours at the
    others. Hours at the primary are stored without a location (models.location), the
    same rows domain.setup.set_staff_hours replaces. No windows: the location's hours."""
    if member.business_id != business.id:
        raise NotFound("Staff member not found.", param="staff_id")
    location = resolve_location(session, business, location)
    rows = _clean_weekly(windows, "hours")
    stored_as = None if location.is_primary else location.id
    old = [row for row in member.hours if row.location_id == stored_as
           or (location.is_primary and row.location_id == location.id)]
    before = _weekly_details((row.weekday, row.starts_at, row.ends_at) for row in old)
    for row in old:
        member.hours.remove(row)
    session.flush()
    for weekday, starts, ends in rows:
        member.hours.append(StaffHours(weekday=weekday, starts_at=starts, ends_at=ends, location_id=stored_as))
    member.updated_at = _now(now)
    session.flush()
    after = _weekly_details(rows)
    if after != before:
        audit.record(session, business, "staff.hours_at_location_changed", subject=member, now=now, details={
            "name": member.name, "location_id": str(location.id), "location": location.name,
            "hours": {"before": before, "after": after}})
    return member


def set_staff_locations(session: Session, business: Business, member: Staff, locations: list[Location], *,
                        now: datetime | None = None) -> Staff:
    """Where a staff member works (at least one location)."""
    if member.business_id != business.id:
        raise NotFound("Staff member not found.", param="staff_id")
    if not locations:
        raise ValidationError("A staff member works at one location at least.", param="location_ids")
    before = _names(member.locations) or [primary_location(session, business).name]
    member.locations = [resolve_location(session, business, location, param="location_ids") for location in locations]
    member.updated_at = _now(now)
    session.flush()
    after = _names(member.locations)
    if after != before:
        audit.record(session, business, "staff.locations_changed", subject=member, now=now,
                     details={"name": member.name, "locations": {"before": before, "after": after}})
    return member


def set_service_locations(session: Session, business: Business, service: Service, locations: list[Location], *,
                          now: datetime | None = None) -> Service:
    """Limit a service to some locations; an empty list offers it at every location."""
    if service.business_id != business.id:
        raise NotFound("Service not found.", param="service_id")
    chosen = [resolve_location(session, business, location, param="location_ids") for location in locations]
    before = sorted(session.scalars(select(Location.name).join(
        service_locations, service_locations.c.location_id == Location.id).where(
        service_locations.c.service_id == service.id)).all())
    # Rows of locations it stays at are kept, not re-made: they carry the service's own price,
    # deposit and duration there (domain.service_terms). An empty list (every location) has
    # no rows, so terms set at single locations go with them.
    wanted = {location.id for location in chosen}
    kept = set(session.scalars(select(service_locations.c.location_id).where(
        service_locations.c.service_id == service.id)).all())
    session.execute(service_locations.delete().where(
        service_locations.c.service_id == service.id, service_locations.c.location_id.not_in(wanted)))
    if wanted - kept:
        session.execute(service_locations.insert(), [
            {"service_id": service.id, "location_id": location_id} for location_id in sorted(wanted - kept, key=str)
        ])
    service.updated_at = _now(now)  # counts as a change of the service (availability cache)
    session.flush()
    after = _names({location.id: location for location in chosen}.values())
    if after != before:
        # An empty list is "every location" (business-wide), recorded as such.
        audit.record(session, business, "service.locations_changed", subject=service, now=now,
                     details={"name": service.name, "locations": {"before": before or "all", "after": after or "all"}})
    return service


def set_location_staff(session: Session, business: Business, location: Location, members: list[Staff], *,
                       now: datetime | None = None) -> Location:
    """Who works at a location (replacing the list), leaving where else each works as it
    was. Taking someone off their only location is refused: they would work nowhere."""
    _owned(business, location)
    primary = primary_location(session, business)
    wanted = {member.id for member in members}
    for member in members:
        if member.business_id != business.id or member.deleted_at is not None:
            raise NotFound("Staff member not found.", param="staff_ids")
    everyone = session.scalars(select(Staff).where(Staff.business_id == business.id, Staff.deleted_at.is_(None)))
    added: list[str] = []
    removed: list[str] = []
    for member in everyone:
        current = list(member.locations) or [primary]  # linked nowhere: the primary
        here = any(place.id == location.id for place in current)
        if member.id in wanted and not here:
            member.locations = [*current, location]
            added.append(member.name)
        elif member.id not in wanted and here:
            remaining = [place for place in current if place.id != location.id]
            if not remaining:
                raise ValidationError(f"{member.name} works only at {location.name}; give them another location "
                                      "first.", param="staff_ids")
            member.locations = remaining
            removed.append(member.name)
        else:
            continue
        member.updated_at = _now(now)
    session.flush()
    if added or removed:
        audit.record(session, business, "location.staff_changed", subject=location, now=now, details={
            "name": location.name, "added": sorted(added), "removed": sorted(removed)})
    return location


def staff_at(session: Session, business: Business, location: Location) -> list[Staff]:
    """The (live) staff who work at a location, by the same rule as availability's."""
    linked = select(staff_locations.c.staff_id)
    here = select(staff_locations.c.staff_id).where(staff_locations.c.location_id == location.id)
    condition = Staff.id.in_(here)
    if location.is_primary:
        condition = condition | Staff.id.not_in(linked)
    return list(session.scalars(select(Staff).where(
        Staff.business_id == business.id, Staff.deleted_at.is_(None), condition,
    ).order_by(Staff.sort_order, Staff.name)))


def offered_at(business: Business, location: Location):
    """SELECT of the business's live services offered at the location (business-wide ones,
    or listed there), in the order the catalogue shows them."""
    limited = exists().where(service_locations.c.service_id == Service.id)
    here = exists().where(service_locations.c.service_id == Service.id, service_locations.c.location_id == location.id)
    return select(Service).where(
        Service.business_id == business.id, Service.deleted_at.is_(None), ~limited | here,
    ).order_by(Service.sort_order, Service.name, Service.id)


def services_at(session: Session, business: Business, location: Location) -> list[Service]:
    """The (live) services offered at a location: business-wide ones and those listed there."""
    return list(session.scalars(offered_at(business, location)))


def set_location_services(session: Session, business: Business, location: Location, services: list[Service], *,
                          now: datetime | None = None) -> Location:
    """Which services a location offers (replacing the list), leaving where else each is
    offered as it was: a business-wide service taken off here becomes limited to the other
    active locations, and one limited elsewhere that is added here gains this location.
    Through set_service_locations, so each service changed leaves its own audit row."""
    _owned(business, location)
    wanted = set()
    for service in services:
        if service.business_id != business.id or service.deleted_at is not None:
            raise NotFound("Service not found.", param="service_ids")
        wanted.add(service.id)
    everywhere = active_locations(session, business)
    for service in session.scalars(select(Service).where(Service.business_id == business.id,
                                                         Service.deleted_at.is_(None))).all():
        listed = session.scalars(select(Location).join(
            service_locations, service_locations.c.location_id == Location.id).where(
            service_locations.c.service_id == service.id)).all()
        # No rows: business-wide. Rows at retired locations only: offered nowhere now.
        current = [place for place in listed if place.is_active] if listed else list(everywhere)
        here = any(place.id == location.id for place in current)
        if service.id in wanted and not here:
            set_service_locations(session, business, service, [*current, location], now=now)
        elif service.id not in wanted and here:
            remaining = [place for place in current if place.id != location.id]
            if not remaining:
                raise ValidationError(f"{service.name} is offered only at {location.name}; offer it somewhere else "
                                      "first.", param="service_ids")
            set_service_locations(session, business, service, remaining, now=now)
    location.updated_at = _now(now)
    session.flush()
    return location
