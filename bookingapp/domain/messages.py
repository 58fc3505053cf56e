"""The marker for customer-facing domain messages, and the raw values they carry.

The domain speaks English (the API returns its messages as they are), and it has no Flask
to translate with. `N_("...")` returns its text unchanged; it only tells `pybabel extract`
(keyword N_ in babel.cfg) that the web door may show this text to a customer, which
translates it there with Flask-Babel (bookingapp.i18n.error_text / domain_text). A message
with values is a template: `ValidationError(N_("%(code)s has expired."), params={...})`,
so the door translates the template first and puts the values in after.

Values are handed over raw, so that each door writes them in its reader's language: a
moment as an aware datetime on the business's wall clock (`at_business_clock`), a booking
status as its code wrapped in `StatusValue`. `english` writes them as the API always has.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bookingapp.domain.local_time import format_local

# How a moment inside a message is written: "Tue 03 Mar 2026 14:00" (CLDR's own order
# and names in another language).
MOMENT_FORMAT = "%a %d %b %Y %H:%M"


def N_(message: str) -> str:  # noqa: N802 (gettext_noop's customary name)
    return message


class StatusValue(str):
    """A booking's status code ("no_show") as a message's value: still the code for
    anyone who compares it, written as words in English ("no show"); the web door writes
    the status's translated name instead."""

    @property
    def code(self) -> str:
        return str.__str__(self)

    def __str__(self) -> str:
        return self.code.replace("_", " ")


def at_business_clock(instant: datetime, timezone: str) -> datetime:
    """A stored UTC moment as a message's value: aware, in the business's zone, so every
    door writes it on the business's wall clock."""
    return instant.astimezone(ZoneInfo(timezone))


def english(value):
    """A raw message value as the English text (the API's) writes it."""
    if isinstance(value, datetime):
        return format_local(value, value.tzinfo, MOMENT_FORMAT)
    if isinstance(value, StatusValue):
        return str(value)
    return value
