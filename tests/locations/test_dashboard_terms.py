"""Setup → Locations → a location → "Prices and lengths here" in the dashboard: one small
form per service offered there, setting its own price, deposit and length at that
location (domain.service_terms.set_terms_at). Saved terms are what a hold there costs and
lasts; an empty box is the service's own; a refusal comes back beside its field with what
was typed (422, the row alone for htmx) and writes nothing; an account sees only the
locations and services it may (404 otherwise)."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from bookingapp.domain import booking as ops
from bookingapp.domain import locations
from bookingapp.domain.service_terms import OwnTerms, ServiceTerms, own_terms_at, set_terms_at, terms_at
from bookingapp.models import service_locations
from tests.helpers import MONDAY, at, before

NOW = before()
BLANK = {"price_cents": "", "deposit_cents": "", "duration_minutes": ""}


def _url(location, service) -> str:
    return f"/dashboard/setup/locations/{location.id}/services/{service.id}/terms"


def _stored(session, service, location) -> OwnTerms:
    session.expire_all()  # what the requests committed, not what this session last read
    return own_terms_at(session, service, location)


@pytest.fixture
def owner(branches, as_role):
    return as_role(branches[0], "owner")


def test_the_location_page_lists_each_service_offered_there_with_its_terms_and_the_services_own_as_placeholder(
        session, branches, owner, make_service):
    business, service, alice, bob, main, riverside = branches
    colour = make_service(business, name="Colour", price_cents=8000, deposit_cents=0, duration_minutes=90)
    set_terms_at(session, business, colour, main, {}, now=NOW)  # now listed at every location, no terms of its own
    set_terms_at(session, business, service, riverside, {"price_cents": 3000, "duration_minutes": 45}, now=NOW)
    session.commit()
    page = owner.get(f"/dashboard/setup/locations/{riverside.id}").get_data(as_text=True)
    assert "Prices and lengths here" in page
    row = page[page.index(f'id="terms-{service.id}"'):]
    row = row[:row.index("</form>")]
    assert 'data-terms="3000 1000 45"' in row and "£30.00" in row and "45 min" in row
    assert 'name="price_cents"' in row and 'value="30.00"' in row and 'placeholder="50.00"' in row
    assert 'name="deposit_cents"' in row and 'placeholder="10.00"' in row
    assert 'name="duration_minutes"' in row and 'value="45"' in row and 'placeholder="60"' in row
    assert f'id="terms-{colour.id}"' in page
    # A service not offered at a location is not listed there.
    locations.set_service_locations(session, business, colour, [main], now=NOW)
    session.commit()
    assert f'id="terms-{colour.id}"' not in owner.get(f"/dashboard/setup/locations/{riverside.id}").get_data(
        as_text=True)


def test_saving_terms_changes_what_a_hold_there_costs_and_lasts(session, branches, owner):
    business, service, alice, bob, main, riverside = branches
    answer = owner.post(_url(riverside, service),
                        data={"price_cents": "30.00", "deposit_cents": "5", "duration_minutes": "45"})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/dashboard/setup/locations/{riverside.id}")
    assert "Cut at Riverside saved." in owner.get(answer.headers["Location"]).get_data(as_text=True)
    assert _stored(session, service, riverside) == OwnTerms(3000, 500, 45)
    held = ops.hold(session, business, service, at(MONDAY, 13), staff=alice, now=NOW, location=riverside)
    assert (held.price_cents, held.deposit_cents) == (3000, 500)
    assert held.ends_at - held.starts_at == timedelta(minutes=45)
    # The primary keeps the service's own terms.
    assert terms_at(session, service, main) == ServiceTerms(5000, 1000, 60)


def test_empty_boxes_are_the_services_own(session, branches, owner):
    business, service, alice, bob, main, riverside = branches
    set_terms_at(session, business, service, riverside, {"price_cents": 3000, "duration_minutes": 45}, now=NOW)
    session.commit()
    assert owner.post(_url(riverside, service), data={**BLANK, "duration_minutes": "30"}).status_code == 303
    assert _stored(session, service, riverside) == OwnTerms(None, None, 30)
    assert owner.post(_url(riverside, service), data=BLANK).status_code == 303
    assert _stored(session, service, riverside) == OwnTerms(None, None, None)
    held = ops.hold(session, business, service, at(MONDAY, 13), staff=alice, now=NOW, location=riverside)
    assert held.price_cents == 5000 and held.ends_at - held.starts_at == timedelta(minutes=60)


@pytest.mark.parametrize("typed, field", [
    ({"price_cents": "30.00", "deposit_cents": "40.00"}, "deposit_cents"),  # deposit above the price here
    ({"price_cents": "5.00"}, "deposit_cents"),  # below the service's own £10 deposit
    ({"duration_minutes": "2"}, "duration_minutes"),
    ({"duration_minutes": "100000"}, "duration_minutes"),
    ({"duration_minutes": "forty"}, "duration_minutes"),
    ({"price_cents": "abc"}, "price_cents"),
    ({"price_cents": "12.345"}, "price_cents"),
    ({"deposit_cents": "-1"}, "deposit_cents"),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_input_comes_back_beside_its_field_with_what_was_typed_and_nothing_is_written(
        session, branches, owner, typed, field, htmx):
    business, service, alice, bob, main, riverside = branches
    sent = {**BLANK, "duration_minutes": "45", **typed}
    answer = owner.post(_url(riverside, service), data=sent, htmx=htmx)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    row = html[html.index(f'id="terms-{service.id}"'):]
    row = row[:row.index("</form>")]
    assert f'data-error-for="{field}"' in row
    for name, value in sent.items():
        if value:
            assert f'value="{value}"' in row, name  # what was typed stays
    # With htmx only the row comes back; without JavaScript the whole page, the row within it.
    assert ("Who works here" in html) is not htmx and ("Prices and lengths here" in html) is not htmx
    # Nothing half-written: the business-wide service was not listed anywhere on the way.
    assert session.execute(select(service_locations)).all() == []
    assert terms_at(session, service, riverside) == ServiceTerms(5000, 1000, 60)


def test_the_htmx_answer_is_the_saved_row_alone(session, branches, owner):
    business, service, alice, bob, main, riverside = branches
    answer = owner.post(_url(riverside, service), data={**BLANK, "price_cents": "42.50"}, htmx=True)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert html.lstrip().startswith("<form") and html.count("<form") == 1
    assert f'id="terms-{service.id}"' in html and 'hx-swap="outerHTML"' in html
    assert 'data-terms="4250 1000 60"' in html and 'value="42.50"' in html and "Saved." in html
    assert "<html" not in html and "Who works here" not in html
    assert _stored(session, service, riverside) == OwnTerms(4250, None, None)


def test_another_business_s_service_a_removed_one_or_a_bad_id_is_404(session, branches, owner, make_business,
                                                                     make_service):
    business, service, alice, bob, main, riverside = branches
    elsewhere = make_service(make_business(), name="Elsewhere")
    removed = make_service(business, name="Gone")
    removed.deleted_at = NOW
    session.commit()
    for url in (_url(riverside, elsewhere), _url(riverside, removed),
                f"/dashboard/setup/locations/{riverside.id}/services/{uuid.uuid4()}/terms",
                f"/dashboard/setup/locations/{riverside.id}/services/not-an-id/terms",
                f"/dashboard/setup/locations/{uuid.uuid4()}/services/{service.id}/terms"):
        for htmx in (False, True):
            assert owner.post(url, data={**BLANK, "price_cents": "1.00"}, htmx=htmx).status_code == 404, url
    assert session.execute(select(service_locations)).all() == []


def test_a_manager_limited_to_riverside_sets_terms_there_but_cannot_reach_the_primary(
        session, branches, riverside_manager):
    business, service, alice, bob, main, riverside = branches
    assert riverside_manager.post(_url(main, service), data={**BLANK, "price_cents": "1.00"}).status_code == 404
    assert riverside_manager.post(_url(main, service), data=BLANK, htmx=True).status_code == 404
    assert session.execute(select(service_locations)).all() == []
    assert riverside_manager.post(_url(riverside, service), data={**BLANK, "duration_minutes": "45"}).status_code == 303
    assert _stored(session, service, riverside) == OwnTerms(None, None, 45)


def test_the_front_desk_may_not_set_terms(session, branches, as_role):
    business, service, alice, bob, main, riverside = branches
    desk = as_role(business, "front_desk")
    assert desk.post(_url(riverside, service), data={**BLANK, "price_cents": "1.00"}).status_code == 403
    assert session.execute(select(service_locations)).all() == []


def test_a_retired_location_shows_no_terms_forms_and_refuses_them_as_unknown(session, branches, owner):
    business, service, alice, bob, main, riverside = branches
    locations.deactivate_location(session, business, riverside, now=NOW)
    session.commit()
    page = owner.get(f"/dashboard/setup/locations/{riverside.id}").get_data(as_text=True)
    assert "Prices and lengths here" in page and f'id="terms-{service.id}"' not in page
    for htmx in (False, True):
        assert owner.post(_url(riverside, service), data={**BLANK, "price_cents": "1.00"},
                          htmx=htmx).status_code == 404
    assert session.execute(select(service_locations)).all() == []


@pytest.mark.parametrize("typed, words", [
    ({"duration_minutes": "2"}, "The length here must be between 5 and 1440 minutes."),
    ({"price_cents": "5.00"}, "This price is less than the service&#39;s own deposit (£10.00): set a deposit here too."),
    ({"price_cents": "30.00", "deposit_cents": "40.00"}, "The deposit cannot exceed the price at this location."),
])
def test_refusals_are_worded_for_the_owner_not_in_field_names(session, branches, owner, typed, words):
    """The domain's refusals reach the dashboard as they are: they name the price, deposit
    and length in words and money, never `price_cents` or a number of cents."""
    business, service, alice, bob, main, riverside = branches
    answer = owner.post(_url(riverside, service), data={**BLANK, **typed}, htmx=True)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert words in html
    shown = re.findall(r'data-error-for="[a-z_]+">([^<]*)</span>', html)
    assert shown == [words] and not any(name in shown[0] for name in ("_cents", "_minutes"))
