"""Issue 10's API cases: hostile and sloppy input is a clear error in the envelope (never a
500, nothing stored), the API says exactly what it accepts (unknown query parameters, OPTIONS,
malformed ids, body size), the list filters integrators expect, and a run-out hold reads
expired at once."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bookingapp.domain import booking as booking_domain
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.models import Booking, Business, Service
from tests.api.conftest import Api, assert_error
from tests.helpers import MONDAY, at, before


def _hold_body(service, **extra) -> dict:
    return {"service_id": str(service.id), "start_at": at(MONDAY, 10).isoformat(), **extra}


def _raw(api, method: str, path: str, raw: bytes):
    """A body sent byte for byte (a JSON escape such as \\ud800 stays an escape on the wire)."""
    return api.client.open("/api/v1" + path, method=method, data=raw,
                           headers={**api._headers(None), "Content-Type": "application/json"})


def _deep(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def _bookings(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Booking))


# --------------------------------------------------------------------------- nesting


@pytest.mark.parametrize("depth", [400, 900, 5000])
def test_json_nested_hundreds_deep_in_custom_fields_is_a_400_naming_it(api, salon, session, depth):
    service = salon[1]
    body = json.dumps(_hold_body(service))[:-1] + f', "custom_fields": {{"a": {_deep(depth)}}}}}'
    response = _raw(api, "POST", "/bookings/hold", body.encode())
    error = assert_error(response, 400, "validation_error", "custom_fields")
    assert "nested too deeply" in error["error"]["message"]
    assert _bookings(session) == 0


@pytest.mark.parametrize("depth", [400, 900, 5000])
def test_json_nested_hundreds_deep_in_the_business_address_is_a_400_naming_it(api, salon, session, depth):
    business = salon[0]
    response = _raw(api, "PATCH", "/business", f'{{"address": {{"street": {_deep(depth, chr(34) + "x" + chr(34))}}}}}'.encode())
    error = assert_error(response, 400, "validation_error")
    assert error["error"]["param"] in ("address", "address.street")
    session.expire_all()
    assert session.get(Business, business.id).address_street is None


# --------------------------------------------------------------------------- lone surrogates


@pytest.mark.parametrize("field", ["customer_name", "notes"])
@pytest.mark.parametrize("escape", ["\\ud800", "\\udc00"])
def test_a_lone_surrogate_in_a_booking_text_is_a_400_and_nothing_is_stored(api, salon, session, field, escape):
    service = salon[1]
    body = _hold_body(service, customer_email="ada@example.com", customer_name="Ada")
    raw = json.dumps(body)[:-1] + f', "{field}": "Ada {escape}"}}'
    if field == "customer_name":
        raw = json.dumps({**body, "customer_name": "PLACEHOLDER"}).replace("PLACEHOLDER", f"Ada {escape}")
    response = _raw(api, "POST", "/bookings/hold", raw.encode())
    error = assert_error(response, 400, "validation_error", field)
    assert "lone surrogate" in error["error"]["message"]
    assert _bookings(session) == 0


@pytest.mark.parametrize("where", ["value", "key", "nested"])
def test_a_lone_surrogate_inside_custom_fields_is_a_400_and_nothing_is_stored(api, salon, session, where):
    service = salon[1]
    inner = {"value": '{"source": "x \\ud800"}', "key": '{"\\udc00": "x"}',
             "nested": '{"a": {"b": ["ok", "\\ud800"]}}'}[where]
    raw = json.dumps(_hold_body(service))[:-1] + f', "custom_fields": {inner}}}'
    assert_error(_raw(api, "POST", "/bookings/hold", raw.encode()), 400, "validation_error", "custom_fields")
    assert _bookings(session) == 0


def test_a_lone_surrogate_in_the_business_name_is_a_400_and_the_name_is_kept(api, salon, session):
    business = salon[0]
    assert_error(_raw(api, "PATCH", "/business", b'{"name": "Salon \\ud800"}'), 400, "validation_error", "name")
    assert_error(_raw(api, "PATCH", "/business", b'{"address": {"city": "\\udc00"}}'), 400, "validation_error",
                 "address.city")
    session.expire_all()
    assert session.get(Business, business.id).name == "Test Salon"


def test_a_lone_surrogate_in_a_service_name_is_a_400_and_nothing_is_stored(api, salon, session):
    service = salon[1]
    assert_error(_raw(api, "POST", "/services", b'{"name": "Cut \\ud800", "duration_minutes": 30, "price_cents": 100}'),
                 400, "validation_error", "name")
    assert_error(_raw(api, "PATCH", f"/services/{service.id}", b'{"name": "\\udfff"}'), 400, "validation_error", "name")
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Service)) == 1
    assert session.get(Service, service.id).name == "Cut"


def test_a_surrogate_pair_is_ordinary_text(api, salon):
    """A correctly paired escape is a real character (here an emoji) and is accepted."""
    response = _raw(api, "PATCH", "/business", b'{"description": "Nails \\ud83d\\udc85"}')
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["description"] == "Nails \U0001F485"


# --------------------------------------------------------------------------- query strings


@pytest.mark.parametrize("path,param", [
    ("/bookings?sort=start_at", "sort"), ("/bookings?staff=1", "staff"), ("/services?foo=1", "foo"),
    ("/business?expand=hours", "expand"), (f"/availability?date={MONDAY}&service=x", "service"),
    ("/reviews?limit=5&order=asc", "order"),
])
def test_an_unknown_query_parameter_is_a_400_naming_it(api, salon, path, param):
    body = assert_error(api.get(path), 400, "validation_error", param)
    assert body["error"]["message"] == f"Unknown query parameter {param!r}."


def test_strict_bodies_refuse_strings_for_numbers_and_numbers_for_booleans(api, salon):
    service = salon[1]
    assert_error(api.patch(f"/services/{service.id}", json={"price_cents": "5"}), 400, "validation_error", "price_cents")
    assert_error(api.patch(f"/services/{service.id}", json={"is_active": 1}), 400, "validation_error", "is_active")
    assert_error(api.patch(f"/services/{service.id}", json={"price_cents": 5.5}), 400, "validation_error", "price_cents")
    too_long = assert_error(api.post("/bookings/hold", json=_hold_body(service, notes="x" * 2001)), 400,
                            "validation_error", "notes")
    assert too_long["error"]["message"] == "notes is too long (2000 characters at most)."


# --------------------------------------------------------------------------- OPTIONS, ids, methods


@pytest.mark.parametrize("path,allowed", [
    ("/bookings", {"GET", "HEAD", "POST", "OPTIONS"}),
    ("/bookings/hold", {"POST", "OPTIONS"}),
    ("/bookings/{id}", {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}),
    ("/business", {"GET", "HEAD", "PATCH", "OPTIONS"}),
    ("/webhooks/{id}/deliveries", {"GET", "HEAD", "OPTIONS"}),
])
def test_options_lists_exactly_the_paths_methods(client, path, allowed):
    response = client.open("/api/v1" + path.replace("{id}", "5f0c8a53-6f65-4d3c-9a43-7c1cbd0c6a10"), method="OPTIONS")
    assert response.status_code == 204
    assert set(response.headers["Allow"].split(", ")) == allowed


def test_options_on_an_unknown_path_is_a_404_envelope(client):
    assert_error(client.open("/api/v1/nowhere", method="OPTIONS"), 404, "not_found")


@pytest.mark.parametrize("method,path,message", [
    ("GET", "/bookings/not-a-uuid", "Booking not found."),
    ("DELETE", "/bookings/123", "Booking not found."),
    ("POST", "/bookings/xyz/cancel", "Booking not found."),
    ("PATCH", "/services/nope", "Service not found."),
    ("GET", "/staff/nope", "Staff member not found."),
    ("GET", "/products/nope", "Product not found."),
    ("POST", "/reviews/nope/reply", "Review not found."),
    ("GET", "/webhooks/nope/deliveries", "Webhook endpoint not found."),
])
def test_a_malformed_id_in_a_path_is_that_resources_404(api, method, path, message):
    body = assert_error(api.client.open("/api/v1" + path, method=method, headers=api._headers(None)), 404, "not_found")
    assert body["error"]["message"] == message


def test_a_method_the_path_does_not_have_is_a_405_with_its_allow(api):
    response = api.client.open("/api/v1/bookings/not-a-uuid", method="PUT", headers=api._headers(None))
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}
    response = api.get("/bookings/hold")
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


# --------------------------------------------------------------------------- body size


@pytest.mark.parametrize("method,path,headers", [
    ("POST", "/bookings", {}), ("POST", "/bookings/hold", {"Idempotency-Key": "big-1"}), ("PATCH", "/business", {}),
])
def test_a_body_over_the_size_limit_is_a_413_in_the_envelope(app, api, salon, session, method, path, headers):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    body = json.dumps(_hold_body(salon[1], notes="x" * 5000)).encode()
    response = api.client.open("/api/v1" + path, method=method, data=body,
                               headers={**api._headers(headers), "Content-Type": "application/json"})
    error = assert_error(response, 413, "payload_too_large")
    assert error["error"]["message"] == "The request body is too large (4096 bytes at most)."
    assert _bookings(session) == 0


def test_the_document_lists_payload_too_large_on_operations_with_a_body(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert "payload_too_large" in document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert "413" in document["paths"]["/bookings"]["post"]["responses"]
    assert "413" not in document["paths"]["/bookings"]["get"]["responses"]


# --------------------------------------------------------------------------- list filters


@pytest.fixture
def three_bookings(session, salon):
    business, cut, alice, bob = salon
    ada = find_or_create_customer(session, business, email="Ada@Example.com", name="Ada")
    bea = find_or_create_customer(session, business, email="bea@example.com", name="Bea")
    first = booking_domain.create_booking(session, business, cut, at(MONDAY, 10), ada, staff=alice, now=before())
    second = booking_domain.create_booking(session, business, cut, at(MONDAY, 10), bea, staff=bob, now=before())
    third = booking_domain.create_booking(session, business, cut, at(MONDAY + timedelta(days=1), 10), ada, staff=alice,
                                          now=before())
    session.commit()
    return first, second, third


def _ids(api, query: str) -> set[str]:
    response = api.get(f"/bookings?{query}")
    assert response.status_code == 200, response.get_json()
    return {b["id"] for b in response.get_json()["data"]}


def test_bookings_filter_by_staff_service_and_customer_email(api, salon, three_bookings, make_service):
    business, cut, alice, bob = salon
    first, second, third = (str(b.id) for b in three_bookings)
    assert _ids(api, f"staff_id={alice.id}") == {first, third}
    assert _ids(api, f"staff_id={bob.id}") == {second}
    assert _ids(api, f"service_id={cut.id}") == {first, second, third}
    assert _ids(api, f"service_id={make_service(business, name='Colour').id}") == set()
    assert _ids(api, "customer_email=ADA@example.COM") == {first, third}  # case-insensitive, exact
    assert _ids(api, "customer_email=ada@example") == set()
    assert _ids(api, f"customer_email=bea@example.com&staff_id={alice.id}") == set()
    assert_error(api.get("/bookings?staff_id=alice"), 400, "validation_error", "staff_id")


def test_bookings_filter_by_a_local_day_and_not_with_from_or_to(api, salon, three_bookings):
    first, second, third = (str(b.id) for b in three_bookings)
    assert _ids(api, f"date={MONDAY}") == {first, second}
    assert _ids(api, f"date={MONDAY + timedelta(days=1)}") == {third}
    assert _ids(api, f"date={MONDAY - timedelta(days=1)}") == set()
    assert_error(api.get(f"/bookings?date={MONDAY}&from={MONDAY}"), 400, "validation_error", "date")
    assert_error(api.get("/bookings?date=2030-02-30"), 400, "validation_error", "date")


def test_the_date_filter_is_the_businesss_day_not_the_utc_day(session, client, make_key, make_business, make_service,
                                                              make_staff):
    """09:00 on Monday in Kiritimati (UTC+14) is 19:00 on Sunday in UTC: it is Monday's."""
    business = make_business(timezone="Pacific/Kiritimati")
    service = make_service(business)
    member = make_staff(business, [service])
    customer = find_or_create_customer(session, business, email="kiri@example.com", name="Kiri")
    made = booking_domain.create_booking(session, business, service, at(MONDAY, 9, tz="Pacific/Kiritimati"),
                                         customer, staff=member, now=before(days=3))
    session.commit()
    api = Api(client, make_key(business))
    assert _ids(api, f"date={MONDAY}") == {str(made.id)}
    assert _ids(api, f"date={MONDAY - timedelta(days=1)}") == set()


def test_a_run_out_hold_reads_expired_at_once_and_is_listed_as_expired(app, api, salon, session):
    business, cut, alice, _ = salon
    held = booking_domain.hold(session, business, cut, at(MONDAY, 12), staff=alice, now=before())
    session.commit()
    app.config["CLOCK"] = lambda: held.hold_expires_at - timedelta(seconds=1)
    assert api.get(f"/bookings/{held.id}").get_json()["data"]["status"] == "held"
    assert _ids(api, "status=held") == {str(held.id)} and _ids(api, "status=expired") == set()
    # The worker has not run: the row still says held, but its time has passed.
    app.config["CLOCK"] = lambda: held.hold_expires_at
    assert api.get(f"/bookings/{held.id}").get_json()["data"]["status"] == "expired"
    assert _ids(api, "status=held") == set() and _ids(api, "status=expired") == {str(held.id)}
    listed = api.get("/bookings").get_json()["data"]
    assert [b["status"] for b in listed] == ["expired"]
