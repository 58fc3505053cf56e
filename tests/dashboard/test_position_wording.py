"""The Position field of the setup forms domain.setup refuses (a service category's, a
custom booking field's) in the catalogue's words and limits, as the services', staff's and
products' own Position is (test_catalog_wording): beside the field, with what was typed
kept and nothing saved."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bookingapp.domain import setup
from bookingapp.models import ServiceCategory
from bookingapp.models.custom_field import CustomFieldDefinition
from tests.dashboard.test_catalog_wording import kept, refused_in_words

OUT_OF_RANGE = "The position must be between -1,000,000 and 1,000,000."
FIELD_FORM = {"key": "allergies", "label": "Any allergies?", "field_type": "text", "options": "", "help_text": "",
              "sort_order": "0", "is_active": "on"}


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
@pytest.mark.parametrize("position", ["1000001", "-2000000"])
def test_a_category_s_position_is_refused_in_words_on_adding_and_editing(salon, as_role, session, position, htmx):
    business = salon[0]
    owner = as_role(business, "owner")
    form = {"name": "Colour", "sort_order": position}
    page = refused_in_words(owner.post("/dashboard/setup/categories", form, htmx=htmx), "sort_order", OUT_OF_RANGE,
                            htmx=htmx, form_id="new-categories-form")
    kept(page, form)
    cuts = setup.create_category(session, business, "Cuts", 2)
    session.commit()
    edit = {"name": "Short cuts", "sort_order": position}
    page = refused_in_words(owner.post(f"/dashboard/setup/categories/{cuts.id}", edit, htmx=htmx), "sort_order",
                            OUT_OF_RANGE, htmx=htmx, form_id="edit-categories-form")
    kept(page, edit)
    session.expire_all()
    assert session.execute(select(ServiceCategory.name, ServiceCategory.sort_order).where(
        ServiceCategory.business_id == business.id)).all() == [("Cuts", 2)]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
def test_a_custom_field_s_position_is_refused_in_words(salon, as_role, session, htmx):
    business = salon[0]
    owner = as_role(business, "owner")
    form = {**FIELD_FORM, "sort_order": "1000001"}
    page = refused_in_words(owner.post("/dashboard/setup/fields", form, htmx=htmx), "sort_order", OUT_OF_RANGE,
                            htmx=htmx, form_id="new-fields-form")
    kept(page, form)
    assert session.scalars(select(CustomFieldDefinition).where(
        CustomFieldDefinition.business_id == business.id)).all() == []
