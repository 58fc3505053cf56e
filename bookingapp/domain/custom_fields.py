"""A business's custom booking fields: which are asked, and whether an answer is valid;
and the one limit on a booking's notes.

The domain checks answers wherever they enter a booking (hold, reserve, book, the wizard's
details), with `validate_answers`, so a required question cannot be skipped, an option
invented or an unknown key stored through the API any more than through the wizard. Forms
call `clean_custom_values` first only to show every error at once."""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookingapp.domain.errors import DomainError, ValidationError
from bookingapp.domain.messages import N_
from bookingapp.models import Booking, Business, Customer
from bookingapp.models.custom_field import CustomFieldDefinition

MAX_TEXT_LENGTH = 2000
# A booking's notes: the wizard's form, the dashboard and the API all take at most this.
MAX_NOTES_LENGTH = 2000


def active_definitions(session: Session, business: Business) -> list[CustomFieldDefinition]:
    return list(session.scalars(
        select(CustomFieldDefinition)
        .where(CustomFieldDefinition.business_id == business.id, CustomFieldDefinition.is_active.is_(True))
        .order_by(CustomFieldDefinition.sort_order, CustomFieldDefinition.label)
    ))


def _clean_one(definition: CustomFieldDefinition, raw: Any) -> Any:
    param = f"custom_fields.{definition.key}"
    if definition.field_type == "checkbox":
        value = raw in (True, "on", "true", "yes", "1", 1)
        if definition.required and not value:
            raise ValidationError(N_("Please tick “%(label)s”."), params={"label": definition.label}, param=param)
        return value
    text = "" if raw is None else str(raw).strip()
    if not text:
        if definition.required:
            raise ValidationError(N_("“%(label)s” is required."), params={"label": definition.label}, param=param)
        return None
    if definition.field_type == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValidationError(N_("“%(label)s” must be a number."), params={"label": definition.label},
                                  param=param) from None
        if not math.isfinite(number):
            # float() takes "nan" and "inf", which are no answer (and not valid JSON).
            raise ValidationError(N_("“%(label)s” must be a number."), params={"label": definition.label}, param=param)
        return int(number) if number.is_integer() else number
    if definition.field_type == "select":
        if text not in (definition.options or []):
            choices = ", ".join(definition.options or [])
            raise ValidationError(N_("“%(label)s” must be one of: %(choices)s."),
                                  params={"label": definition.label, "choices": choices}, param=param)
        return text
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(N_("“%(label)s” is too long (%(limit)s characters at most)."),
                              params={"label": definition.label, "limit": MAX_TEXT_LENGTH}, param=param)
    return text


def clean_custom_values(
    definitions: list[CustomFieldDefinition], raw_values: Mapping[str, Any],
    describe: Callable[[DomainError], str] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate answers against the definitions. Returns (clean values, errors by key), so a
    form can show every error at once; unknown keys are dropped, never stored. `describe`
    words each error (the web door passes its translator); by default its English message."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for definition in definitions:
        try:
            value = _clean_one(definition, raw_values.get(definition.key))
        except ValidationError as error:
            errors[definition.key] = describe(error) if describe is not None else error.message
            continue
        if value is not None:
            values[definition.key] = value
    return values, errors


def clean_notes(notes: str | None) -> str | None:
    """Notes as stored: stripped, None when empty; ValidationError param "notes" past the limit."""
    if notes is None:
        return None
    if not isinstance(notes, str):
        raise ValidationError(N_("Notes must be text."), param="notes")
    notes = notes.strip()
    if len(notes) > MAX_NOTES_LENGTH:
        raise ValidationError(N_("Notes are too long (%(limit)s characters at most)."), params={"limit": MAX_NOTES_LENGTH},
                              param="notes")
    return notes or None


def validate_answers(
    session: Session, business: Business, answers: Mapping[str, Any] | None, *, complete: bool,
    definitions: list[CustomFieldDefinition] | None = None,
) -> dict[str, Any]:
    """Answers as stored, checked against the business's active definitions. An unknown key,
    a value of the wrong kind or outside a select's options is a ValidationError naming
    `custom_fields.<key>`; with complete=True a missing required answer is too (a hold may
    be taken before the questions are answered; a booking may not be made without them)."""
    if answers is None:
        answers = {}
    if not isinstance(answers, Mapping) or not all(isinstance(key, str) for key in answers):
        raise ValidationError("Custom fields must be an object of named values.", param="custom_fields")
    if not answers and not complete:
        return {}  # nothing given and nothing required yet (a hold): no definition to read
    if definitions is None:
        definitions = active_definitions(session, business)
    known = {definition.key: definition for definition in definitions}
    for key, value in answers.items():
        if key not in known:
            raise ValidationError(N_("Unknown custom field %(key)s."), params={"key": repr(key)},
                                  param=f"custom_fields.{key}")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise ValidationError(N_("Custom field %(key)s must be a plain value."), params={"key": repr(key)},
                                  param=f"custom_fields.{key}")
    values: dict[str, Any] = {}
    for definition in definitions:
        given = definition.key in answers
        if not given and not complete:
            continue
        if not given and definition.field_type == "checkbox" and not definition.required:
            continue
        value = _clean_one(definition, answers.get(definition.key))
        if value is not None:
            values[definition.key] = value
    return values


def missing_required(session: Session, business: Business, answers: Mapping[str, Any] | None) -> None:
    """ValidationError for the first required question the stored answers leave out."""
    validate_answers(session, business, dict(answers or {}), complete=True)


def attach_details(
    session: Session,
    booking: Booking,
    *,
    customer: Customer,
    notes: str | None,
    custom_values: Mapping[str, Any],
) -> Booking:
    """Put the customer's details on a hold before it is paid for or booked, so the payment
    provider and the business both see who it is. Only a live hold may be changed."""
    if booking.status not in ("held", "reserved"):
        raise ValidationError(N_("This booking can no longer be changed here."), param="booking_id")
    if customer.business_id != booking.business_id:
        raise ValidationError("Customer does not belong to this business.", param="customer")
    notes = clean_notes(notes)
    business = session.get(Business, booking.business_id)
    answers = validate_answers(session, business, custom_values, complete=True)
    booking.customer_id = customer.id
    booking.customer = customer
    booking.notes = notes
    booking.custom_fields = answers
    session.flush()
    return booking
