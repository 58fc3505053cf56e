"""The booking lifecycle: hold, reserve, book, confirm, start, complete, no-show, cancel,
reschedule, and the expiry of stale holds.

Every status change goes through `_move`, which checks the transition table of
domain.states and appends to the booking's history.

No double booking is guaranteed by the database, with this module checking first so that
the user gets a clean SlotUnavailable instead of a crash:

* PostgreSQL: an EXCLUDE constraint forbids two active bookings of one staff member whose
  blocked times overlap. Stale holds are expired in the same transaction before the
  insert, and the insert runs in a savepoint so a constraint violation (a competitor that
  committed first) becomes SlotUnavailable, or a try with the next eligible staff member.
* SQLite: triggers of the same name (migration 0022) refuse the same overlap, so the
  placement runs the same way there: the check reads without the write lock (other
  writers go on meanwhile) and the insert is the guarantee. The write lock (BEGIN
  IMMEDIATE, bookingapp/db) is taken at the first write (the insert's savepoint, or the
  expiry of a run-out hold in the way), and kept to the commit. Other changes to an
  existing booking (book, reschedule, status changes) still take it before they check
  (`_lock`).
"""
from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bookingapp.db import acquire_write_lock
from bookingapp.domain import booking_money, notify, pricing
from bookingapp.domain.availability import compute_availability, hold_is_live, load_inputs, local_date_of
from bookingapp.domain.ics import calendar_uid
from bookingapp.domain.locations import can_take_here, hold_length_seconds, resolve_location
from bookingapp.domain.service_terms import ServiceTerms, offered_terms
from bookingapp.domain.errors import HoldExpired, InvalidTransition, SlotNotOffered, SlotUnavailable, ValidationError
from bookingapp.domain.messages import N_
from bookingapp.domain.time_bounds import check_start
from bookingapp.domain.outbox import booking_payload, record_event
from bookingapp.domain.assignment import assignment_policy
from bookingapp.domain.custom_fields import clean_notes, missing_required, validate_answers
from bookingapp.domain.states import (
    PLACEHOLDER_STATUSES, UPCOMING_STATUSES, BookingStatus, check_transition, hold_ran_out, manual_transitions,
)
from bookingapp.models import Booking, BookingEvent, Business, Customer, Location, Service, Staff, TimeOff
from bookingapp.models.booking import BOOKING_SOURCES, NO_OVERLAP_CONSTRAINT
from bookingapp.models.payment import Payment, PromotionRedemption
from bookingapp.domain.clock import resolve_now as _now

S = BookingStatus

# Crockford-style alphabet without 0/O, 1/I/L and U: readable over the phone.
_NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_booking_number() -> str:
    return "BK-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))


def _record(booking: Booking, from_status: str | None, to_status: str, *, now: datetime, actor: str, note: str | None = None) -> None:
    booking.history.append(
        BookingEvent(from_status=from_status, to_status=to_status, actor=actor, note=note, at=now)
    )


def _move(booking: Booking, target: S, *, now: datetime, actor: str, note: str | None = None) -> None:
    check_transition(booking.status, target.value)
    previous = booking.status
    booking.status = target.value
    if target is not S.HELD:
        booking.hold_expires_at = None
    booking.updated_at = now
    _record(booking, previous, target.value, now=now, actor=actor, note=note)


def _lock(session: Session, booking: Booking) -> None:
    """Take the booking's row for this transaction and re-read it, so that two requests
    acting on one booking at once (a webhook and a return page, two clicks) run one after
    the other and the second sees what the first did."""
    acquire_write_lock(session)
    if booking in session and booking.id is not None:
        session.refresh(booking, with_for_update=True)


def _emit(session: Session, booking: Booking, topic: str, *, now: datetime, **extra: Any) -> None:
    """Record an outgoing event (webhooks) in the same transaction as the change."""
    record_event(session, booking.business_id, topic, {**booking_payload(booking), **extra}, now=now)


def booked_status(business: Business) -> S:
    """What "booked" means for this business: confirmed at once, or pending review."""
    return S.CONFIRMED if business.auto_confirm else S.PENDING


def _is_overlap_violation(error: IntegrityError) -> bool:
    diag = getattr(error.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None) == NO_OVERLAP_CONSTRAINT:
        return True
    return NO_OVERLAP_CONSTRAINT in str(error.orig)


def _is_booking_number_clash(error: IntegrityError) -> bool:
    return "booking_number" in str(error.orig)


def _is_deadlock(error: OperationalError) -> bool:
    """PostgreSQL's "deadlock detected" (SQLSTATE 40P01). Two transactions inserting
    overlapping bookings of one staff member at the same instant can each find the other's
    row while checking the exclusion constraint and wait for each other; PostgreSQL then
    aborts one of the two statements. For that one the time is being taken by the other."""
    return getattr(error.orig, "sqlstate", None) == "40P01"


# --------------------------------------------------------------------------- expiry


def _stale_hold_ids(by_staff: bool):
    statement = (
        select(Booking.id)
        .where(Booking.status == bindparam("held"), Booking.hold_expires_at <= bindparam("now"))
        .order_by(Booking.id)
        .with_for_update()  # PostgreSQL: two placements retaking one run-out hold take turns
    )
    return statement.where(Booking.staff_id.in_(bindparam("staff_ids", expanding=True))) if by_staff else statement


_STALE_HOLD_IDS = {by_staff: _stale_hold_ids(by_staff) for by_staff in (False, True)}


def expire_stale_holds(
    session: Session, *, now: datetime | None = None, staff_ids: list[uuid.UUID] | None = None
) -> int:
    """Mark holds whose time has run out as expired; returns how many.

    Called before every insert (a dead hold still counts for the no-overlap rule until it is
    marked), before a hold is booked, and by the worker to tidy up. Rows are locked (FOR
    UPDATE) so two transactions never expire the same hold twice.
    """
    now = _now(now)
    # The ids first, from a statement built once: a placement runs this before every insert
    # and finds none almost always, and loading nothing as entities cost more than the read.
    params: dict[str, Any] = {"held": S.HELD.value, "now": now}
    if staff_ids is not None:
        params["staff_ids"] = list(staff_ids)
    ids = session.execute(_STALE_HOLD_IDS[staff_ids is not None], params).scalars().all()
    if not ids:
        return 0
    # SQLite ignores FOR UPDATE: take its write lock (nothing elsewhere) before reading them
    # as entities afresh, so two transactions never expire one hold twice. Only when there
    # is something to expire: a placement's lock then begins with its insert, not here.
    acquire_write_lock(session)
    expired = 0
    found = session.scalars(
        select(Booking).where(Booking.id.in_(ids)).order_by(Booking.id).with_for_update()
        .execution_options(populate_existing=True)
    )
    for booking in found:
        if booking.status == S.HELD.value and booking.hold_expires_at <= now:
            _move(booking, S.EXPIRED, now=now, actor="system", note="hold ran out")
            expired += 1
    session.flush()
    return expired


# --------------------------------------------------------------------------- placing


def _eligible_staff(
    session: Session,
    business: Business,
    service: Service,
    start: datetime,
    *,
    now: datetime,
    staff: Staff | None,
    location: Location,
    source: str = "web",
    terms: ServiceTerms | None,
    assignment: str | None = None,
) -> tuple[tuple[uuid.UUID, ...], set[uuid.UUID]]:
    """Staff who can take this exact start, best first (by `assignment`, else the
    business's policy), and which staff have holds that ran out that day (still marked
    held, so still in the way of an insert). SlotUnavailable if nobody can because the
    time is taken; SlotNotOffered if the business never offers that time. `terms`: the
    service's at the location (service_terms.offered_terms), None when it is not offered there.

    Asks the availability engine itself, so a booking obeys exactly the rules that made
    the slot appear (hours, time off, buffers, notice, advance, grid)."""
    if not service.is_bookable or service.business_id != business.id:
        raise ValidationError(N_("This service cannot be booked."), param="service_id")
    if staff is not None and (staff.business_id != business.id or not staff.is_active or staff.deleted_at):
        raise ValidationError(N_("This staff member cannot be booked."), param="staff_id")
    # Whether a named staff member performs the service and works here is asked only when
    # something has already gone wrong, in the order the refusals have always come in
    # (performs, offered here, works here, the time): on the way to a slot, the availability
    # read's own staff row answers both (it has a row for them only if they do), which spares
    # every named hold a statement (docs/performance.md, issue 13, seventh pass).
    if terms is None:
        _refuse_unfit_staff(session, staff, service, location, works_too=False)
        raise ValidationError(N_("%(service)s is not offered at %(location)s."), param="service_id",
                              params={"service": service.name, "location": location.name})
    if start < now or start > now + timedelta(days=business.max_advance_days):
        _refuse_unfit_staff(session, staff, service, location)
        raise SlotNotOffered(param="start_at")  # also keeps absurd dates away from date arithmetic
    day = local_date_of(start, business, location)
    staff_id = staff.id if staff else None
    inputs = load_inputs(session, business, service, day, day, now=now, staff_id=staff_id, location=location,
                         assignment=assignment, duration_minutes=terms.duration_minutes, run_out_holds=True)
    if staff is not None and not inputs.staff:
        _refuse_unfit_staff(session, staff, service, location)
    if source == "dashboard":
        inputs.min_notice = timedelta(0)  # the front desk books walk-ins; notice is for online bookings
    slot = compute_availability(inputs, service_id=service.id, first_day=day, last_day=day, now=now).find(start)
    if slot is not None:
        return slot.staff_ids, inputs.run_out_hold_staff
    # Would the time be offered on an empty calendar? Then someone took it; else it never was.
    inputs.busy = {}
    if compute_availability(inputs, service_id=service.id, first_day=day, last_day=day, now=now).find(start) is None:
        raise SlotNotOffered(param="start_at")
    raise SlotUnavailable()


def _refuse_unfit_staff(session: Session, staff: Staff | None, service: Service, location: Location, *,
                        works_too: bool = True) -> None:
    """ValidationError naming staff_id when a named staff member does not perform the
    service (or, with `works_too`, does not work at the location); nothing otherwise."""
    if staff is None:
        return
    performs, works_here = can_take_here(session, staff, service, location)
    if not performs:
        raise ValidationError(N_("%(staff)s does not perform %(service)s."), param="staff_id",
                              params={"staff": staff.name, "service": service.name})
    if works_too and not works_here:
        raise ValidationError(N_("%(staff)s does not work at %(location)s."), param="staff_id",
                              params={"staff": staff.name, "location": location.name})


def _insert_for_first_free(session: Session, booking: Booking, candidates: tuple[uuid.UUID, ...]) -> Booking:
    """Insert the booking with the first candidate whose time the database accepts."""
    for staff_id in candidates:
        for _attempt in range(3):
            booking.staff_id = staff_id
            try:
                with session.begin_nested():
                    session.add(booking)
                    session.flush()
                return booking
            except IntegrityError as error:
                if _is_booking_number_clash(error):
                    booking.booking_number = new_booking_number()
                    continue
                if _is_overlap_violation(error):
                    break  # someone committed this staff member's time first; try the next
                raise
            except OperationalError as error:
                if _is_deadlock(error):
                    break  # someone is taking this staff member's time right now; try the next
                raise
    raise SlotUnavailable()


def _place(
    session: Session,
    business: Business,
    service: Service,
    start: datetime,
    *,
    status: S,
    now: datetime,
    staff: Staff | None,
    customer: Customer | None,
    source: str,
    notes: str | None,
    custom_fields: dict[str, Any] | None,
    actor: str,
    price_cents: int | None = None,
    deposit_cents: int | None = None,
    note: str | None = None,
    moved_from: Booking | None = None,
    test: bool = False,
    notify_customer: bool = True,
    front_desk: bool = False,
    location: Location | uuid.UUID | None = None,
    hold_seconds: int | None = None,
    assignment: str | None = None,
) -> Booking:
    """Insert a booking at `start`, at `location` (None: the primary; the business's own
    locations only, else NotFound naming location_id). A fresh one has its custom answers checked (all required
    ones present once it is a booking, not a hold) and its notes limited; a replacement
    (`moved_from`, a reschedule) carries the original's answers, policy start and price.
    The price, deposit and length are the service's terms at the location
    (domain.service_terms); `assignment` orders "anyone" for this request only."""
    if start.tzinfo is None:
        raise ValidationError("Start time must include a time zone (use UTC, e.g. 2026-04-10T14:00:00Z).", param="start_at")
    check_start(start, "start_at")  # before any zone conversion, which could overflow
    if source not in BOOKING_SOURCES:
        raise ValidationError(f"Unknown source {source!r}.", param="source")
    start = start.astimezone(timezone.utc)
    _check_customer(customer, business)
    location = resolve_location(session, business, location)
    hold_length = hold_length_seconds(business, location, hold_seconds) if status is S.HELD else None
    if moved_from is None:
        # The business's own front desk may leave a required question unanswered (a walk-in
        # at the desk); what it does answer is checked like any other door's answers.
        complete = status.value in UPCOMING_STATUSES and source != "dashboard"
        custom_fields = validate_answers(session, business, custom_fields, complete=complete)
        notes = clean_notes(notes)
    # No write lock before the check, on either database: the no-overlap constraint
    # (PostgreSQL) or triggers (SQLite, migration 0022) refuse a competitor's insert, and the
    # retry below tries the next candidate. On SQLite the lock begins at the first write.
    terms = offered_terms(session, service, location)
    candidates, run_out = _eligible_staff(
        session, business, service, start, now=now, staff=staff, location=location,
        source="dashboard" if front_desk else source, terms=terms, assignment=assignment,
    )
    # Run-out holds of the candidates are marked expired first: they still count for the
    # no-overlap rule until they are. Doing it only when an insert was refused (one statement
    # fewer) deadlocked on PostgreSQL: two transactions retaking one run-out hold each waited
    # for the other's insert. The rows locked here (FOR UPDATE) make them take turns instead.
    # The availability read has said which staff have any that day (the only ones an insert
    # that day can meet): when none of the candidates does, which is almost always, there is
    # nothing to expire or to take turns over, and the read is skipped.
    if run_out.intersection(candidates):
        expire_stale_holds(session, now=now, staff_ids=list(candidates))
    end = start + timedelta(minutes=terms.duration_minutes)
    booking = Booking(
        business_id=business.id,
        booking_number=new_booking_number(),
        service_id=service.id,
        location_id=location.id,
        customer_id=customer.id if customer else None,
        starts_at=start,
        ends_at=end,
        blocked_from=start - timedelta(minutes=service.buffer_before_minutes),
        blocked_until=end + timedelta(minutes=service.buffer_after_minutes),
        status=status.value,
        hold_expires_at=now + timedelta(seconds=hold_length) if hold_length is not None else None,
        source=source,
        notes=notes,
        custom_fields=custom_fields,
        price_cents=terms.price_cents if price_cents is None else price_cents,
        deposit_cents=terms.deposit_cents if deposit_cents is None else deposit_cents,
        currency=service.currency,
        confirmed_at=now if status is S.CONFIRMED else None,
        policy_starts_at=(moved_from.policy_starts_at or moved_from.starts_at) if moved_from is not None else start,
        # A test booking's replacement (a reschedule) is a test booking too.
        is_test=moved_from.is_test if moved_from is not None else bool(test),
        # A moved booking speaks to its customer in the language they booked in.
        language=moved_from.language if moved_from is not None else None,
        # A hold or reservation made quietly stays quiet when it is booked (book()).
        confirmation_silent=not notify_customer and status.value in PLACEHOLDER_STATUSES,
        # The same appointment, moved, is the same calendar event, one change later.
        calendar_sequence=moved_from.calendar_sequence + 1 if moved_from is not None else 0,
        created_at=now,
        updated_at=now,
    )
    # The id is known before the insert (unless something gave it one already), so the calendar
    # UID is written with the row.
    booking.id = booking.id or uuid.uuid4()
    booking.calendar_uid = calendar_uid(moved_from if moved_from is not None else booking)
    _record(booking, None, status.value, now=now, actor=actor, note=note)
    placed = _insert_for_first_free(session, booking, candidates)
    if moved_from is None:
        booking_money.note_fresh(session, placed)
    # What every door shows of the new booking, handed over as loaded: the session's identity
    # map holds objects weakly, so once the caller lets go of them each would be read again.
    set_committed_value(placed, "service", service)
    if staff is not None and placed.staff_id == staff.id:
        set_committed_value(placed, "staff", staff)
    if customer is not None:
        set_committed_value(placed, "customer", customer)
    if placed.status in UPCOMING_STATUSES and moved_from is None:
        _emit(session, placed, "booking.created", now=now)
        notify.booking_changed(session, placed, notify.booked_kind(placed), now=now, notify_customer=notify_customer)
    return placed


def hold(
    session: Session,
    business: Business,
    service: Service,
    start: datetime,
    *,
    staff: Staff | None = None,
    customer: Customer | None = None,
    now: datetime | None = None,
    source: str = "web",
    notes: str | None = None,
    custom_fields: dict[str, Any] | None = None,
    actor: str = "customer",
    test: bool = False,
    notify_customer: bool = True,
    location: Location | uuid.UUID | None = None,
    hold_seconds: int | None = None,
    assignment: str | None = None,
) -> Booking:
    """Hold a slot for the location's hold length while the customer finishes (or for
    `hold_seconds`, which may only be shorter). staff=None means "anyone": the assignment
    policy (`assignment` for this request, else the business's) picks among those who
    work at the location (None: the primary).
    notify_customer=False (the API's skip_notifications) makes the booking this hold
    becomes a quiet one."""
    return _place(
        session, business, service, start, status=S.HELD, now=_now(now), staff=staff, customer=customer,
        source=source, notes=notes, custom_fields=custom_fields, actor=actor, test=test,
        notify_customer=notify_customer, location=location, hold_seconds=hold_seconds, assignment=assignment,
    )


def reserve(
    session: Session,
    business: Business,
    service: Service,
    start: datetime,
    *,
    staff: Staff | None = None,
    customer: Customer | None = None,
    now: datetime | None = None,
    source: str = "api",
    notes: str | None = None,
    custom_fields: dict[str, Any] | None = None,
    actor: str = "api",
    test: bool = False,
    notify_customer: bool = True,
    location: Location | uuid.UUID | None = None,
    assignment: str | None = None,
) -> Booking:
    """Hold a slot with no expiry, until it is booked or released."""
    return _place(
        session, business, service, start, status=S.RESERVED, now=_now(now), staff=staff, customer=customer,
        source=source, notes=notes, custom_fields=custom_fields, actor=actor, test=test,
        notify_customer=notify_customer, location=location, assignment=assignment,
    )


def create_booking(
    session: Session,
    business: Business,
    service: Service,
    start: datetime,
    customer: Customer,
    *,
    staff: Staff | None = None,
    now: datetime | None = None,
    source: str = "api",
    notes: str | None = None,
    custom_fields: dict[str, Any] | None = None,
    actor: str = "api",
    price_cents: int | None = None,
    promo_code: str | None = None,
    test: bool = False,
    notify_customer: bool = True,
    location: Location | uuid.UUID | None = None,
    assignment: str | None = None,
) -> Booking:
    """Book in one step, with the customer known: pending or confirmed per the business.
    A promotion code is applied to the booking (ValidationError param promo_code if bad).
    notify_customer=False records no message to the customer (the staff member's and the
    webhooks still go)."""
    if customer is None:
        raise ValidationError(N_("A customer is required to book."), param="customer")
    now = _now(now)
    booking = _place(
        session, business, service, start, status=booked_status(business), now=now, staff=staff,
        customer=customer, source=source, notes=notes, custom_fields=custom_fields, actor=actor,
        price_cents=price_cents, test=test, notify_customer=notify_customer, location=location,
        assignment=assignment,
    )
    if pricing.normalise_code(promo_code):
        pricing.apply_promotion(session, booking, business, promo_code, now=now)
    _count_promotion_if_confirmed(session, booking, now=now)
    return booking


def _count_promotion_if_confirmed(session: Session, booking: Booking, *, now: datetime) -> None:
    """A promotion's use counts once its booking is confirmed (or paid: domain.payments)."""
    if booking.status == S.CONFIRMED.value:
        pricing.count_promotion_use(session, booking, now=now)


# --------------------------------------------------------------------------- transitions


def book(
    session: Session,
    booking: Booking,
    business: Business,
    *,
    customer: Customer | None = None,
    now: datetime | None = None,
    notes: str | None = None,
    custom_fields: dict[str, Any] | None = None,
    actor: str = "customer",
    check_answers: bool = True,
    notify_customer: bool = True,
) -> Booking:
    """Turn a hold or reservation into a booking, keeping its time.

    A hold that has run out can still be booked while its time is still free (a customer
    who paid a little late); if someone else has taken the time, HoldExpired. The database
    re-checks the overlap when the booking becomes active again.

    Answers given here are checked and join those given at the hold; every required
    question must then be answered. check_answers=False is for a payment that already
    went through (the answers were checked when the customer gave them, before paying):
    a question added since must not turn a paid booking away."""
    now = _now(now)
    _check_same_business(booking, business)
    _lock(session, booking)
    customer = customer or booking.customer
    if customer is None:
        raise ValidationError(N_("A customer is required to book."), param="customer")
    _check_customer(customer, business)
    notes = clean_notes(notes)
    answers = dict(booking.custom_fields or {})
    if custom_fields is not None:
        answers.update(validate_answers(session, business, custom_fields, complete=False))
    if check_answers:
        missing_required(session, business, answers)
    if booking.status not in (S.HELD.value, S.RESERVED.value, S.EXPIRED.value):
        raise ValidationError(
            f'Only a hold or a reservation can be booked; this booking is "{booking.status}".', param="status"
        )
    target = booked_status(business)
    ran_out = hold_ran_out(booking.status, booking.hold_expires_at, now)
    if ran_out:
        # Mark every run-out hold of this staff member expired first (this one included),
        # so that none of them still counts against the time on PostgreSQL.
        expire_stale_holds(session, now=now, staff_ids=[booking.staff_id])
        if not _time_still_free(session, booking, now=now):
            raise HoldExpired(N_("The hold ran out and that time has been taken since."), param="booking_id")
    check_transition(booking.status, target.value)
    try:
        # The savepoint starts before the change, so that a competitor who committed the
        # time meanwhile (the database's overlap check) rolls back only this step.
        with session.begin_nested(), session.no_autoflush:
            booking.customer_id = customer.id
            booking.customer = customer
            if notes is not None:
                booking.notes = notes
            if custom_fields is not None:
                booking.custom_fields = answers
            _move(booking, target, now=now, actor=actor, note="booked after the hold ran out" if ran_out else None)
            if target is S.CONFIRMED:
                booking.confirmed_at = now
            session.flush()
    except IntegrityError as error:
        if ran_out and _is_overlap_violation(error):
            raise HoldExpired(N_("The hold ran out and that time has been taken since."), param="booking_id") from error
        raise
    _emit(session, booking, "booking.created", now=now)
    notify.booking_changed(session, booking, notify.booked_kind(booking), now=now,
                           notify_customer=notify_customer and not booking.confirmation_silent)
    _count_promotion_if_confirmed(session, booking, now=now)
    return booking


def _check_customer(customer: Customer | None, business: Business) -> None:
    if customer is not None and customer.business_id != business.id:
        raise ValidationError("This customer belongs to another business.", param="customer")


def _check_same_business(booking: Booking, business: Business) -> None:
    if booking.business_id != business.id:
        raise ValidationError("Booking does not belong to this business.", param="booking_id")


def _time_still_free(session: Session, booking: Booking, *, now: datetime) -> bool:
    """Whether the booking's own blocked time clashes with nothing live but itself."""
    clash = session.scalar(
        select(Booking.id).where(
            Booking.staff_id == booking.staff_id,
            Booking.id != booking.id,
            hold_is_live(now),
            Booking.blocked_from < booking.blocked_until,
            Booking.blocked_until > booking.blocked_from,
        ).limit(1)
    )
    if clash is not None:
        return False
    time_off = session.scalar(
        select(TimeOff.id).where(
            TimeOff.business_id == booking.business_id,
            or_(
                TimeOff.staff_id == booking.staff_id,
                # A closure of the whole business, or of this booking's location.
                TimeOff.staff_id.is_(None) & or_(TimeOff.location_id.is_(None), TimeOff.location_id == booking.location_id),
            ),
            TimeOff.starts_at < booking.blocked_until,
            TimeOff.ends_at > booking.blocked_from,
        ).limit(1)
    )
    return time_off is None


def confirm(session: Session, booking: Booking, *, now: datetime | None = None, actor: str = "staff",
            notify_customer: bool = True) -> Booking:
    now = _now(now)
    _lock(session, booking)
    if booking.status in (S.HELD.value, S.RESERVED.value, S.EXPIRED.value):
        # A hold becomes a booking only through book(): it needs a customer and, once run
        # out, the time checked again.
        raise InvalidTransition(booking.status, S.CONFIRMED.value, manual_transitions(booking.status))
    _move(booking, S.CONFIRMED, now=now, actor=actor)
    booking.confirmed_at = now
    booking.calendar_sequence += 1  # tentative -> confirmed in the customer's calendar
    session.flush()
    _emit(session, booking, "booking.updated", now=now)
    notify.booking_changed(session, booking, notify.BOOKING_APPROVED, now=now, notify_customer=notify_customer)
    _count_promotion_if_confirmed(session, booking, now=now)
    return booking


def ensure_visit_time(session: Session, booking: Booking, target: str, *, now: datetime) -> None:
    """The time rules beside the transition table: a visit may be started from the
    business's early_start_minutes before its start (a client who arrives early), and
    marked completed or a no-show only once its start has come. ValidationError otherwise,
    naming the time from which the move is allowed."""
    if target == S.IN_PROGRESS.value:
        business = session.get(Business, booking.business_id)
        allowed_from = booking.starts_at - timedelta(minutes=business.early_start_minutes)
        what = "started"
    elif target in (S.COMPLETED.value, S.NO_SHOW.value):
        business = session.get(Business, booking.business_id)
        allowed_from = booking.starts_at
        what = "marked completed" if target == S.COMPLETED.value else "marked a no-show"
    else:
        return
    if now < allowed_from:
        local = allowed_from.astimezone(ZoneInfo(business.timezone)).strftime("%a %d %b %Y %H:%M")
        raise ValidationError(
            f"This booking can be {what} from {local} on; it starts at "
            f"{booking.starts_at.astimezone(ZoneInfo(business.timezone)):%H:%M}.",
            param="status", details={"allowed_from": allowed_from.isoformat(), "to": target},
        )


def start(session: Session, booking: Booking, *, now: datetime | None = None, actor: str = "staff") -> Booking:
    now = _now(now)
    _lock(session, booking)
    check_transition(booking.status, S.IN_PROGRESS.value)
    ensure_visit_time(session, booking, S.IN_PROGRESS.value, now=now)
    _move(booking, S.IN_PROGRESS, now=now, actor=actor)
    session.flush()
    _emit(session, booking, "booking.updated", now=now)
    return booking


def complete(session: Session, booking: Booking, *, now: datetime | None = None, actor: str = "staff",
             notify_customer: bool = True) -> Booking:
    """Mark a visit completed; its customer is asked for a review a little later (once)."""
    now = _now(now)
    _lock(session, booking)
    check_transition(booking.status, S.COMPLETED.value)
    ensure_visit_time(session, booking, S.COMPLETED.value, now=now)
    _move(booking, S.COMPLETED, now=now, actor=actor)
    session.flush()
    _emit(session, booking, "booking.updated", now=now)
    if notify_customer:
        notify.review_request(session, booking, now=now)
    return booking


def no_show(session: Session, booking: Booking, *, now: datetime | None = None, actor: str = "staff") -> Booking:
    now = _now(now)
    _lock(session, booking)
    check_transition(booking.status, S.NO_SHOW.value)
    ensure_visit_time(session, booking, S.NO_SHOW.value, now=now)
    _move(booking, S.NO_SHOW, now=now, actor=actor)
    session.flush()
    _emit(session, booking, "booking.updated", now=now)
    return booking


def cancel(
    session: Session, booking: Booking, *, reason: str | None = None, now: datetime | None = None, actor: str = "customer",
    notify_customer: bool = True, refund_facts: dict[str, Any] | None = None,
) -> Booking:
    """Cancel a booking, or release a hold or reservation (which was never announced as a
    booking, so no booking.cancelled event or message is sent for it). The cancellation
    command (domain.payments cancel_with_policy) passes what it refunds and keeps as
    refund_facts, for the messages to say."""
    now = _now(now)
    _lock(session, booking)
    was_booked = booking.status not in PLACEHOLDER_STATUSES
    _move(booking, S.CANCELLED, now=now, actor=actor, note=reason)
    booking.cancelled_at = now
    booking.cancellation_reason = reason
    if was_booked:
        booking.calendar_sequence += 1
    session.flush()
    if was_booked:
        _emit(session, booking, "booking.cancelled", now=now)
        facts = refund_facts or notify.cancelled_facts(
            by_customer=actor == "customer", refunded_cents=0, kept_cents=0, currency=booking.currency)
        notify.booking_changed(session, booking, notify.BOOKING_CANCELLED, now=now,
                               notify_customer=notify_customer, facts=facts)
    return booking


# The status a person may ask for by name, and the function that performs it.
_MANUAL_ACTIONS = {
    S.CONFIRMED.value: confirm,
    S.IN_PROGRESS.value: start,
    S.COMPLETED.value: complete,
    S.NO_SHOW.value: no_show,
    S.CANCELLED.value: cancel,
}


def change_status(
    session: Session,
    booking: Booking,
    target: str,
    *,
    reason: str | None = None,
    now: datetime | None = None,
    actor: str = "staff",
    notify_customer: bool = True,
) -> Booking:
    """Move a booking to a named status (the dashboard's buttons and the API's PATCH).
    Only moves a person may ask for by name (states.manual_transitions) are accepted."""
    known = {s.value for s in S}
    if target not in known:
        raise ValidationError(f"Unknown status {target!r}. Use one of: {', '.join(sorted(_MANUAL_ACTIONS))}.", param="status")
    allowed = manual_transitions(booking.status)
    if target not in allowed:
        raise InvalidTransition(booking.status, target, allowed)
    action = _MANUAL_ACTIONS[target]
    if target == S.CANCELLED.value:
        return cancel(session, booking, reason=reason, now=now, actor=actor, notify_customer=notify_customer)
    if action in (confirm, complete):
        return action(session, booking, now=now, actor=actor, notify_customer=notify_customer)
    return action(session, booking, now=now, actor=actor)


def reschedule(
    session: Session,
    booking: Booking,
    business: Business,
    new_start: datetime,
    *,
    staff: Staff | None = None,
    any_staff: bool = False,
    now: datetime | None = None,
    actor: str = "customer",
    notify_customer: bool = True,
    front_desk: bool = False,
    assignment: str | None = None,
) -> Booking:
    """Move a booking to a new free slot. front_desk=True: the business's own people move it,
    and the minimum notice meant for online bookings does not bind them (as for a booking
    they make at the desk); every other rule of the new time still does.

    The old booking becomes `rescheduled` and points at a new booking that takes the new
    slot; the new one keeps a hold or reservation as such, and otherwise keeps the old
    booked status. Price, deposit, customer and notes carry over. By default the same
    staff member; `staff` picks another, `any_staff` lets the policy choose (`assignment`
    for this request, as for a hold, else the business's; it only means something with
    `any_staff`, so without it the value is refused rather than silently ignored). All in one
    savepoint: if the new time is not free, the old booking is left exactly as it was.
    """
    now = _now(now)
    _check_same_business(booking, business)
    _lock(session, booking)
    check_transition(booking.status, S.RESCHEDULED.value)
    if booking.status == S.HELD.value and hold_ran_out(booking.status, booking.hold_expires_at, now):
        raise HoldExpired(N_("The hold ran out; choose a time again."), param="booking_id")
    if assignment is not None:
        # Checked before anything moves: a bad spelling names `assignment` like a hold's does.
        assignment_policy(business, assignment)
        if not any_staff:
            # Not marked for translation (no German for it yet): it reaches integrators, in English.
            raise ValidationError("assignment applies only when any staff member may take the new time "
                                  "(any_staff).", param="assignment")
    service = session.get(Service, booking.service_id)
    wanted_staff = None if any_staff else (staff or session.get(Staff, booking.staff_id))
    previous_status = S(booking.status)
    with session.begin_nested():
        # Leaving the old time first lets the booking move to an overlapping time.
        _move(booking, S.RESCHEDULED, now=now, actor=actor)
        session.flush()
        replacement = _place(
            session, business, service, new_start,
            status=previous_status,
            now=now,
            staff=wanted_staff,
            customer=booking.customer,
            source=booking.source,
            notes=booking.notes,
            custom_fields=booking.custom_fields,
            actor=actor,
            price_cents=booking.price_cents,
            deposit_cents=booking.deposit_cents,
            note=f"rescheduled from {booking.booking_number}",
            moved_from=booking,
            front_desk=front_desk,
            location=booking.location_id,  # a move keeps the visit at its location
            assignment=assignment,
        )
        if previous_status is S.CONFIRMED:
            replacement.confirmed_at = booking.confirmed_at or now
        replacement.rescheduled_from_id = booking.id
        booking.rescheduled_to_id = replacement.id
        _carry_over_money(session, booking, replacement)
        session.flush()
        if previous_status.value in UPCOMING_STATUSES:
            _emit(session, replacement, "booking.rescheduled", now=now, previous_booking=booking_payload(booking))
            notify.booking_changed(session, replacement, notify.BOOKING_RESCHEDULED, now=now,
                                   notify_customer=notify_customer, facts=notify.rescheduled_facts(booking),
                                   previous_staff_id=booking.staff_id)
    return replacement


def _carry_over_money(session: Session, old: Booking, new: Booking) -> None:
    """What was paid (and refunded) and the promotion applied belong to the appointment,
    not to one time slot: they move to the replacement, so its balance, a later refund and
    a payment still in flight for the old hold all act on the booking that goes ahead."""
    moved = session.execute(
        update(Payment).where(Payment.booking_id == old.id).values(booking_id=new.id)
    ).rowcount
    session.execute(
        update(PromotionRedemption).where(PromotionRedemption.booking_id == old.id).values(booking_id=new.id)
    )
    if moved:
        new.history[-1].note = f"{new.history[-1].note}; {moved} payment record(s) carried over"
