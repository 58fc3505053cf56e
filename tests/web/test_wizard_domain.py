"""The small domain pieces the wizard brought: reserved slugs and custom fields (the .ics
export is tested in tests/domain/test_ics.py)."""
from __future__ import annotations

import pytest

from bookingapp.domain.custom_fields import clean_custom_values
from bookingapp.domain.errors import ValidationError
from bookingapp.domain.slugs import validate_slug
from bookingapp.models import CustomFieldDefinition


@pytest.mark.parametrize("slug", ["dashboard", "api", "static", "webhooks", "healthz", "readyz", "API"])
def test_slugs_of_the_apps_own_paths_are_refused(slug):
    with pytest.raises(ValidationError, match="used by the app itself"):
        validate_slug(slug)


@pytest.mark.parametrize("slug", ["", "-salon", "Salon Rouge", "a/b"])
def test_malformed_slugs_are_refused(slug):
    with pytest.raises(ValidationError):
        validate_slug(slug)


def test_good_slug_is_normalised():
    assert validate_slug("  Juniper-Hair ") == "juniper-hair"


def test_custom_values_checkbox_and_unknown_keys():
    tick = CustomFieldDefinition(key="consent", label="I agree", field_type="checkbox", required=True, options=[])
    note = CustomFieldDefinition(key="note", label="Note", field_type="text", required=False, options=[])
    values, errors = clean_custom_values([tick, note], {"consent": None, "hack": "x"})
    assert errors == {"consent": "Please tick “I agree”."} and values == {}
    values, errors = clean_custom_values([tick, note], {"consent": "on", "note": "  hi ", "hack": "x"})
    assert errors == {} and values == {"consent": True, "note": "hi"}
