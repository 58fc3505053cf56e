"""The domain's own messages (marked N_ in the domain, which stays English and Flask-free)
are translated at the web door: a German visitor reads them in German, with names and
codes filled in after translation; the API gives the same errors in English, whatever
language the caller's client asks for."""
from __future__ import annotations

import re

from bookingapp.domain.errors import SlotUnavailable, ValidationError
from bookingapp.domain.messages import N_
from bookingapp.i18n import error_text
from tests.api.conftest import assert_error
from tests.helpers import MONDAY, at
from tests.web.conftest import csrf_from, tomorrow_at
from tests.web.test_wizard_money import deposit_shop, open_sandbox_checkout  # noqa: F401  (the fixture)

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def test_a_template_is_translated_before_its_values_are_filled_in(app):
    expired = ValidationError(N_("%(code)s has expired."), params={"code": "SPRING20"}, param="promo_code")
    # The English text the API returns, and str(error), are as before.
    assert expired.message == str(expired) == "SPRING20 has expired."
    with app.test_request_context("/corner-salon/book", headers=GERMAN):
        assert error_text(expired) == "SPRING20 ist abgelaufen."
        assert error_text(SlotUnavailable()) == "Diese Zeit wurde gerade vergeben. Bitte wählen Sie eine andere."
        # Nobody translated this one: it comes through in English, never as an error.
        assert error_text(ValidationError("Something only the API says.")) == "Something only the API says."
    with app.test_request_context("/corner-salon/book", headers=ENGLISH):
        assert error_text(expired) == "SPRING20 has expired."


def test_the_dashboard_and_api_side_read_the_english_text(app):
    with app.test_request_context("/dashboard/", headers=GERMAN):
        assert error_text(SlotUnavailable()) == "That time was just taken. Please choose another slot."


def _held_details(client, shop, headers):
    time_url = f"/corner-salon/book/{shop['cut'].id}/any"
    page = client.get(time_url, headers=headers)
    held = client.post(time_url, headers=headers, data={
        "csrf_token": csrf_from(page.text),
        "start": tomorrow_at(shop["business"], 10).strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert held.status_code == 303
    return held.headers["Location"], client.get(held.headers["Location"], headers=headers)


def test_a_german_visitor_reads_the_domains_errors_in_german_on_the_details_step(client, shop):
    url, details = _held_details(client, shop, GERMAN)
    answer = client.post(url, headers=GERMAN, data={
        "csrf_token": csrf_from(details.text), "name": "", "email": "anna@", "phone": "12",
        "notes": "", "promo_code": "NOPE", "action": "continue"})
    assert answer.status_code == 422
    assert "Bitte geben Sie Ihren Namen an." in answer.text
    assert "Diese E-Mail-Adresse ist ungültig. Bitte prüfen Sie sie." in answer.text
    assert "Diese Telefonnummer ist ungültig." in answer.text
    assert "Email is not valid" not in answer.text and "Name is required" not in answer.text
    # What was typed stays in the form.
    assert 'value="anna@"' in answer.text


def test_a_german_visitor_reads_a_promotion_codes_refusal_in_german_with_the_code_in_it(client, shop):
    url, details = _held_details(client, shop, GERMAN)
    answer = client.post(url, headers=GERMAN, data={
        "csrf_token": csrf_from(details.text), "name": "Anna Schmidt", "email": "anna@example.com", "phone": "",
        "notes": "", "promo_code": "NOPE", "action": "continue"})
    assert answer.status_code == 422
    assert "NOPE ist kein gültiger Gutscheincode." in answer.text


def test_an_english_visitor_reads_the_same_errors_in_english(client, shop):
    url, details = _held_details(client, shop, ENGLISH)
    answer = client.post(url, headers=ENGLISH, data={
        "csrf_token": csrf_from(details.text), "name": "", "email": "anna@", "phone": "",
        "notes": "", "promo_code": "NOPE", "action": "continue"})
    assert answer.status_code == 422
    assert "Name is required." in answer.text and "Email is not valid:" in answer.text


def test_the_api_answers_in_english_to_a_client_asking_for_german(api, salon):
    business, service, *_ = salon
    body = {"service_id": str(service.id), "start_at": at(MONDAY, 10).isoformat(),
            "customer_name": "Anna", "customer_email": "anna@"}
    response = api.post("/bookings", json=body, headers=GERMAN)
    assert_error(response, 400, "validation_error", "customer_email")
    assert response.get_json()["error"]["message"] == "Email is not valid: There must be something after the @-sign."


def test_the_sandbox_payment_page_and_its_card_errors_are_german_for_a_german_visitor(client, deposit_shop):
    # The switch (kept in the session) makes every later page German, the sandbox's too.
    client.get("/corner-salon/book?lang=de")
    url, payment_url, hosted = open_sandbox_checkout(client, deposit_shop)
    page = client.get(hosted)
    assert page.status_code == 200
    assert "Sandbox: Dies ist keine echte Zahlung, es fließt kein Geld." in page.text
    assert "Anzahlung von" in page.text and "not a real payment" not in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    refused = client.post(hosted, data={"csrf_token": token, "card_number": "1234",
                                        "expiry": "12/34", "cvc": "123", "name": ""})
    assert refused.status_code == 422
    assert "Geben Sie eine 16-stellige Kartennummer ein" in refused.text


def test_a_payment_message_page_has_a_german_title(client, shop):
    page = client.get("/checkout/return", headers=GERMAN)
    assert page.status_code == 400
    assert "<h1>Zahlungsreferenz fehlt</h1>" in page.text
    assert "Diesem Link fehlt die Kennung der Zahlungssitzung." in page.text
