"""GET /api/v1/audit-events: the same trail as the dashboard's, for a full key only,
filtered and paged like the API's other lists."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bookingapp.api.keys import create_api_key
from bookingapp.domain import audit
from tests.api.conftest import Api, assert_error

DAY = datetime(2030, 6, 3, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def trail(app, session, salon):
    business = salon[0]
    app.config["CLOCK"] = lambda: DAY + timedelta(days=2)
    anna = audit.Actor("account", "anna@example.com (owner)", "a1")
    audit.record(session, business, "api_key.created", actor=anna, now=DAY, subject_type="api_key", subject_id="k9")
    audit.record(session, business, "payment.refunded", actor=anna, now=DAY + timedelta(days=1),
                 details={"amount_cents": 500, "currency": "GBP"})
    session.commit()
    return business


def _key(session, client, business, scope):
    _, raw = create_api_key(session, business, scope=scope, name=f"{scope} key")
    session.commit()
    return Api(client, raw)


def test_a_full_key_reads_the_trail_newest_first_and_filtered(session, client, trail):
    api = _key(session, client, trail, "full")
    response = api.get("/audit-events")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    # The key's own creation (by the system, in the test, two days later) is the newest row.
    assert [e["action"] for e in body["data"]] == ["api_key.created", "payment.refunded", "api_key.created"]
    assert body["meta"] == {"page": 1, "limit": 25, "total": 3}
    refund = body["data"][1]
    assert refund["actor"] == {"kind": "account", "id": "a1", "label": "anna@example.com (owner)"}
    assert refund["details"] == {"amount_cents": 500, "currency": "GBP"} and refund["subject"] is None
    only = api.get("/audit-events?action=api_key.created&actor=anna").get_json()["data"]
    assert [(e["subject"], e["created_at"]) for e in only] == [({"type": "api_key", "id": "k9"}, "2030-06-03T09:00:00Z")]
    first_day = api.get("/audit-events?from=2030-06-03&to=2030-06-03").get_json()["data"]
    assert [e["action"] for e in first_day] == ["api_key.created"]
    assert_error(api.get("/audit-events?action=booking.teleported"), 400, "validation_error", "action")


@pytest.mark.parametrize("scope", ["read", "bookings", "catalog"])
def test_other_keys_are_refused(session, client, trail, scope):
    assert_error(_key(session, client, trail, scope).get("/audit-events"), 403, "forbidden")
