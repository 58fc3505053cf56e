"""Every operation of the OpenAPI document: 401 without a key, with a bad key and with a
revoked key; a crash in any route is a 500 internal_error in the envelope with its request
id; and GET of single staff members, products and reviews."""
from __future__ import annotations

import uuid

import pytest

from bookingapp.api.keys import find_active_key, revoke_api_key
from bookingapp.api.openapi import document
from bookingapp.domain import booking as booking_domain
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.models import Product, Review
from tests.api.conftest import assert_error
from tests.helpers import MONDAY, at, before


def _operations():
    from bookingapp import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        paths = document()["paths"]
    return [(method.upper(), path) for path, methods in sorted(paths.items()) for method in sorted(methods)
            if path != "/openapi.json"]


OPERATIONS = _operations()


def _call(client, method, path, headers):
    url = "/api/v1" + path.replace("{", "").replace("}", "")
    for name in ("booking_id", "service_id", "staff_id", "product_id", "review_id", "endpoint_id"):
        url = url.replace(name, str(uuid.uuid4()))
    kwargs = {"headers": headers}
    if method in ("POST", "PATCH"):
        kwargs["json"] = {}
    return client.open(url, method=method, **kwargs)


@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_is_401_without_a_valid_key(client, session, salon, make_key, method, path):
    revoked = make_key(salon[0])
    revoke_api_key(session, find_active_key(session, revoked))
    session.commit()
    for headers in ({}, {"Authorization": "Bearer bo_live_not_a_key"}, {"X-Api-Key": "bo_test_nope"},
                    {"Authorization": f"Bearer {revoked}"}):
        body = assert_error(_call(client, method, path, headers), 401, "unauthorized")
        assert body["meta"]["request_id"]


def test_the_document_is_public(client):
    assert client.get("/api/v1/openapi.json").status_code == 200


@pytest.mark.parametrize("method,path", [("GET", "/services"), ("POST", "/bookings"), ("GET", "/business"),
                                         ("GET", "/analytics")])
def test_a_crash_in_a_route_is_a_500_internal_error_in_the_envelope(app, api, monkeypatch, method, path):
    from bookingapp.api import operations, views

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    app.config["PROPAGATE_API_ERRORS"] = False
    for name in ("paginate", "business_analytics", "rating_summary"):
        monkeypatch.setattr(views, name, explode)
    monkeypatch.setattr(operations, "read_body", explode)  # where a POST's body is read
    response = api.client.open("/api/v1" + path, method=method, json={} if method == "POST" else None,
                               headers={**api._headers(None), "X-Request-Id": "trace-500"})
    body = assert_error(response, 500, "internal_error")
    assert body["meta"]["request_id"] == response.headers["X-Request-Id"] == "trace-500"
    assert "boom" not in response.get_data(as_text=True)  # no internals leak


@pytest.fixture
def things(session, salon):
    business, service, alice, _ = salon
    customer = find_or_create_customer(session, business, email="ada@example.com", name="Ada")
    made = booking_domain.create_booking(session, business, service, at(MONDAY, 9), customer, now=before())
    booking_domain.start(session, made, now=at(MONDAY, 9))
    booking_domain.complete(session, made, now=at(MONDAY, 10))
    review = Review(business_id=business.id, booking_id=made.id, rating=4, comment="Lovely", customer_name="Ada L.")
    product = Product(business_id=business.id, name="Argan Oil", price_cents=1800, category="Hair", sku="ARG-1")
    session.add_all([review, product])
    session.commit()
    return {"staff": alice, "service": service, "review": review, "product": product}


def test_get_one_staff_member(api, things):
    alice = things["staff"]
    data = api.get(f"/staff/{alice.id}").get_json()["data"]
    assert data["id"] == str(alice.id) and data["name"] == "Alice"
    assert data["services"] == [{"id": str(things["service"].id), "name": "Cut"}]


def test_get_one_product(api, things):
    product = things["product"]
    data = api.get(f"/products/{product.id}").get_json()["data"]
    assert (data["id"], data["name"], data["price_cents"], data["sku"]) == (str(product.id), "Argan Oil", 1800, "ARG-1")


def test_get_one_review(api, things):
    review = things["review"]
    data = api.get(f"/reviews/{review.id}").get_json()["data"]
    assert (data["id"], data["rating"], data["comment"]) == (str(review.id), 4, "Lovely")
    assert data["customer_name"] == "Ada L."


@pytest.mark.parametrize("path", ["/staff/{id}", "/products/{id}", "/reviews/{id}"])
def test_get_one_unknown_is_404(api, path):
    assert_error(api.get(path.format(id=uuid.uuid4())), 404, "not_found")
