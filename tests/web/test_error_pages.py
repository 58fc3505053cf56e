"""Styled error pages (issue 16): a customer URL gets the business's look and a way
back, a /dashboard URL the dashboard's, /api its JSON envelope; the favicon."""
from __future__ import annotations

import pytest
from flask import abort

from tests.web.test_wizard import book_at_venue


def test_a_mistyped_manage_link_is_a_styled_404_with_a_way_back_to_the_business(client, shop):
    _, manage = book_at_venue(client, shop)
    page = client.get(manage[:-3] + "xyz")
    assert page.status_code == 404
    assert "We could not find that page" in page.text
    assert 'class="brand" href="/corner-salon">Corner Salon</a>' in page.text
    assert 'href="/corner-salon/book"' in page.text and "/static/css/app.css" in page.text


def test_an_unknown_page_of_a_business_is_styled_too(client, shop):
    page = client.get("/corner-salon/book/not-a-service")
    assert page.status_code == 404 and "Go to Corner Salon" in page.text


def test_an_unknown_business_gets_the_plain_site_look(client, shop):
    page = client.get("/no-such-place")
    assert page.status_code == 404 and "Go to the home page" in page.text and "Corner Salon" not in page.text


def test_dashboard_urls_get_the_dashboard_look(client, shop):
    page = client.get("/dashboard/no-such-thing")
    assert page.status_code == 404
    assert "/static/dashboard/dashboard.css" in page.text and "We could not find that page" in page.text


def test_api_urls_keep_the_json_envelope(client, shop):
    response = client.get("/api/v1/no-such-thing")  # no key: refused before any page is looked for
    assert response.is_json and response.get_json()["error"]["code"] == "unauthorized"
    assert "<html" not in response.text


@pytest.mark.parametrize("status, words", [(403, "You cannot open this page"), (410, "This link has expired"),
                                           (500, "Something went wrong on our side")])
def test_403_410_and_500_are_styled_with_their_status(app, shop, status, words):
    app.add_url_rule(f"/corner-salon/fail-{status}", f"fail_{status}", lambda: abort(status))
    page = app.test_client().get(f"/corner-salon/fail-{status}")
    assert page.status_code == status and words in page.text and "/static/css/app.css" in page.text


def test_an_unexpected_exception_is_a_styled_500(app, shop):
    def boom():
        raise RuntimeError("the database fell over")

    app.add_url_rule("/corner-salon/boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    page = app.test_client().get("/corner-salon/boom")
    assert page.status_code == 500 and "Something went wrong on our side" in page.text
    assert "the database fell over" not in page.text and "Go to Corner Salon" in page.text


def test_the_favicon_is_served_and_linked(client, shop):
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    assert 'rel="icon" href="/favicon.ico"' in client.get("/corner-salon").text
