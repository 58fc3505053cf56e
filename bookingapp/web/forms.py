"""Wizard forms. They carry CSRF and the typed values; every rule on those values is the
domain's (customers.normalise_*, custom_fields.clean_custom_values, reviews.leave_review),
so the API and the wizard refuse exactly the same input."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from bookingapp.domain.customers import normalise_email, normalise_name, normalise_phone
from bookingapp.domain.custom_fields import clean_custom_values
from bookingapp.domain.errors import ValidationError as DomainValidationError
from bookingapp.i18n import error_text

CUSTOM_PREFIX = "cf_"


class ActionForm(FlaskForm):
    """A button that changes something (hold a slot, cancel, release): CSRF only."""


class DetailsForm(FlaskForm):
    name = StringField(_l("Full name"), render_kw={"autocomplete": "name"})
    email = StringField(_l("Email"), render_kw={"autocomplete": "email", "type": "email", "inputmode": "email"})
    phone = StringField(_l("Phone (optional)"), render_kw={"autocomplete": "tel", "type": "tel", "inputmode": "tel"})
    notes = TextAreaField(_l("Notes for the team (optional)"), validators=[Length(max=2000)])
    promo_code = StringField(_l("Promo code"), render_kw={"autocomplete": "off", "autocapitalize": "characters"})

    def __init__(self, *args, definitions=(), country: str = "GB", **kwargs):
        super().__init__(*args, **kwargs)
        self.definitions = list(definitions)
        self.country = country
        self.custom_raw: dict[str, object] = {}
        self.custom_errors: dict[str, str] = {}
        self.clean: dict[str, object] = {}

    def read_custom(self, formdata) -> None:
        for definition in self.definitions:
            self.custom_raw[definition.key] = formdata.get(CUSTOM_PREFIX + definition.key)

    def validate_details(self) -> bool:
        """Run the domain's normalisers on every field so all errors show at once."""
        ok = True
        for field, check in (
            (self.name, normalise_name),
            (self.email, normalise_email),
            (self.phone, lambda raw: normalise_phone(raw, self.country)),
        ):
            try:
                self.clean[field.name] = check(field.data)
            except DomainValidationError as error:
                field.errors = [*field.errors, error_text(error)] if isinstance(field.errors, list) else [error_text(error)]
                ok = False
        values, self.custom_errors = clean_custom_values(self.definitions, self.custom_raw, describe=error_text)
        self.clean["custom_fields"] = values
        return ok and not self.custom_errors

    @property
    def error_count(self) -> int:
        return sum(len(f.errors) for f in self if f.errors) + len(self.custom_errors)


class ReviewForm(FlaskForm):
    rating = RadioField(
        _l("Your rating"), choices=[SelectChoice(str(n), _ln("%(num)d star", "%(num)d stars", n)) for n in range(5, 0, -1)],
        validate_choice=False,
    )
    comment = TextAreaField(_l("Comment (optional)"))
    # Nothing chosen for the customer: an unticked box is no answer, not a "no".
    would_recommend = BooleanField(_l("I would recommend this business"), default=False)
