"""Tenant isolation: with another business's key, every endpoint answers 404 for this
business's objects, and lists are empty."""
from __future__ import annotations

import pytest

from bookingapp.domain import booking as booking_domain
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.models import Product, Review, WebhookEndpoint
from tests.api.conftest import assert_error
from tests.helpers import MONDAY, at, before


@pytest.fixture
def world(app, session, salon, make_business, make_service, make_staff, api_for):
    """The salon with one of everything, and an API client for a second business."""
    app.config["API_SYNC_SETTLE_SECONDS"] = 0  # so the cursor list would show the salon's rows if it leaked
    business, service, alice, bob = salon
    customer = find_or_create_customer(session, business, email="ada@example.com", name="Ada")
    made = booking_domain.create_booking(session, business, service, at(MONDAY, 9), customer, now=before())
    booking_domain.start(session, made, now=at(MONDAY, 9))
    booking_domain.complete(session, made, now=at(MONDAY, 10))
    held = booking_domain.hold(session, business, service, at(MONDAY, 12), now=before())
    review = Review(business_id=business.id, booking_id=made.id, rating=5, customer_name="Ada")
    product = Product(business_id=business.id, name="Oil", price_cents=100)
    endpoint = WebhookEndpoint(business_id=business.id, url="http://127.0.0.1:9/hook", secret="whsec_x", events=[])
    session.add_all([review, product, endpoint])
    session.commit()
    other = make_business(name="Rival", slug="rival")
    make_staff(other, [make_service(other)])
    ids = {"booking": made.id, "hold": held.id, "service": service.id, "staff": alice.id, "product": product.id,
           "review": review.id, "endpoint": endpoint.id}
    return ids, api_for(other)


OBJECT_REQUESTS = [
    ("get", "/bookings/{booking}", None),
    ("patch", "/bookings/{booking}", {"status": "cancelled"}),
    ("delete", "/bookings/{hold}", None),
    ("post", "/bookings/{hold}/book", {"customer_name": "Eve", "customer_email": "eve@example.com"}),
    ("post", "/bookings/{booking}/confirm", None),
    ("post", "/bookings/{booking}/reschedule", {"start_at": "2030-06-03T14:00:00Z"}),
    ("post", "/bookings/{booking}/cancel", None),
    ("get", "/services/{service}", None),
    ("patch", "/services/{service}", {"price_cents": 1}),
    ("delete", "/services/{service}", None),
    ("get", "/staff/{staff}", None),
    ("patch", "/staff/{staff}", {"bio": "x"}),
    ("delete", "/staff/{staff}", None),
    ("get", "/products/{product}", None),
    ("patch", "/products/{product}", {"price_cents": 1}),
    ("delete", "/products/{product}", None),
    ("get", "/reviews/{review}", None),
    ("post", "/reviews/{review}/reply", {"reply": "hi"}),
    ("get", "/webhooks/{endpoint}", None),
    ("delete", "/webhooks/{endpoint}", None),
    ("post", "/webhooks/{endpoint}/test", None),
    ("get", "/webhooks/{endpoint}/deliveries", None),
    ("get", "/availability?date=2030-06-03&service_id={service}", None),
    ("get", "/availability?date=2030-06-03&service_id={service}&staff_id={staff}", None),
]


@pytest.mark.parametrize("method,path,body", OBJECT_REQUESTS, ids=[f"{m} {p}" for m, p, _ in OBJECT_REQUESTS])
def test_another_business_key_gets_404_for_every_object(world, method, path, body):
    ids, rival = world
    url = path.format(**{k: str(v) for k, v in ids.items()})
    response = getattr(rival, method)(url, json=body) if body is not None else getattr(rival, method)(url)
    assert_error(response, 404, "not_found")


def test_another_business_key_cannot_book_with_this_business_service_or_staff(world):
    ids, rival = world
    response = rival.post("/bookings", json={"service_id": str(ids["service"]), "start_at": "2030-06-03T14:00:00Z",
                                             "customer_name": "Eve", "customer_email": "eve@example.com"})
    assert_error(response, 404, "not_found", "service_id")
    assert_error(rival.post("/staff", json={"name": "Eve", "service_ids": [str(ids["service"])]}), 400,
                 "validation_error", "service_ids[0]")


@pytest.mark.parametrize("path", ["/bookings", "/bookings?cursor=start", "/clients", "/reviews", "/webhooks",
                                  "/products", "/products?active=false"])
def test_another_business_key_sees_empty_lists(world, path):
    _, rival = world
    response = rival.get(path)
    assert response.status_code == 200 and response.get_json()["data"] == []


def test_another_business_key_sees_only_its_own_catalogue_profile_and_analytics(world, salon):
    ids, rival = world
    assert str(ids["service"]) not in [s["id"] for s in rival.get("/services").get_json()["data"]]
    assert str(ids["staff"]) not in [s["id"] for s in rival.get("/staff").get_json()["data"]]
    assert rival.get("/business").get_json()["data"]["slug"] == "rival"
    assert rival.get("/analytics?period=all").get_json()["data"]["total_reviews"] == 0
