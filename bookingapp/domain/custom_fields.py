"""A business's custom booking fields: which are asked, and whether an answer is valid.

Every front door that takes booking details calls `clean_custom_values`, so a required
question cannot be skipped through the API any more than through the wizard."""
from __future__ import annotations

import math
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from bookingapp.domain.errors import ValidationError
from bookingapp.models import Booking, Business, Customer
from bookingapp.models.custom_field import CustomFieldDefinition

MAX_TEXT_LENGTH = 2000


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
            raise ValidationError(f"Please tick “{definition.label}”.", param=param)
        return value
    text = "" if raw is None else str(raw).strip()
    if not text:
        if definition.required:
            raise ValidationError(f"“{definition.label}” is required.", param=param)
        return None
    if definition.field_type == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValidationError(f"“{definition.label}” must be a number.", param=param) from None
        if not math.isfinite(number):
            # float() takes "nan" and "inf", which are no answer (and not valid JSON).
            raise ValidationError(f"“{definition.label}” must be a number.", param=param)
        return int(number) if number.is_integer() else number
    if definition.field_type == "select":
        if text not in (definition.options or []):
            choices = ", ".join(definition.options or [])
            raise ValidationError(f"“{definition.label}” must be one of: {choices}.", param=param)
        return text
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(f"“{definition.label}” is too long ({MAX_TEXT_LENGTH} characters at most).", param=param)
    return text


def clean_custom_values(
    definitions: list[CustomFieldDefinition], raw_values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate answers against the definitions. Returns (clean values, errors by key), so a
    form can show every error at once; unknown keys are dropped, never stored."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for definition in definitions:
        try:
            value = _clean_one(definition, raw_values.get(definition.key))
        except ValidationError as error:
            errors[definition.key] = error.message
            continue
        if value is not None:
            values[definition.key] = value
    return values, errors


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
        raise ValidationError("This booking can no longer be changed here.", param="booking_id")
    if customer.business_id != booking.business_id:
        raise ValidationError("Customer does not belong to this business.", param="customer")
    notes = (notes or "").strip() or None
    if notes and len(notes) > MAX_TEXT_LENGTH:
        raise ValidationError(f"Notes are too long ({MAX_TEXT_LENGTH} characters at most).", param="notes")
    booking.customer_id = customer.id
    booking.customer = customer
    booking.notes = notes
    booking.custom_fields = dict(custom_values)
    session.flush()
    return booking
