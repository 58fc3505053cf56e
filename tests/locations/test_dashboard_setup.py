"""Setup → Locations in the dashboard, through the door as the owner: the list, a new
location, its details, opening hours, who works there (and their hours there), the
services it offers, retiring it; bad input comes back beside the field with what was
typed (422), nothing half-written; every change leaves the audit row the API leaves."""
from __future__ import annotations

from datetime import time

from sqlalchemy import select

from bookingapp.models import Location, LocationHours, StaffHours
from bookingapp.models.audit import AuditEvent
from bookingapp.domain import locations

NEW = {"name": "Harbour", "slug": "harbour", "phone": "", "address_street": "9 Quay", "address_city": "Bristol",
       "address_state": "", "address_zip": "", "address_country": "gb", "timezone": "", "hold_minutes": "",
       "sort_order": "0"}


def _actions(session, business) -> list[str]:
    session.expire_all()
    return [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.business_id == business.id)
                                              .order_by(AuditEvent.created_at, AuditEvent.id))]


def test_the_owner_adds_a_location_and_it_is_listed_with_an_audit_row(session, branches, as_role):
    business, service, alice, bob, main, riverside = branches
    dash = as_role(business, "owner")
    page = dash.get("/dashboard/setup/locations").get_data(as_text=True)
    assert 'data-location="main"' in page and 'data-location="riverside"' in page and "Add a location" in page
    answer = dash.post("/dashboard/setup/locations", data=NEW)
    assert answer.status_code == 303
    harbour = session.scalar(select(Location).where(Location.business_id == business.id, Location.slug == "harbour"))
    assert harbour.address_country == "GB" and harbour.timezone is None and harbour.hold_seconds is None
    assert answer.headers["Location"].endswith(f"/dashboard/setup/locations/{harbour.id}")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "location.created",
                                                    AuditEvent.subject_id == str(harbour.id)))
    assert event is not None and event.actor_kind == "account" and event.details["name"] == "Harbour"
    # The Setup area links to the page.
    assert "/dashboard/setup/locations" in dash.get("/dashboard/setup/business").get_data(as_text=True)


def test_bad_input_is_shown_beside_the_field_with_what_was_typed_and_nothing_is_made(session, branches, as_role):
    business, *_ = branches
    dash = as_role(business, "owner")
    before = _actions(session, business)
    for fields, field in (({"slug": "book"}, "slug"), ({"slug": "riverside"}, "slug"), ({"slug": "Bad Slug!"}, "slug"),
                          ({"timezone": "Mars/Olympus"}, "timezone"), ({"hold_minutes": "abc"}, "hold_minutes"),
                          ({"hold_minutes": "100000"}, "hold_minutes"), ({"name": "  "}, "name"),
                          ({"address_country": "GBR"}, "address_country"), ({"sort_order": "x"}, "sort_order")):
        answer = dash.post("/dashboard/setup/locations", data={**NEW, **fields}, htmx=True)
        assert answer.status_code == 422, fields
        html = answer.get_data(as_text=True)
        assert f'data-error-for="{field}"' in html, fields
        assert 'value="9 Quay"' in html  # what was typed stays
    assert session.scalar(select(Location).where(Location.slug == "harbour")) is None
    assert _actions(session, business).count("location.created") == before.count("location.created")


def test_details_hours_and_retiring_through_the_edit_page(session, branches, as_role):
    business, service, alice, bob, main, riverside = branches
    dash = as_role(business, "owner")
    url = f"/dashboard/setup/locations/{riverside.id}"
    hours_rows_before = _actions(session, business).count("location.hours_changed")
    page = dash.get(url).get_data(as_text=True)
    assert 'value="Riverside"' in page and "Who works here" in page and "Services offered here" in page
    changed = {**NEW, "name": "Riverside Studio", "slug": "riverside", "timezone": "Europe/Dublin", "hold_minutes": "5"}
    assert dash.post(url, data=changed).status_code == 303
    session.expire_all()
    assert (riverside.name, riverside.timezone, riverside.hold_seconds) == ("Riverside Studio", "Europe/Dublin", 300)
    # Bad hours: the grid comes back with the error on its day, the old hours stay.
    bad = dash.post(f"{url}/hours", data={"h0_0_from": "17:00", "h0_0_to": "09:00"}, htmx=True)
    assert bad.status_code == 422 and 'id="location-hours-form"' in bad.get_data(as_text=True)
    half = dash.post(f"{url}/hours", data={"h1_0_from": "09:00"}, htmx=True)
    assert half.status_code == 422 and 'data-error-for="1"' in half.get_data(as_text=True)
    session.expire_all()
    assert {row.opens_at for row in riverside.hours} == {time(10)}
    assert dash.post(f"{url}/hours", data={"h5_0_from": "08:00", "h5_0_to": "12:00"}).status_code == 303
    rows = session.scalars(select(LocationHours).where(LocationHours.location_id == riverside.id)).all()
    assert [(r.weekday, r.opens_at, r.closes_at) for r in rows] == [(5, time(8), time(12))]
    # The primary cannot be retired; another location can.
    dash.post(f"/dashboard/setup/locations/{main.id}/deactivate")
    session.expire_all()
    assert main.is_active
    assert dash.post(f"{url}/deactivate").status_code == 303
    session.expire_all()
    assert not riverside.is_active
    actions = _actions(session, business)
    assert {"location.updated", "location.hours_changed", "location.deactivated"} <= set(actions)
    assert actions.count("location.hours_changed") == hours_rows_before + 1  # the refused ones left nothing


def test_who_works_where_with_hours_there_and_the_services_offered(session, branches, as_role, make_service):
    business, service, alice, bob, main, riverside = branches
    dash = as_role(business, "owner")
    url = f"/dashboard/setup/locations/{riverside.id}"
    # Taking Alice off Riverside leaves her at the primary; Bob joins.
    assert dash.post(f"{url}/staff", data={"staff_ids": [str(bob.id)]}).status_code == 303
    session.expire_all()
    assert [m.name for m in locations.staff_at(session, business, riverside)] == ["Bob"]
    # Bob would work nowhere if taken off the primary too: refused beside the list, nothing changed.
    session.expire_all()
    locations.set_staff_locations(session, business, bob, [riverside])
    session.commit()
    refused = dash.post(f"/dashboard/setup/locations/{main.id}/staff", data={"staff_ids": [str(alice.id)]}, htmx=True)
    assert refused.status_code == 422 and 'data-error-for="staff_ids"' in refused.get_data(as_text=True)
    forged = dash.post(f"{url}/staff", data={"staff_ids": ["not-an-id"]}, htmx=True)
    assert forged.status_code == 422
    # Bob's hours at Riverside.
    hours_url = f"{url}/staff/{bob.id}/hours"
    assert "Bob" in dash.get(hours_url).get_data(as_text=True)
    assert dash.post(hours_url, data={"h2_0_from": "25:00", "h2_0_to": "26:00"}, htmx=True).status_code == 422
    assert dash.post(hours_url, data={"h2_0_from": "11:00", "h2_0_to": "15:00"}).status_code == 303
    rows = session.scalars(select(StaffHours).where(StaffHours.staff_id == bob.id,
                                                    StaffHours.location_id == riverside.id)).all()
    assert [(r.weekday, r.starts_at, r.ends_at) for r in rows] == [(2, time(11), time(15))]
    # Services: a business-wide service unticked at Riverside is offered at the primary only.
    colour = make_service(business, name="Colour")
    assert dash.post(f"{url}/services", data={"service_ids": [str(colour.id)]}).status_code == 303
    session.expire_all()
    assert not locations.offers_service(session, service, riverside)
    assert locations.offers_service(session, service, main) and locations.offers_service(session, colour, riverside)
    actions = _actions(session, business)
    assert {"location.staff_changed", "staff.hours_at_location_changed", "service.locations_changed"} <= set(actions)


def test_the_api_door_leaves_the_same_audit_rows(session, branches, api):
    business, service, alice, bob, main, riverside = branches
    created = api.post("/locations", json={"name": "Harbour", "slug": "harbour", "staff_ids": [str(bob.id)],
                                           "hours": {"saturday": [{"open": "09:00", "close": "13:00"}]}})
    assert created.status_code == 201
    harbour_id = created.get_json()["data"]["id"]
    assert api.patch(f"/locations/{harbour_id}", json={"name": "Harbour Side"}).status_code == 200
    assert api.delete(f"/locations/{harbour_id}").status_code == 200
    events = session.scalars(select(AuditEvent).where(AuditEvent.business_id == business.id,
                                                      AuditEvent.subject_id == harbour_id)).all()
    assert sorted(e.action for e in events) == ["location.created", "location.deactivated", "location.staff_changed",
                                                "location.updated"]
    assert {e.actor_kind for e in events} == {"api_key"}


def test_a_manager_may_set_up_locations_but_the_front_desk_may_not(session, branches, as_role):
    business, *_ = branches
    assert as_role(business, "manager").get("/dashboard/setup/locations").status_code == 200
    desk = as_role(business, "front_desk")
    assert desk.get("/dashboard/setup/locations").status_code == 403
    assert desk.post("/dashboard/setup/locations", data=NEW).status_code == 403


def test_the_same_change_through_either_door_leaves_the_same_audit_rows(session, branches, as_role, api):
    """Door parity for location setup: retitle Riverside, set its hours, then retire it,
    once through the dashboard and once through the API; the rows differ only in who acted."""
    business, service, alice, bob, main, riverside = branches

    def seen() -> set:
        session.expire_all()
        return set(session.scalars(select(AuditEvent.id).where(AuditEvent.business_id == business.id)))

    def rows_since(earlier: set):
        # Each request of a door writes one row, a request later than the one before.
        events = session.scalars(select(AuditEvent).where(AuditEvent.business_id == business.id,
                                                          AuditEvent.id.not_in(earlier),
                                                          AuditEvent.action.like("location.%"))
                                 .order_by(AuditEvent.created_at)).all()
        return [(e.action, e.subject_type, e.subject_id, e.details) for e in events]

    def restore():
        session.expire_all()  # what the dashboard's requests changed, not what this session last read
        locations.update_location(session, business, riverside, {"name": "Riverside", "is_active": True},
                                  hours={d: [(time(10), time(16))] for d in range(7)})
        session.commit()
        return seen()

    start = seen()
    dash = as_role(business, "owner")
    url = f"/dashboard/setup/locations/{riverside.id}"
    assert dash.post(url, data={**NEW, "name": "Riverside Two", "slug": "riverside"}).status_code == 303
    assert dash.post(f"{url}/hours", data={"h0_0_from": "08:00", "h0_0_to": "12:00"}).status_code == 303
    assert dash.post(f"{url}/deactivate").status_code == 303
    # The dashboard form sends every field; the API only the name. Compare the name row.
    by_dashboard = rows_since(start)
    start = restore()
    assert api.patch(f"/locations/{riverside.id}", json={"name": "Riverside Two"}).status_code == 200
    assert api.patch(f"/locations/{riverside.id}", json={
        "hours": {"monday": [{"open": "08:00", "close": "12:00"}]}}).status_code == 200
    assert api.delete(f"/locations/{riverside.id}").status_code == 200
    by_api = rows_since(start)
    assert [row[0] for row in by_dashboard] == [row[0] for row in by_api] == [
        "location.updated", "location.hours_changed", "location.deactivated"]
    assert by_dashboard[0][3]["name"] == by_api[0][3]["name"] == {"before": "Riverside", "after": "Riverside Two"}
    assert by_dashboard[1:] == by_api[1:]
