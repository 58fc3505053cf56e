"""The websites allowed to embed the wizard: one rule (domain.embedding) behind the dashboard's
"Embed on your website" page and the API's PATCH /business/embedding. Bad origins are refused
with the field named, what was typed kept, and nothing stored."""
from __future__ import annotations

import html

import pytest

from bookingapp.domain import embedding
from bookingapp.domain.errors import ValidationError
from bookingapp.models import Business
from tests.api.conftest import Api, assert_error
from tests.security.conftest import EMBEDDING_SITE


@pytest.mark.parametrize("typed, stored", [
    ("https://www.example.com", "https://www.example.com"),
    ("HTTPS://WWW.Example.COM/", "https://www.example.com"),
    ("https://shop.example.co.uk:443", "https://shop.example.co.uk"),
    ("https://example.com:8443", "https://example.com:8443"),
    ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
    ("http://localhost:8000", "http://localhost:8000"),
    ("http://127.0.0.1:5001", "http://127.0.0.1:5001"),
    ("  https://example.com  ", "https://example.com"),
])
def test_an_origin_is_stored_as_the_browser_compares_it(typed, stored):
    assert embedding.clean_origin(typed) == stored


@pytest.mark.parametrize("typed, says", [
    ("http://www.example.com", "must use https://"),
    ("www.example.com", "must start with https://"),
    ("ftp://example.com", "must start with https://"),
    ("https://example.com/book", "without a page path"),
    ("https://example.com/?a=1", "without a page path"),
    ("https://user:pw@example.com", "user name or password"),
    ("https://*.example.com", "valid host name"),
    ("https://exa mple.com", "valid host name"),
    ("https://example.com; script-src *", "valid host name"),
    ("https://example.com,https://evil.example", "valid host name"),
    ("https://bücher.example", "xn--"),
    ("https://example.com:99999", "not a website address"),
    ("", "empty"),
    ("https://" + "a" * 250 + ".com", "too long"),
])
def test_a_bad_origin_is_refused_saying_why(typed, says):
    with pytest.raises(ValidationError, match=says.replace("*", r"\*").replace("?", r"\?")) as refused:
        embedding.clean_origin(typed)
    assert refused.value.param == "embed_origins"


def test_a_list_names_the_bad_entry_and_drops_duplicates():
    assert embedding.clean_origins(["https://a.example", "https://A.example/"]) == ["https://a.example"]
    with pytest.raises(ValidationError) as refused:
        embedding.clean_origins(["https://a.example", "http://b.example"])
    assert refused.value.param == "embed_origins[1]"
    with pytest.raises(ValidationError, match="At most 10"):
        embedding.clean_origins([f"https://s{i}.example" for i in range(11)])


# --------------------------------------------------------------------------- dashboard


def test_the_owner_lists_websites_and_sees_the_snippet(session, salon, as_role):
    owner = as_role(salon[0], "owner")
    page = owner.get("/dashboard/setup/embed")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Embedding is off" in html
    assert f"http://localhost/{salon[0].slug}/book" in html and "/static/embed.js" in html
    assert "data-booking-embed" in html
    saved = owner.post("/dashboard/setup/embed", {"embed_origins": f"{EMBEDDING_SITE}\nhttps://Shop.Example/\n"})
    assert saved.status_code == 303
    session.expire_all()
    assert session.get(Business, salon[0].id).embed_origins == [EMBEDDING_SITE, "https://shop.example"]
    html = owner.get("/dashboard/setup/embed").get_data(as_text=True)
    assert "Every other site is refused" in html and "https://shop.example" in html


def test_bad_websites_are_a_422_with_what_was_typed_and_nothing_stored(session, salon, as_role):
    business = salon[0]
    business.embed_origins = [EMBEDDING_SITE]
    session.commit()
    owner = as_role(business, "owner")
    typed = "https://ok.example\nhttp://insecure.example"
    for htmx in (False, True):
        refused = owner.post("/dashboard/setup/embed", {"embed_origins": typed}, htmx=htmx)
        assert refused.status_code == 422
        html = refused.get_data(as_text=True)
        assert 'data-error-for="embed_origins"' in html and "must use https://" in html
        assert "https://ok.example\nhttp://insecure.example</textarea>" in html
        # htmx gets the form partial alone, a plain POST the whole page.
        assert ("<h1>Setup</h1>" in html) is not htmx
    session.expire_all()
    assert session.get(Business, business.id).embed_origins == [EMBEDDING_SITE]


def test_an_empty_list_switches_embedding_off(session, salon, embedding, as_role):
    owner = as_role(salon[0], "owner")
    assert owner.post("/dashboard/setup/embed", {"embed_origins": ""}).status_code == 303
    session.expire_all()
    assert session.get(Business, salon[0].id).embed_origins == []


@pytest.mark.parametrize("role", ["front_desk", "staff"])
def test_only_owners_and_managers_change_embedding(salon, as_role, role):
    dash = as_role(salon[0], role)
    assert dash.get("/dashboard/setup/embed").status_code == 403
    assert dash.post("/dashboard/setup/embed", {"embed_origins": EMBEDDING_SITE}).status_code == 403


def test_the_setup_navigation_links_the_embed_page(salon, as_role):
    html = as_role(salon[0], "manager").get("/dashboard/setup/business").get_data(as_text=True)
    assert 'href="/dashboard/setup/embed"' in html and "Embed on your website" in html


# --------------------------------------------------------------------------- API


def test_the_api_sets_and_shows_the_websites(session, salon, api):
    response = api.patch("/business/embedding", json={"embed_origins": [EMBEDDING_SITE, "http://localhost:3000"]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["embed_origins"] == [EMBEDDING_SITE, "http://localhost:3000"]
    assert api.get("/business").get_json()["data"]["embed_origins"] == [EMBEDDING_SITE, "http://localhost:3000"]


def test_the_api_refuses_a_bad_origin_naming_the_field_and_changes_nothing(session, salon, embedding, api):
    response = api.patch("/business/embedding", json={"embed_origins": ["https://ok.example", "https://x.example/p"]})
    assert_error(response, 400, "validation_error", "embed_origins[1]")
    assert "without a page path" in response.get_json()["error"]["message"]
    session.expire_all()
    assert session.get(Business, salon[0].id).embed_origins == [EMBEDDING_SITE]


@pytest.mark.parametrize("body, param", [
    ({}, "embed_origins"),
    ({"embed_origins": "https://a.example"}, "embed_origins"),
    ({"embed_origins": [1]}, "embed_origins[0]"),
    ({"embed_origins": [f"https://s{i}.example" for i in range(11)]}, "embed_origins"),
])
def test_the_api_refuses_a_malformed_body_naming_the_field(salon, api, body, param):
    response = api.patch("/business/embedding", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["param"] == param


def test_a_read_only_key_may_not_change_embedding(client, salon, session):
    from bookingapp.api.keys import create_api_key

    _, raw = create_api_key(session, salon[0], mode="live", scope="read")
    session.commit()
    response = Api(client, raw).patch("/business/embedding", json={"embed_origins": [EMBEDDING_SITE]})
    assert response.status_code == 403


# --------------------------------------------------------------------------- both doors alike


@pytest.mark.parametrize("origins", [
    [" https://WWW.Example.com/ ", "http://localhost:3000", "https://www.example.com"],
    ["https://ok.example", "http://plain.example"],
    ["https://ok.example", "https://ok.example/book"],
    [],
])
def test_the_dashboard_and_the_api_store_and_refuse_the_same_way(session, make_business, as_role, client, make_key,
                                                                 origins):
    """The same list through each door leaves the same stored list, or the same message."""
    outcomes = []
    for door in ("dashboard", "api"):
        business = make_business(embed_origins=[EMBEDDING_SITE])
        if door == "dashboard":
            response = as_role(business, "owner").post("/dashboard/setup/embed", {"embed_origins": "\n".join(origins)})
            message = None if response.status_code == 303 else html.unescape(
                response.get_data(as_text=True).split('data-error-for="embed_origins">')[1].split("</p>")[0])
        else:
            response = Api(client, make_key(business)).patch("/business/embedding", json={"embed_origins": origins})
            message = None if response.status_code == 200 else response.get_json()["error"]["message"]
        session.expire_all()
        outcomes.append((message, session.get(Business, business.id).embed_origins))
    dashboard, api = outcomes
    assert dashboard == api
    if dashboard[0] is not None:
        assert dashboard[1] == [EMBEDDING_SITE]  # refused: nothing changed
