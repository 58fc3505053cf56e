"""Availability answers cached by a version that every committed change to availability
counts up in the same transaction, so a cached answer is never older than the last
committed booking, time off, hours, staff or service change.

How the version moves: a session listener notes, at each flush, the businesses whose
bookings (a new one, or a change of status, staff or time), time off, opening or staff
hours, staff, services or booking settings changed; just before the transaction commits
it adds one to those businesses' `availability_version` in one UPDATE. That UPDATE is the
transaction's last lock, taken after everything else it locked and held only for the commit,
so it can make writers of one business wait a moment for each other but never deadlock.

How a reader uses it: it reads the version first, then looks up (business, version, the
question, the minute); on a miss it computes and stores the answer under the version it
read. An answer stored under version v was computed from data at least as new as v, and a
reader who sees v has seen every commit up to v: nothing committed before the read can be
missing from what it gets. The minute is part of the key because availability also moves
with the clock (minimum notice, holds running out): an answer is reused for at most the
rest of its minute, and the domain re-checks every hold and booking against the database
anyway, so a slot that has just passed its notice is refused, never double-booked.

The cache lives in each process (a small LRU); several app servers each keep their own,
which costs hit rate, not correctness, since the version is read from the database."""
from __future__ import annotations

import threading
import hashlib
import uuid
from collections import OrderedDict
from datetime import date, datetime
from typing import Any, Hashable

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session

from bookingapp.domain.assignment import assignment_policy
from bookingapp.domain.availability import Availability, available_days, find_availability
from bookingapp.models import (
    Booking, Business, BusinessHours, Location, LocationHours, Service, Staff, StaffHours, TimeOff,
)

_CHANGED = "availability_changed_businesses"
# What a change to a booking must touch to move availability (notes, answers or money don't).
_BOOKING_FIELDS = ("status", "staff_id", "blocked_from", "blocked_until", "starts_at", "ends_at", "hold_expires_at")
_BUSINESS_FIELDS = ("timezone", "slot_interval_minutes", "min_notice_minutes", "max_advance_days",
                    "assignment_policy", "is_active", "hours")


def _changed(state_obj, fields: tuple[str, ...]) -> bool:
    from sqlalchemy import inspect

    attrs = inspect(state_obj).attrs
    return any(attrs[name].history.has_changes() for name in fields if name in attrs)


def _business_of(session: Session, obj) -> uuid.UUID | None:
    if isinstance(obj, Business):
        return obj.id
    if isinstance(obj, StaffHours):
        staff = obj.staff if obj.staff is not None else (session.get(Staff, obj.staff_id) if obj.staff_id else None)
        return staff.business_id if staff is not None else None
    if isinstance(obj, LocationHours):
        location = obj.location if obj.location is not None else (
            session.get(Location, obj.location_id) if obj.location_id else None)
        return location.business_id if location is not None else None
    return getattr(obj, "business_id", None)


def _concerns_availability(obj, *, new_or_deleted: bool) -> bool:
    if isinstance(obj, (TimeOff, BusinessHours, StaffHours, Staff, Service, Location, LocationHours)):
        return True
    if isinstance(obj, Booking):
        return new_or_deleted or _changed(obj, _BOOKING_FIELDS)
    if isinstance(obj, Business):
        return not new_or_deleted and _changed(obj, _BUSINESS_FIELDS)
    return False


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, flush_context, instances) -> None:
    session.info.pop(_READ_WITH_BUSINESS, None)  # this transaction writes: read the version afresh
    noted: set = session.info.setdefault(_CHANGED, set())
    for objects, new_or_deleted in ((session.new, True), (session.deleted, True), (session.dirty, False)):
        for obj in list(objects):
            if _concerns_availability(obj, new_or_deleted=new_or_deleted):
                business_id = _business_of(session, obj)
                if business_id is not None:
                    noted.add(business_id)


_businesses = Business.__table__
_COUNT_UP = (update(_businesses).where(_businesses.c.id.in_(bindparam("ids", expanding=True)))
             .values(availability_version=_businesses.c.availability_version + 1))


@event.listens_for(Session, "before_commit")
def _count_up_versions(session: Session) -> None:
    # The commit's own flush comes after this hook: flush now, so its changes are noted too.
    session.flush()
    noted = session.info.pop(_CHANGED, None)
    if noted:
        # A Core statement on the session's connection: the ORM's bulk-update machinery
        # (synchronize_session=False already asked it to do nothing more) cost every write
        # that touches availability, each hold among them, about a tenth of a millisecond.
        session.connection().execute(_COUNT_UP, {"ids": sorted(noted, key=str)})


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)


# --------------------------------------------------------------------------- the cache


class _Lru:
    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _Lru(2048)


def clear() -> None:
    _cache.clear()


# Versions read with their business row by this transaction, while it has written nothing
# (session.info): the doors read the business first on every request (the API key's, the
# wizard's slug), and the version read in that same statement is as good as a second read a
# moment later. An answer computed after it is at least as new as it, which is all the
# cache needs; a write in the transaction forgets it (the version then moves, at commit).
_READ_WITH_BUSINESS = "availability_versions_read_with_business"
_VERSION = select(Business.availability_version).where(Business.id == bindparam("business_id"))


def remember_version(session: Session, business: Business, version: int) -> None:
    """`version` was read in the same statement as `business`, by this transaction."""
    session.info.setdefault(_READ_WITH_BUSINESS, {})[business.id] = version


def current_version(session: Session, business: Business) -> int:
    """The business's version as committed now (not as the loaded object remembers it): the
    one read with the business row earlier in this transaction, else read now."""
    known = session.info.get(_READ_WITH_BUSINESS)
    if known is not None and business.id in known:
        return known[business.id]
    return session.scalar(_VERSION, {"business_id": business.id})


@event.listens_for(Session, "do_orm_execute")
def _forget_read_versions_on_write(state) -> None:
    if not state.is_select:
        state.session.info.pop(_READ_WITH_BUSINESS, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_read_versions(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_READ_WITH_BUSINESS, None)


def _minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def answer_tag(business: Business, version: int, now: datetime, question: tuple) -> str:
    """A validator for one availability answer: it names everything the answer depends on (the
    business, its version, the minute the cache keys by, the question asked), so two requests
    with one tag get the same answer and a client may keep its copy (HTTP ETag)."""
    material = repr((str(business.id), version, _minute(now).isoformat(), question)).encode()
    return hashlib.blake2b(material, digest_size=12).hexdigest()


def cached_availability(session: Session, business: Business, service: Service | None, first_day: date,
                        last_day: date | None = None, *, now: datetime, staff_id: uuid.UUID | None = None,
                        exclude_booking_ids: tuple[uuid.UUID, ...] = (), version: int | None = None,
                        location: Location | None = None, assignment: str | None = None) -> Availability:
    """find_availability's answer, shared by every request of the same minute and version
    (`version`: one read for several questions of one page). Callers never change it.
    Keyed by the location as well (None: the primary, a key of its own), and by the
    assignment policy that ordered each slot's staff: a request's own `assignment` (or the
    business's, which a change of counts up the version anyway), so an answer ordered for
    one policy is never served for another."""
    policy = assignment_policy(business, assignment)  # an unknown spelling is refused before the cache
    version = current_version(session, business) if version is None else version
    key = ("slots", business.id, location.id if location else None, version, _minute(now),
           service.id if service else None, first_day, last_day or first_day, staff_id, tuple(exclude_booking_ids),
           policy)
    found = _cache.get(key)
    if found is None:
        found = find_availability(session, business, service, first_day, last_day, now=now, staff_id=staff_id,
                                  exclude_booking_ids=exclude_booking_ids, location=location, assignment=policy)
        _cache.put(key, found)
    return found


def cached_available_days(session: Session, business: Business, service: Service | None, first_day: date,
                          last_day: date, *, now: datetime, staff_id: uuid.UUID | None = None,
                          exclude_booking_ids: tuple[uuid.UUID, ...] = (),
                          version: int | None = None, location: Location | None = None) -> frozenset[date]:
    """available_days' answer, cached as cached_availability is (by location too)."""
    version = current_version(session, business) if version is None else version
    key = ("days", business.id, location.id if location else None, version, _minute(now),
           service.id if service else None, first_day, last_day, staff_id, tuple(exclude_booking_ids))
    found = _cache.get(key)
    if found is None:
        found = frozenset(available_days(session, business, service, first_day, last_day, now=now, staff_id=staff_id,
                                         exclude_booking_ids=exclude_booking_ids, location=location))
        _cache.put(key, found)
    return found
