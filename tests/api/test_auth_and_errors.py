"""Keys, the error envelope, request ids, and bad input that must be a 400 with its param."""
from __future__ import annotations

from bookingapp.api.keys import find_active_key, revoke_api_key
from bookingapp.models import ApiKey
from tests.api.conftest import Api, assert_error
from tests.helpers import MONDAY, at


def test_live_and_test_keys_have_distinct_prefixes_and_only_a_digest_is_stored(session, salon, make_key):
    live, test = make_key(salon[0]), make_key(salon[0], mode="test")
    assert live.startswith("bo_live_") and test.startswith("bo_test_")
    stored = session.query(ApiKey).all()
    assert {k.mode for k in stored} == {"live", "test"}
    assert all(live not in (k.key_hash, k.prefix) and len(k.key_hash) == 64 for k in stored)


def test_missing_invalid_and_revoked_keys_are_401(client, session, salon, make_key):
    assert_error(client.get("/api/v1/services"), 401, "unauthorized")
    assert_error(Api(client, "bo_live_nope").get("/services"), 401, "unauthorized")
    raw = make_key(salon[0])
    assert Api(client, raw).get("/services").status_code == 200
    revoke_api_key(session, find_active_key(session, raw))
    session.commit()
    assert_error(Api(client, raw).get("/services"), 401, "unauthorized")


def test_x_api_key_header_is_accepted(client, salon, make_key):
    raw = make_key(salon[0])
    assert client.get("/api/v1/services", headers={"X-Api-Key": raw}).status_code == 200


def test_key_of_an_inactive_business_is_403(client, session, salon, make_key):
    raw = make_key(salon[0])
    salon[0].is_active = False
    session.commit()
    assert_error(Api(client, raw).get("/services"), 403, "forbidden")


def test_every_response_has_a_request_id_and_a_sane_incoming_one_is_kept(api):
    assert api.get("/services").headers["X-Request-Id"].startswith("req_")
    assert api.get("/services", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    assert api.get("/services", headers={"X-Request-Id": "bad id <script>"}).headers["X-Request-Id"].startswith("req_")
    assert api.get("/nowhere").headers["X-Request-Id"]


def test_unknown_path_is_404_and_wrong_method_is_405_in_the_envelope(api, salon):
    assert_error(api.get("/nowhere"), 404, "not_found")
    assert_error(api.get("/bookings/not-a-uuid"), 404, "not_found")
    response = api.client.put("/api/v1/services", headers=api._headers(None))
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_malformed_json_wrong_types_bad_dates_and_unknown_status_are_400_with_param(api, salon):
    business, service, alice, _ = salon
    headers = {"Content-Type": "application/json"}
    assert_error(api.post("/bookings", data="{not json", headers=headers), 400, "validation_error", "body")
    assert_error(api.post("/bookings", json=[1, 2]), 400, "validation_error", "body")
    assert_error(api.post("/bookings", json={"service_id": 5}), 400, "validation_error", "service_id")
    good = {"service_id": str(service.id), "start_at": at(MONDAY, 10).isoformat(), "customer_name": "Ada",
            "customer_email": "ada@example.com"}
    assert_error(api.post("/bookings", json={**good, "start_at": "next tuesday"}), 400, "validation_error", "start_at")
    assert_error(api.post("/bookings", json={**good, "start_at": "2030-06-03T10:00:00"}), 400, "validation_error", "start_at")
    assert_error(api.post("/bookings", json={**good, "customer_email": "nope"}), 400, "validation_error", "customer_email")
    assert_error(api.post("/bookings", json={**good, "surprise": 1}), 400, "validation_error", "surprise")
    assert_error(api.get("/bookings?status=lost"), 400, "validation_error", "status")
    assert_error(api.get("/bookings?from=31-12-2030"), 400, "validation_error", "from")
    assert_error(api.get("/bookings?limit=1000"), 400, "validation_error", "limit")
    assert_error(api.get("/bookings?page=zero"), 400, "validation_error", "page")
    assert_error(api.get(f"/availability?service_id={service.id}&date=2030-13-01"), 400, "validation_error", "date")
    assert_error(api.post("/services", json={"name": "X", "duration_minutes": "60", "price_cents": 1}), 400,
                 "validation_error", "duration_minutes")
    assert_error(api.post("/services", json={"name": "X", "duration_minutes": True, "price_cents": 1}), 400,
                 "validation_error", "duration_minutes")
    created = api.post("/bookings", json=good).get_json()["data"]
    assert_error(api.patch(f"/bookings/{created['id']}", json={"status": "teleported"}), 400, "validation_error", "status")
    assert_error(api.patch(f"/bookings/{created['id']}", json={"status": 3}), 400, "validation_error", "status")


def test_invalid_transition_names_the_valid_ones(api, salon):
    business, service, *_ = salon
    created = api.post("/bookings", json={"service_id": str(service.id), "start_at": at(MONDAY, 10).isoformat(),
                                          "customer_name": "Ada", "customer_email": "ada@example.com"}).get_json()["data"]
    api.patch(f"/bookings/{created['id']}", json={"status": "cancelled"})
    body = assert_error(api.patch(f"/bookings/{created['id']}", json={"status": "confirmed"}), 400, "validation_error", "status")
    assert "none (terminal status)" in body["error"]["message"]


def test_cli_create_api_key_prints_the_key_alone_on_its_last_line(app, session, salon):
    result = app.test_cli_runner().invoke(args=["create-api-key", salon[0].slug])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("bo_live_") and " " not in last
    assert find_active_key(session, last) is not None
    test_key = app.test_cli_runner().invoke(args=["create-api-key", salon[0].slug, "--test"]).output.strip().splitlines()[-1]
    assert test_key.startswith("bo_test_")
    assert app.test_cli_runner().invoke(args=["create-api-key", "no-such-slug"]).exit_code != 0
