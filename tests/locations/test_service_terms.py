"""A service's own price, deposit and duration at a location (domain.service_terms): the
slots there are its length there, a hold or booking there takes its price and length
there, and the API and the wizard show those terms at that location."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from bookingapp import create_app
from bookingapp.domain import booking as ops
from bookingapp.domain import locations
from bookingapp.domain.availability import find_availability
from bookingapp.domain.availability_cache import current_version
from bookingapp.domain.booking_money import money_summary
from bookingapp.domain.errors import NotFound, ValidationError
from bookingapp.domain.service_terms import ServiceTerms, own_terms_at, set_terms_at, terms_at
from bookingapp.extensions import db
from bookingapp.models import Booking, service_locations
from tests.api.conftest import assert_error
from tests.helpers import MONDAY, at, before, is_postgres
from tests.test_migrations_and_cli import _insert_with_required_columns, empty_database_url  # noqa: F401
from tests.web.conftest import csrf_from

NOW = before()


def iso(instant):
    return instant.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def shorter_at_riverside(session, branches):
    """The 60-minute £50 cut (deposit £10) is 45 minutes for £30 at Riverside."""
    business, service, alice, bob, main, riverside = branches
    set_terms_at(session, business, service, riverside, {"price_cents": 3000, "duration_minutes": 45}, now=NOW)
    session.commit()
    return branches


def test_a_location_without_terms_of_its_own_uses_the_services(session, branches):
    business, service, alice, bob, main, riverside = branches
    assert terms_at(session, service, riverside) == ServiceTerms(5000, 1000, 60)
    assert terms_at(session, service, None) == terms_at(session, service, main) == ServiceTerms(5000, 1000, 60)


def test_terms_at_one_location_leave_the_others_and_keep_the_service_offered_everywhere(session, shorter_at_riverside):
    business, service, alice, bob, main, riverside = shorter_at_riverside
    assert terms_at(session, service, riverside) == ServiceTerms(3000, 1000, 45)
    assert own_terms_at(session, service, riverside) == (3000, None, 45)
    assert terms_at(session, service, main) == ServiceTerms(5000, 1000, 60)
    assert (service.price_cents, service.duration_minutes) == (5000, 60)
    # It was offered at every location; it still is at both (now by being listed at each).
    assert locations.offers_service(session, service, main) and locations.offers_service(session, service, riverside)
    # Setting them again replaces them: a field left out is the service's own again.
    set_terms_at(session, business, service, riverside, {"duration_minutes": 30}, now=NOW)
    assert terms_at(session, service, riverside) == ServiceTerms(5000, 1000, 30)


def test_choosing_again_where_a_service_is_offered_keeps_its_terms_where_it_stays(session, shorter_at_riverside):
    """The owner ticks the service's locations again (Setup, or the API): Riverside's own
    price and length survive; a location it leaves takes its terms with it."""
    business, service, alice, bob, main, riverside = shorter_at_riverside
    locations.set_service_locations(session, business, service, [riverside, main], now=NOW)
    assert terms_at(session, service, riverside) == ServiceTerms(3000, 1000, 45)
    locations.set_service_locations(session, business, service, [main], now=NOW)
    locations.set_service_locations(session, business, service, [main, riverside], now=NOW)
    assert terms_at(session, service, riverside) == ServiceTerms(5000, 1000, 60)


def test_a_45_minute_service_at_riverside_gets_45_minute_slots_and_bookings_at_its_price(
        session, shorter_at_riverside, make_customer):
    business, service, alice, bob, main, riverside = shorter_at_riverside
    there = find_availability(session, business, service, MONDAY, now=NOW, location=riverside)
    starts = [slot.start for slot in there.slots]
    # Alice works 13:00-16:00 at Riverside: 45 minutes fit up to 15:15 (60 would stop at 15:00).
    assert starts[0] == at(MONDAY, 13) and starts[-1] == at(MONDAY, 15, 15)
    assert all(slot.end - slot.start == timedelta(minutes=45) for slot in there.slots)
    booked = ops.create_booking(session, business, service, at(MONDAY, 15, 15), make_customer(business), now=NOW,
                                location=riverside)
    assert booked.ends_at - booked.starts_at == timedelta(minutes=45)
    assert (booked.price_cents, booked.deposit_cents) == (3000, 1000)
    summary = money_summary(session, booked, business)
    assert summary.list_price_cents == 3000 and summary.balance_due_cents == 3000
    # The primary keeps the service's own terms.
    at_main = ops.hold(session, business, service, at(MONDAY, 9), staff=alice, now=NOW, location=main)
    assert at_main.ends_at - at_main.starts_at == timedelta(minutes=60) and at_main.price_cents == 5000
    assert all(slot.end - slot.start == timedelta(minutes=60)
               for slot in find_availability(session, business, service, MONDAY, now=NOW, location=main).slots)


def test_a_45_minute_booking_leaves_the_next_slot_free_only_after_45_minutes(session, shorter_at_riverside):
    business, service, alice, bob, main, riverside = shorter_at_riverside
    ops.hold(session, business, service, at(MONDAY, 13), staff=alice, now=NOW, location=riverside)
    session.commit()
    starts = [slot.start for slot in find_availability(session, business, service, MONDAY, now=NOW,
                                                       location=riverside).slots]
    assert at(MONDAY, 13, 30) not in starts and at(MONDAY, 13, 45) in starts


def test_changing_terms_moves_the_availability_version(session, branches):
    business, service, alice, bob, main, riverside = branches
    version = current_version(session, business)
    set_terms_at(session, business, service, riverside, {"duration_minutes": 45}, now=NOW)
    session.commit()
    assert current_version(session, business) == version + 1


def test_bad_terms_are_refused_naming_the_field_and_nothing_is_written(session, branches, make_business,
                                                                       make_service):
    business, service, alice, bob, main, riverside = branches
    cases = [({"price_cents": -1}, "price_cents"), ({"duration_minutes": 2}, "duration_minutes"),
             ({"duration_minutes": "45"}, "duration_minutes"), ({"deposit_cents": 4000, "price_cents": 3000},
                                                                "deposit_cents"),
             ({"price_cents": 500}, "deposit_cents"),  # below the service's £10 deposit
             ({"colour": "red"}, "colour")]
    for fields, param in cases:
        with pytest.raises(ValidationError) as refused:
            set_terms_at(session, business, service, riverside, fields, now=NOW)
        assert refused.value.param == param, fields
    assert session.execute(select(service_locations)).all() == []
    other = make_service(make_business())
    with pytest.raises(NotFound):
        set_terms_at(session, business, other, riverside, {"price_cents": 1}, now=NOW)


def test_the_database_refuses_a_negative_price_or_a_zero_duration(session, branches):
    from sqlalchemy.exc import IntegrityError

    business, service, alice, bob, main, riverside = branches
    for values in ({"price_cents": -5}, {"duration_minutes": 0}, {"deposit_cents": -1}):
        with pytest.raises(IntegrityError):
            with session.begin_nested():
                session.execute(service_locations.insert().values(
                    service_id=service.id, location_id=riverside.id, **values))


def test_a_service_deposit_raised_above_a_locations_price_is_capped_at_that_price(session, shorter_at_riverside):
    business, service, alice, bob, main, riverside = shorter_at_riverside
    service.deposit_cents = 4000
    session.flush()
    assert terms_at(session, service, riverside) == ServiceTerms(3000, 3000, 45)


# --------------------------------------------------------------------------- the API


def test_api_sets_and_lists_a_services_terms_at_a_location(api_for, shorter_at_riverside, make_service, app):
    business, service, alice, bob, main, riverside = shorter_at_riverside
    api = api_for(business)
    listed = api.get(f"/locations/{riverside.id}/services")
    assert listed.status_code == 200, listed.get_json()
    row = listed.get_json()["data"][0]
    assert (row["service_id"], row["price_cents"], row["deposit_cents"], row["duration_minutes"]) == (
        str(service.id), 3000, 1000, 45)
    assert row["own_price"] and row["own_duration"] and not row["own_deposit"]
    assert listed.get_json()["meta"]["total"] == 1
    main_row = api.get(f"/locations/{main.id}/services").get_json()["data"][0]
    assert (main_row["price_cents"], main_row["duration_minutes"], main_row["own_price"]) == (5000, 60, False)
    changed = api.put(f"/locations/{riverside.id}/services/{service.id}",
                      json={"price_cents": 3500, "deposit_cents": 500, "duration_minutes": None})
    assert changed.status_code == 200, changed.get_json()
    data = changed.get_json()["data"]
    assert (data["price_cents"], data["deposit_cents"], data["duration_minutes"], data["own_duration"]) == (
        3500, 500, 60, False)
    assert_error(api.put(f"/locations/{riverside.id}/services/{service.id}", json={"deposit_cents": 9000}),
                 400, "validation_error", "deposit_cents")
    assert_error(api.put(f"/locations/{riverside.id}/services/{service.id}", json={"duration_minutes": 1}),
                 400, "validation_error", "duration_minutes")
    assert_error(api.put(f"/locations/{riverside.id}/services/{service.id}", json={"price_cents": "30"}),
                 400, "validation_error", "price_cents")
    other_service = make_service(business, name="Colour")
    other_service.deleted_at = NOW
    db.session.commit()
    assert api.put(f"/locations/{riverside.id}/services/{other_service.id}", json={}).status_code == 404
    assert api.put(f"/locations/{uuid.uuid4()}/services/{service.id}", json={}).status_code == 404


def test_api_availability_and_booking_at_a_location_use_its_terms(api_for, shorter_at_riverside, app):
    business, service, alice, bob, main, riverside = shorter_at_riverside
    api = api_for(business)
    app.config["CLOCK"] = lambda: NOW
    found = api.get(f"/availability?service_id={service.id}&date={MONDAY.isoformat()}&location_id={riverside.id}")
    assert found.status_code == 200
    body = found.get_json()["data"]
    assert body["slot_duration_minutes"] == 45
    assert body["slots"][-1]["start"] == iso(at(MONDAY, 15, 15)) and body["slots"][-1]["end"] == iso(at(MONDAY, 16))
    at_main = api.get(f"/availability?service_id={service.id}&date={MONDAY.isoformat()}")
    assert at_main.get_json()["data"]["slot_duration_minutes"] == 60
    booked = api.post("/bookings", json={"service_id": str(service.id), "start_at": iso(at(MONDAY, 15, 15)),
                                         "branch_id": str(riverside.id), "customer_name": "Ada",
                                         "customer_email": "ada@example.com"})
    assert booked.status_code == 201, booked.get_json()
    data = booked.get_json()["data"]
    assert data["price_cents"] == 3000 and data["end_at"] == iso(at(MONDAY, 16))
    assert data["money"]["list_price_cents"] == 3000


# --------------------------------------------------------------------------- the wizard


def test_the_wizard_at_a_location_shows_and_charges_its_price_there(client, shorter_at_riverside, app, session):
    business, service, alice, bob, main, riverside = shorter_at_riverside
    app.config["CLOCK"] = lambda: NOW
    there = client.get(f"/{business.slug}/riverside")
    assert there.status_code == 200
    assert "£30.00" in there.text and "£50.00" not in there.text
    assert "45 min" in there.text and "60 min" not in there.text
    primary = client.get(f"/{business.slug}/main")
    assert "£50.00" in primary.text and "£30.00" not in primary.text
    assert "60 min" in primary.text
    staff_step = client.get(f"/{business.slug}/book/{service.id}?location=riverside")
    assert "45 min · £30.00" in staff_step.text
    time_url = f"/{business.slug}/book/{service.id}/{alice.id}"
    times = client.get(f"{time_url}?location=riverside&day={MONDAY.isoformat()}")
    assert "45 min" in times.text and "60 min" not in times.text
    offered = set(re.findall(r'name="start" value="([^"]+)"', times.text))
    assert at(MONDAY, 15, 15).strftime("%Y-%m-%dT%H:%M:%SZ") in offered
    held = client.post(f"{time_url}?location=riverside", data={
        "csrf_token": csrf_from(times.text), "start": at(MONDAY, 15, 15).strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert held.status_code == 303, held.text
    booking = session.scalars(select(Booking).where(Booking.location_id == riverside.id)).one()
    assert booking.price_cents == 3000 and booking.ends_at - booking.starts_at == timedelta(minutes=45)
    details = client.get(held.headers["Location"])
    assert details.status_code == 200 and "£30.00" in details.text and "£50.00" not in details.text


# --------------------------------------------------------------------------- the migration


def _id():
    return uuid.uuid4() if is_postgres() else uuid.uuid4().hex


def test_upgrading_keeps_every_service_location_row_with_the_services_own_terms(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="0018")
        business_id, service_id, location_ids = _id(), _id(), [_id(), _id()]
        with db.engine.begin() as conn:
            _insert_with_required_columns(conn, "businesses", {
                "id": business_id, "name": "Kept Salon", "slug": "kept-salon", "timezone": "Europe/London",
                "currency": "GBP", "slot_interval_minutes": 15, "max_advance_days": 60, "hold_seconds": 600,
                "deposit_policy": "none", "assignment_policy": "balanced"})
            _insert_with_required_columns(conn, "services", {
                "id": service_id, "business_id": business_id, "name": "Cut", "duration_minutes": 60,
                "price_cents": 5000, "currency": "GBP"})
            for n, location_id in enumerate(location_ids):
                _insert_with_required_columns(conn, "locations", {
                    "id": location_id, "business_id": business_id, "name": f"Branch {n}", "slug": f"b{n}",
                    "is_primary": n == 0, "created_at": datetime(2026, 1, 1, tzinfo=timezone.utc),
                    "updated_at": datetime(2026, 1, 1, tzinfo=timezone.utc)})
                conn.execute(text("INSERT INTO service_locations (service_id, location_id) VALUES (:s, :l)"),
                             {"s": service_id, "l": location_id})
        upgrade(revision="heads")
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT service_id, location_id, price_cents, deposit_cents, duration_minutes "
                                     "FROM service_locations ORDER BY location_id")).all()
        assert len(rows) == 2
        assert {str(row.location_id).replace("-", "") for row in rows} == {
            str(location_id).replace("-", "") for location_id in location_ids}
        assert all((row.price_cents, row.deposit_cents, row.duration_minutes) == (None, None, None) for row in rows)
        db.engine.dispose()
