"""Door parity for a service's own terms at a location: the same change through the API
(PUT /api/v1/locations/{id}/services/{service_id}, amounts in minor units) and through
the dashboard (the location page's form, amounts as money) leaves the same stored terms at
every location and the same audit rows; the same bad input is refused on both doors naming
the same field, and leaves nothing behind on either."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select

from bookingapp.models import service_locations
from bookingapp.models.audit import AuditEvent
# The fixtures: the two-branch business, an API key's client and a signed-in dashboard client.
from tests.api.conftest import api, make_key  # noqa: F401
from tests.dashboard.conftest import as_role, make_account  # noqa: F401
from tests.locations.conftest import branches  # noqa: F401

# Each step as the API takes it and as the dashboard's form takes it (money in pounds, a
# box left empty for the service's own).
STEPS = [
    ({"price_cents": 3000, "deposit_cents": 500, "duration_minutes": 45},
     {"price_cents": "30.00", "deposit_cents": "5.00", "duration_minutes": "45"}),
    ({"price_cents": None, "deposit_cents": None, "duration_minutes": 30},
     {"price_cents": "", "deposit_cents": "", "duration_minutes": "30"}),
    ({"price_cents": 6000, "deposit_cents": None, "duration_minutes": None},
     {"price_cents": "60", "deposit_cents": "", "duration_minutes": ""}),
]

# The same wrong input on both doors, and the field both must name.
REFUSED = [
    ({"price_cents": 3000, "deposit_cents": 4000}, {"price_cents": "30.00", "deposit_cents": "40.00"},
     "deposit_cents"),
    ({"price_cents": 500}, {"price_cents": "5.00"}, "deposit_cents"),  # below the service's own deposit
    ({"duration_minutes": 2}, {"duration_minutes": "2"}, "duration_minutes"),
    ({"duration_minutes": 100000}, {"duration_minutes": "100000"}, "duration_minutes"),
    ({"duration_minutes": "forty"}, {"duration_minutes": "forty"}, "duration_minutes"),
    ({"price_cents": -100}, {"price_cents": "-1.00"}, "price_cents"),
]
EMPTY_FORM = {"price_cents": "", "deposit_cents": "", "duration_minutes": ""}


@pytest.fixture
def doors(session, branches, api, as_role):
    business, service, alice, bob, main, riverside = branches
    dash = as_role(business, "owner")

    def through_api(json):
        return api.put(f"/locations/{riverside.id}/services/{service.id}", json=json)

    def through_dashboard(form):
        return dash.post(f"/dashboard/setup/locations/{riverside.id}/services/{service.id}/terms",
                         data={**EMPTY_FORM, **form}, htmx=True)

    return through_api, through_dashboard


def _stored(session, service) -> list[tuple]:
    """The service's rows at every location (listing a business-wide service lists it at each)."""
    session.expire_all()
    rows = session.execute(select(service_locations).where(service_locations.c.service_id == service.id)).all()
    return sorted((str(r.location_id), r.price_cents, r.deposit_cents, r.duration_minutes) for r in rows)


def _audit_ids(session, business) -> set:
    session.expire_all()
    return set(session.scalars(select(AuditEvent.id).where(AuditEvent.business_id == business.id)))


def _audit_since(session, business, earlier: set) -> list[tuple]:
    events = session.scalars(select(AuditEvent).where(AuditEvent.business_id == business.id,
                                                      AuditEvent.id.not_in(earlier))
                             .order_by(AuditEvent.created_at, AuditEvent.action)).all()
    return [(e.action, e.subject_type, e.subject_id, e.details) for e in events]


def _restore(session, service) -> None:
    """Back to a business-wide service with no terms of its own anywhere."""
    session.execute(delete(service_locations).where(service_locations.c.service_id == service.id))
    session.commit()


def test_the_same_terms_through_either_door_leave_the_same_rows_and_audit_trail(session, branches, doors):
    business, service, alice, bob, main, riverside = branches
    through_api, through_dashboard = doors
    results = {}
    for name, send, pick in (("api", through_api, 0), ("dashboard", through_dashboard, 1)):
        _restore(session, service)
        start = _audit_ids(session, business)
        after_each = []
        for step in STEPS:
            answer = send(step[pick])
            assert answer.status_code == 200, (name, step, answer.get_data(as_text=True))
            after_each.append(_stored(session, service))
        results[name] = (after_each, _audit_since(session, business, start))
    assert results["api"] == results["dashboard"]
    after_each, trail = results["api"]
    # Every step changed Riverside's own terms: each is audited, with the money before and after.
    changed = [row for row in trail if row[0] == "service.location_terms_changed"]
    assert len(changed) == len(STEPS) and all(row[3]["location_id"] == str(riverside.id) for row in changed)
    assert changed[0][3]["price_cents"] == {"before": None, "after": 3000}
    here = [row for row in after_each[0] if row[0] == str(riverside.id)]
    assert here == [(str(riverside.id), 3000, 500, 45)]
    assert (str(main.id), None, None, None) in after_each[0]  # still offered at the primary, on its own terms
    assert [row[1:] for row in after_each[-1] if row[0] == str(riverside.id)] == [(6000, None, None)]


@pytest.mark.parametrize("api_json, form, field", REFUSED)
def test_the_same_bad_input_is_refused_naming_the_same_field_on_both_doors(session, branches, doors, api_json, form,
                                                                          field):
    business, service, alice, bob, main, riverside = branches
    through_api, through_dashboard = doors
    start = _audit_ids(session, business)
    by_api = through_api(api_json)
    assert by_api.status_code == 400, by_api.get_json()
    assert by_api.get_json()["error"]["param"] == field
    by_dashboard = through_dashboard(form)
    assert by_dashboard.status_code == 422
    assert re.findall(r'data-error-for="([^"]+)"', by_dashboard.get_data(as_text=True)) == [field]
    assert _stored(session, service) == []
    assert _audit_since(session, business, start) == []
