"""Request ids (taken from the load balancer or made) and JSON log lines that carry the request
id, the business and the actor."""
from __future__ import annotations

import io
import json
import logging

import pytest

from bookingapp.api.keys import create_api_key
from bookingapp.logs import JsonFormatter, RequestContextFilter, configure_logging


@pytest.fixture
def log_lines(app):
    """The JSON lines the access logger writes during the test."""
    app.config["ACCESS_LOG"] = True
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("bookingapp.access")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(previous)


def test_the_load_balancers_request_id_is_kept_and_sent_back(client):
    response = client.get("/healthz", headers={"X-Request-ID": "3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7"})
    assert response.headers["X-Request-ID"] == "3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7"


@pytest.mark.parametrize("offered", [None, "", "has spaces in it", "x" * 101, "quote\"injected-value"])
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(client, offered):
    headers = {"X-Request-ID": offered} if offered is not None else {}
    answered = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    assert answered != offered
    assert answered.startswith("req_") and len(answered) == 36


def test_the_api_error_body_and_the_log_line_carry_the_same_request_id(client, log_lines):
    response = client.get("/api/v1/services", headers={"X-Request-ID": "nginx-0123456789abcdef"})
    assert response.status_code == 401
    assert response.get_json()["meta"]["request_id"] == "nginx-0123456789abcdef"
    assert response.headers["X-Request-ID"] == "nginx-0123456789abcdef"
    (line,) = [entry for entry in log_lines() if entry.get("path") == "/api/v1/services"]
    assert line["request_id"] == "nginx-0123456789abcdef"


def test_each_request_writes_one_json_access_line_with_its_id(client, log_lines, salon):
    business = salon[0]
    client.get(f"/{business.slug}", headers={"X-Request-ID": "req-0000000000000001"})
    (line,) = [entry for entry in log_lines() if entry.get("path") == f"/{business.slug}"]
    assert line["request_id"] == "req-0000000000000001"
    assert line["status"] == 200 and line["method"] == "GET" and line["endpoint"] == "web.landing"
    assert line["business"] == business.slug and line["actor"] == "anonymous"
    assert line["logger"] == "bookingapp.access" and line["level"] == "info"
    assert isinstance(line["duration_ms"], float)


def test_an_api_request_names_the_business_and_the_key(client, log_lines, session, salon):
    business = salon[0]
    key, raw = create_api_key(session, business, mode="live", name="logs test")
    session.commit()
    client.get("/api/v1/services", headers={"Authorization": f"Bearer {raw}"})
    (line,) = [entry for entry in log_lines() if entry.get("path") == "/api/v1/services"]
    assert line["business"] == business.slug
    assert line["actor"] == f"api_key:{key.prefix}"


def test_configure_logging_replaces_only_its_own_handler():
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        first = configure_logging("WARNING", stream=io.StringIO())
        second = configure_logging("WARNING", stream=io.StringIO())
        assert first not in root.handlers and second in root.handlers
        assert [h for h in root.handlers if h is not second] == before
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(level)


def test_a_worker_line_outside_a_request_says_which_process(caplog):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter("worker"))
    logger = logging.getLogger("bookingapp.test_worker_line")
    logger.addHandler(handler)
    try:
        logger.warning("pass %s", "done", extra={"sent": 3})
    finally:
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["process"] == "worker" and entry["message"] == "pass done" and entry["sent"] == 3
    assert "request_id" not in entry


def test_a_dashboard_request_names_the_account_and_its_business(app, client, log_lines, session, salon):
    from bookingapp.auth.accounts import create_owner
    from tests.dashboard.conftest import PASSWORD, Dashboard

    business = salon[0]
    account = create_owner(session, business.slug, "owner@example.com", PASSWORD)
    session.commit()
    Dashboard(client).sign_in("owner@example.com")  # through the sign-in form, as an owner does
    client.get("/dashboard/day")
    (line,) = [entry for entry in log_lines() if entry.get("path") == "/dashboard/day"]
    assert line["actor"] == f"account:{account.id}"
    assert line["business"] in (business.slug, str(business.id))
