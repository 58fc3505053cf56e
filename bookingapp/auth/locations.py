"""Roles limited to locations: the one rule of which branches a dashboard account sees.

An account may be limited to some of the business's locations (models.account
.account_locations); with no rows it sees the whole business. Owners are never limited,
whatever rows they have (a manager made owner keeps none of the old limit's effect).

Every dashboard view asks `visible_locations` (or its shorthands below) and narrows what it
shows: a limited manager of branch A sees A's day, week, approval queue, bookings and
analytics, and a booking at branch B is as unknown to them as one that never existed (the
view answers 404, not 403, so the limit does not reveal what lies beyond it).

Free of Flask like auth.accounts: the views pass the session and the signed-in account.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from bookingapp.auth.accounts import AccessRefused, check_may_manage_access
from bookingapp.domain import audit
from bookingapp.domain.clock import resolve_now
from bookingapp.domain.errors import ValidationError
from bookingapp.domain.locations import resolve_location
from bookingapp.models import Account, Business, Location

UNLIMITED_ROLES = frozenset({"owner"})


def visible_locations(account: Account) -> list[Location] | None:
    """The locations the account may see, or None for every location of the business."""
    if account.role in UNLIMITED_ROLES or not account.limited_to:
        return None
    return list(account.limited_to)


def visible_location_ids(account: Account) -> set[uuid.UUID] | None:
    places = visible_locations(account)
    return None if places is None else {place.id for place in places}


def may_see_location(account: Account, location_id: uuid.UUID | None) -> bool:
    ids = visible_location_ids(account)
    return ids is None or location_id in ids


def narrow_choices(account: Account, places: list[Location]) -> list[Location]:
    """Of the locations a page offers (a switcher, a selector), the ones the account sees."""
    ids = visible_location_ids(account)
    return list(places) if ids is None else [place for place in places if place.id in ids]


def set_account_locations(session: Session, business: Business, account: Account, locations: list, *,
                          acting: Account, now: datetime | None = None) -> Account:
    """Limit an account to these locations (an empty list: the whole business again).

    Who may: whoever may manage the account's access (auth.accounts), never for an owner
    (owners see everything), never for oneself, and a limited manager only within their own
    locations and never to "the whole business" (they cannot give what they do not see)."""
    if account.business_id != business.id or acting.business_id != business.id:
        raise AccessRefused("Not an account of this business.")
    check_may_manage_access(acting.role, account.staff)
    if account.role in UNLIMITED_ROLES:
        raise ValidationError("Owners see every location; their access cannot be limited.", param="location_ids")
    if account.id == acting.id:
        raise ValidationError("You cannot change which locations you see yourself.", param="location_ids")
    chosen: dict[uuid.UUID, Location] = {}
    for location in locations:
        place = resolve_location(session, business, location, param="location_ids")
        chosen[place.id] = place
    own = visible_location_ids(acting)
    if own is not None:
        if not chosen:
            raise ValidationError("Choose at least one of your locations.", param="location_ids")
        if not set(chosen) <= own:
            raise ValidationError("You can only give access to the locations you see yourself.", param="location_ids")
    before = sorted(place.name for place in account.limited_to)
    account.limited_to = sorted(chosen.values(), key=lambda place: place.name)
    account.updated_at = resolve_now(now)
    session.flush()
    after = sorted(place.name for place in chosen.values())
    if after != before:
        # An empty list is "the whole business", recorded as such.
        audit.record(session, business, "account.locations_limited", subject=account, now=now, details={
            "email": account.email, "locations": {"before": before or "all", "after": after or "all"}})
    return account
