"""Money as people read it: one formatter for every door, through Babel (CLDR data).

Amounts are integers in the currency's minor units ("cents" in our column names): pence
for GBP, yen for JPY (no decimals), fils for KWD (three decimals). The number of decimals
is the currency's own (ISO 4217, as Babel knows it), never assumed to be two.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, list_currencies

from bookingapp.domain.errors import ValidationError

DEFAULT_LOCALE = "en_GB"


def minor_units(currency: str) -> int:
    """How many decimals the currency has (GBP 2, JPY 0, KWD 3)."""
    return get_currency_precision((currency or "").upper())


def format_money(cents: int, currency: str, locale: str = DEFAULT_LOCALE) -> str:
    """An amount in minor units as the locale writes it: 1500, "GBP" -> "£15.00";
    123450, "EUR", "de_DE" -> "1.234,50 €"; 1500, "JPY" -> "JP¥1,500"."""
    code = (currency or "").upper()
    amount = Decimal(int(cents)).scaleb(-minor_units(code))
    return format_currency(amount, code, locale=locale)


@lru_cache(maxsize=None)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def validate_currency(code: object, *, param: str = "currency") -> str:
    """The ISO 4217 code, upper case, if Babel knows it; else ValidationError(param)."""
    if isinstance(code, str) and code.strip().upper() in _known_currencies():
        return code.strip().upper()
    raise ValidationError("currency must be a three-letter ISO 4217 currency code, such as GBP or EUR.", param=param)


@lru_cache(maxsize=256)
def locale_for_country(country: str | None) -> str:
    """The usual locale of a country (CLDR's likely language there): GB -> en_GB,
    US -> en_US, DE -> de_DE, CH -> de_CH. DEFAULT_LOCALE for an unknown or missing code."""
    territory = (country or "").strip().upper()
    if len(territory) != 2 or not territory.isalpha():
        return DEFAULT_LOCALE
    try:
        locale = Locale.parse(f"und_{territory}")
    except (UnknownLocaleError, ValueError):
        return DEFAULT_LOCALE
    return str(locale) if locale.territory == territory else DEFAULT_LOCALE


def business_locale(business) -> str:
    """The locale a business's money is written in: from its country (there is no
    locale column)."""
    return locale_for_country(getattr(business, "address_country", None))


def format_money_for(business, cents: int, currency: str | None = None, locale: str | None = None) -> str:
    """format_money in the business's locale (or `locale`, the reader's language when it
    is not English: "15,00 £" for a German reader of a London business), in its currency
    unless another is given."""
    return format_money(cents, currency or business.currency, locale or business_locale(business))
