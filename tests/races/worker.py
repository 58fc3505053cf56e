"""Code run inside racing threads and processes: load by id, try once, commit or roll back."""
from __future__ import annotations

import uuid
from datetime import datetime

from bookingapp.domain import booking as ops
from bookingapp.domain.errors import SlotUnavailable
from bookingapp.extensions import db
from bookingapp.models import Booking, Business, Service, Staff


def try_hold(app, business_id, service_id, staff_id, start: datetime, now: datetime, location_id=None) -> str:
    """One customer's attempt at a hold (at a location; None: the primary): 'ok' or
    'taken'. Anything else propagates."""
    with app.app_context():
        session = db.session
        try:
            business = session.get(Business, business_id)
            service = session.get(Service, service_id)
            staff = session.get(Staff, staff_id) if staff_id else None
            ops.hold(session, business, service, start, staff=staff, now=now, location=location_id)
            session.commit()
            return "ok"
        except SlotUnavailable:
            session.rollback()
            return "taken"
        finally:
            session.remove()


def try_reschedule(app, business_id, booking_id, start: datetime, now: datetime) -> str:
    with app.app_context():
        session = db.session
        try:
            business = session.get(Business, business_id)
            booking = session.get(Booking, booking_id)
            ops.reschedule(session, booking, business, start, now=now)
            session.commit()
            return "ok"
        except SlotUnavailable:
            session.rollback()
            return "taken"
        finally:
            session.remove()


def process_main(database_url: str, barrier, results, business_id: str, service_id: str, staff_id: str, start_iso: str, now_iso: str) -> None:
    """Entry point of a racing process: its own app, engine and connection."""
    from bookingapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        db.engine.connect().close()  # connect before the start line so the race is on the insert
    barrier.wait(timeout=60)
    outcome = try_hold(
        app, uuid.UUID(business_id), uuid.UUID(service_id), uuid.UUID(staff_id),
        datetime.fromisoformat(start_iso), datetime.fromisoformat(now_iso),
    )
    results.put(outcome)
