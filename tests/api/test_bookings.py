"""Bookings and availability through the API: the seed document's examples, the hold /
reserve / book / confirm / reschedule / cancel flow, listing and cursor sync."""
from __future__ import annotations

from datetime import timedelta


from bookingapp.models import Booking, OutboxEvent
from tests.api.conftest import assert_error
from tests.helpers import MONDAY, at, customer_emails


def test_seed_004_python_workflow_runs_unchanged(api, salon, session):
    """Seed 004's Python examples with `requests` swapped for the test client: list services,
    check availability, book the first slot, list confirmed bookings, cancel."""
    business, service, *_ = salon
    service.name = "Classic Manicure"
    session.commit()
    headers = {"Authorization": f"Bearer {api.key}"}
    BASE = "/api/v1"
    requests = api.client

    # Step 1: List services
    services = requests.get(f"{BASE}/services", headers=headers).json["data"]
    manicure = next(s for s in services if s["name"] == "Classic Manicure")
    # Step 2: Check availability
    avail = requests.get(f"{BASE}/availability", query_string={"date": MONDAY.isoformat(), "service_id": manicure["id"]},
                         headers=headers).json["data"]
    assert avail["slots"]
    # Step 3: Book the first available slot
    slot = avail["slots"][0]
    booking = requests.post(f"{BASE}/bookings", json={
        "service_id": manicure["id"], "start_at": slot["start"], "customer_name": "Olivia Thompson",
        "customer_email": "olivia.thompson@gmail.com",
    }, headers=headers).json["data"]
    assert booking["booking_number"].startswith("BK-")
    assert booking["status"] == "confirmed" and booking["start_at"] == slot["start"]
    # List bookings with filters
    result = requests.get(f"{BASE}/bookings", query_string={"status": "confirmed", "from": MONDAY.isoformat(), "limit": 10},
                          headers=headers).json
    assert result["meta"]["total"] == 1
    assert [f"{b['booking_number']} - {b['customer']['name']}" for b in result["data"]] == [
        f"{booking['booking_number']} - Olivia Thompson"]
    # Cancel a booking
    data = requests.patch(f"{BASE}/bookings/{booking['id']}", json={
        "status": "cancelled", "cancellation_reason": "Customer requested reschedule"}, headers=headers).json["data"]
    assert data["booking_number"] == booking["booking_number"] and data["status"] == "cancelled"
    assert data["cancellation_reason"] == "Customer requested reschedule"


def test_availability_single_day_shape_and_range_with_staff(api, salon):
    business, service, alice, bob = salon
    day = api.get(f"/availability?date={MONDAY}&service_id={service.id}").get_json()["data"]
    assert day["date"] == MONDAY.isoformat() and day["slot_duration_minutes"] == 60
    first = day["slots"][0]
    assert first["start"] == "2030-06-03T08:00:00.000Z" and first["end"] == "2030-06-03T09:00:00.000Z"
    assert set(first["staff_ids"]) == {str(alice.id), str(bob.id)}
    only_bob = api.get(f"/availability?date={MONDAY}&service_id={service.id}&staff_id={bob.id}").get_json()["data"]
    assert {s["staff_id"] for s in only_bob["slots"]} == {str(bob.id)}
    ranged = api.get(f"/availability?from={MONDAY}&to={MONDAY + timedelta(days=2)}&service_id={service.id}").get_json()["data"]
    assert [d["date"] for d in ranged["days"]] == [str(MONDAY + timedelta(days=i)) for i in range(3)]
    assert all(d["slots"] for d in ranged["days"])
    assert_error(api.get(f"/availability?service_id={service.id}"), 400, "validation_error", "date")
    assert_error(api.get(f"/availability?from={MONDAY}&to={MONDAY + timedelta(days=40)}&service_id={service.id}"),
                 400, "validation_error", "to")


def test_availability_without_a_service_is_the_seeds_30_minute_grid(api, salon, make_staff, session):
    business, service, alice, bob = salon
    make_staff(business, [], name="Erin", role="front_desk")  # performs nothing: never offered
    data = api.get(f"/availability?date={MONDAY}").get_json()["data"]
    assert data["service_id"] is None and data["slot_duration_minutes"] == 30
    first, last = data["slots"][0], data["slots"][-1]
    assert (first["start"], first["end"]) == ("2030-06-03T08:00:00.000Z", "2030-06-03T08:30:00.000Z")
    assert last["end"] == "2030-06-03T17:00:00.000Z"  # 09:00-18:00 London is 08:00-17:00 UTC in June
    assert set(first["staff_ids"]) == {str(alice.id), str(bob.id)}


def test_no_slots_message(api, salon, make_business, make_service):
    business, service, *_ = salon
    far = MONDAY - timedelta(days=365 * 10)  # in the past: nothing is bookable
    data = api.get(f"/availability?date={far}&service_id={service.id}").get_json()["data"]
    assert data["slots"] == [] and data["message"] == "No availability for this day"


def _body(service, hour, **extra):
    return {"service_id": str(service.id), "start_at": at(MONDAY, hour).isoformat(), **extra}


def test_hold_then_book_keeps_the_time(api, salon):
    business, service, *_ = salon
    held = api.post("/bookings/hold", json=_body(service, 10))
    assert held.status_code == 201
    held = held.get_json()["data"]
    assert held["status"] == "held" and held["hold_expires_at"] and held["customer"] is None
    assert_error(api.post(f"/bookings/{held['id']}/book", json={}), 400, "validation_error", "customer")
    booked = api.post(f"/bookings/{held['id']}/book", json={"customer_name": "Ada", "customer_email": "ada@example.com"})
    assert booked.status_code == 200, booked.get_json()
    assert booked.get_json()["data"]["status"] == "confirmed"
    assert booked.get_json()["data"]["start_at"] == held["start_at"]


def test_reserve_then_release_with_delete(api, salon):
    business, service, *_ = salon
    reserved = api.post("/bookings/reserve", json=_body(service, 11)).get_json()["data"]
    assert reserved["status"] == "reserved"
    response = api.delete(f"/bookings/{reserved['id']}")
    assert response.status_code == 200 and response.get_json()["data"] == {"id": reserved["id"], "status": "cancelled", "deleted": True}


def test_delete_of_a_made_booking_is_refused(api, salon):
    business, service, *_ = salon
    made = api.post("/bookings", json=_body(service, 12, customer_name="Ada", customer_email="a@example.com")).get_json()["data"]
    assert_error(api.delete(f"/bookings/{made['id']}"), 400, "validation_error", "status")


def test_pending_business_confirm_action(api, salon, session):
    business, service, *_ = salon
    business.auto_confirm = False
    session.commit()
    made = api.post("/bookings", json=_body(service, 12, customer_name="Ada", customer_email="a@example.com")).get_json()["data"]
    assert made["status"] == "pending"
    confirmed = api.post(f"/bookings/{made['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.get_json()["data"]["status"] == "confirmed"
    assert_error(api.post(f"/bookings/{made['id']}/confirm"), 400, "validation_error", "status")


def test_taken_slot_is_409_slot_unavailable(api, salon):
    business, service, alice, bob = salon
    body = _body(service, 13, staff_id=str(alice.id), customer_name="Ada", customer_email="a@example.com")
    assert api.post("/bookings", json=body).status_code == 201
    assert_error(api.post("/bookings", json=body), 409, "slot_unavailable")


def test_reschedule_and_cancel_actions(api, salon, session):
    business, service, *_ = salon
    made = api.post("/bookings", json=_body(service, 9, customer_name="Ada", customer_email="a@example.com")).get_json()["data"]
    moved = api.post(f"/bookings/{made['id']}/reschedule", json={"start_at": at(MONDAY, 15).isoformat()})
    assert moved.status_code == 200, moved.get_json()
    moved = moved.get_json()["data"]
    assert moved["start_at"] == "2030-06-03T14:00:00.000Z" and moved["rescheduled_from_id"] == made["id"]
    assert api.get(f"/bookings/{made['id']}").get_json()["data"]["status"] == "rescheduled"
    cancelled = api.post(f"/bookings/{moved['id']}/cancel", json={"cancellation_reason": "ill"}).get_json()["data"]
    assert cancelled["status"] == "cancelled" and cancelled["cancellation_reason"] == "ill" and cancelled["cancelled_at"]
    events = session.query(OutboxEvent).order_by(OutboxEvent.created_at).all()
    assert [e.topic for e in events if not e.topic.startswith("email.")] == [
        "booking.created", "booking.rescheduled", "booking.cancelled"]
    # The customer hears of each change through the API as through any door.
    assert [m.kind for m in customer_emails(session)] == [
        "booking_confirmed", "booking_rescheduled", "booking_cancelled"]


def test_unknown_promo_code_is_refused_and_nothing_is_booked(api, salon, session):
    business, service, *_ = salon
    body = _body(service, 9, customer_name="Ada", customer_email="a@example.com", promo_code="SUMMER20")
    assert_error(api.post("/bookings", json=body), 400, "validation_error", "promo_code")
    assert session.query(Booking).count() == 0


def test_promo_code_discounts_the_booking_and_counts_one_use(api, salon, session):
    from bookingapp.models.payment import Promotion, PromotionRedemption

    business, service, *_ = salon  # service: 5000 cents
    session.add(Promotion(business_id=business.id, code="SUMMER20", kind="percent", percent_off=20, max_uses=1))
    session.commit()
    body = _body(service, 9, customer_name="Ada", customer_email="a@example.com", promo_code="summer20")
    created = api.post("/bookings", json=body)
    assert created.status_code == 201, created.json
    data = created.json["data"]
    assert (data["price_cents"], data["discount_cents"], data["total_cents"]) == (5000, 1000, 4000)
    assert session.query(PromotionRedemption).one().counted_at is not None  # confirmed at once: one use
    again = _body(service, 11, customer_name="Bo", customer_email="b@example.com", promo_code="SUMMER20")
    assert_error(api.post("/bookings", json=again), 400, "validation_error", "promo_code")  # used up


def test_list_filters_pagination_and_detail(api, salon):
    business, service, *_ = salon
    for hour in (9, 10, 11):
        api.post("/bookings", json=_body(service, hour, customer_name="Ada", customer_email="a@example.com"))
    page = api.get("/bookings?limit=2&page=2").get_json()
    assert page["meta"] == {"page": 2, "limit": 2, "total": 3} and len(page["data"]) == 1
    starts = [b["start_at"] for b in api.get("/bookings").get_json()["data"]]
    assert starts == sorted(starts, reverse=True)
    assert api.get(f"/bookings?from={MONDAY + timedelta(days=1)}").get_json()["meta"]["total"] == 0
    assert api.get(f"/bookings?to={MONDAY}").get_json()["meta"]["total"] == 3
    assert api.get(f"/bookings?to={at(MONDAY, 10).isoformat().replace('+00:00', 'Z')}").get_json()["meta"]["total"] == 2
    detail = api.get(f"/bookings/{page['data'][0]['id']}").get_json()["data"]
    assert {"deposit_cents", "cancelled_at", "cancellation_reason", "customer", "service", "staff"} <= set(detail)


def test_cursor_sync_sees_each_change_once(app, api, salon):
    app.config["API_SYNC_SETTLE_SECONDS"] = 0
    business, service, *_ = salon
    ids = [api.post("/bookings", json=_body(service, h, customer_name="Ada", customer_email="a@example.com")).get_json()["data"]["id"]
           for h in (9, 10, 11)]
    first = api.get("/bookings?cursor=start&limit=2").get_json()
    assert [b["id"] for b in first["data"]] == ids[:2] and first["meta"]["has_more"] is True
    second = api.get(f"/bookings?cursor={first['meta']['next_cursor']}&limit=2").get_json()
    assert [b["id"] for b in second["data"]] == ids[2:] and second["meta"]["has_more"] is False
    api.patch(f"/bookings/{ids[0]}", json={"status": "cancelled"})
    third = api.get(f"/bookings?cursor={second['meta']['next_cursor']}").get_json()
    assert [(b["id"], b["status"]) for b in third["data"]] == [(ids[0], "cancelled")]
    idle = api.get(f"/bookings?cursor={third['meta']['next_cursor']}").get_json()
    assert idle["data"] == [] and idle["meta"]["next_cursor"] == third["meta"]["next_cursor"]
    assert_error(api.get("/bookings?cursor=garbage!"), 400, "validation_error", "cursor")
