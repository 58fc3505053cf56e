"""schemathesis, in process, over every operation of our own /api/v1/openapi.json with an
authorised key: no 5xx, and every response conforms to the document."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from bookingapp import create_app
from bookingapp.api.keys import create_api_key
from bookingapp.domain import booking as booking_domain
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.extensions import db
from tests.helpers import MONDAY, at, before

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture
def fuzz_app(database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "localhost",
                      "RATELIMIT_ENABLED": False})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def fuzz_key(fuzz_app, make_business, make_service, make_staff):
    """A business with a booking, and its key (the fixture's own app writes the rows)."""
    with fuzz_app.app_context():
        business = make_business()
        service = make_service(business)
        make_staff(business, [service])
        customer = find_or_create_customer(db.session, business, email="ada@example.com", name="Ada")
        booking_domain.create_booking(db.session, business, service, at(MONDAY, 10), customer, now=before())
        _, raw = create_api_key(db.session, business)
        db.session.commit()
        return raw


def test_the_document_is_openapi_3_1_and_lists_every_route(fuzz_app):
    document = fuzz_app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    documented = {(f"/api/v1{path}".replace("{", "<").replace("}", ">"), method.upper())
                  for path, methods in document["paths"].items() for method in methods}
    routed = set()
    for rule in fuzz_app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.unknown_route":
            path = rule.rule
            for converter in ("uuid:",):
                path = path.replace(converter, "")
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented


@pytest.mark.slow
def test_every_operation_conforms(fuzz_app, fuzz_key):
    """Each operation in turn with Hypothesis-generated cases (the schemathesis pytest plugin
    does not load under pytest 9, so the operations are walked here)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    documented = {f"{m.upper()} {p}" for p, methods in schema.raw_schema["paths"].items() for m in methods}
    # schemathesis leaves out the document's own URL; the test above reads it.
    assert {operation.label for operation in operations} == documented - {"GET /openapi.json"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_key}"}, checks=CHECKS)

        try:
            run()
        except Exception as error:
            error.add_note(f"operation: {operation.label}")
            raise
