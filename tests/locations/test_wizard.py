"""The customer wizard at a business with several locations: "Choose a location" first,
then the usual steps there; a deep link to a location skips the choice; a business with
one location sees nothing new."""
from __future__ import annotations

import re

from sqlalchemy import select

from bookingapp.models import Booking
from tests.helpers import MONDAY, at, before
from tests.web.conftest import csrf_from

HX = {"HX-Request": "true"}


def iso(instant):
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_business_with_one_location_starts_with_its_services(client, salon, app):
    business, service, *_ = salon
    page = client.get(f"/{business.slug}/book")
    assert page.status_code == 200
    assert "Choose a service" in page.text and "Choose a location" not in page.text
    # Its links stay as they were: no location carried.
    assert f"/{business.slug}/book/{service.id}\"" in page.text


def test_several_locations_start_with_choose_a_location(client, branches):
    business, service, alice, bob, main, riverside = branches
    page = client.get(f"/{business.slug}/book")
    assert page.status_code == 200 and "Choose a location" in page.text
    assert "Riverside" in page.text and "2 River Walk" in page.text
    assert "openstreetmap.org/search?query=2+River+Walk" in page.text
    assert "10:00–16:00" in page.text  # Riverside's own hours; the primary shows the business's
    assert "09:00–18:00" in page.text
    assert f'href="/{business.slug}/riverside"' in page.text
    partial = client.get(f"/{business.slug}/book", headers=HX)
    assert partial.text.lstrip().startswith('<div id="step"') and "HX-Request" in partial.headers["Vary"]


def test_a_deep_link_to_a_location_skips_the_choice_and_carries_it_through_the_steps(client, branches, app):
    business, service, alice, bob, main, riverside = branches
    app.config["CLOCK"] = lambda: before()
    services = client.get(f"/{business.slug}/riverside")
    assert services.status_code == 200 and "Choose a service" in services.text
    staff_url = f"/{business.slug}/book/{service.id}?location=riverside"
    assert staff_url in services.text
    staff = client.get(staff_url)
    assert "Alice" in staff.text and "Bob" not in staff.text  # Bob works at the primary only
    time_url = f"/{business.slug}/book/{service.id}/{alice.id}"
    assert f"{time_url}?location=riverside" in staff.text
    times = client.get(f"{time_url}?location=riverside&day={MONDAY.isoformat()}")
    assert times.status_code == 200
    offered = set(re.findall(r'name="start" value="([^"]+)"', times.text))
    assert iso(at(MONDAY, 13)) in offered and iso(at(MONDAY, 9)) not in offered
    held = client.post(f"{time_url}?location=riverside",
                       data={"csrf_token": csrf_from(times.text), "start": iso(at(MONDAY, 13))})
    assert held.status_code == 303, held.text
    booking = _only_booking(business)
    assert booking.location_id == riverside.id and booking.staff_id == alice.id


def test_choosing_a_service_first_then_a_location_goes_on_to_its_staff(client, branches):
    business, service, alice, bob, main, riverside = branches
    page = client.get(f"/{business.slug}/book/{service.id}")
    assert "Choose a location" in page.text
    assert f"/{business.slug}/book/{service.id}?location=riverside" in page.text


def test_an_unknown_location_is_a_404(client, branches):
    business, *_ = branches
    assert client.get(f"/{business.slug}/nowhere").status_code == 404
    assert client.get(f"/{business.slug}/book?location=nowhere").status_code == 404


def _only_booking(business):
    from bookingapp.extensions import db

    return db.session.scalars(select(Booking).where(Booking.business_id == business.id)).one()


def test_retiring_and_reopening_the_second_location_switches_the_location_step_at_once(client, session, branches):
    """The wizard learns how many locations are open from the statement that reads the
    business (web.rendering.business_or_404), on every request: retiring Riverside makes the
    next visit start with the services, and reopening it brings the choice back."""
    from bookingapp.domain import locations

    business, service, alice, bob, main, riverside = branches
    assert "Choose a location" in client.get(f"/{business.slug}/book").text
    locations.update_location(session, business, riverside, {"is_active": False}, now=before())
    session.commit()
    page = client.get(f"/{business.slug}/book")
    assert "Choose a service" in page.text and "Choose a location" not in page.text
    assert f"/{business.slug}/book/{service.id}\"" in page.text  # no location carried
    locations.update_location(session, business, riverside, {"is_active": True}, now=before())
    session.commit()
    assert "Choose a location" in client.get(f"/{business.slug}/book").text


def test_the_service_step_at_a_location_reads_as_much_for_many_services_as_for_one(
        client, session, branches, make_service, app):
    """The services offered at a location, their prices and lengths there come in a fixed
    number of reads (domain.locations.offered_at, service_terms.own_terms_for): not one or
    two per service. Riverside offers every business-wide service and the ones listed there;
    one service limited to the primary is left out."""
    from bookingapp.domain import locations
    from bookingapp.extensions import db
    from tests.helpers import counted_statements

    business, service, alice, bob, main, riverside = branches
    url = f"/{business.slug}/riverside"

    def statements() -> int:
        with counted_statements(db.engine) as seen:
            page = client.get(url)
        assert page.status_code == 200
        return len(seen)

    few = statements()
    for n in range(6):
        make_service(business, name=f"Extra {n}")
    only_main = make_service(business, name="Main only")
    locations.set_service_locations(session, business, only_main, [main])
    session.commit()
    assert statements() == few
    page = client.get(url).text
    assert all(f"Extra {n}" in page for n in range(6)) and "Main only" not in page
