"""A business with two branches: the primary (London, the business's 09:00-18:00) and
Riverside (its own hours, 10:00-16:00), and a stylist who works mornings at the primary
and afternoons at Riverside."""
from __future__ import annotations

from datetime import time

import pytest

from bookingapp.domain import locations
from tests.helpers import before


@pytest.fixture
def branches(session, salon):
    business, service, alice, bob = salon
    main = locations.primary_location(session, business)
    riverside = locations.create_location(session, business, {
        "name": "Riverside", "slug": "riverside", "address": {"street": "2 River Walk", "city": "London"},
    }, now=before())
    locations.set_location_hours(session, business, riverside, {d: [(time(10), time(16))] for d in range(7)})
    # Alice: mornings at the primary, afternoons at Riverside.
    locations.set_staff_locations(session, business, alice, [main, riverside])
    locations.set_staff_hours_at(session, business, alice, main, {d: [(time(9), time(12))] for d in range(7)})
    locations.set_staff_hours_at(session, business, alice, riverside, {d: [(time(13), time(16))] for d in range(7)})
    # Bob stays at the primary only (linked nowhere: the primary).
    session.commit()
    return business, service, alice, bob, main, riverside


@pytest.fixture
def riverside_manager(app, session, branches, make_account):
    """A manager limited to Riverside (auth.locations), signed in to the dashboard."""
    from bookingapp.auth import locations as location_access
    from tests.dashboard.conftest import Dashboard

    business, service, alice, bob, main, riverside = branches
    owner = make_account(business, "owner")
    manager = make_account(business, "manager")
    location_access.set_account_locations(session, business, manager, [riverside], acting=owner)
    session.commit()
    dash = Dashboard(app.test_client())
    assert dash.sign_in(manager.email).status_code == 302
    return dash


# The API's client and key fixtures, for this folder's API tests.
from tests.api.conftest import api, api_for, make_key  # noqa: E402,F401
from tests.dashboard.conftest import as_role, make_account  # noqa: E402,F401
