"""Door parity: one scenario, driven through the customer's doors (wizard, manage link),
the dashboard and the API, must leave the same rows behind (the booking and its
reschedule chain, its history, payments and refunds, outbox events and customer emails),
apart from who acted.

Each scenario is written once as data (a starting state, a clock, and an action) and is
parametrised over the doors that offer the action. A difference between doors is a rule
or a side effect that lives in a view instead of the domain."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

import pytest
from sqlalchemy import select

from bookingapp.auth.accounts import create_account
from bookingapp.domain import booking as ops
from bookingapp.models import Booking, CustomFieldDefinition, Message, OutboxEvent
from bookingapp.models.audit import AuditEvent
from bookingapp.models.payment import Payment
from bookingapp.web.links import manage_token
from tests.api.conftest import Api
from tests.dashboard.conftest import PASSWORD, Dashboard
from tests.helpers import MONDAY, at, before

START = at(MONDAY, 10)
CARD = {"card_number": "4242 4242 4242 4242", "expiry": "12/40", "cvc": "123", "name": "Ada"}
# Facts of a message that name who acted; everything else must match.
ACTOR_FACTS = ("cancelled_by",)
# Facts that are random per run (booking numbers are drawn at random).
RANDOM_FACTS = ("previous_booking_number",)


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    app: object
    session: object
    business: object
    service: object
    alice: object
    bob: object
    customer: object
    api: Api
    dashboard: Dashboard

    def pin(self, instant: datetime) -> None:
        self.app.config["CLOCK"] = lambda: instant

    def manage_url(self, booking_id, suffix: str = "") -> str:
        with self.app.app_context():
            return f"/{self.business.slug}/manage/{manage_token(booking_id)}{suffix}"


@pytest.fixture
def make_world(app, session, make_business, make_service, make_staff, make_customer):
    """A factory of independent businesses in one database, one per door: same hours,
    service, staff names and customer, each with its own owner account and API key."""
    from bookingapp.api.keys import create_api_key

    app.config.update(WTF_CSRF_ENABLED=False, STRIPE_SECRET_KEY="")

    def make() -> World:
        business = make_business(deposit_policy="service_deposit", free_cancellation_hours=24, min_notice_minutes=0)
        service = make_service(business, price_cents=5000, deposit_cents=1000)
        alice = make_staff(business, [service], name="Alice", sort_order=0)
        bob = make_staff(business, [service], name="Bob", sort_order=1)
        owner = make_staff(business, [], name="Olive Owner", role="owner")
        account = create_account(session, owner, f"owner-{business.slug}@example.com", PASSWORD)
        _, raw_key = create_api_key(session, business)
        session.commit()
        dashboard = Dashboard(app.test_client())
        assert dashboard.sign_in(account.email).status_code == 302
        world = World(app, session, business, service, alice, bob, make_customer(business, email="ada@example.com"),
                      Api(app.test_client(), raw_key), dashboard)
        world.pin(before(days=7))
        return world

    return make


# --------------------------------------------------------------------------- starting states


def confirmed_unpaid(w: World) -> Booking:
    booking = ops.create_booking(w.session, w.business, w.service, START, w.customer, staff=w.alice, now=before(days=7))
    w.session.commit()
    return booking


def confirmed_with_paid_deposit(w: World) -> Booking:
    """Held, then the deposit paid on the sandbox's hosted page (which books it)."""
    held = ops.hold(w.session, w.business, w.service, START, staff=w.alice, customer=w.customer, now=before(days=7))
    w.session.commit()
    client = w.app.test_client()
    w.pin(before(days=7))
    opened = client.post(f"/checkout/pay/{held.id}")
    assert opened.status_code == 303 and re.search(r"/sandbox/checkout/", opened.headers["Location"])
    assert client.post(opened.headers["Location"], data=CARD).status_code == 303
    w.session.expire_all()
    booking = w.session.get(Booking, held.id)
    assert booking.status == "confirmed"
    return booking


def pending_unpaid(w: World) -> Booking:
    w.business.auto_confirm = False
    w.session.commit()
    return confirmed_unpaid(w)


# --------------------------------------------------------------------------- what is compared


def snapshot(w: World, booking_id) -> dict:
    """The rows a scenario leaves, with everything that names the actor or a door's own
    wording (reasons typed by a person) left out."""
    w.session.expire_all()
    chain = []
    booking = w.session.get(Booking, booking_id)
    while booking is not None:
        chain.append(booking)
        booking = w.session.get(Booking, booking.rescheduled_to_id) if booking.rescheduled_to_id else None
    ids = [b.id for b in chain]
    payments = w.session.scalars(select(Payment).where(Payment.booking_id.in_(ids))).all()
    events = w.session.scalars(select(OutboxEvent).where(OutboxEvent.business_id == w.business.id)
                               .order_by(OutboxEvent.created_at)).all()

    messages = w.session.scalars(select(Message).where(Message.business_id == w.business.id)
                                 .order_by(Message.created_at, Message.audience, Message.kind, Message.channel)).all()

    def message_row(message):
        facts = {k: v for k, v in message.facts.items() if k not in (*ACTOR_FACTS, *RANDOM_FACTS)}
        return (message.audience, message.kind, message.channel, message.recipient, message.status,
                tuple(sorted(facts.items())))

    return {
        "bookings": [(b.status, b.starts_at, b.ends_at, b.staff.name, b.price_cents, b.deposit_cents,
                      b.policy_starts_at, b.cancelled_at is not None, dict(b.custom_fields or {}), b.notes)
                     for b in chain],
        "history": [[(e.from_status, e.to_status) for e in b.history] for b in chain],
        "payments": sorted((p.kind, p.status, p.amount_cents) for p in payments),
        "outbox": [(e.topic, e.payload.get("status")) for e in events],
        "messages": [message_row(m) for m in messages],
        # The money actions' audit rows, without who did it (the one thing doors differ in).
        "audit": sorted((e.action, e.subject_type, e.details.get("amount_cents")) for e in w.session.scalars(
            select(AuditEvent).where(AuditEvent.business_id == w.business.id,
                                     AuditEvent.action.in_(("payment.refunded", "booking.policy_overridden",
                                                            "checkout.closed"))))),
    }


# --------------------------------------------------------------------------- the doors


def manage_cancel(w: World, booking: Booking) -> None:
    response = w.app.test_client().post(w.manage_url(booking.id, "/cancel"))
    assert response.status_code == 303, response.get_data(as_text=True)


def dashboard_cancel(w: World, booking: Booking) -> None:
    response = w.dashboard.post(f"/dashboard/bookings/{booking.id}/status", data={"status": "cancelled"})
    assert response.status_code == 200, response.get_data(as_text=True)


def api_cancel(w: World, booking: Booking) -> None:
    response = w.api.post(f"/bookings/{booking.id}/cancel")
    assert response.status_code == 200, response.get_json()


def api_patch_cancel(w: World, booking: Booking) -> None:
    response = w.api.patch(f"/bookings/{booking.id}", json={"status": "cancelled"})
    assert response.status_code == 200, response.get_json()


def manage_reschedule(w: World, booking: Booking, start: datetime) -> None:
    response = w.app.test_client().post(w.manage_url(booking.id, "/reschedule"), data={"start": start.isoformat()})
    assert response.status_code == 303, response.get_data(as_text=True)


def api_reschedule(w: World, booking: Booking, start: datetime) -> None:
    response = w.api.post(f"/bookings/{booking.id}/reschedule", json={"start_at": start.isoformat()})
    assert response.status_code == 200, response.get_json()


def dashboard_status(w: World, booking: Booking, status: str) -> None:
    response = w.dashboard.post(f"/dashboard/bookings/{booking.id}/status", data={"status": status})
    assert response.status_code == 200, response.get_data(as_text=True)


def api_status(w: World, booking: Booking, status: str) -> None:
    if status == "confirmed":
        response = w.api.post(f"/bookings/{booking.id}/confirm")
    else:
        response = w.api.patch(f"/bookings/{booking.id}", json={"status": status})
    assert response.status_code == 200, response.get_json()


def run_everywhere(make_world, doors: dict[str, Callable], prepare: Callable, clock: datetime, act) -> dict:
    """Run the scenario once per door, each on its own business; return the snapshots."""
    results = {}
    for name, door in doors.items():
        w = make_world()
        booking = prepare(w)
        w.pin(clock)
        act(w, door, booking)
        results[name] = snapshot(w, booking.id)
    return results


def assert_same(results: dict) -> None:
    (first_name, first), *rest = results.items()
    for name, other in rest:
        for part in first:
            assert other[part] == first[part], f"{part}: {name} differs from {first_name}"


# --------------------------------------------------------------------------- scenarios

CANCEL_DOORS = {"manage link": manage_cancel, "dashboard": dashboard_cancel, "api": api_cancel,
                "api patch": api_patch_cancel}
INSIDE_WINDOW = START - timedelta(days=3)
LATE = START - timedelta(hours=2)


@pytest.mark.parametrize("prepare,clock,refunded", [
    (confirmed_with_paid_deposit, INSIDE_WINDOW, 1000),
    (confirmed_with_paid_deposit, LATE, 0),
    (confirmed_unpaid, INSIDE_WINDOW, 0),
    (confirmed_unpaid, LATE, 0),
], ids=["deposit-inside-window", "deposit-late", "unpaid-inside-window", "unpaid-late"])
def test_cancel_gives_the_same_result_through_every_door(make_world, prepare, clock, refunded):
    results = run_everywhere(make_world, CANCEL_DOORS, prepare, clock, lambda w, door, b: door(w, b))
    assert_same(results)
    result = results["api"]
    assert result["bookings"][0][0] == "cancelled"
    assert sum(amount for kind, status, amount in result["payments"] if kind == "refund") == refunded
    (email,) = [facts for audience, kind, channel, _, _, facts in result["messages"]
                if (audience, kind, channel) == ("customer", "booking_cancelled", "email")]
    assert ("refunded_cents", refunded) in email
    assert result["audit"] == ([("payment.refunded", "payment", refunded)] if refunded else [])


def test_reschedule_gives_the_same_result_through_every_door(make_world):
    new_start = at(MONDAY, 15)
    doors = {"manage link": manage_reschedule, "api": api_reschedule}
    results = run_everywhere(make_world, doors, confirmed_with_paid_deposit, INSIDE_WINDOW,
                             lambda w, door, b: door(w, b, new_start))
    assert_same(results)
    old, new = results["api"]["bookings"]
    assert old[0] == "rescheduled" and new[0] == "confirmed" and new[1] == new_start
    assert new[6] == START  # the policy still runs from the first booked time


def test_move_then_cancel_keeps_the_deposit_on_every_door(make_world):
    """Inside the late window a move does not buy a new free-cancellation window."""
    new_start = START + timedelta(days=7)
    for door_name, (move, cancel) in {
        "manage link": (manage_reschedule, manage_cancel), "api": (api_reschedule, api_cancel),
    }.items():
        w = make_world()
        booking = confirmed_with_paid_deposit(w)
        # Moving is allowed to the business; a customer past the deadline is refused (below).
        w.pin(INSIDE_WINDOW)
        move(w, booking, new_start)
        w.session.expire_all()
        moved = w.session.get(Booking, w.session.get(Booking, booking.id).rescheduled_to_id)
        w.pin(LATE)
        cancel(w, moved)
        refunds = snapshot(w, booking.id)["payments"]
        assert [r for r in refunds if r[0] == "refund"] == [], door_name


@pytest.mark.parametrize("target,clock", [
    ("confirmed", before()), ("in_progress", START), ("no_show", START),
])
def test_status_changes_give_the_same_result_through_every_door(make_world, target, clock):
    prepare = pending_unpaid if target == "confirmed" else confirmed_unpaid
    results = run_everywhere(make_world, {"dashboard": dashboard_status, "api": api_status}, prepare, clock,
                             lambda w, door, b: door(w, b, target))
    assert_same(results)
    assert results["api"]["bookings"][0][0] == target
    kinds = [kind for audience, kind, channel, *_ in results["api"]["messages"] if audience == "customer"]
    # An owner's (or integrator's) approval of a pending booking tells the customer.
    assert kinds == (["booking_pending", "booking_approved"] if target == "confirmed" else ["booking_confirmed"])


# --------------------------------------------------------------------------- hold, book, answers


def with_questions(w: World) -> None:
    w.business.deposit_policy = "none"
    w.session.add_all([
        CustomFieldDefinition(business_id=w.business.id, key="allergies", label="Allergies", field_type="text",
                              required=True),
        CustomFieldDefinition(business_id=w.business.id, key="source", label="How did you hear of us",
                              field_type="select", options=["Friend", "Instagram"], sort_order=1),
    ])
    w.session.commit()


def wizard_hold_and_book(w: World, answers: dict, notes: str) -> tuple[int, str | None]:
    """Step 4 (hold the time) and step 5 (details); returns the details step's status and
    the held booking's id."""
    client = w.app.test_client()
    held = client.post(f"/{w.business.slug}/book/{w.service.id}/{w.alice.id}", data={"start": START.isoformat()})
    assert held.status_code == 303, held.get_data(as_text=True)
    details_url = held.headers["Location"]
    form = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "", "notes": notes,
            **{f"cf_{key}": value for key, value in answers.items()}}
    response = client.post(details_url, data=form)
    return response.status_code


def api_hold_and_book(w: World, answers: dict, notes: str) -> int:
    held = w.api.post("/bookings/hold", json={"service_id": str(w.service.id), "staff_id": str(w.alice.id),
                                              "start_at": START.isoformat()})
    assert held.status_code == 201, held.get_json()
    booked = w.api.post(f"/bookings/{held.get_json()['data']['id']}/book", json={
        "customer_name": "Ada Lovelace", "customer_email": "ada@example.com", "notes": notes,
        "custom_fields": answers})
    return booked.status_code


def the_only_booking(w: World) -> Booking:
    (booking,) = w.session.scalars(select(Booking).where(Booking.business_id == w.business.id)).all()
    return booking


def test_hold_then_book_with_answers_gives_the_same_booking_through_wizard_and_api(make_world):
    results = {}
    for name, door in {"wizard": wizard_hold_and_book, "api": api_hold_and_book}.items():
        w = make_world()
        with_questions(w)
        assert door(w, {"allergies": "latex", "source": "Friend"}, "window seat") in (200, 303)
        results[name] = snapshot(w, the_only_booking(w).id)
    assert_same(results)
    booking = results["api"]["bookings"][0]
    assert booking[0] == "confirmed" and booking[8] == {"allergies": "latex", "source": "Friend"}
    assert results["api"]["history"] == [[(None, "held"), ("held", "confirmed")]]
    assert [topic for topic, _ in results["api"]["outbox"]] == ["booking.created"]
    assert [kind for audience, kind, *_ in results["api"]["messages"] if audience == "customer"] == ["booking_confirmed"]


@pytest.mark.parametrize("answers", [
    {"source": "Friend"},                          # a required answer missing
    {"allergies": "latex", "source": "Billboard"},  # not one of the options
])
def test_bad_answers_are_refused_by_wizard_and_api_alike(make_world, answers):
    for name, door in {"wizard": wizard_hold_and_book, "api": api_hold_and_book}.items():
        w = make_world()
        with_questions(w)
        assert door(w, answers, "") in (400, 422), name
        booking = the_only_booking(w)
        assert booking.status == "held" and booking.custom_fields in ({}, None), name


# --------------------------------------------------------------------------- one-step booking


def dashboard_create(w: World) -> None:
    response = w.dashboard.post("/dashboard/bookings/new", data={
        "service_id": str(w.service.id), "staff_id": str(w.alice.id), "day": MONDAY.isoformat(),
        "start": START.isoformat(), "name": "Ada Lovelace", "email": "ada@example.com", "phone": "",
        "notes": "window seat"})
    assert response.status_code in (302, 204), response.get_data(as_text=True)


def api_create(w: World) -> None:
    response = w.api.post("/bookings", json={
        "service_id": str(w.service.id), "staff_id": str(w.alice.id), "start_at": START.isoformat(),
        "customer_name": "Ada Lovelace", "customer_email": "ada@example.com", "notes": "window seat"})
    assert response.status_code == 201, response.get_json()


def test_a_booking_made_at_the_front_desk_or_through_the_api_is_the_same_and_emails_the_customer(make_world):
    results = {}
    for name, door in {"dashboard": dashboard_create, "api": api_create}.items():
        w = make_world()
        w.business.deposit_policy = "none"
        w.session.commit()
        door(w)
        results[name] = snapshot(w, the_only_booking(w).id)
    assert_same(results)
    assert results["api"]["history"] == [[(None, "confirmed")]]
    assert [kind for audience, kind, *_ in results["api"]["messages"] if audience == "customer"] == ["booking_confirmed"]
