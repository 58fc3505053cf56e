"""The domain's own checks come before anything is flushed (issue 10): a refused change
to a service is the domain's 400 naming the field, on both databases, and leaves the
service exactly as it was."""
from __future__ import annotations

import uuid

import pytest

from bookingapp.models import Service, ServiceCategory
from tests.api.conftest import assert_error


@pytest.fixture
def category(session, salon):
    row = ServiceCategory(business_id=salon[0].id, name="Hair", sort_order=0)
    session.add(row)
    session.commit()
    return row


def _unchanged(session, service, price, deposit, category_id):
    session.expire_all()
    stored = session.get(Service, service.id)
    assert (stored.price_cents, stored.deposit_cents, stored.category_id) == (price, deposit, category_id)


def test_deposit_above_the_price_with_a_category_is_a_400_naming_deposit_cents(api, session, salon, category):
    service = salon[1]
    price, deposit = service.price_cents, service.deposit_cents
    response = api.patch(f"/services/{service.id}", json={"deposit_cents": price + 1, "category_id": str(category.id)})
    body = assert_error(response, 400, "validation_error", "deposit_cents")
    assert "deposit" in body["error"]["message"].lower()
    _unchanged(session, service, price, deposit, None)


def test_a_price_below_the_deposit_with_a_category_is_a_400_naming_deposit_cents(api, session, salon, category):
    service = salon[1]
    api.patch(f"/services/{service.id}", json={"deposit_cents": 1000}).get_json()
    response = api.patch(f"/services/{service.id}", json={"price_cents": 500, "category_id": str(category.id)})
    assert_error(response, 400, "validation_error", "deposit_cents")
    _unchanged(session, service, salon[1].price_cents, 1000, None)


def test_an_unknown_category_with_a_valid_deposit_names_category_id(api, session, salon):
    service = salon[1]
    response = api.patch(f"/services/{service.id}", json={"deposit_cents": 0, "category_id": str(uuid.uuid4())})
    assert_error(response, 400, "validation_error", "category_id")


def test_creating_a_service_with_a_deposit_above_the_price_and_a_category_is_a_400(api, session, salon, category):
    response = api.post("/services", json={"name": "Colour", "duration_minutes": 60, "price_cents": 1000,
                                           "deposit_cents": 5000, "category_id": str(category.id)})
    assert_error(response, 400, "validation_error", "deposit_cents")
    assert session.query(Service).count() == 1


def test_a_valid_change_with_a_category_is_saved(api, session, salon, category):
    service = salon[1]
    response = api.patch(f"/services/{service.id}", json={"deposit_cents": 100, "category_id": str(category.id)})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["category_id"] == str(category.id)
    _unchanged(session, service, service.price_cents, 100, category.id)


def test_staff_with_a_bad_email_and_services_is_a_400_naming_email(api, session, salon):
    response = api.post("/staff", json={"name": "Carol", "email": "not-an-email", "service_ids": [str(salon[1].id)]})
    assert_error(response, 400, "validation_error", "email")


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_hold_at_the_edge_of_the_calendar_is_a_400_naming_start_at(api, salon, start):
    response = api.post("/bookings/hold", json={"service_id": str(salon[1].id), "start_at": start})
    assert_error(response, 400, "validation_error", "start_at")
