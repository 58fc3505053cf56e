"""The audit trail through the doors people use: each money and access action leaves one
row naming who acted (the account or the API key, readably), from which address and
browser, what it touched and the before/after of a price; the rows cannot be changed."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from bookingapp.domain import audit
from bookingapp.domain import booking as booking_ops
from bookingapp.domain import payments
from bookingapp.models import Account, ApiKey, WebhookEndpoint
from bookingapp.models.audit import AuditEvent
from bookingapp.payments.sandbox import SUCCESS_CARD, SandboxProvider, try_card
from tests.dashboard.conftest import PASSWORD, Dashboard
from tests.helpers import MONDAY, at, before

BROWSER = {"User-Agent": "AuditTest/1.0 (Firefox)"}
SERVICE_FORM = {"name": "Cut", "category_id": "", "description": "", "duration_minutes": "60", "price_cents": "55.00",
                "deposit_cents": "15.00", "buffer_before_minutes": "0", "buffer_minutes": "0", "sort_order": "0",
                "is_active": "on"}


def rows(session, action=None):
    session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.created_at, AuditEvent.action)
    if action:
        query = query.where(AuditEvent.action == action)
    return session.scalars(query).all()


def only(session, action) -> AuditEvent:
    found = rows(session, action)
    assert len(found) == 1, [(r.action, r.details) for r in rows(session)]
    return found[0]


@pytest.fixture
def owner(salon, as_role):
    dash = as_role(salon[0], "owner", email="owner@example.com")
    return dash


def test_a_service_price_change_from_the_dashboard_records_before_and_after_with_the_owner_and_address(
        session, salon, owner):
    business, service, _, _ = salon
    before_price, before_deposit = service.price_cents, service.deposit_cents
    response = owner.post(f"/dashboard/setup/services/{service.id}", SERVICE_FORM, headers=BROWSER)
    assert response.status_code == 303, response.get_data(as_text=True)
    event = only(session, "service.price_changed")
    assert event.details["price_cents"] == {"before": before_price, "after": 5500}
    assert event.details["deposit_cents"] == {"before": before_deposit, "after": 1500}
    assert (event.actor_kind, event.actor_label) == ("account", "owner@example.com (owner)")
    assert event.actor_id == str(session.scalar(select(Account.id).where(Account.email == "owner@example.com")))
    assert (event.subject_type, event.subject_id) == ("service", str(service.id))
    assert event.ip_address == "127.0.0.1" and event.user_agent == BROWSER["User-Agent"]
    assert event.business_id == business.id
    # Saving the form again without changing the money records nothing new.
    assert owner.post(f"/dashboard/setup/services/{service.id}", SERVICE_FORM).status_code == 303
    assert len(rows(session, "service.price_changed")) == 1


def test_a_service_price_change_through_the_api_names_the_key(session, salon, api):
    _, service, _, _ = salon
    response = api.patch(f"/services/{service.id}", json={"price_cents": 7000}, headers=BROWSER)
    assert response.status_code == 200, response.get_json()
    event = only(session, "service.price_changed")
    key = session.scalars(select(ApiKey)).one()
    assert (event.actor_kind, event.actor_id) == ("api_key", str(key.id))
    assert event.actor_label == f"API key {key.name} ({key.prefix}…)"
    assert event.details["price_cents"]["after"] == 7000 and "deposit_cents" not in event.details


def test_api_keys_and_webhook_endpoints_made_and_removed_from_the_dashboard_are_recorded(
        app, session, salon, owner):
    app.config["WEBHOOK_ALLOW_PRIVATE_URLS"] = True
    assert owner.post("/dashboard/developer/keys", {"name": "Website", "mode": "live", "scope": "read"},
                      htmx=True).status_code == 201
    key = session.scalars(select(ApiKey).where(ApiKey.name == "Website")).one()
    assert owner.post(f"/dashboard/developer/keys/{key.id}/revoke").status_code == 200
    added = owner.post("/dashboard/developer/webhooks", {"url": "https://hooks.example/in", "description": "",
                                                         "events": []})
    assert added.status_code == 201, added.get_data(as_text=True)
    endpoint = session.scalars(select(WebhookEndpoint)).one()
    assert owner.post(f"/dashboard/developer/webhooks/{endpoint.id}/delete").status_code in (200, 303)
    created = only(session, "api_key.created")
    assert created.details == {"name": "Website", "mode": "live", "scope": "read", "prefix": key.prefix}
    assert only(session, "api_key.revoked").subject_id == str(key.id)
    assert only(session, "webhook_endpoint.created").details["url"] == "https://hooks.example/in"
    assert only(session, "webhook_endpoint.deleted").subject_id == str(endpoint.id)
    assert {r.actor_label for r in rows(session) if r.action.startswith(("api_key.", "webhook_endpoint."))} == {
        "owner@example.com (owner)"}
    # The owner's own account was made by the test's setup, outside any request: the system.
    assert only(session, "account.created").actor_kind == "system"


def test_webhook_endpoints_made_and_removed_through_the_api_name_the_key(session, salon, api):
    made = api.post("/webhooks", json={"url": "https://hooks.example/api"})
    assert made.status_code == 201, made.get_json()
    endpoint_id = made.get_json()["data"]["id"]
    assert api.delete(f"/webhooks/{endpoint_id}").status_code in (200, 204)
    for action in ("webhook_endpoint.created", "webhook_endpoint.deleted"):
        event = only(session, action)
        assert event.actor_kind == "api_key" and event.subject_id == endpoint_id


def test_accounts_roles_and_passwords_managed_from_setup_are_recorded(app, session, salon, owner):
    business, _, alice, bob = salon
    base = f"/dashboard/setup/staff/{alice.id}/access"
    assert owner.post(base, {"email": "alice@example.com", "password": PASSWORD}).status_code == 303
    assert owner.post(f"{base}/password", {"password": "another long password"}).status_code == 303
    assert owner.post(f"{base}/disable").status_code == 303
    assert owner.post(f"{base}/enable").status_code == 303
    form = {"name": "Bob", "email": "", "phone": "", "role": "manager", "bio": "", "sort_order": "1", "is_active": "on"}
    assert owner.post(f"/dashboard/setup/staff/{bob.id}", form).status_code == 303
    assert owner.post(f"/dashboard/setup/staff/{bob.id}/retire").status_code in (302, 303)
    alice_account = session.scalars(select(Account).where(Account.email == "alice@example.com")).one()
    created = [r for r in rows(session, "account.created") if r.subject_id == str(alice_account.id)]
    assert created and created[0].details["role"] == alice.role
    for action in ("account.password_reset", "account.disabled", "account.enabled"):
        assert only(session, action).subject_id == str(alice_account.id)
    role = only(session, "account.role_changed")
    assert role.subject_id == str(bob.id) and role.details["role"] == {"before": "staff", "after": "manager"}
    assert only(session, "account.removed").subject_id == str(bob.id)


def test_sign_ins_two_factor_password_change_and_sign_out_everywhere_are_recorded(app, session, salon, make_account):
    make_account(salon[0], "manager", email="manager@example.com")
    refused = Dashboard(app.test_client()).sign_in("manager@example.com", "not the password")
    assert refused.status_code == 401
    failed = only(session, "account.sign_in_failed")
    assert failed.actor_label == "manager@example.com (manager)" and failed.details == {"step": "password"}
    dash = Dashboard(app.test_client())
    assert dash.sign_in("manager@example.com").status_code == 302
    assert only(session, "account.signed_in").details == {"method": "password"}

    page = dash.get("/dashboard/security").get_data(as_text=True)
    secret = re.search(r"data-secret>([A-Z2-7]+)<", page).group(1)
    assert dash.post("/dashboard/security/two-factor", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    assert only(session, "account.two_factor_enabled").actor_label == "manager@example.com (manager)"
    assert dash.post("/dashboard/security/two-factor/disable", {"password": PASSWORD}).status_code in (302, 303)
    only(session, "account.two_factor_disabled")
    changed = dash.post("/dashboard/security/password", {"current_password": PASSWORD,
                                                          "new_password": "a new long password",
                                                          "confirm_password": "a new long password"})
    assert changed.status_code in (200, 302, 303)
    only(session, "account.password_changed")
    # The password change ends other sessions, but is recorded as what it is, not as a sign-out.
    assert rows(session, "account.signed_out_everywhere") == []
    again = Dashboard(app.test_client())
    assert again.sign_in("manager@example.com", "a new long password").status_code == 302
    assert again.post("/dashboard/security/sign-out-everywhere").status_code == 302
    only(session, "account.signed_out_everywhere")


@pytest.fixture
def paid(app, session, salon, make_customer):
    """A confirmed Monday 10:00 booking whose 10.00 deposit was paid on the sandbox, a week ahead."""
    app.config["STRIPE_SECRET_KEY"] = ""
    business, service, alice, _ = salon
    paid_at = before(days=7)
    app.config["CLOCK"] = lambda: paid_at
    held = booking_ops.hold(session, business, service, at(MONDAY, 10), staff=alice,
                            customer=make_customer(business), now=paid_at)
    session.commit()
    provider = SandboxProvider(session, url_for_checkout=lambda sid: f"http://sandbox/{sid}")
    started = payments.start_checkout(session, provider, held, now=paid_at, success_url="http://x/ok",
                                      cancel_url="http://x/cancel")
    assert try_card(provider, started.payment.provider_session_id, SUCCESS_CARD).paid
    payments.confirm_checkout(session, provider, started.payment.provider_session_id, now=paid_at)
    session.commit()
    app.config["CLOCK"] = lambda: at(MONDAY, 10) - timedelta(hours=2)  # past the free window
    return held


def test_an_owner_overriding_the_policy_records_the_override_and_the_refund(session, salon, paid, owner):
    response = owner.post(f"/dashboard/bookings/{paid.id}/status",
                          {"status": "cancelled", "refund": "refund_all", "reason": "Stylist ill"}, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    override = only(session, "booking.policy_overridden")
    assert override.details["override"] == "refund_all" and override.details["refunded_cents"] == 1000
    assert override.subject_id == str(paid.id) and override.actor_label == "owner@example.com (owner)"
    refund = only(session, "payment.refunded")
    assert refund.details["amount_cents"] == 1000 and refund.details["booking_number"] == paid.booking_number
    assert refund.details["method"] == "card" and refund.actor_kind == "account"


def test_closing_a_checkout_and_refunding_at_the_desk_are_recorded(session, salon, served, owner):
    from bookingapp.models.checkout import Checkout

    opened = owner.post(f"/dashboard/bookings/{served.id}/checkout")
    base = opened.headers["Location"].replace("http://localhost", "")
    assert owner.post(f"{base}/pay", {"method": "cash"}, htmx=True).status_code == 204
    closed = only(session, "checkout.closed")
    checkout = session.scalars(select(Checkout)).one()
    assert closed.subject_id == str(checkout.id) and closed.details["total_cents"] == checkout.total_cents
    assert owner.post(f"{base}/refund", {"amount": "5.00", "method": "cash", "reason": "goodwill"},
                      htmx=True).status_code == 200
    refund = only(session, "payment.refunded")
    assert refund.details == {"amount_cents": 500, "currency": "GBP", "method": "cash", "reason": "goodwill",
                              "booking_id": str(served.id), "booking_number": served.booking_number}


def test_the_database_refuses_to_change_or_delete_an_audit_row(app, session, salon):
    business = salon[0]
    event = audit.record(session, business, "api_key.created", details={"name": "x"})
    session.commit()
    for statement in ("UPDATE audit_events SET action = 'api_key.revoked'", "DELETE FROM audit_events"):
        with pytest.raises(DatabaseError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
    session.expire_all()
    kept = session.get(AuditEvent, event.id)
    assert kept.action == "api_key.created"
    kept.details = {"name": "changed"}
    with pytest.raises(DatabaseError, match="append-only"):
        session.commit()
    session.rollback()


def test_an_unknown_action_is_a_programming_error(session, salon):
    with pytest.raises(ValueError):
        audit.record(session, salon[0], "booking.teleported")


def test_outside_a_request_the_actor_is_the_system(session, salon):
    event = audit.record(session, salon[0], "api_key.created")
    assert (event.actor_kind, event.actor_label, event.ip_address) == ("system", "system", None)


def test_a_refund_made_by_cancelling_through_the_api_names_the_key(app, session, salon, paid, api):
    app.config["CLOCK"] = lambda: at(MONDAY, 10) - timedelta(days=3)  # inside the free window
    assert api.post(f"/bookings/{paid.id}/cancel").status_code == 200
    refund = only(session, "payment.refunded")
    assert refund.actor_kind == "api_key" and refund.details["amount_cents"] == 1000
    assert rows(session, "booking.policy_overridden") == []  # the policy was followed


def test_a_service_made_through_the_api_is_recorded_with_its_price(session, salon, api):
    made = api.post("/services", json={"name": "Blow dry", "duration_minutes": 30, "price_cents": 2500})
    assert made.status_code == 201, made.get_json()
    event = only(session, "service.created")
    assert event.subject_id == made.get_json()["data"]["id"] and event.actor_kind == "api_key"
    assert (event.details["price_cents"], event.details["deposit_cents"]) == (2500, 0)


def test_a_two_factor_sign_in_and_the_owners_requirement_are_recorded(app, session, salon, owner):
    moment = {"now": datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)}
    app.config["CLOCK"] = lambda: moment["now"]
    page = owner.get("/dashboard/security").get_data(as_text=True)
    totp = pyotp.TOTP(re.search(r"data-secret>([A-Z2-7]+)<", page).group(1))
    assert owner.post("/dashboard/security/two-factor", {"code": totp.at(moment["now"])}).status_code == 200
    assert owner.post("/dashboard/security/require-two-factor", {"require_two_factor": "on"}).status_code == 302
    required = only(session, "business.two_factor_required")
    assert required.details == {"required": {"before": False, "after": True}}

    again = Dashboard(app.test_client())
    assert again.sign_in("owner@example.com").headers["Location"].endswith("/dashboard/sign-in/code")
    form = again.get("/dashboard/sign-in/code").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    moment["now"] += timedelta(seconds=30)  # the enrolment's code may not be used again
    code = totp.at(moment["now"])
    wrong = "000000" if code != "000000" else "111111"
    assert again.raw_post("/dashboard/sign-in/code", data={"code": wrong, "csrf_token": token}).status_code == 401
    assert only(session, "account.sign_in_failed").details == {"step": "second factor"}
    assert again.raw_post("/dashboard/sign-in/code", data={"code": code, "csrf_token": token}).status_code == 302
    # The password step alone is not a sign-in: one row, once the code was right.
    second = [r for r in rows(session, "account.signed_in") if r.details["method"] != "password"]
    assert [r.details["method"] for r in second] == ["password and code"]


def test_the_worker_switching_off_a_failing_endpoint_is_recorded_as_the_system(
        app, session, salon, make_customer, httpserver):
    from bookingapp.notifications.webhooks import DeliverySettings, create_endpoint, run_once

    app.config["WEBHOOK_ALLOW_PRIVATE_URLS"] = True
    business, service, alice, _ = salon
    endpoint = create_endpoint(session, business, url=httpserver.url_for("/hook"))
    booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business), staff=alice,
                               now=before())
    session.commit()
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    settings = DeliverySettings(timeout_seconds=5, retry_for=timedelta(hours=24), disable_after_failures=2,
                                allow_private=True)
    now = before()
    for _ in range(2):
        run_once(session, settings, now=now)
        now += timedelta(hours=3)
    event = only(session, "webhook_endpoint.disabled")
    assert (event.actor_kind, event.subject_id) == ("system", str(endpoint.id))
    assert event.details == {"url": endpoint.url, "consecutive_failures": 2}
