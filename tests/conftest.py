"""Shared fixtures.

The suite runs against SQLite by default and against PostgreSQL when DATABASE_URL points
at one (as .ci/run does). The schema always comes from the migrations: they run once per
session, then every test gets a fresh database: a copy of the migrated SQLite file, or the
PostgreSQL database emptied after each test (TRUNCATE), so tests may commit freely and
race from several threads or processes.
"""
from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime, time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bookingapp import create_app
from bookingapp.config import normalise_database_url
from bookingapp.extensions import db as _db
from bookingapp.models import Business, BusinessHours, Customer, Service, Staff, StaffHours, TimeOff
from tests.helpers import is_postgres

POSTGRES_URL = normalise_database_url(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None


def migrate_to_head(url: str) -> None:
    """Run the real migrations, from empty to head, against url."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(revision="heads")
        _db.engine.dispose()


def wipe_postgres_schema(url: str) -> None:
    name = make_url(url).database or ""
    if "test" not in name:
        raise RuntimeError(f"Refusing to wipe database {name!r}: its name must contain 'test'.")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> str:
    """The URL of a migrated database (PostgreSQL) or of a migrated SQLite template file."""
    if is_postgres():
        wipe_postgres_schema(POSTGRES_URL)
        migrate_to_head(POSTGRES_URL)
        return POSTGRES_URL
    template = tmp_path_factory.mktemp("template") / "template.sqlite"
    migrate_to_head(f"sqlite:///{template}")
    return str(template)


@pytest.fixture
def database_url(migrated_database, tmp_path) -> str:
    if is_postgres():
        yield migrated_database
        engine = create_engine(migrated_database)
        with engine.begin() as conn:
            tables = conn.execute(text(
                "SELECT string_agg(format('%I', tablename), ', ') FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )).scalar()
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
    else:
        path = tmp_path / "test.sqlite"
        shutil.copy(migrated_database, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "SERVER_NAME": "localhost",
        # A worker run by a test writes its recorded emails here, not into the project.
        "MAIL_RECORD_DIR": str(tmp_path / "mail"),
        # The suite moves the app's clock by hours within one signed-in session (a visit
        # started, then checked out); the idle timeout's own tests switch it on.
        "DASHBOARD_IDLE_MINUTES": None,
    })
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def session(app):
    """The Flask-SQLAlchemy session inside an app context: what the views use."""
    with app.app_context():
        yield _db.session
        _db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


# --------------------------------------------------------------------------- factories

@pytest.fixture
def make_business(session):
    def make(**overrides) -> Business:
        hours = overrides.pop("hours", {d: [(time(9), time(18))] for d in range(7)})
        fields = dict(
            name="Test Salon", slug=f"salon-{uuid.uuid4().hex[:8]}", timezone="Europe/London", currency="GBP",
            address_country="GB", slot_interval_minutes=15, min_notice_minutes=0, max_advance_days=36500,
            hold_seconds=600, auto_confirm=True, assignment_policy="fixed_order",
        )
        fields.update(overrides)
        business = Business(**fields)
        for weekday, windows in hours.items():
            for opens, closes in windows:
                business.hours.append(BusinessHours(weekday=weekday, opens_at=opens, closes_at=closes))
        session.add(business)
        session.commit()
        return business

    return make


@pytest.fixture
def make_service(session):
    def make(business: Business, **overrides) -> Service:
        fields = dict(
            business_id=business.id, name="Cut", duration_minutes=60, price_cents=5000, deposit_cents=1000,
            currency=business.currency,
        )
        fields.update(overrides)
        service = Service(**fields)
        session.add(service)
        session.commit()
        return service

    return make


@pytest.fixture
def make_staff(session):
    def make(business: Business, services=(), hours=None, **overrides) -> Staff:
        fields = dict(business_id=business.id, name=f"Stylist {uuid.uuid4().hex[:4]}", role="staff")
        fields.update(overrides)
        staff = Staff(**fields)
        staff.services = list(services)
        for weekday, windows in (hours or {}).items():
            for starts, ends in windows:
                staff.hours.append(StaffHours(weekday=weekday, starts_at=starts, ends_at=ends))
        session.add(staff)
        session.commit()
        return staff

    return make


@pytest.fixture
def make_customer(session):
    def make(business: Business, email: str | None = None, name: str = "Ada Lovelace") -> Customer:
        customer = Customer(business_id=business.id, email=email or f"{uuid.uuid4().hex[:8]}@example.com", name=name)
        session.add(customer)
        session.commit()
        return customer

    return make


@pytest.fixture
def make_time_off(session):
    def make(business: Business, starts_at: datetime, ends_at: datetime, staff: Staff | None = None) -> TimeOff:
        time_off = TimeOff(business_id=business.id, staff_id=staff.id if staff else None, starts_at=starts_at, ends_at=ends_at)
        session.add(time_off)
        session.commit()
        return time_off

    return make


@pytest.fixture
def salon(make_business, make_service, make_staff):
    """One business open 09:00-18:00 London every day, one 60-minute service, two staff."""
    business = make_business()
    service = make_service(business)
    alice = make_staff(business, [service], name="Alice", sort_order=0)
    bob = make_staff(business, [service], name="Bob", sort_order=1)
    return business, service, alice, bob


@pytest.fixture
def redis_storage():
    """The machine's Redis as rate-limit storage (`redis://...` URL) with a key prefix of this
    test's own, so its counts are apart from anything else using that Redis; the keys are
    removed afterwards."""
    import uuid as _uuid

    redis = pytest.importorskip("redis")
    storage = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(storage, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    prefix = f"test-{_uuid.uuid4().hex}"
    yield storage, prefix
    client = redis.Redis.from_url(storage)
    for stale in client.scan_iter(f"*{prefix}*"):
        client.delete(stale)
