"""Migration 0018 adds the business's default language (existing businesses read 'en')
and the booking's language, in place, and its downgrade keeps every row."""
from __future__ import annotations

import uuid

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from bookingapp import create_app
from bookingapp.extensions import db
from tests.test_migrations_and_cli import empty_database_url  # noqa: F401  (fixture)


def test_0018_gives_existing_businesses_english_and_downgrades_keeping_them(empty_database_url):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="0016")
        business_id = uuid.uuid4()
        db.session.execute(text(
            "INSERT INTO businesses (id, name, slug, timezone, currency, address_country, is_active,"
            " slot_interval_minutes, min_notice_minutes, max_advance_days, hold_seconds, auto_confirm,"
            " deposit_policy, free_cancellation_hours, assignment_policy, reminder_cadence, created_at, updated_at) "
            "VALUES (:id, 'Old Salon', 'old-salon', 'Europe/London', 'GBP', 'GB', :yes, 15, 0, 60, 600, :yes,"
            " 'none', 24, 'balanced', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ), {"id": business_id.hex if db.engine.dialect.name == "sqlite" else business_id, "yes": True})
        db.session.commit()

        upgrade(revision="0018")
        assert db.session.execute(text("SELECT default_language FROM businesses")).scalar_one() == "en"
        assert "language" in {c["name"] for c in inspect(db.engine).get_columns("bookings")}
        db.session.commit()  # end the read, or PostgreSQL's ALTER TABLE below waits on it

        downgrade(revision="0016")
        assert "default_language" not in {c["name"] for c in inspect(db.engine).get_columns("businesses")}
        assert db.session.execute(text("SELECT name FROM businesses")).scalar_one() == "Old Salon"
        db.session.remove()
        db.engine.dispose()
