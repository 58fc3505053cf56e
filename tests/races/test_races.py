"""Races: many customers at once, on whichever database the suite runs on.

Exactly one may win a staff member's time; everybody else must get SlotUnavailable
("taken"), never an error, and the database must hold exactly one active booking.
"""
from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from bookingapp.domain import booking as ops
from bookingapp.domain.states import ACTIVE_STATUSES
from bookingapp.models import Booking
from tests.helpers import MONDAY, at, before, customer_emails
from tests.races.worker import process_main, try_hold, try_reschedule

THREADS = 20


def race(session, jobs):
    """Run callables at the same instant from THREADS threads; return their results.

    The test's own session commits first so that its factories' rows are visible to all."""
    session.commit()
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait(timeout=30)
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def active_bookings(session, staff_id):
    session.expire_all()
    return session.scalars(
        select(Booking).where(Booking.staff_id == staff_id, Booking.status.in_(ACTIVE_STATUSES))
    ).all()


def test_twenty_threads_holding_the_same_slot_one_wins(app, session, salon):
    business, service, alice, _ = salon
    ids = (business.id, service.id, alice.id)
    jobs = [lambda: try_hold(app, *ids, at(MONDAY, 10), before()) for _ in range(THREADS)]
    outcomes = race(session, jobs)
    assert outcomes.count("ok") == 1
    assert outcomes.count("taken") == THREADS - 1
    assert len(active_bookings(session, alice.id)) == 1


def test_twenty_threads_holding_overlapping_unequal_slots_one_wins(app, session, salon):
    business, service, alice, _ = salon
    ids = (business.id, service.id, alice.id)
    # Every pair of these 60-minute services overlaps.
    starts = [at(MONDAY, 10, m) for m in (0, 15, 30, 45)]
    jobs = [lambda s=starts[i % 4]: try_hold(app, *ids, s, before()) for i in range(THREADS)]
    outcomes = race(session, jobs)
    assert outcomes.count("ok") == 1
    assert outcomes.count("taken") == THREADS - 1
    assert len(active_bookings(session, alice.id)) == 1


def test_anyone_holds_fill_each_staff_member_once(app, session, salon):
    business, service, alice, bob = salon
    ids = (business.id, service.id, None)
    jobs = [lambda: try_hold(app, *ids, at(MONDAY, 10), before()) for _ in range(THREADS)]
    outcomes = race(session, jobs)
    assert outcomes.count("ok") == 2
    assert len(active_bookings(session, alice.id)) == 1
    assert len(active_bookings(session, bob.id)) == 1


def test_reschedule_racing_new_holds_for_the_same_time(app, session, salon, make_customer):
    business, service, alice, _ = salon
    booking = ops.create_booking(session, business, service, at(MONDAY, 9), make_customer(business), staff=alice, now=before())
    session.commit()
    target = at(MONDAY, 14)
    ids = (business.id, service.id, alice.id)
    booking_id = booking.id
    jobs = [lambda: try_reschedule(app, ids[0], booking_id, target, before())]
    jobs += [lambda: try_hold(app, *ids, target, before()) for _ in range(THREADS - 1)]
    outcomes = race(session, jobs)
    assert outcomes.count("ok") == 1
    active = active_bookings(session, alice.id)
    at_target = [b for b in active if b.starts_at == target]
    assert len(at_target) == 1
    session.refresh(booking)
    if outcomes[0] == "ok":
        assert booking.status == "rescheduled" and at_target[0].rescheduled_from_id == booking.id
        assert len(active) == 1
    else:
        assert booking.status == "confirmed" and booking.starts_at == at(MONDAY, 9)
        assert len(active) == 2


def test_expired_hold_is_retaken_by_exactly_one_of_many(app, session, salon):
    business, service, alice, _ = salon
    run_out = ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=before())
    session.commit()
    later = before() + timedelta(seconds=business.hold_seconds + 1)
    ids = (business.id, service.id, alice.id)
    jobs = [lambda: try_hold(app, *ids, at(MONDAY, 10), later) for _ in range(THREADS)]
    outcomes = race(session, jobs)
    assert outcomes.count("ok") == 1
    assert len(active_bookings(session, alice.id)) == 1
    # Expired once, whoever got there: the rows are locked (SQLite: its write lock) first.
    assert [e.to_status for e in session.get(Booking, run_out.id).history] == ["held", "expired"]


@pytest.mark.slow
def test_several_processes_holding_the_same_slot_one_wins(database_url, app, session, salon):
    business, service, alice, _ = salon
    context = multiprocessing.get_context("spawn")
    processes_count = 6
    barrier = context.Barrier(processes_count)
    results = context.Queue()
    args = (database_url, barrier, results, str(business.id), str(service.id), str(alice.id),
            at(MONDAY, 10).isoformat(), before().isoformat())
    processes = [context.Process(target=process_main, args=args) for _ in range(processes_count)]
    session.commit()  # the racers must see the salon
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert outcomes.count("ok") == 1
    assert outcomes.count("taken") == processes_count - 1
    assert len(active_bookings(session, alice.id)) == 1


def _refused_as_overlap(error) -> bool:
    """PostgreSQL names its exclusion constraint; SQLite's triggers (migration 0022) raise
    with the same name in the message. The booking core tells an overlap by either."""
    from bookingapp.models.booking import NO_OVERLAP_CONSTRAINT

    diag = getattr(error.orig, "diag", None)
    if diag is not None:
        return diag.constraint_name == NO_OVERLAP_CONSTRAINT
    return NO_OVERLAP_CONSTRAINT in str(error.orig)


def test_the_database_refuses_overlapping_active_bookings_even_without_the_domain_check(session, salon):
    """Rows written straight to the table, bypassing every Python check: the database itself
    keeps one staff member's active time from overlapping, on PostgreSQL (an exclusion
    constraint) and on SQLite (triggers), on insert and on update."""
    from sqlalchemy.exc import IntegrityError

    from bookingapp.domain.booking import new_booking_number

    business, service, alice, bob = salon

    def row(start, status="confirmed", staff=alice):
        return Booking(
            business_id=business.id, booking_number=new_booking_number(), service_id=service.id, staff_id=staff.id,
            starts_at=start, ends_at=start + timedelta(hours=1), blocked_from=start,
            blocked_until=start + timedelta(hours=1), status=status, price_cents=0, currency="GBP",
            hold_expires_at=start if status == "held" else None,
        )

    def refused(write) -> None:
        with pytest.raises(IntegrityError) as caught:
            write()
            session.commit()
        assert _refused_as_overlap(caught.value), caught.value
        session.rollback()

    session.add(row(at(MONDAY, 10)))
    session.commit()
    cancelled = row(at(MONDAY, 10, 30), status="cancelled")  # inactive rows may overlap
    elsewhere = row(at(MONDAY, 10, 30), staff=bob)  # another staff member's time is theirs
    session.add_all([cancelled, elsewhere])
    session.commit()
    refused(lambda: session.add(row(at(MONDAY, 10, 30))))
    refused(lambda: session.add(row(at(MONDAY, 9, 30), status="held")))  # a hold occupies time too

    # Updates: an inactive row made active again, and an active row moved, onto taken time.
    def reactivate():
        cancelled.status = "confirmed"

    def move_to_alice():
        elsewhere.staff_id = alice.id

    refused(reactivate)
    refused(move_to_alice)
    session.refresh(cancelled)
    session.refresh(elsewhere)
    assert (cancelled.status, elsewhere.staff_id) == ("cancelled", bob.id)  # nothing half-written

    session.add(row(at(MONDAY, 11)))  # touching, not overlapping: [10:00, 11:00) and [11:00, 12:00)
    session.commit()
    elsewhere.blocked_until = elsewhere.ends_at = at(MONDAY, 12)  # bob's own time, longer: allowed
    session.commit()


def test_many_requests_booking_one_hold_at_once_book_it_exactly_once(app, session, salon, make_customer):
    """A payment webhook and the return page (and a double click) arriving together."""
    from bookingapp.domain.errors import ValidationError
    from bookingapp.extensions import db
    from bookingapp.models import Business, Customer, OutboxEvent

    business, service, alice, _ = salon
    held = ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=before())
    customer = make_customer(business)
    ids = (business.id, held.id, customer.id)

    def book_once():
        with app.app_context():
            try:
                ops.book(
                    db.session, db.session.get(Booking, ids[1]), db.session.get(Business, ids[0]),
                    customer=db.session.get(Customer, ids[2]), now=before() + timedelta(minutes=1),
                )
                db.session.commit()
                return "ok"
            except ValidationError:  # "Only a hold or a reservation can be booked"
                db.session.rollback()
                return "already"
            finally:
                db.session.remove()

    outcomes = race(session, [book_once for _ in range(10)])
    assert outcomes.count("ok") == 1 and outcomes.count("already") == 9
    session.expire_all()
    booking = session.get(Booking, held.id)
    assert [e.to_status for e in booking.history] == ["held", "confirmed"]
    # One booking, one announcement and one confirmation email, however many requests raced.
    assert sorted(session.scalars(select(OutboxEvent.topic)).all()) == ["booking.created"]
    assert [m.kind for m in customer_emails(session)] == ["booking_confirmed"]


def test_an_open_read_only_session_does_not_block_writers(app, session, salon):
    """Reads hold no lock (SQLite reads run outside a transaction until the first write)."""
    business, service, alice, _ = salon
    session.commit()
    assert session.get(type(business), business.id).name  # a read in the test's own open session
    ids = (business.id, service.id, alice.id)
    with ThreadPoolExecutor(max_workers=1) as pool:
        outcome = pool.submit(try_hold, app, *ids, at(MONDAY, 10), before()).result(timeout=10)
    assert outcome == "ok"
