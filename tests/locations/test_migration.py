"""Migration 0017 gives every business its primary location and keeps every booking's
meaning: same time, staff member, service and price, now at the primary location."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from flask_migrate import upgrade
from sqlalchemy import text

from bookingapp import create_app
from bookingapp.extensions import db
from tests.helpers import is_postgres
from tests.test_migrations_and_cli import _insert_with_required_columns, empty_database_url  # noqa: F401


def _id():
    return uuid.uuid4() if is_postgres() else uuid.uuid4().hex


def test_upgrading_keeps_every_bookings_time_staff_service_and_price_at_the_primary_location(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="0016")
        business_id, service_id, staff_ids = _id(), _id(), [_id(), _id()]
        starts = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
        bookings = []
        with db.engine.begin() as conn:
            _insert_with_required_columns(conn, "businesses", {
                "id": business_id, "name": "Kept Salon", "slug": "kept-salon", "timezone": "Europe/Paris",
                "currency": "EUR", "slot_interval_minutes": 15, "max_advance_days": 60, "hold_seconds": 420,
                "deposit_policy": "none", "assignment_policy": "balanced", "address_street": "1 Rue Haute",
                "address_city": "Lyon", "address_country": "FR", "phone": "+33 1 23 45 67 89"})
            _insert_with_required_columns(conn, "services", {
                "id": service_id, "business_id": business_id, "name": "Cut", "duration_minutes": 45,
                "price_cents": 4500, "currency": "EUR"})
            for n, staff_id in enumerate(staff_ids):
                _insert_with_required_columns(conn, "staff", {
                    "id": staff_id, "business_id": business_id, "name": f"Stylist {n}", "role": "staff"})
            for n in range(4):
                start = starts + timedelta(hours=n)
                booking = {"id": _id(), "business_id": business_id, "booking_number": f"BK-MIG{n:04d}",
                           "service_id": service_id, "staff_id": staff_ids[n % 2], "starts_at": start,
                           "ends_at": start + timedelta(minutes=45), "blocked_from": start,
                           "blocked_until": start + timedelta(minutes=45), "status": "confirmed",
                           "source": "web", "price_cents": 4000 + n, "deposit_cents": 0, "currency": "EUR",
                           "custom_fields": "{}"}
                _insert_with_required_columns(conn, "bookings", booking)
                bookings.append(booking)
        upgrade(revision="heads")
        with db.engine.connect() as conn:
            location = conn.execute(text(
                "SELECT id, name, slug, address_street, address_city, address_country, phone, is_primary, "
                "timezone, hold_seconds FROM locations")).one()
            assert (location.name, location.slug, location.address_street, location.address_city,
                    location.address_country, location.phone) == (
                "Kept Salon", "main", "1 Rue Haute", "Lyon", "FR", "+33 1 23 45 67 89")
            assert location.is_primary
            # Unset: the business's own time zone and hold length (models.location).
            assert location.timezone is None and location.hold_seconds is None
            rows = conn.execute(text(
                "SELECT booking_number, starts_at, staff_id, service_id, price_cents, location_id FROM bookings "
                "ORDER BY booking_number")).all()
            linked = conn.execute(text("SELECT staff_id, location_id FROM staff_locations")).all()
        assert len(rows) == 4
        for row, before in zip(rows, bookings):
            assert row.booking_number == before["booking_number"]
            assert str(row.staff_id).replace("-", "") == str(before["staff_id"]).replace("-", "")
            assert str(row.service_id).replace("-", "") == str(before["service_id"]).replace("-", "")
            assert row.price_cents == before["price_cents"]
            assert row.location_id == location.id
            kept = row.starts_at if isinstance(row.starts_at, datetime) else datetime.fromisoformat(row.starts_at)
            if kept.tzinfo is None:
                kept = kept.replace(tzinfo=timezone.utc)
            assert kept == before["starts_at"]
        assert len(linked) == 2 and {row.location_id for row in linked} == {location.id}
        db.engine.dispose()
