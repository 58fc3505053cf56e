"""The owner sets the business's default language: in the dashboard's profile form and
through the API, both through domain.catalog.update_business_profile, refusing anything
but the languages the customer side speaks."""
from __future__ import annotations

import pytest

from bookingapp.domain import catalog
from bookingapp.domain.errors import ValidationError
from bookingapp.models import Business
from tests.api.conftest import assert_error


def _profile(business, **changes):
    form = {"name": business.name, "slug": business.slug, "description": "", "email": "", "phone": "", "website": "",
            "address_street": "", "address_city": "", "address_zip": "", "address_country": "GB",
            "default_language": "en"}
    form.update(changes)
    return form


def test_owner_sets_the_default_language_in_the_profile_form(salon, as_role, session):
    business = salon[0]
    dash = as_role(business, "owner")
    page = dash.get("/dashboard/setup/business").get_data(as_text=True)
    assert 'name="default_language"' in page and ">Deutsch<" in page
    assert dash.post("/dashboard/setup/business", _profile(business, default_language="de")).status_code == 303
    session.expire_all()
    assert session.get(Business, business.id).default_language == "de"


def test_an_unknown_language_in_the_form_is_422_with_the_form_kept(salon, as_role, session):
    business = salon[0]
    dash = as_role(business, "owner")
    refused = dash.post("/dashboard/setup/business", _profile(business, name="Typed name", default_language="fr"),
                        htmx=True)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and html.lstrip().startswith('<form id="profile-form"')
    assert ('<p class="error" data-error-for="default_language">The customer pages&#39; language must be one of: '
            'English (en), Deutsch (de).</p>') in html and 'value="Typed name"' in html
    session.expire_all()
    stored = session.get(Business, business.id)
    assert (stored.default_language, stored.name) == ("en", business.name)


def test_api_reads_and_sets_the_default_language_and_names_the_field_when_wrong(api, salon, session):
    assert api.get("/business").get_json()["data"]["default_language"] == "en"
    updated = api.patch("/business", json={"default_language": "de"}).get_json()["data"]
    assert updated["default_language"] == "de"
    assert_error(api.patch("/business", json={"default_language": "fr"}), 400, "validation_error", "default_language")
    assert_error(api.patch("/business", json={"default_language": 7}), 400, "validation_error", "default_language")
    session.expire_all()
    assert session.get(Business, salon[0].id).default_language == "de"


def test_the_domain_refuses_an_unknown_language_for_every_door(session, salon):
    with pytest.raises(ValidationError) as refused:
        catalog.update_business_profile(session, salon[0], {"default_language": "xx"})
    assert refused.value.param == "default_language"
