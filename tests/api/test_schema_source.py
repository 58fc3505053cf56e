"""One schema source: the document, the validation and the domain's limits say the same thing,
because the document is derived from the models the requests are validated with."""
from __future__ import annotations

import pytest

from bookingapp.api.operations import REGISTRY
from bookingapp.domain.catalog import ADDRESS_FIELDS, MAX_BUFFER_MINUTES, MAX_DURATION_MINUTES
from bookingapp.domain.custom_fields import MAX_NOTES_LENGTH
from bookingapp.domain.review_replies import MAX_REPLY_LENGTH
from tests.api.conftest import assert_error


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def _body_schema(document, path, method):
    ref = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _text_limit(schema: dict) -> int:
    branches = schema.get("anyOf", [schema])
    return next(b["maxLength"] for b in branches if "maxLength" in b)


def test_the_documents_limits_are_the_domains_constants(document):
    for path in ("/bookings", "/bookings/hold", "/bookings/reserve", "/bookings/{booking_id}/book"):
        assert _text_limit(_body_schema(document, path, "post")["properties"]["notes"]) == MAX_NOTES_LENGTH
    service = _body_schema(document, "/services", "post")["properties"]
    assert service["duration_minutes"]["maximum"] == MAX_DURATION_MINUTES
    assert service["buffer_minutes"]["maximum"] == service["buffer_before_minutes"]["maximum"] == MAX_BUFFER_MINUTES
    assert _body_schema(document, "/reviews/{review_id}/reply", "post")["properties"]["reply"]["maxLength"] == MAX_REPLY_LENGTH
    address = document["components"]["schemas"]["AddressBody"]["properties"]
    assert {name: _text_limit(schema) for name, schema in address.items()} == ADDRESS_FIELDS


def test_every_registered_operation_is_documented_with_its_models_parameters(document):
    for op in REGISTRY:
        documented = document["paths"][op.path][op.method.lower()]
        query = {p["name"] for p in documented.get("parameters", []) if p["in"] == "query"}
        assert query == {field.alias or name for name, field in op.query.model_fields.items()}, op.label
        assert ("requestBody" in documented) == (op.body is not None), op.label
        assert str(op.status) in documented["responses"], op.label


def test_a_text_over_the_documented_limit_is_refused_and_one_at_it_is_not(api, salon):
    service = salon[1]
    body = {"service_id": str(service.id), "start_at": "2030-06-03T09:00:00Z"}
    refused = api.post("/bookings/hold", json={**body, "notes": "x" * (MAX_NOTES_LENGTH + 1)})
    error = assert_error(refused, 400, "validation_error", "notes")
    assert error["error"]["message"] == f"notes is too long ({MAX_NOTES_LENGTH} characters at most)."
    accepted = api.post("/bookings/hold", json={**body, "notes": "x" * MAX_NOTES_LENGTH})
    assert accepted.status_code == 201, accepted.get_json()
