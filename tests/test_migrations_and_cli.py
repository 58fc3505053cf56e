"""The schema comes only from the migrations: they run from empty to head and back on the
suite's database kind, and match the models. The commands other tools rely on work."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bookingapp import create_app
from bookingapp.demo import DEMO_SLUG
from bookingapp.extensions import db
from bookingapp.models import Base, Booking, Business, Review
from tests.helpers import is_postgres

from tests.conftest import POSTGRES_URL


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database of the suite's kind."""
    if not is_postgres():
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    name = f"{make_url(POSTGRES_URL).database}_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_run_from_empty_to_head_down_to_base_and_up_again(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="heads")
        tables = set(inspect(db.engine).get_table_names())
        assert {"businesses", "services", "staff", "bookings", "booking_events", "customers", "reviews"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(revision="heads")
        assert "bookings" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_models_and_migrations_describe_the_same_schema(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = [
            d for d in compare_metadata(context, Base.metadata)
            # PostgreSQL-only objects written by hand in the migration
            if "ex_bookings_staff_no_overlap" not in repr(d)
        ]
    assert differences == []


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL-only constraint")
def test_postgres_schema_has_the_no_overlap_exclusion_constraint(app):
    with app.app_context():
        definition = db.session.execute(text(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ex_bookings_staff_no_overlap'"
        )).scalar_one()
    assert "EXCLUDE USING gist" in definition and "tstzrange(blocked_from, blocked_until" in definition


def test_seed_demo_loads_a_full_salon_and_prints_the_slug_last(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == DEMO_SLUG
    with app.app_context():
        business = db.session.query(Business).filter_by(slug=DEMO_SLUG).one()
        statuses = {b.status for b in db.session.query(Booking).filter_by(business_id=business.id)}
        assert {"completed", "confirmed"} <= statuses
        assert db.session.query(Review).count() > 0
        assert len(business.hours) >= 6
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert again.output.strip().splitlines()[-1] == DEMO_SLUG


def test_expire_holds_command(app, session, salon):
    from bookingapp.domain import booking as ops
    from tests.helpers import MONDAY, at, before

    business, service, alice, _ = salon
    held = ops.hold(session, business, service, at(MONDAY, 10), staff=alice, now=before())
    held.hold_expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)  # ran out a moment ago
    session.commit()
    result = app.test_cli_runner().invoke(args=["expire-holds"])
    assert "Expired 1 hold(s)." in result.output


def _insert_with_required_columns(conn, table_name: str, values: dict) -> None:
    """A row of a table as an old revision had it: the values given, and a plain value of its
    type for every other NOT NULL column without a default (the models have moved on since)."""
    from sqlalchemy import Boolean, DateTime, Integer, MetaData, Numeric, String, Table, Text, Time

    table = Table(table_name, MetaData(), autoload_with=conn)
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None:
            continue
        kind = column.type
        if isinstance(kind, Boolean):
            row[column.name] = False
        elif isinstance(kind, (Integer, Numeric)):
            row[column.name] = 0
        elif isinstance(kind, DateTime):
            row[column.name] = datetime(2026, 1, 5, tzinfo=timezone.utc)
        elif isinstance(kind, Time):
            row[column.name] = datetime(2026, 1, 5, 9).time()
        elif isinstance(kind, (String, Text)):
            length = getattr(kind, "length", None) or 20
            row[column.name] = "GB"[:length] if length < 3 else "x" * min(length, 8)
        else:
            raise AssertionError(f"no plain value for {table_name}.{column.name} ({kind!r})")
    conn.execute(table.insert().values(**row))


def test_upgrading_a_database_with_data_keeps_every_row(empty_database_url):
    """On SQLite a migration that changes a parent table rebuilds it (copy, drop, rename); with
    foreign keys enforced, dropping `businesses` would cascade to every row that points at it.
    The migrations run with enforcement off and check the keys afterwards instead."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="0011")
        # Stored as the Uuid type stores them: native on PostgreSQL, 32 hex digits on SQLite.
        business_id = uuid.uuid4() if is_postgres() else uuid.uuid4().hex
        with db.engine.begin() as conn:
            _insert_with_required_columns(conn, "businesses", {
                "id": business_id, "name": "Kept Salon", "slug": "kept-salon", "timezone": "Europe/London",
                "currency": "GBP", "slot_interval_minutes": 15, "max_advance_days": 60, "hold_seconds": 600,
                "deposit_policy": "none", "assignment_policy": "balanced"})
            _insert_with_required_columns(conn, "service_categories", {
                "id": uuid.uuid4() if is_postgres() else uuid.uuid4().hex, "business_id": business_id,
                "name": "Cuts"})
        upgrade(revision="heads")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM service_categories")).scalar_one() == 1
            assert conn.execute(text("SELECT name FROM businesses")).scalar_one() == "Kept Salon"
        db.engine.dispose()
