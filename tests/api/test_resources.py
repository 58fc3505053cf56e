"""Services, staff, products, clients, reviews, the business profile and analytics."""
from __future__ import annotations

import uuid

from datetime import datetime, timedelta, timezone

import pytest

from bookingapp.domain import booking as booking_domain
from bookingapp.domain.analytics import business_analytics
from bookingapp.models import Review
from tests.api.conftest import assert_error
from tests.helpers import MONDAY, at, before


def test_service_crud_with_soft_delete(api, salon):
    created = api.post("/services", json={"name": "Deep Conditioning", "duration_minutes": 45, "price_cents": 6500,
                                          "buffer_minutes": 10})
    assert created.status_code == 201, created.get_json()
    service = created.get_json()["data"]
    assert service["buffer_minutes"] == 10 and service["deposit_cents"] == 0 and service["is_active"] is True
    updated = api.patch(f"/services/{service['id']}", json={"price_cents": 5000}).get_json()["data"]
    assert updated["price_cents"] == 5000 and updated["name"] == "Deep Conditioning"
    assert_error(api.patch(f"/services/{service['id']}", json={"deposit_cents": 9000}), 400, "validation_error", "deposit_cents")
    assert_error(api.post("/services", json={"name": "X", "price_cents": 1}), 400, "validation_error", "duration_minutes")
    assert api.delete(f"/services/{service['id']}").get_json()["data"] == {"id": service["id"], "deleted": True}
    assert_error(api.get(f"/services/{service['id']}"), 404, "not_found")
    assert service["id"] not in [s["id"] for s in api.get("/services").get_json()["data"]]


def test_staff_crud_with_service_assignment(api, salon):
    business, service, *_ = salon
    created = api.post("/staff", json={"name": "Sarah Johnson", "role": "manager", "service_ids": [str(service.id)],
                                       "phone": "020 7946 0018"}).get_json()["data"]
    assert created["services"] == [{"id": str(service.id), "name": service.name}]
    assert created["phone"] == "+442079460018"
    updated = api.patch(f"/staff/{created['id']}", json={"bio": "Lead", "service_ids": []}).get_json()["data"]
    assert updated["bio"] == "Lead" and updated["services"] == []
    assert_error(api.patch(f"/staff/{created['id']}", json={"role": "boss"}), 400, "validation_error", "role")
    assert_error(api.patch(f"/staff/{created['id']}", json={"service_ids": ["not-a-uuid"]}), 400, "validation_error", "service_ids[0]")
    assert api.delete(f"/staff/{created['id']}").get_json()["data"]["deleted"] is True
    assert created["id"] not in [s["id"] for s in api.get("/staff").get_json()["data"]]


def test_product_crud_filters_and_reactivation(api, salon):
    product = api.post("/products", json={"name": "Leave In Conditioner", "price_cents": 2400, "category": "Hair Care",
                                          "inventory_count": 50}).get_json()["data"]
    assert api.get("/products?category=hair+care").get_json()["meta"]["total"] == 1
    assert api.get("/products?category=skin").get_json()["meta"]["total"] == 0
    assert api.patch(f"/products/{product['id']}", json={"inventory_count": None}).get_json()["data"]["inventory_count"] is None
    assert_error(api.patch(f"/products/{product['id']}", json={"price_cents": -1}), 400, "validation_error", "price_cents")
    gone = api.delete(f"/products/{product['id']}").get_json()["data"]
    assert gone["is_active"] is False and gone["deactivated_at"]
    assert api.get("/products").get_json()["meta"]["total"] == 0
    assert api.get("/products?active=false").get_json()["meta"]["total"] == 1
    assert api.patch(f"/products/{product['id']}", json={"is_active": True}).get_json()["data"]["deactivated_at"] is None


def _completed(session, salon, hour, email, name="Ada"):
    from bookingapp.domain.customers import find_or_create_customer

    business, service, *_ = salon
    customer = find_or_create_customer(session, business, email=email, name=name)
    made = booking_domain.create_booking(session, business, service, at(MONDAY, hour), customer, now=before())
    booking_domain.start(session, made, now=at(MONDAY, hour))
    booking_domain.complete(session, made, now=at(MONDAY, hour + 1))
    session.commit()
    return made


def test_clients_are_aggregated_by_email(api, session, salon):
    _completed(session, salon, 9, "ada@example.com")
    _completed(session, salon, 11, "ADA@example.com")
    _completed(session, salon, 13, "bob@example.com", "Bob")
    data = api.get("/clients").get_json()
    assert data["meta"]["total"] == 2
    first, second = data["data"]
    assert first["email"] == "bob@example.com"
    assert second["email"] == "ada@example.com" and second["total_bookings"] == 2 and second["total_spent_cents"] == 10000
    assert second["first_booking_at"] == "2030-06-03T08:00:00.000Z" and second["last_booking_at"] == "2030-06-03T10:00:00.000Z"


def test_reviews_filters_sorts_and_reply(api, session, salon):
    for hour, rating, email in ((9, 5, "a@example.com"), (11, 2, "b@example.com"), (13, 4, "c@example.com")):
        made = _completed(session, salon, hour, email)
        session.add(Review(business_id=salon[0].id, booking_id=made.id, rating=rating, customer_name="X"))
    session.commit()
    assert [r["rating"] for r in api.get("/reviews?sort=lowest").get_json()["data"]] == [2, 4, 5]
    assert [r["rating"] for r in api.get("/reviews?rating=5").get_json()["data"]] == [5]
    low = api.get("/reviews?sort=lowest&has_reply=false").get_json()["data"][0]
    replied = api.post(f"/reviews/{low['id']}/reply", json={"reply": "Sorry, please come back."}).get_json()["data"]
    assert replied["business_reply"] == "Sorry, please come back." and replied["business_reply_at"]
    assert [r["id"] for r in api.get("/reviews?has_reply=true").get_json()["data"]] == [low["id"]]
    assert_error(api.post(f"/reviews/{low['id']}/reply", json={"reply": "   "}), 400, "validation_error", "reply")
    assert_error(api.get("/reviews?sort=random"), 400, "validation_error", "sort")
    assert_error(api.get("/reviews?rating=9"), 400, "validation_error", "rating")


def test_business_profile_get_and_update(api, salon):
    data = api.get("/business").get_json()["data"]
    assert data["slug"] == salon[0].slug and data["hours"]["monday"] == {"open": "09:00", "close": "18:00"}
    updated = api.patch("/business", json={"description": "Award winning", "phone": "020 7946 0018",
                                           "address": {"city": "Leeds"}}).get_json()["data"]
    assert updated["description"] == "Award winning" and updated["phone"] == "+442079460018"
    assert updated["address"]["city"] == "Leeds"
    assert_error(api.patch("/business", json={"phone": "123"}), 400, "validation_error", "phone")
    assert_error(api.patch("/business", json={"address": {"planet": "Mars"}}), 400, "validation_error", "address.planet")
    assert_error(api.patch("/business", json={"name": ""}), 400, "validation_error", "name")


def test_analytics_matches_the_domain_function(api, session, salon):
    _completed(session, salon, 9, "ada@example.com")
    _completed(session, salon, 11, "bob@example.com")
    now = datetime.now(timezone.utc)
    data = api.get("/analytics?period=all").get_json()["data"]
    assert data == business_analytics(session, salon[0], period="all", now=now)
    assert_error(api.get("/analytics?period=1y"), 400, "validation_error", "period")


def test_analytics_counts_revenue_rating_top_services_and_busy_days(session, salon):
    first = _completed(session, salon, 9, "ada@example.com")
    _completed(session, salon, 11, "bob@example.com")
    session.add(Review(business_id=salon[0].id, booking_id=first.id, rating=4, customer_name="Ada"))
    session.commit()
    data = business_analytics(session, salon[0], period="7d", now=at(MONDAY, 20))
    assert data["total_bookings"] == 2 and data["total_revenue_cents"] == 10000
    assert data["top_services"][0]["booking_count"] == 2 and data["busy_days"] == [{"day": "Monday", "booking_count": 2}]
    later = business_analytics(session, salon[0], period="7d", now=at(MONDAY, 20) + timedelta(days=30))
    assert later["total_bookings"] == 0


def test_the_api_cannot_remove_or_demote_an_owner_nor_make_one(api, salon, make_staff, session):
    """The dashboard's guard (setup.check_staff_change) holds on the API: a key acts with a
    manager's rights over roles, and the business keeps its owner."""
    owner = make_staff(salon[0], [], name="Olive", role="owner")
    for response in (
        api.patch(f"/staff/{owner.id}", json={"role": "staff"}),
        api.delete(f"/staff/{owner.id}"),
        api.patch(f"/staff/{salon[2].id}", json={"role": "owner"}),
        api.post("/staff", json={"name": "Newt", "role": "owner"}),
    ):
        assert_error(response, 400, "validation_error", "role")
    session.expire_all()
    assert owner.role == "owner" and owner.is_active and owner.deleted_at is None
    # Everything that does not touch an owner still works.
    assert api.patch(f"/staff/{owner.id}", json={"bio": "Founder"}).status_code == 200
    assert api.patch(f"/staff/{salon[2].id}", json={"role": "manager"}).status_code == 200
    assert api.delete(f"/staff/{salon[3].id}").status_code == 200


def test_the_last_active_owner_cannot_be_retired_through_catalog(session, salon, make_staff):
    """Even acting as an owner (the dashboard's path), catalog refuses to leave the business
    without an active owner."""
    from bookingapp.domain import catalog
    from bookingapp.domain.errors import ValidationError

    owner = make_staff(salon[0], [], name="Olive", role="owner")
    for change in (lambda: catalog.delete_staff(session, salon[0], owner, acting_role="owner"),
                   lambda: catalog.update_staff(session, salon[0], owner, {"role": "staff"}, acting_role="owner")):
        with pytest.raises(ValidationError, match="at least one owner"):
            change()
    session.rollback()
    # Taking no bookings ("is_active") is not retiring: a sole owner may leave the calendar.
    catalog.update_staff(session, salon[0], owner, {"is_active": False}, acting_role="owner")
    assert owner.role == "owner" and owner.deleted_at is None
    second = make_staff(salon[0], [], name="Otto", role="owner")
    catalog.delete_staff(session, salon[0], owner, acting_role="owner")
    assert owner.deleted_at is not None and second.role == "owner"


def test_business_has_the_seed_shape_with_what_we_do_not_store_as_null(api):
    data = api.get("/business").get_json()["data"]
    assert {"logo_url", "cover_photo_url", "plan", "rating", "review_count", "hours", "booking_settings"} <= set(data)
    assert (data["logo_url"], data["cover_photo_url"], data["plan"]) == (None, None, None)


def test_availability_of_an_unknown_or_retired_service_is_not_found(api, salon, session):
    business, service, *_ = salon
    assert_error(api.get(f"/availability?date=2030-06-03&service_id={uuid.uuid4()}"), 404, "not_found", "service_id")
    service.is_active = False
    session.commit()
    assert_error(api.get(f"/availability?date=2030-06-03&service_id={service.id}"), 404, "not_found", "service_id")
