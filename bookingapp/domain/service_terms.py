"""The terms of a service at a location: what it costs there, the deposit asked there and
how long it takes there.

A service offered at a location may have its own price, deposit and/or duration there
(columns of its `service_locations` row); what the row leaves NULL, and everything at a
location without a row, is the service's own. Availability (the slot length), placing a
hold or booking (its price, deposit and end) and what the doors show for the service at
a location all read the terms here, so they cannot disagree.

The deposit is never more than the price there: a service's deposit raised later above
a location's own lower price is capped at that price (as pricing caps a deposit at the
total), and setting terms that would break it is refused."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Iterable, NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from bookingapp.domain import audit
# The same limits and refusals as a service's own.
from bookingapp.domain.catalog import MAX_CENTS, MAX_DURATION_MINUTES, MIN_DURATION_MINUTES, _int
from bookingapp.domain.clock import resolve_now as _now
from bookingapp.domain.errors import NotFound, ValidationError
from bookingapp.domain.money import format_money
# offered_at lives beside offers_service (domain.locations); it is named here too, where its
# callers have always found it.
from bookingapp.domain.locations import active_locations, offered_at, primary_location, resolve_location  # noqa: F401
from bookingapp.models import Business, Location, Service, service_locations

_svl = service_locations.c
# Built once with bind parameters: read on every availability answer and every placement.
_ROW = select(_svl.price_cents, _svl.deposit_cents, _svl.duration_minutes).where(
    _svl.service_id == bindparam("service_id"), _svl.location_id == bindparam("location_id"))

TERM_FIELDS = ("price_cents", "deposit_cents", "duration_minutes")


class ServiceTerms(NamedTuple):
    price_cents: int
    deposit_cents: int
    duration_minutes: int


class OwnTerms(NamedTuple):
    """What a location sets itself (None: the service's own)."""
    price_cents: int | None
    deposit_cents: int | None
    duration_minutes: int | None


_NONE = OwnTerms(None, None, None)


def effective_terms(service: Service, own: OwnTerms) -> ServiceTerms:
    """The terms there from what the location sets itself (own_terms_at)."""
    price = service.price_cents if own.price_cents is None else own.price_cents
    deposit = service.deposit_cents if own.deposit_cents is None else own.deposit_cents
    duration = service.duration_minutes if own.duration_minutes is None else own.duration_minutes
    return ServiceTerms(price, min(deposit or 0, price), duration)


def own_terms_at(session: Session, service: Service, location: Location) -> OwnTerms:
    """What the location's row sets for the service (all None without a row)."""
    row = session.connection(bind_arguments={"mapper": Service}).execute(
        _ROW, {"service_id": service.id, "location_id": location.id}).first()
    return OwnTerms(*row) if row is not None else _NONE


def terms_at(session: Session, service: Service, location: Location | None) -> ServiceTerms:
    """(price_cents, deposit_cents, duration_minutes) of the service at the location
    (None: the business's primary)."""
    if location is None:
        location = primary_location(session, session.get(Business, service.business_id))
    return effective_terms(service, own_terms_at(session, service, location))


_OFFERS = select(_svl.location_id, _svl.price_cents, _svl.deposit_cents, _svl.duration_minutes).where(
    _svl.service_id == bindparam("service_id"))


def offered_terms(session: Session, service: Service, location: Location) -> ServiceTerms | None:
    """The service's terms at the location, or None when it is not offered there, in one
    read (a hold asks both): business-wide services have no rows, and a service limited to
    some locations has one row per location (a handful)."""
    rows = session.connection(bind_arguments={"mapper": Service}).execute(
        _OFFERS, {"service_id": service.id}).all()
    if not rows:
        return effective_terms(service, _NONE)
    for row in rows:
        if row.location_id == location.id:
            return effective_terms(service, OwnTerms(row.price_cents, row.deposit_cents, row.duration_minutes))
    return None


def own_terms_for(session: Session, services: Iterable[Service], location: Location) -> dict[uuid.UUID, OwnTerms]:
    """own_terms_at for several services at one location, in one query (a page of them)."""
    ids = [service.id for service in services]
    if not ids:
        return {}
    rows = session.execute(select(_svl.service_id, _svl.price_cents, _svl.deposit_cents, _svl.duration_minutes).where(
        _svl.location_id == location.id, _svl.service_id.in_(ids))).all()
    found = {row.service_id: OwnTerms(row.price_cents, row.deposit_cents, row.duration_minutes) for row in rows}
    return {service_id: found.get(service_id, _NONE) for service_id in ids}


def _clean(fields: dict[str, Any], currency: str) -> OwnTerms:
    """The fields as numbers, each refused in words an owner at the dashboard and an
    integrator alike can act on (the field is named by `param` for the API)."""
    unknown = set(fields) - set(TERM_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown field {sorted(unknown)[0]!r}.", param=sorted(unknown)[0])
    price, deposit, duration = (fields.get(name) for name in TERM_FIELDS)
    if price is not None:
        price = _int(price, "price_cents", maximum=MAX_CENTS, currency=currency, words="The price here")
    if deposit is not None:
        deposit = _int(deposit, "deposit_cents", maximum=MAX_CENTS, currency=currency, words="The deposit here")
    if duration is not None:
        duration = _int(duration, "duration_minutes", minimum=MIN_DURATION_MINUTES, maximum=MAX_DURATION_MINUTES,
                        words="The length here")
    return OwnTerms(price, deposit, duration)


def set_terms_at(session: Session, business: Business, service: Service, location: Location | uuid.UUID | None,
                 fields: dict[str, Any], *, now: datetime | None = None) -> ServiceTerms:
    """Offer the service at the location on these terms (replacing the location's own
    terms: a field left out or None is the service's own there). Returns the terms there.

    A service offered at every location (no rows) is listed at every active location
    first, so that it stays offered exactly where it was; it is then no longer offered at
    a location opened later until it is listed there too (the rows are the only place
    terms can live). A service limited to other locations is offered here as well."""
    if service.business_id != business.id or service.deleted_at is not None:
        raise NotFound("Service not found.", param="service_id")
    location = resolve_location(session, business, location)
    own = _clean(fields, service.currency)
    terms = effective_terms(service, own)
    if own.deposit_cents is not None and own.deposit_cents > terms.price_cents:
        raise ValidationError("The deposit cannot exceed the price at this location.", param="deposit_cents")
    if own.price_cents is not None and own.deposit_cents is None and service.deposit_cents > own.price_cents:
        raise ValidationError(f"This price is less than the service's own deposit "
                              f"({format_money(service.deposit_cents, service.currency)}): set a deposit here too.",
                              param="deposit_cents")
    if session.autoflush:
        session.flush()
    listed = set(session.scalars(select(_svl.location_id).where(_svl.service_id == service.id)))
    if not listed:
        others = [place for place in active_locations(session, business) if place.id != location.id]
        if others:
            session.execute(insert(service_locations), [
                {"service_id": service.id, "location_id": place.id} for place in others])
    values = own._asdict()
    before = own_terms_at(session, service, location) if location.id in listed else _NONE
    if location.id in listed:
        session.execute(update(service_locations).where(
            _svl.service_id == service.id, _svl.location_id == location.id).values(**values))
    else:
        session.execute(insert(service_locations).values(service_id=service.id, location_id=location.id, **values))
    # Counts as a change of the service, so cached availability answers are not reused
    # (domain.availability_cache notes changed services).
    service.updated_at = _now(now)
    session.flush()
    # Money set at a branch is audited like the service's own price (catalog.update_service).
    moved = audit.changes(before._asdict(), values)
    if moved:
        audit.record(session, business, "service.location_terms_changed", subject=service, now=now,
                     details={"name": service.name, "location": location.name, "location_id": str(location.id),
                              "currency": service.currency, **moved})
    return terms

