"""A location's refusals (domain.locations) as an owner meets them on Setup → Locations: in
words (the catalogue's, for the fields it shares), beside the field they are about, with
what was typed kept and nothing saved, on adding a location and on editing one; and as an
integrator meets them in the API's envelope, which still names the field by `param`."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bookingapp.models import Location
from tests.api.conftest import assert_error
from tests.dashboard.test_catalog_wording import kept, refused_in_words
from tests.helpers import MONDAY, at
from tests.locations.test_api import iso

TYPED = {"name": "Harbour", "slug": "harbour", "phone": "", "address_street": "9 Quay", "address_city": "Bristol",
         "address_state": "", "address_zip": "BS1 4RN", "address_country": "GB", "timezone": "Europe/Dublin",
         "hold_minutes": "5", "sort_order": "3"}

REFUSALS = [
    ({"name": "   "}, "name", "The name is required."),
    ({"slug": ""}, "slug", "The slug is required."),
    ({"slug": "Bad Slug!"}, "slug",
     "The slug may use lower-case letters, digits and hyphens (not at either end), 80 characters at most."),
    ({"slug": "book"}, "slug", "“book” is used by the booking pages; choose another slug."),
    ({"timezone": "Mars/Olympus"}, "timezone", "The time zone must be a known zone name, such as Europe/London."),
    ({"address_country": "G1"}, "address_country", "The country must be a two-letter code, such as GB."),
    ({"address_city": "C" * 101}, "address_city", "The city is too long (100 characters at most)."),
    ({"sort_order": "2000000"}, "sort_order", "The position must be between -1,000,000 and 1,000,000."),
    # The form asks for minutes: the domain's refusal in seconds is said in the form's unit.
    ({"hold_minutes": "61"}, "hold_minutes", "Give between 1 and 60 minutes."),
]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
@pytest.mark.parametrize("typed, field, words", REFUSALS)
def test_a_new_location_is_refused_in_words_beside_the_field_with_what_was_typed(
        session, branches, as_role, typed, field, words, htmx):
    business = branches[0]
    owner = as_role(business, "owner")
    form = {**TYPED, **typed}
    page = refused_in_words(owner.post("/dashboard/setup/locations", form, htmx=htmx), field, words, htmx=htmx,
                            form_id="new-location-form")
    kept(page, form)
    assert session.scalars(select(Location.slug).where(Location.business_id == business.id)
                           .order_by(Location.slug)).all() == ["main", "riverside"]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
@pytest.mark.parametrize("typed, field, words", [
    *REFUSALS[:4],
    ({"slug": "main"}, "slug", "Another location already uses the slug “main”."),
    *REFUSALS[4:],
])
def test_an_edited_location_is_refused_in_words_and_left_as_it_was(session, branches, as_role, typed, field, words,
                                                                   htmx):
    business, *_, riverside = branches
    owner = as_role(business, "owner")
    form = {**TYPED, "slug": "riverside", **typed}
    answer = owner.post(f"/dashboard/setup/locations/{riverside.id}", form, htmx=htmx)
    page = refused_in_words(answer, field, words, htmx=htmx, form_id="edit-location-form")
    kept(page, form)
    session.expire_all()
    stored = session.get(Location, riverside.id)
    assert (stored.name, stored.slug, stored.timezone, stored.hold_seconds, stored.sort_order) == (
        "Riverside", "riverside", None, None, 0)


def test_the_api_names_the_same_param_and_carries_the_same_words(api, session, branches):
    """The refusals the API's own schema leaves to the domain (it bounds the hold length
    and the position itself, before the domain is asked)."""
    business, service, alice, bob, main, riverside = branches

    def refused(answer, param: str) -> str:
        return assert_error(answer, 400, "validation_error", param)["error"]["message"]

    url = f"/locations/{riverside.id}"
    assert refused(api.patch(url, json={"slug": "Bad Slug!"}), "slug") == (
        "The slug may use lower-case letters, digits and hyphens (not at either end), 80 characters at most.")
    assert refused(api.patch(url, json={"timezone": "Mars/Olympus"}), "timezone") == (
        "The time zone must be a known zone name, such as Europe/London.")
    assert refused(api.patch(url, json={"address": {"country": "G1"}}), "address.country") == (
        "The country must be a two-letter code, such as GB.")
    assert refused(api.patch(f"/locations/{main.id}", json={"is_active": False}), "is_active") == (
        "The primary location cannot be deactivated.")
    assert refused(api.post("/locations", json={"name": "Harbour", "slug": " "}), "slug") == "The slug is required."
    # A hold asked to last longer than the location keeps one.
    too_long = api.post("/bookings/hold", json={
        "service_id": str(service.id), "start_at": iso(at(MONDAY, 14)), "staff_id": str(alice.id),
        "location_id": str(riverside.id), "hold_seconds": business.hold_seconds + 1})
    assert refused(too_long, "hold_seconds") == (
        f"The hold length may be at most {business.hold_seconds} seconds at this location.")
    session.expire_all()
    stored = session.get(Location, riverside.id)
    assert (stored.slug, stored.timezone, stored.hold_seconds, stored.sort_order, stored.address_country) == (
        "riverside", None, None, 0, None)
