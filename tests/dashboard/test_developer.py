"""Developer settings: API keys shown once and revoked; webhook endpoints added, tested,
their delivery log with status codes, a delivery replayed (against a real local server)."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bookingapp.models.api import ApiKey, WebhookDelivery, WebhookEndpoint
from bookingapp.notifications.webhooks import DeliverySettings, run_once
from tests.helpers import MONDAY, at


def test_a_key_is_shown_once_works_and_stops_working_when_revoked(salon, as_role, session, client):
    business = salon[0]
    dash = as_role(business, "owner")
    created = dash.post("/dashboard/developer/keys", {"name": "Website", "mode": "live", "scope": "full"}, htmx=True)
    html = created.get_data(as_text=True)
    assert created.status_code == 201 and html.lstrip().startswith("<div id=\"developer\"")
    secret = re.search(r'data-secret>(bo_live_[^<]+)<', html).group(1)
    assert secret not in dash.get("/dashboard/developer").get_data(as_text=True)  # never shown again
    key = session.scalars(select(ApiKey).where(ApiKey.business_id == business.id)).one()
    assert key.name == "Website" and key.key_hash != secret
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/business", headers=headers).status_code == 200
    assert dash.post(f"/dashboard/developer/keys/{key.id}/revoke").status_code == 200
    assert client.get("/api/v1/business", headers=headers).status_code == 401


def test_a_key_needs_a_name_and_a_known_mode(salon, as_role, session):
    dash = as_role(salon[0], "manager")
    nameless = dash.post("/dashboard/developer/keys", {"name": "  ", "mode": "live", "scope": "read"})
    assert nameless.status_code == 422 and "Name is required." in nameless.get_data(as_text=True)
    odd = dash.post("/dashboard/developer/keys", {"name": "Typed name", "mode": "prod", "scope": "read"})
    html = odd.get_data(as_text=True)
    assert odd.status_code == 422 and "live or test" in html and 'value="Typed name"' in html
    assert session.scalars(select(ApiKey)).all() == []


def test_the_owner_chooses_a_key_s_scope_and_the_list_shows_it(salon, as_role, session, client):
    business, service, *_ = salon
    dash = as_role(business, "owner")
    form = dash.get("/dashboard/developer").get_data(as_text=True)
    assert re.search(r'<select name="scope">.*<option value="read" selected>', form)  # the narrowest, preselected
    assert all(f'<option value="{scope}"' in form for scope in ("read", "bookings", "catalog", "full"))
    created = dash.post("/dashboard/developer/keys", {"name": "Stock sync", "mode": "live", "scope": "catalog"})
    html = created.get_data(as_text=True)
    assert created.status_code == 201
    secret = re.search(r'data-secret>(bo_live_[^<]+)<', html).group(1)
    key = session.scalars(select(ApiKey).where(ApiKey.business_id == business.id)).one()
    assert key.scope == "catalog"
    listed = dash.get("/dashboard/developer").get_data(as_text=True)
    assert re.search(rf'data-key="{key.prefix}">.*?data-scope="catalog"', listed, re.S)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.patch(f"/api/v1/services/{service.id}", json={"name": "Trim"}, headers=headers).status_code == 200
    refused = client.post("/api/v1/bookings", json={}, headers=headers)
    assert refused.status_code == 403 and refused.get_json()["error"]["details"]["key_scope"] == "catalog"


def test_a_key_needs_a_known_scope(salon, as_role, session):
    dash = as_role(salon[0], "owner")
    for scope in ({"scope": "admin"}, {}):
        refused = dash.post("/dashboard/developer/keys", {"name": "Typed name", "mode": "live", **scope})
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "Scope must be one of read, bookings, catalog, full." in html
        assert 'value="Typed name"' in html
    assert session.scalars(select(ApiKey)).all() == []


def test_webhook_endpoint_test_event_log_and_replay(salon, as_role, session, httpserver, app):
    business = salon[0]
    app.config["CLOCK"] = lambda: at(MONDAY, 9)
    app.config["WEBHOOK_ALLOW_PRIVATE_URLS"] = True  # the receiver is this machine's test server
    dash = as_role(business, "owner")
    bad = dash.post("/dashboard/developer/webhooks", {"url": "ftp://nope", "description": "Typed", "events": ["booking.created"]})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "absolute http(s) URL" in html and 'value="Typed"' in html and 'value="booking.created" checked' in html

    added = dash.post("/dashboard/developer/webhooks", {"url": httpserver.url_for("/hook"), "description": "", "events": []})
    assert added.status_code == 201 and "whsec_" in added.get_data(as_text=True)
    endpoint = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.business_id == business.id)).one()

    assert dash.post(f"/dashboard/developer/webhooks/{endpoint.id}/test", htmx=True).status_code == 202
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=503)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok", status=200)
    run_once(session, DeliverySettings(), now=at(MONDAY, 9, 1))
    log = dash.get(f"/dashboard/developer/webhooks/{endpoint.id}").get_data(as_text=True)
    assert 'data-status="failed"' in log and "data-response-status>503<" in log  # a test event is tried once

    delivery = session.scalars(select(WebhookDelivery)).one()
    replayed = dash.post(f"/dashboard/developer/deliveries/{delivery.id}/replay", htmx=True)
    assert replayed.status_code == 202 and 'data-status="pending"' in replayed.get_data(as_text=True)
    again = dash.post(f"/dashboard/developer/deliveries/{delivery.id}/replay", htmx=True)
    assert again.status_code == 422 and "still pending" in again.get_data(as_text=True)
    session.expire_all()
    run_once(session, DeliverySettings(), now=at(MONDAY, 9, 2))
    log = dash.get(f"/dashboard/developer/webhooks/{endpoint.id}").get_data(as_text=True)
    assert 'data-status="succeeded"' in log and "data-response-status>200<" in log
    first, second = [request for request, _ in httpserver.log]
    assert first.headers["X-Webhook-Id"] == second.headers["X-Webhook-Id"]  # the same event, so receivers de-duplicate

    assert dash.post(f"/dashboard/developer/webhooks/{endpoint.id}/delete").status_code == 303
    session.expire_all()
    assert session.get(WebhookEndpoint, endpoint.id).deleted_at is not None
    assert dash.get(f"/dashboard/developer/webhooks/{endpoint.id}").status_code == 404


def test_other_business_keys_and_endpoints_are_not_found(salon, as_role, make_business, session):
    from bookingapp.api.keys import create_api_key
    from bookingapp.notifications.webhooks import create_endpoint, send_test_event

    other = make_business()
    key, _ = create_api_key(session, other)
    endpoint = create_endpoint(session, other, url="https://other.example/hook")
    delivery = send_test_event(session, other, endpoint, now=at(MONDAY, 9) - timedelta(days=1))
    delivery.status = "failed"
    session.commit()
    dash = as_role(salon[0], "owner")
    assert dash.post(f"/dashboard/developer/keys/{key.id}/revoke").status_code == 404
    assert dash.get(f"/dashboard/developer/webhooks/{endpoint.id}").status_code == 404
    assert dash.post(f"/dashboard/developer/deliveries/{delivery.id}/replay").status_code == 404
    session.expire_all()
    assert session.get(ApiKey, key.id).revoked_at is None
