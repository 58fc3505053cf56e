"""The languages the customer-facing side speaks: the pages, emails, text messages and
calendar files. The dashboard stays English.

A business has a default language (Business.default_language); a booking remembers the
language its customer booked in (Booking.language), so the messages sent later by the
worker, outside any request, speak to them as the pages did."""
from __future__ import annotations

from typing import Callable

from bookingapp.domain.errors import ValidationError

# gettext(text, **variables) -> text in the reader's language, variables filled in.
Translator = Callable[..., str]

DEFAULT_LANGUAGE = "en"
# Code -> the language's own name, as the switch and the setup form offer it.
LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch"}


def validate_language(code: object, *, param: str = "default_language") -> str:
    """The language code ("en", "de") if the customer side speaks it; else
    ValidationError naming `param`."""
    if isinstance(code, str) and code.strip().lower() in LANGUAGES:
        return code.strip().lower()
    choices = ", ".join(LANGUAGES)
    raise ValidationError(f"{param} must be one of: {choices}.", param=param)


def language_of(booking, business) -> str:
    """The language to write to this booking's customer in: the one they booked in, else
    the business's default."""
    return (getattr(booking, "language", None) or getattr(business, "default_language", None)
            or DEFAULT_LANGUAGE)


def untranslated(text: str, **variables) -> str:
    """The English text itself, with its %(name)s variables filled in: the translator a
    domain function uses when the door passes none. Doors that speak the customer's
    language pass flask_babel.gettext, which has the same signature (the domain stays
    free of Flask; pybabel finds the strings by their `gettext(` calls)."""
    return text % variables if variables else text
