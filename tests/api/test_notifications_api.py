"""Notifications through the API: `skip_notifications` on every booking command (the
customer hears nothing, staff and webhooks still do), the business's reminder cadence and
message switches, staff email choices, and a booking's delivery log."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from bookingapp.domain import booking as booking_ops
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.domain.reminders import MAX_HOURS, MAX_STEPS, MIN_HOURS
from bookingapp.domain.test_mode import SETTINGS_MESSAGE
from bookingapp.models import Booking, Message, OutboxEvent
from tests.api.conftest import Api, assert_error
from tests.helpers import MONDAY, at, before

NOW = before(MONDAY, days=7)
START = at(MONDAY, 10)
LATER = at(MONDAY, 15)
CUSTOMER = {"customer_name": "Ada Lovelace", "customer_email": "ada@example.com"}


@pytest.fixture
def shop(app, session, salon):
    """The salon with a pinned clock and a stylist who reads her booking emails."""
    app.config["CLOCK"] = lambda: NOW
    business, service, alice, bob = salon
    alice.email = "alice@salon.example"
    bob.email = "bob@salon.example"
    session.commit()
    return business, service, alice, bob


def messages_of(session, booking_id) -> list[tuple[str, str, str]]:
    session.expire_all()
    rows = session.scalars(select(Message).where(Message.booking_id == booking_id)
                           .order_by(Message.created_at, Message.kind)).all()
    return sorted((m.audience, m.kind, m.recipient) for m in rows)


def topics(session, business) -> list[str]:
    session.expire_all()
    return [e.topic for e in session.scalars(select(OutboxEvent).where(OutboxEvent.business_id == business.id)
                                             .order_by(OutboxEvent.created_at, OutboxEvent.id))]


def placement(service, staff, start=START, **extra) -> dict:
    return {"service_id": str(service.id), "staff_id": str(staff.id), "start_at": start.isoformat(), **extra}


def made(session, business, service, staff, *, pending: bool = False) -> Booking:
    """Ada's booking at START, made in the domain (confirmed, or pending approval)."""
    business.auto_confirm = not pending
    customer = find_or_create_customer(session, business, email="ada@example.com", name="Ada Lovelace")
    booking = booking_ops.create_booking(session, business, service, START, customer, staff=staff, now=NOW)
    session.commit()
    return booking


def data(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()["data"]


# --------------------------------------------------------------------------- skip_notifications


@pytest.mark.parametrize("skip", [False, True])
def test_a_booking_made_in_one_step_tells_the_customer_unless_skipped(api, session, shop, skip):
    business, service, alice, _ = shop
    body = placement(service, alice, **CUSTOMER)
    if skip:
        body["skip_notifications"] = True
    booking = data(api.post("/bookings", json=body), 201)
    staff_message = ("staff", "staff_new_booking", "alice@salon.example")
    customer_message = ("customer", "booking_confirmed", "ada@example.com")
    expected = [staff_message] if skip else [customer_message, staff_message]
    assert messages_of(session, uuid.UUID(booking["id"])) == expected
    assert topics(session, business) == ["booking.created"]


@pytest.mark.parametrize("path", ["/bookings/hold", "/bookings/reserve"])
def test_skip_on_a_hold_or_reservation_keeps_its_later_booking_quiet(api, session, shop, path):
    business, service, alice, _ = shop
    kept = data(api.post(path, json=placement(service, alice, skip_notifications=True)), 201)
    data(api.post(f"/bookings/{kept['id']}/book", json=CUSTOMER))
    assert messages_of(session, uuid.UUID(kept["id"])) == [("staff", "staff_new_booking", "alice@salon.example")]
    assert "booking.created" in topics(session, business)


def test_a_hold_without_skip_is_booked_with_the_customer_told(api, session, shop):
    _, service, alice, _ = shop
    held = data(api.post("/bookings/hold", json=placement(service, alice)), 201)
    data(api.post(f"/bookings/{held['id']}/book", json=CUSTOMER))
    assert ("customer", "booking_confirmed", "ada@example.com") in messages_of(session, uuid.UUID(held["id"]))


def test_skip_on_book_alone_keeps_the_customer_from_hearing(api, session, shop):
    _, service, alice, _ = shop
    held = data(api.post("/bookings/hold", json=placement(service, alice)), 201)
    data(api.post(f"/bookings/{held['id']}/book", json={**CUSTOMER, "skip_notifications": True}))
    assert messages_of(session, uuid.UUID(held["id"])) == [("staff", "staff_new_booking", "alice@salon.example")]


@pytest.mark.parametrize("body,told", [(None, True), ({}, True), ({"skip_notifications": True}, False)],
                         ids=["no-body", "empty-body", "skip"])
def test_confirming_a_pending_booking_tells_the_customer_unless_skipped(api, session, shop, body, told):
    business, service, alice, _ = shop
    booking = made(session, business, service, alice, pending=True)
    confirmed = data(api.post(f"/bookings/{booking.id}/confirm", json=body))
    assert confirmed["status"] == "confirmed"
    approvals = [m for m in messages_of(session, booking.id) if m[1] == "booking_approved"]
    assert approvals == ([("customer", "booking_approved", "ada@example.com")] if told else [])
    assert "booking.updated" in topics(session, business)


@pytest.mark.parametrize("how", ["cancel", "patch"])
@pytest.mark.parametrize("skip", [False, True])
def test_cancelling_tells_the_customer_unless_skipped_and_always_staff_and_webhooks(api, session, shop, how, skip):
    business, service, alice, _ = shop
    booking = made(session, business, service, alice)
    quiet = {"skip_notifications": True} if skip else {}
    if how == "cancel":
        response = api.post(f"/bookings/{booking.id}/cancel", json=quiet or None)
    else:
        response = api.patch(f"/bookings/{booking.id}", json={"status": "cancelled", **quiet})
    assert data(response)["status"] == "cancelled"
    after = [m for m in messages_of(session, booking.id) if m[1] in ("booking_cancelled", "staff_cancelled")]
    staff_message = ("staff", "staff_cancelled", "alice@salon.example")
    assert after == ([staff_message] if skip else [("customer", "booking_cancelled", "ada@example.com"), staff_message])
    assert "booking.cancelled" in topics(session, business)


@pytest.mark.parametrize("skip", [False, True])
def test_rescheduling_tells_the_customer_unless_skipped(api, session, shop, skip):
    business, service, alice, bob = shop
    booking = made(session, business, service, alice)
    body = {"start_at": LATER.isoformat(), "staff_id": str(bob.id)}
    if skip:
        body["skip_notifications"] = True
    moved = data(api.post(f"/bookings/{booking.id}/reschedule", json=body))
    found = messages_of(session, uuid.UUID(moved["id"]))
    told = [m for m in found if m[0] == "customer"]
    assert told == ([] if skip else [("customer", "booking_rescheduled", "ada@example.com")])
    # Both stylists hear of it: the one who has it now and the one who lost it.
    assert {m[2] for m in found if m[1] == "staff_rescheduled"} == {"alice@salon.example", "bob@salon.example"}
    assert "booking.rescheduled" in topics(session, business)


def test_skip_notifications_must_be_a_boolean(api, shop):
    _, service, alice, _ = shop
    response = api.post("/bookings", json=placement(service, alice, **CUSTOMER, skip_notifications="yes"))
    assert_error(response, 400, "validation_error", "skip_notifications")


SKIPPABLE = [("post", "/bookings"), ("post", "/bookings/hold"), ("post", "/bookings/reserve"),
             ("post", "/bookings/{booking_id}/book"), ("post", "/bookings/{booking_id}/confirm"),
             ("post", "/bookings/{booking_id}/cancel"), ("post", "/bookings/{booking_id}/reschedule"),
             ("patch", "/bookings/{booking_id}")]


@pytest.mark.parametrize("method,path", SKIPPABLE)
def test_skip_notifications_is_documented_on_every_booking_command(client, method, path):
    document = client.get("/api/v1/openapi.json").get_json()
    schema = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    field = schema["properties"]["skip_notifications"]
    assert field["type"] == "boolean" and field["default"] is False
    assert "webhooks and staff messages still go" in field["description"]
    assert "skip_notifications" not in schema.get("required", [])


# --------------------------------------------------------------------------- business settings


def test_the_business_shows_its_notification_settings(api, shop):
    settings = data(api.get("/business"))["notification_settings"]
    assert settings == {"reminder_cadence": [{"hours_before": 24, "email": True, "sms": False}],
                        "sms_notifications": False, "review_requests": True}


def test_the_notification_settings_are_changed_only_as_sent(api, session, shop):
    business = shop[0]
    changed = data(api.patch("/business/notifications", json={
        "reminder_cadence": [{"hours_before": 2, "email": True, "sms": True}, {"hours_before": 24, "email": True, "sms": False}],
        "sms_notifications": True,
    }))["notification_settings"]
    assert changed["sms_notifications"] is True and changed["review_requests"] is True
    assert sorted(changed["reminder_cadence"], key=lambda s: s["hours_before"]) == [
        {"hours_before": 2, "email": True, "sms": True}, {"hours_before": 24, "email": True, "sms": False}]
    data(api.patch("/business/notifications", json={"review_requests": False}))
    session.expire_all()
    assert business.review_requests is False and business.sms_notifications is True
    assert len(business.reminder_cadence) == 2
    assert data(api.get("/business"))["notification_settings"]["review_requests"] is False


def test_an_empty_cadence_switches_reminders_off(api, shop):
    settings = data(api.patch("/business/notifications", json={"reminder_cadence": []}))["notification_settings"]
    assert settings["reminder_cadence"] == []


def step(hours: int, *, email: bool = True, sms: bool = False) -> dict:
    return {"hours_before": hours, "email": email, "sms": sms}


@pytest.mark.parametrize("body,param", [
    ({"reminder_cadence": [step(h) for h in range(1, MAX_STEPS + 2)]}, "reminder_cadence"),
    ({"reminder_cadence": [step(24), step(24, sms=True)]}, "reminder_cadence"),
    ({"reminder_cadence": [step(0)]}, "reminder_cadence[0].hours_before"),
    ({"reminder_cadence": [step(MAX_HOURS + 1)]}, "reminder_cadence[0].hours_before"),
    ({"reminder_cadence": [{**step(24), "push": True}]}, "reminder_cadence[0].push"),
    ({"reminder_cadence": [{"email": True, "sms": False}]}, "reminder_cadence[0].hours_before"),
    ({"reminder_cadence": [{"hours_before": 24, "email": True}]}, "reminder_cadence[0].sms"),
    ({"reminder_cadence": None}, "reminder_cadence"),
    ({"sms_notifications": "true"}, "sms_notifications"),
    ({"reminder_cadence": "24h"}, "reminder_cadence"),
], ids=["too-many", "same-hours", "zero", "too-far", "unknown-channel", "no-hours", "no-sms", "null", "text-bool",
        "text"])
def test_a_bad_cadence_is_refused_naming_the_field_and_changes_nothing(api, session, shop, body, param):
    business = shop[0]
    response = api.patch("/business/notifications", json={**body, "review_requests": False})
    assert_error(response, 400, "validation_error", param)
    session.expire_all()
    assert business.review_requests is True
    assert business.reminder_cadence == [{"hours_before": 24, "email": True, "sms": False}]


def test_the_cadence_bounds_in_the_document_are_the_domains(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["NotificationSettingsBody"]["properties"]["reminder_cadence"]["maxItems"] == MAX_STEPS
    hours = schemas["ReminderStepBody"]["properties"]["hours_before"]
    assert (hours["minimum"], hours["maximum"]) == (MIN_HOURS, MAX_HOURS)


def test_a_test_key_cannot_change_the_notification_settings(client, session, shop, make_key):
    test_key = Api(client, make_key(shop[0], "test"))
    response = test_key.patch("/business/notifications", json={"sms_notifications": True})
    body = assert_error(response, 403, "forbidden")
    assert body["error"]["message"] == SETTINGS_MESSAGE
    session.expire_all()
    assert shop[0].sms_notifications is False


# --------------------------------------------------------------------------- staff


def test_staff_email_choices_are_set_and_shown(api, shop):
    created = data(api.post("/staff", json={"name": "Cara", "email": "cara@salon.example", "daily_agenda": True,
                                            "booking_emails": False}), 201)
    assert (created["booking_emails"], created["daily_agenda"]) == (False, True)
    updated = data(api.patch(f"/staff/{created['id']}", json={"booking_emails": True}))
    assert (updated["booking_emails"], updated["daily_agenda"]) == (True, True)
    defaults = data(api.post("/staff", json={"name": "Dev"}), 201)
    assert (defaults["booking_emails"], defaults["daily_agenda"]) == (True, False)
    listed = {m["name"]: m for m in data(api.get("/staff"))}
    assert listed["Cara"]["booking_emails"] is True


def test_a_stylist_who_turned_booking_emails_off_is_not_written_to(api, session, shop):
    business, service, alice, _ = shop
    data(api.patch(f"/staff/{alice.id}", json={"booking_emails": False}))
    booking = data(api.post("/bookings", json=placement(service, alice, **CUSTOMER)), 201)
    assert messages_of(session, uuid.UUID(booking["id"])) == [("customer", "booking_confirmed", "ada@example.com")]


def test_staff_email_choices_must_be_booleans(api, shop):
    assert_error(api.patch(f"/staff/{shop[2].id}", json={"daily_agenda": 1}), 400, "validation_error", "daily_agenda")


# --------------------------------------------------------------------------- the delivery log


def test_a_bookings_messages_are_listed_newest_first(app, api, session, shop):
    business, service, alice, bob = shop
    booking = data(api.post("/bookings", json=placement(service, alice, **CUSTOMER)), 201)
    app.config["CLOCK"] = lambda: before(MONDAY, days=2)
    data(api.post(f"/bookings/{booking['id']}/cancel"))
    response = api.get(f"/bookings/{booking['id']}/messages")
    assert response.status_code == 200
    body = response.get_json()
    assert body["meta"] == {"page": 1, "limit": 25, "total": 4}
    rows = body["data"]
    assert [(m["audience"], m["kind"]) for m in rows[:2]] in (
        [("customer", "booking_cancelled"), ("staff", "staff_cancelled")],
        [("staff", "staff_cancelled"), ("customer", "booking_cancelled")])
    assert {m["kind"] for m in rows[2:]} == {"booking_confirmed", "staff_new_booking"}
    first = next(m for m in rows if m["kind"] == "booking_confirmed")
    assert first == {
        "id": first["id"], "kind": "booking_confirmed", "channel": "email", "audience": "customer",
        "recipient": "ada@example.com", "status": "pending", "created_at": "2030-05-27T00:00:00.000Z",
        "due_at": "2030-05-27T00:00:00.000Z", "sent_at": None, "attempts": 0, "last_error": None,
    }
    page_two = api.get(f"/bookings/{booking['id']}/messages?limit=3&page=2").get_json()
    assert [m["id"] for m in page_two["data"]] == [rows[3]["id"]] and page_two["meta"]["total"] == 4


def test_a_delivery_failure_is_shown_with_its_reason(api, session, shop):
    business, service, alice, _ = shop
    booking = made(session, business, service, alice)
    message = session.scalars(select(Message).where(Message.booking_id == booking.id,
                                                    Message.audience == "customer")).one()
    message.status, message.attempts, message.last_error = "failed", 5, "550 mailbox unavailable"
    session.commit()
    (shown,) = [m for m in data(api.get(f"/bookings/{booking.id}/messages")) if m["id"] == str(message.id)]
    assert (shown["status"], shown["attempts"], shown["last_error"]) == ("failed", 5, "550 mailbox unavailable")


def test_the_messages_of_a_booking_are_seen_only_by_keys_that_see_the_booking(
        client, session, shop, make_key, make_business, api_for):
    business, service, alice, _ = shop
    booking = made(session, business, service, alice)
    test_key = Api(client, make_key(business, "test"))
    assert_error(test_key.get(f"/bookings/{booking.id}/messages"), 404, "not_found")
    stranger = api_for(make_business())
    assert_error(stranger.get(f"/bookings/{booking.id}/messages"), 404, "not_found")
    assert_error(stranger.get(f"/bookings/{uuid.uuid4()}/messages"), 404, "not_found")
    # A test booking tells nobody, and its (empty) log is the test key's to read.
    test_booking = data(test_key.post("/bookings", json=placement(service, alice, LATER, **CUSTOMER)), 201)
    assert data(test_key.get(f"/bookings/{test_booking['id']}/messages")) == []
