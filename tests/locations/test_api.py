"""/api/v1/locations and location_id (or branch_id) on availability, holds, bookings, lists
and analytics, through the API with real keys."""
from __future__ import annotations

from bookingapp.api.keys import create_api_key
from bookingapp.domain import locations
from tests.api.conftest import Api, assert_error
from tests.helpers import MONDAY, at, before


def iso(instant):
    return instant.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_locations_are_listed_primary_first_with_what_they_take_from_the_business(api, branches):
    business, service, alice, bob, main, riverside = branches
    listed = api.get("/locations")
    assert listed.status_code == 200
    data = listed.get_json()["data"]
    assert [row["slug"] for row in data] == ["main", "riverside"]
    primary, river = data
    assert primary["is_primary"] and not primary["own_hours"] and primary["timezone"] == business.timezone
    assert river["own_hours"] and river["hours"]["monday"] == {"open": "10:00", "close": "16:00"}
    assert river["address"]["street"] == "2 River Walk"
    assert str(alice.id) in river["staff_ids"] and str(bob.id) not in river["staff_ids"]
    assert set(primary["staff_ids"]) == {str(alice.id), str(bob.id)}


def test_a_location_is_created_updated_and_retired_but_the_primary_stays(api, branches):
    business, service, alice, bob, main, riverside = branches
    created = api.post("/locations", json={
        "name": "Harbour", "slug": "harbour", "address": {"street": "9 Quay", "city": "Bristol", "country": "gb"},
        "timezone": "Europe/London", "hold_seconds": 300,
        "hours": {"saturday": [{"open": "09:00", "close": "13:00"}]}, "staff_ids": [str(bob.id)],
    })
    assert created.status_code == 201, created.get_json()
    harbour = created.get_json()["data"]
    assert harbour["address"]["country"] == "GB" and harbour["hold_seconds"] == 300
    assert harbour["hours"]["saturday"] == {"open": "09:00", "close": "13:00"} and harbour["hours"]["monday"] is None
    assert harbour["staff_ids"] == [str(bob.id)]
    changed = api.patch(f"/locations/{harbour['id']}", json={"name": "Harbourside", "hours": {}})
    assert changed.status_code == 200
    assert changed.get_json()["data"]["name"] == "Harbourside"
    assert changed.get_json()["data"]["own_hours"] is False  # the business's hours again
    assert api.get(f"/locations/{harbour['id']}").get_json()["data"]["name"] == "Harbourside"
    retired = api.delete(f"/locations/{harbour['id']}")
    assert retired.status_code == 200 and retired.get_json()["data"]["deleted"] is True
    assert [row["slug"] for row in api.get("/locations").get_json()["data"]] == ["main", "riverside"]
    assert_error(api.delete(f"/locations/{main.id}"), 400, "validation_error", "location_id")
    assert_error(api.patch(f"/locations/{main.id}", json={"is_active": False}), 400, "validation_error", "is_active")


def test_bad_location_input_is_a_clear_error_naming_the_field(api, branches):
    business, service, alice, bob, main, riverside = branches
    assert_error(api.post("/locations", json={"name": "Dup", "slug": "riverside"}), 400, "validation_error", "slug")
    assert_error(api.post("/locations", json={"name": "Bad", "slug": "book"}), 400, "validation_error", "slug")
    assert_error(api.post("/locations", json={"name": "Zone", "slug": "zone", "timezone": "Mars/Olympus"}),
                 400, "validation_error", "timezone")
    assert_error(api.post("/locations", json={"name": "Hours", "slug": "hours",
                                              "hours": {"monday": [{"open": "18:00", "close": "09:00"}]}}),
                 400, "validation_error", "hours.0")
    assert_error(api.post("/locations", json={"name": "Late", "slug": "late",
                                              "hours": {"monday": [{"open": "25:00", "close": "26:00"}]}}),
                 400, "validation_error", "hours.monday[0].open")
    assert_error(api.post("/locations", json={"slug": "nameless"}), 400, "validation_error", "name")
    assert api.get("/locations").get_json()["meta"]["total"] == 2  # nothing half-written


def test_availability_at_a_branch_by_location_id_or_branch_id(api, branches):
    business, service, alice, bob, main, riverside = branches
    base = {"service_id": str(service.id), "date": MONDAY.isoformat(), "staff_id": str(alice.id)}
    at_main = api.get("/availability", query_string=base).get_json()["data"]["slots"]
    for name in ("location_id", "branch_id"):
        at_river = api.get("/availability", query_string={**base, name: str(riverside.id)}).get_json()["data"]["slots"]
        assert at_river[0]["start"] == iso(at(MONDAY, 13)) and at_river[-1]["start"] == iso(at(MONDAY, 15))
    assert at_main[0]["start"] == iso(at(MONDAY, 9)) and at_main[-1]["start"] == iso(at(MONDAY, 11))
    assert_error(api.get("/availability", query_string={**base, "location_id": str(main.id),
                                                         "branch_id": str(riverside.id)}),
                 400, "validation_error", "branch_id")


def test_holds_and_bookings_at_a_branch_carry_its_location_and_lists_filter_by_it(api, branches):
    business, service, alice, bob, main, riverside = branches
    held = api.post("/bookings/hold", json={"service_id": str(service.id), "start_at": iso(at(MONDAY, 13)),
                                            "staff_id": str(alice.id), "branch_id": str(riverside.id),
                                            "hold_seconds": 120})
    assert held.status_code == 201, held.get_json()
    data = held.get_json()["data"]
    assert data["location_id"] == str(riverside.id)
    assert data["hold_expires_at"] is not None
    booked = api.post("/bookings", json={"service_id": str(service.id), "start_at": iso(at(MONDAY, 9)),
                                         "customer_name": "Ada", "customer_email": "ada@example.com"})
    assert booked.status_code == 201 and booked.get_json()["data"]["location_id"] == str(main.id)
    at_river = api.get("/bookings", query_string={"location_id": str(riverside.id)}).get_json()["data"]
    assert [row["id"] for row in at_river] == [data["id"]]
    everywhere = api.get("/bookings").get_json()["data"]
    assert len(everywhere) == 2
    too_long = api.post("/bookings/hold", json={"service_id": str(service.id), "start_at": iso(at(MONDAY, 14)),
                                                "staff_id": str(alice.id), "location_id": str(riverside.id),
                                                "hold_seconds": business.hold_seconds + 1})
    assert_error(too_long, 400, "validation_error", "hold_seconds")


def test_one_staff_member_cannot_be_held_at_two_branches_at_once(api, branches, session):
    business, service, alice, bob, main, riverside = branches
    alice.hours.clear()  # both branches all day: only the hold keeps her apart
    session.commit()
    first = api.post("/bookings/hold", json={"service_id": str(service.id), "start_at": iso(at(MONDAY, 11)),
                                             "staff_id": str(alice.id), "location_id": str(main.id)})
    assert first.status_code == 201
    second = api.post("/bookings/hold", json={"service_id": str(service.id), "start_at": iso(at(MONDAY, 11, 30)),
                                              "staff_id": str(alice.id), "location_id": str(riverside.id)})
    assert_error(second, 409, "slot_unavailable")


def test_another_businesss_location_is_a_404_naming_the_field(api, branches, make_business):
    business, service, alice, bob, main, riverside = branches
    elsewhere = locations.primary_location(None, make_business())
    assert_error(api.get("/availability", query_string={"service_id": str(service.id), "date": MONDAY.isoformat(),
                                                         "location_id": str(elsewhere.id)}),
                 404, "not_found", "location_id")
    assert_error(api.post("/bookings/hold", json={"service_id": str(service.id), "start_at": iso(at(MONDAY, 9)),
                                                  "branch_id": str(elsewhere.id)}), 404, "not_found", "branch_id")
    assert_error(api.get("/bookings", query_string={"location_id": str(elsewhere.id)}), 404, "not_found",
                 "location_id")
    assert_error(api.get("/analytics", query_string={"location_id": str(elsewhere.id)}), 404, "not_found",
                 "location_id")
    assert_error(api.get(f"/locations/{elsewhere.id}"), 404, "not_found")
    assert_error(api.patch(f"/locations/{elsewhere.id}", json={"name": "Mine now"}), 404, "not_found")
    assert_error(api.delete(f"/locations/{elsewhere.id}"), 404, "not_found")


def test_analytics_per_location_and_for_the_whole_business(api, branches, session, make_customer, app):
    from bookingapp.domain import booking as ops

    business, service, alice, bob, main, riverside = branches
    customer = make_customer(business)
    ops.create_booking(session, business, service, at(MONDAY, 13), customer, staff=alice, now=before(),
                       location=riverside)
    ops.create_booking(session, business, service, at(MONDAY, 9), customer, staff=bob, now=before())
    session.commit()
    app.config["CLOCK"] = lambda: at(MONDAY, 20)
    whole = api.get("/analytics", query_string={"period": "all"}).get_json()["data"]
    river = api.get("/analytics", query_string={"period": "all", "branch_id": str(riverside.id)}).get_json()["data"]
    assert whole["total_bookings"] == 2 and river["total_bookings"] == 1


def test_locations_need_the_catalog_scope_to_change_and_read_to_list(client, branches, session):
    business, *_ = branches
    _, read_key = create_api_key(session, business, scope="read")
    _, bookings_key = create_api_key(session, business, scope="bookings")
    _, catalog_key = create_api_key(session, business, scope="catalog")
    session.commit()
    reader, booker, cataloguer = Api(client, read_key), Api(client, bookings_key), Api(client, catalog_key)
    assert reader.get("/locations").status_code == 200
    assert reader.post("/locations", json={"name": "X", "slug": "x"}).status_code == 403
    assert booker.post("/locations", json={"name": "X", "slug": "x"}).status_code == 403
    assert cataloguer.post("/locations", json={"name": "X", "slug": "x"}).status_code == 201
