"""A client with a full history, for the export and erasure tests: Ada Lovelace booked
through the API (with an Idempotency-Key, a phone and notes), paid a deposit on the sandbox,
came, was checked out, reviewed her visit; a webhook endpoint has deliveries about her
still pending. Grace Hopper, another client, must come through every erasure untouched."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bookingapp.domain import booking as booking_ops
from bookingapp.domain import checkout as co
from bookingapp.domain import payments
from bookingapp.domain.reviews import leave_review
from bookingapp.models import Booking, Customer
from bookingapp.notifications import webhooks
from bookingapp.payments.sandbox import SUCCESS_CARD, SandboxProvider, try_card
from tests.api.conftest import Api, make_key  # noqa: F401  (fixtures)
from tests.dashboard.conftest import as_role, make_account  # noqa: F401  (fixtures)
from tests.helpers import MONDAY, at, before

ADA = {"name": "Ada Lovelace", "email": "ada.lovelace@example.com", "phone": "+447700900123"}
GRACE = {"name": "Grace Hopper", "email": "grace@example.com"}


@dataclass
class History:
    business: object
    ada: Customer
    grace: Customer
    visit: Booking      # completed, checked out, reviewed
    upcoming: Booking   # deposit paid, still to come
    api: Api


@pytest.fixture
def history(app, client, session, salon, make_key, make_customer) -> History:
    app.config.update(STRIPE_SECRET_KEY="", WEBHOOK_ALLOW_PRIVATE_URLS=True)
    business, service, alice, bob = salon
    booked_at = before(days=7)
    app.config["CLOCK"] = lambda: booked_at
    webhooks.create_endpoint(session, business, url="https://hooks.example/in")
    session.commit()
    api = Api(client, make_key(business))
    made = api.post("/bookings", headers={"Idempotency-Key": "ada-visit"}, json={
        "service_id": str(service.id), "staff_id": str(alice.id), "start_at": at(MONDAY, 10).isoformat(),
        "customer_name": ADA["name"], "customer_email": ADA["email"], "customer_phone": ADA["phone"],
        "notes": "Ada Lovelace is allergic to latex"})
    assert made.status_code == 201, made.get_json()
    visit = session.get(Booking, uuid.UUID(made.get_json()["data"]["id"]))
    ada = visit.customer
    held = booking_ops.hold(session, business, service, at(MONDAY + timedelta(days=7), 10), staff=alice,
                            customer=ada, now=booked_at)
    session.commit()
    provider = SandboxProvider(session, url_for_checkout=lambda sid: f"http://sandbox/{sid}")
    started = payments.start_checkout(session, provider, held, now=booked_at, success_url="http://x/ok",
                                      cancel_url="http://x/cancel")
    assert try_card(provider, started.payment.provider_session_id, SUCCESS_CARD).paid
    payments.confirm_checkout(session, provider, started.payment.provider_session_id, now=booked_at)
    grace = make_customer(business, email=GRACE["email"], name=GRACE["name"])
    booking_ops.create_booking(session, business, service, at(MONDAY, 12), grace, staff=bob, now=booked_at)
    session.commit()

    booking_ops.start(session, visit, now=at(MONDAY, 10))
    checkout = co.open_checkout(session, visit)
    co.take_in_person(session, checkout, "cash", actor="front_desk:desk@example.com", now=at(MONDAY, 11))
    co.close_checkout(session, checkout, actor="front_desk:desk@example.com", now=at(MONDAY, 11))
    leave_review(session, visit, rating=5, comment="Lovely, thank you! Ada Lovelace", would_recommend=True,
                 now=at(MONDAY, 15))
    session.commit()
    app.config["CLOCK"] = lambda: at(MONDAY, 16)
    webhooks.fan_out(session, now=at(MONDAY, 16))
    session.commit()
    return History(business, ada, grace, visit, held, api)


def personal_strings(values: dict) -> list[str]:
    found = [values["name"], values["email"], values.get("phone")]
    return [v.lower() for v in found if v] + (["ada l."] if values is ADA else [])
