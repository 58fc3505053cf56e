"""The unsubscribe link of reminders and review requests: GET only asks, POST (the page's
button, or a mail client's RFC 8058 one-click POST) unsubscribes, and the customer can
take it back."""
from __future__ import annotations

import uuid

import pytest

from bookingapp.models import Customer
from bookingapp.web.links import manage_token, unsubscribe_token
from tests.web.conftest import NOW, csrf_from


@pytest.fixture
def ada(app, session, salon, make_customer):
    business = salon[0]
    customer = make_customer(business, email="ada@example.com")
    with app.test_request_context():
        token = unsubscribe_token(customer.id)
    return business, customer, f"/{business.slug}/unsubscribe/{token}"


def unsubscribed_at(session, customer):
    session.expire_all()
    return session.get(Customer, customer.id).unsubscribed_at


def test_get_shows_a_button_and_unsubscribes_nobody(client, session, ada):
    business, customer, url = ada
    page = client.get(url)
    assert page.status_code == 200
    assert "Unsubscribe</button>" in page.text and business.name in page.text and "ada@example.com" in page.text
    assert unsubscribed_at(session, customer) is None


def test_the_pages_button_unsubscribes_and_resubscribe_takes_it_back(client, session, ada):
    _, customer, url = ada
    token = csrf_from(client.get(url).text)

    answer = client.post(url, data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(url)
    assert unsubscribed_at(session, customer) == NOW
    page = client.get(url)
    assert "You're unsubscribed" in page.text and "Resubscribe</button>" in page.text

    answer = client.post(f"{url}/resubscribe", data={"csrf_token": csrf_from(page.text)})
    assert answer.status_code == 303
    assert unsubscribed_at(session, customer) is None
    assert "You're subscribed again." in client.get(answer.headers["Location"]).text


def test_one_click_post_from_a_mail_client_needs_no_csrf_token(client, session, ada):
    _, customer, url = ada
    answer = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and "You're unsubscribed" in answer.text
    assert unsubscribed_at(session, customer) == NOW
    # A second one (a client retrying) changes nothing.
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert unsubscribed_at(session, customer) == NOW


def test_a_post_that_is_neither_the_button_nor_one_click_is_refused(client, session, ada):
    _, customer, url = ada
    assert client.post(url, data={}).status_code == 400
    assert client.post(url, data={"List-Unsubscribe": "yes"}).status_code == 400
    assert client.post(f"{url}/resubscribe", data={}).status_code == 400
    assert unsubscribed_at(session, customer) is None


@pytest.mark.parametrize("bad", ["nonsense", "forged.signature"])
def test_a_bad_token_is_not_found(client, ada, bad):
    business = ada[0]
    assert client.get(f"/{business.slug}/unsubscribe/{bad}").status_code == 404
    assert client.post(f"/{business.slug}/unsubscribe/{bad}", data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_other_links_and_other_businesses_do_not_open_it(app, client, ada, make_business):
    business, customer, url = ada
    with app.test_request_context():
        manage_link = manage_token(customer.id)  # same id, another salt
        stranger = unsubscribe_token(uuid.uuid4())
    assert client.get(f"/{business.slug}/unsubscribe/{manage_link}").status_code == 404
    assert client.get(f"/{business.slug}/unsubscribe/{stranger}").status_code == 404
    other = make_business()
    assert client.get(url.replace(business.slug, other.slug, 1)).status_code == 404
