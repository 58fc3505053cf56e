"""The catalogue's refusals (domain.catalog) as an owner meets them on the setup forms: in
words and units (minutes, the business's money), beside the field they are about, with
what was typed kept and nothing saved; and as an integrator meets them in the API's
envelope, which still names the field by `param`."""
from __future__ import annotations

import html as html_text
import re

import pytest
from sqlalchemy import select

from bookingapp.models import Business, Product, Service, Staff
from tests.api.conftest import api, assert_error, make_key  # noqa: F401 (the API client fixture)

SERVICE_FORM = {"name": "Colour", "category_id": "", "description": "", "duration_minutes": "90", "price_cents": "80.00",
                "deposit_cents": "20.00", "buffer_before_minutes": "0", "buffer_minutes": "15", "sort_order": "0",
                "is_active": "on"}
STAFF_FORM = {"name": "Cleo", "email": "", "phone": "", "role": "staff", "bio": "", "sort_order": "0",
              "is_active": "on"}
PRODUCT_FORM = {"name": "Spray", "description": "", "price_cents": "16.00", "category": "", "sku": "",
                "inventory_count": "", "sort_order": "0", "is_active": "on"}
ERROR = re.compile(r'<p class="error" data-error-for="([a-z_]+)">([^<]*)</p>')
# What a refusal must never show an owner: a column's name.
FIELD_NAMES = re.compile(r"_cents|_minutes|sort_order|_id\b|is_active|address\.|default_language")


def _profile(business, **changes):
    form = {"name": business.name, "slug": business.slug, "description": "", "email": "", "phone": "", "website": "",
            "address_street": "", "address_city": "", "address_zip": "", "address_country": "GB"}
    form.update(changes)
    return form


def refused_in_words(answer, field: str, words: str, *, htmx: bool, form_id: str) -> str:
    """The answer is the form again (422; the form alone for htmx), with exactly one
    refusal, shown beside `field`, reading `words`, and no column name in it."""
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422, page
    if htmx:
        assert page.lstrip().startswith(f'<form id="{form_id}"')
    else:
        assert "<html" in page and f'<form id="{form_id}"' in page
    shown = [(name, html_text.unescape(text)) for name, text in ERROR.findall(page)]
    assert shown == [(field, words)]
    assert not FIELD_NAMES.search(words)
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', page), "the field itself is marked invalid"
    return page


def kept(page: str, typed: dict) -> None:
    """Every text the owner typed is back in its input (its textarea, its chosen option)."""
    for name, value in typed.items():
        if value in ("", "on"):
            continue
        shown = re.escape(html_text.escape(value))
        assert (re.search(rf'name="{name}"[^>]*value="{shown}"', page)
                or re.search(rf'name="{name}"[^>]*>{shown}</textarea>', page)
                or re.search(rf'<select name="{name}"[^>]*>(?:(?!</select>).)*<option value="{shown}" selected>', page,
                             re.S)), f"{name}={value!r} was not kept"


# --------------------------------------------------------------------------- services


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
@pytest.mark.parametrize("typed, field, words", [
    ({"duration_minutes": "2"}, "duration_minutes", "The length must be between 5 and 1440 minutes."),
    ({"duration_minutes": "1441"}, "duration_minutes", "The length must be between 5 and 1440 minutes."),
    ({"buffer_minutes": "481"}, "buffer_minutes", "The buffer after must be between 0 and 480 minutes."),
    ({"buffer_before_minutes": "-5"}, "buffer_before_minutes", "The buffer before must be between 0 and 480 minutes."),
    ({"sort_order": "2000000"}, "sort_order", "The position must be between -1,000,000 and 1,000,000."),
    ({"price_cents": "30.00", "deposit_cents": "40.00"}, "deposit_cents",
     "The deposit (£40.00) cannot exceed the price (£30.00)."),
    ({"name": "   "}, "name", "The name is required."),
    ({"name": "N" * 201}, "name", "The name is too long (200 characters at most)."),
    ({"description": "d" * 5001}, "description", "The description is too long (5,000 characters at most)."),
])
def test_a_new_service_is_refused_in_words_beside_the_field_with_what_was_typed(
        salon, as_role, session, typed, field, words, htmx):
    business = salon[0]
    owner = as_role(business, "owner")
    form = {**SERVICE_FORM, **typed}
    page = refused_in_words(owner.post("/dashboard/setup/services", form, htmx=htmx), field, words, htmx=htmx,
                            form_id="new-services-form")
    kept(page, form)
    assert session.scalars(select(Service).where(Service.business_id == business.id,
                                                 Service.name != "Cut")).all() == []


def test_an_edited_service_is_refused_in_its_business_s_money_and_left_as_it_was(make_business, make_service, as_role,
                                                                                  session):
    """A euro business reads euros: the amounts are the business's currency, not pounds."""
    business = make_business(currency="EUR", address_country="IE")
    service = make_service(business, price_cents=5000, deposit_cents=1000)
    owner = as_role(business, "owner")
    form = {**SERVICE_FORM, "name": "Cut", "price_cents": "45.00", "deposit_cents": "45.50"}
    page = refused_in_words(owner.post(f"/dashboard/setup/services/{service.id}", form, htmx=True), "deposit_cents",
                            "The deposit (€45.50) cannot exceed the price (€45.00).", htmx=True,
                            form_id="edit-services-form")
    kept(page, form)
    session.expire_all()
    stored = session.get(Service, service.id)
    assert (stored.price_cents, stored.deposit_cents) == (5000, 1000)


# --------------------------------------------------------------------------- staff


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
@pytest.mark.parametrize("typed, field, words", [
    ({"name": ""}, "name", "The name is required."),
    ({"sort_order": "-1000001"}, "sort_order", "The position must be between -1,000,000 and 1,000,000."),
    ({"bio": "b" * 5001}, "bio", "The bio is too long (5,000 characters at most)."),
])
def test_a_staff_member_is_refused_in_words_on_adding_and_editing(salon, as_role, session, typed, field, words, htmx):
    business, _, alice, _ = salon
    owner = as_role(business, "owner")
    form = {**STAFF_FORM, **typed}
    page = refused_in_words(owner.post("/dashboard/setup/staff", form, htmx=htmx), field, words, htmx=htmx,
                            form_id="new-staff-form")
    kept(page, form)
    edit = {**form, "name": typed.get("name", "Alice")}
    page = refused_in_words(owner.post(f"/dashboard/setup/staff/{alice.id}", edit, htmx=htmx), field, words,
                            htmx=htmx, form_id="edit-staff-form")
    kept(page, edit)
    session.expire_all()
    assert session.scalars(select(Staff.name).where(Staff.business_id == business.id).order_by(Staff.name)).all()[:2] \
        == ["Alice", "Bob"]
    assert (session.get(Staff, alice.id).sort_order, session.get(Staff, alice.id).bio) == (0, None)


# --------------------------------------------------------------------------- categories and products


def test_a_category_refusal_is_shown_beside_its_field_with_what_was_typed(salon, as_role):
    """Categories are refused by domain.setup (its own words); the form places them the same way."""
    owner = as_role(salon[0], "owner")
    answer = owner.post("/dashboard/setup/categories", {"name": "   ", "sort_order": "3"}, htmx=True)
    page = refused_in_words(answer, "name", "Name is required.", htmx=True, form_id="new-categories-form")
    assert re.search(r'name="sort_order"[^>]*value="3"', page)


def test_a_product_count_is_refused_in_words(salon, as_role, session):
    business = salon[0]
    owner = as_role(business, "owner")
    form = {**PRODUCT_FORM, "inventory_count": "-1"}
    page = refused_in_words(owner.post("/dashboard/setup/products", form, htmx=True), "inventory_count",
                            "The number in stock must be between 0 and 100,000,000.", htmx=True,
                            form_id="new-products-form")
    kept(page, form)
    assert session.scalars(select(Product).where(Product.business_id == business.id)).all() == []


# --------------------------------------------------------------------------- business profile


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
@pytest.mark.parametrize("typed, field, words", [
    ({"website": "nine.example"}, "website", "The website must start with http:// or https://."),
    ({"address_country": "G1"}, "address_country", "The country must be a two-letter code, such as GB."),
    ({"address_city": "C" * 101}, "address_city", "The city is too long (100 characters at most)."),
    ({"name": " "}, "name", "The name is required."),
])
def test_the_business_profile_is_refused_in_words_beside_the_field(salon, as_role, session, typed, field, words, htmx):
    business = salon[0]
    owner = as_role(business, "owner")
    form = _profile(business, description="Typed description", **typed)
    page = refused_in_words(owner.post("/dashboard/setup/business", form, htmx=htmx), field, words, htmx=htmx,
                            form_id="profile-form")
    kept(page, form)
    session.expire_all()
    stored = session.get(Business, business.id)
    assert (stored.name, stored.website, stored.description) == (business.name, None, None)


# --------------------------------------------------------------------------- the API: same param, same words


def test_the_api_names_the_same_param_and_carries_the_same_words(api, salon, session):
    business, service, *_ = salon
    too_much = assert_error(api.patch(f"/services/{service.id}", json={"deposit_cents": 9000}), 400,
                            "validation_error", "deposit_cents")
    assert too_much["error"]["message"] == "The deposit (£90.00) cannot exceed the price (£50.00)."
    website = assert_error(api.patch("/business", json={"website": "nine.example"}), 400, "validation_error",
                           "website")
    assert website["error"]["message"] == "The website must start with http:// or https://."
    country = assert_error(api.patch("/business", json={"address": {"country": "G1"}}), 400, "validation_error",
                           "address.country")
    assert country["error"]["message"] == "The country must be a two-letter code, such as GB."
    session.expire_all()
    assert session.get(Service, service.id).deposit_cents == 1000
    assert session.get(Business, business.id).address_country == "GB"
