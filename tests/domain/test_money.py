"""One money formatter (Babel): the currency's own decimals, the business's locale."""
import pytest

from bookingapp.domain.errors import ValidationError
from bookingapp.domain.money import (
    business_locale, format_money, format_money_for, locale_for_country, minor_units, validate_currency,
)
from bookingapp.models import Business


def test_pounds_in_british_english():
    assert format_money(1500, "GBP") == "£15.00"
    assert format_money(123456, "gbp") == "£1,234.56"
    assert format_money(-500, "GBP") == "-£5.00"


def test_euros_in_german():
    assert format_money(123450, "EUR", "de_DE") == "1.234,50\xa0€"


def test_yen_have_no_decimals():
    assert minor_units("JPY") == 0
    assert format_money(1500, "JPY") == "JP¥1,500"
    assert format_money(1500, "JPY", "ja_JP") == "￥1,500"


def test_three_decimal_currency():
    assert minor_units("KWD") == 3
    assert format_money(1234, "KWD", "en_GB") == "KWD1.234"


def test_known_currency_is_normalised():
    assert validate_currency("GBP") == "GBP"
    assert validate_currency(" eur ") == "EUR"


@pytest.mark.parametrize("code", ["XYZ", "EURO", "", None, 978, "£"])
def test_unknown_currency_is_refused(code):
    with pytest.raises(ValidationError) as raised:
        validate_currency(code)
    assert raised.value.param == "currency"


def test_locale_follows_the_business_country():
    assert locale_for_country("GB") == "en_GB"
    assert locale_for_country("us") == "en_US"
    assert locale_for_country("DE") == "de_DE"
    assert locale_for_country("ZZ") == "en_GB"
    assert locale_for_country(None) == "en_GB"
    assert business_locale(Business(address_country="US", currency="USD")) == "en_US"
    assert format_money_for(Business(address_country="DE", currency="EUR"), 4550) == "45,50\xa0€"
    assert format_money_for(Business(address_country="US", currency="USD"), 4550) == "$45.50"


def test_a_business_or_service_currency_must_be_iso_4217(session, make_business):
    """Whatever sets it (setup, the demo, a script), the model keeps ISO 4217 codes only."""
    from bookingapp.models import Business, Service

    business = make_business(currency="eur")
    assert business.currency == "EUR"
    with pytest.raises(ValidationError) as refused:
        Business(currency="EURO")
    assert refused.value.param == "currency"
    with pytest.raises(ValidationError):
        Service(currency="XXY")
