"""Notification parity: booking, confirming, cancelling (by the customer or the business)
and moving a booking record the same messages whichever door it goes through (the wizard
or the manage link, the dashboard, the API): the same people hear of it, on the same
channels, with the same facts apart from who acted. And an integrator's
`skip_notifications=true` keeps exactly the customer's messages back: the staff member's
message and the webhook events are the same as without it.

The world, its starting states and its doors are test_door_parity's."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

import pytest
from sqlalchemy import select

from bookingapp.models import Message, OutboxEvent
from tests.helpers import MONDAY, at, before
from tests.parity.test_door_parity import (  # noqa: F401  (make_world is a fixture)
    ACTOR_FACTS, INSIDE_WINDOW, LATE, RANDOM_FACTS, World, api_cancel, api_create, api_hold_and_book,
    api_patch_cancel, api_reschedule, api_status, confirmed_unpaid, confirmed_with_paid_deposit, dashboard_cancel,
    dashboard_create, dashboard_status, make_world, manage_cancel, manage_reschedule, pending_unpaid,
    wizard_hold_and_book,
)

ALICE = "alice@salon.example"
BOB = "bob@salon.example"
CUSTOMER = "ada@example.com"
NEW_START = at(MONDAY, 15)


@pytest.fixture
def make_staffed_world(make_world):
    """test_door_parity's world, with stylists who read their booking emails (the same
    addresses in every world, so that the rows of two doors compare)."""
    def make(*, deposit: bool = True) -> World:
        w = make_world()
        w.alice.email, w.bob.email = ALICE, BOB
        if not deposit:
            w.business.deposit_policy = "none"
        w.session.commit()
        return w

    return make


def messages_left(w: World) -> list[tuple]:
    """Every message the world's business recorded: who, what, how, to where, and the facts
    that do not name the actor or vary from run to run."""
    w.session.expire_all()
    rows = w.session.scalars(select(Message).where(Message.business_id == w.business.id)).all()
    return sorted(
        (m.audience, m.kind, m.channel, m.recipient,
         tuple(sorted((k, v) for k, v in m.facts.items() if k not in (*ACTOR_FACTS, *RANDOM_FACTS))))
        for m in rows
    )


def cancelled_by(w: World) -> set[str]:
    w.session.expire_all()
    return {m.facts["cancelled_by"] for m in w.session.scalars(
        select(Message).where(Message.business_id == w.business.id, Message.kind.in_(
            ("booking_cancelled", "staff_cancelled"))))}


def webhook_events(w: World) -> list[tuple[str, str | None]]:
    """The outbox's events (topic, status); sorted, as one transaction's share a timestamp."""
    w.session.expire_all()
    events = w.session.scalars(select(OutboxEvent).where(OutboxEvent.business_id == w.business.id)).all()
    return sorted((e.topic, e.payload.get("status")) for e in events)


def kinds(messages: list[tuple]) -> list[tuple[str, str, str]]:
    return sorted((audience, kind, recipient) for audience, kind, _, recipient, _ in messages)


def assert_same_messages(results: dict[str, list]) -> None:
    (first_name, first), *rest = results.items()
    for name, other in rest:
        assert other == first, f"{name} left other messages than {first_name}"


def run_everywhere(make_staffed_world, doors: dict[str, Callable], prepare: Callable | None, clock: datetime,
                   act, *, deposit: bool = True) -> dict[str, World]:
    """The scenario once per door, each in its own business; the worlds afterwards."""
    worlds = {}
    for name, door in doors.items():
        w = make_staffed_world(deposit=deposit)
        booking = prepare(w) if prepare is not None else None
        w.pin(clock)
        act(w, door, booking)
        worlds[name] = w
    return worlds


# --------------------------------------------------------------------------- booking


def wizard_book(w: World) -> None:
    assert wizard_hold_and_book(w, {}, "") == 303


def api_hold_then_book(w: World) -> None:
    assert api_hold_and_book(w, {}, "") == 200


BOOK_DOORS = {"wizard": wizard_book, "dashboard": dashboard_create, "api": api_create,
              "api hold then book": api_hold_then_book}


def test_a_new_booking_tells_the_customer_and_the_stylist_alike_through_every_door(make_staffed_world):
    worlds = run_everywhere(make_staffed_world, BOOK_DOORS, None, before(days=7), lambda w, door, _: door(w),
                            deposit=False)
    results = {name: messages_left(w) for name, w in worlds.items()}
    assert_same_messages(results)
    assert kinds(results["api"]) == [("customer", "booking_confirmed", CUSTOMER), ("staff", "staff_new_booking", ALICE)]


# --------------------------------------------------------------------------- approving


def test_approving_a_pending_booking_tells_the_customer_alike_from_dashboard_and_api(make_staffed_world):
    worlds = run_everywhere(make_staffed_world, {"dashboard": dashboard_status, "api": api_status}, pending_unpaid,
                            before(), lambda w, door, b: door(w, b, "confirmed"))
    results = {name: messages_left(w) for name, w in worlds.items()}
    assert_same_messages(results)
    assert kinds(results["api"]) == [("customer", "booking_approved", CUSTOMER),
                                     ("customer", "booking_pending", CUSTOMER),
                                     ("staff", "staff_new_booking", ALICE)]


# --------------------------------------------------------------------------- cancelling

CANCEL_DOORS = {"manage link": manage_cancel, "dashboard": dashboard_cancel, "api": api_cancel,
                "api patch": api_patch_cancel}


@pytest.mark.parametrize("prepare,clock,refunded", [
    (confirmed_with_paid_deposit, INSIDE_WINDOW, 1000),
    (confirmed_with_paid_deposit, LATE, 0),
    (confirmed_unpaid, LATE, 0),
], ids=["deposit-inside-window", "deposit-late", "unpaid-late"])
def test_a_cancellation_tells_the_customer_and_the_stylist_alike_through_every_door(
        make_staffed_world, prepare, clock, refunded):
    worlds = run_everywhere(make_staffed_world, CANCEL_DOORS, prepare, clock, lambda w, door, b: door(w, b))
    results = {name: messages_left(w) for name, w in worlds.items()}
    assert_same_messages(results)
    cancellations = [m for m in results["api"] if m[1] in ("booking_cancelled", "staff_cancelled")]
    assert kinds(cancellations) == [("customer", "booking_cancelled", CUSTOMER), ("staff", "staff_cancelled", ALICE)]
    assert all(dict(facts)["refunded_cents"] == refunded for *_, facts in cancellations)
    # Who cancelled is the one fact that differs: the customer on the manage link.
    assert {name: cancelled_by(w) for name, w in worlds.items()} == {
        "manage link": {"customer"}, "dashboard": {"business"}, "api": {"business"}, "api patch": {"business"}}


# --------------------------------------------------------------------------- moving


def test_a_move_tells_the_customer_and_the_stylist_alike_from_manage_link_and_api(make_staffed_world):
    worlds = run_everywhere(make_staffed_world, {"manage link": manage_reschedule, "api": api_reschedule},
                            confirmed_with_paid_deposit, INSIDE_WINDOW, lambda w, door, b: door(w, b, NEW_START))
    results = {name: messages_left(w) for name, w in worlds.items()}
    assert_same_messages(results)
    moves = [m for m in results["api"] if m[1] in ("booking_rescheduled", "staff_rescheduled")]
    assert kinds(moves) == [("customer", "booking_rescheduled", CUSTOMER), ("staff", "staff_rescheduled", ALICE)]
    assert all(dict(facts)["previous_starts_at"] == "2030-06-03T09:00:00Z" for *_, facts in moves)


# --------------------------------------------------------------------------- skip_notifications

QUIET = {"skip_notifications": True}


def api_create_quietly(w: World, quiet: dict) -> None:
    response = w.api.post("/bookings", json={
        "service_id": str(w.service.id), "staff_id": str(w.alice.id), "start_at": at(MONDAY, 10).isoformat(),
        "customer_name": "Ada Lovelace", "customer_email": CUSTOMER, **quiet})
    assert response.status_code == 201, response.get_json()


def api_hold_quietly_then_book(w: World, quiet: dict) -> None:
    held = w.api.post("/bookings/hold", json={"service_id": str(w.service.id), "staff_id": str(w.alice.id),
                                              "start_at": at(MONDAY, 10).isoformat(), **quiet})
    assert held.status_code == 201, held.get_json()
    booked = w.api.post(f"/bookings/{held.get_json()['data']['id']}/book",
                        json={"customer_name": "Ada Lovelace", "customer_email": CUSTOMER})
    assert booked.status_code == 200, booked.get_json()


def act_on(path: str, body: dict | None = None, method: str = "post") -> Callable:
    def act(w: World, booking, quiet: dict) -> None:
        response = getattr(w.api, method)(path.format(id=booking.id), json={**(body or {}), **quiet} or None)
        assert response.status_code == 200, response.get_json()

    return act


QUIET_SCENARIOS = {
    # name: (starting state, clock, the request, the customer's message it would cause, and
    # the staff member's message it causes, if any: an approval tells only the customer)
    "create": (None, before(days=7), lambda w, _, quiet: api_create_quietly(w, quiet), "booking_confirmed",
               "staff_new_booking"),
    "hold then book": (None, before(days=7), lambda w, _, quiet: api_hold_quietly_then_book(w, quiet),
                       "booking_confirmed", "staff_new_booking"),
    "confirm": (pending_unpaid, before(), act_on("/bookings/{id}/confirm"), "booking_approved", None),
    "cancel": (confirmed_with_paid_deposit, INSIDE_WINDOW, act_on("/bookings/{id}/cancel"), "booking_cancelled",
               "staff_cancelled"),
    "patch cancel": (confirmed_with_paid_deposit, INSIDE_WINDOW,
                     act_on("/bookings/{id}", {"status": "cancelled"}, "patch"), "booking_cancelled",
                     "staff_cancelled"),
    "reschedule": (confirmed_with_paid_deposit, INSIDE_WINDOW,
                   act_on("/bookings/{id}/reschedule", {"start_at": NEW_START.isoformat()}), "booking_rescheduled",
                   "staff_rescheduled"),
}


@pytest.mark.parametrize("scenario", QUIET_SCENARIOS)
def test_skip_notifications_keeps_back_only_the_customers_message(make_staffed_world, scenario):
    prepare, clock, act, customer_kind, staff_kind = QUIET_SCENARIOS[scenario]
    worlds = run_everywhere(make_staffed_world, {"told": {}, "quiet": QUIET}, prepare, clock,
                            lambda w, quiet, b: act(w, b, quiet), deposit=prepare is not None)
    told, quiet = messages_left(worlds["told"]), messages_left(worlds["quiet"])
    withheld = [m for m in told if m[:2] == ("customer", customer_kind)]
    assert [(m[2], m[3]) for m in withheld] == [("email", CUSTOMER)]
    assert quiet == [m for m in told if m not in withheld]
    if staff_kind is not None:
        assert [(m[2], m[3]) for m in quiet if m[:2] == ("staff", staff_kind)] == [("email", ALICE)]
    assert webhook_events(worlds["quiet"]) == webhook_events(worlds["told"])
    assert webhook_events(worlds["quiet"])
