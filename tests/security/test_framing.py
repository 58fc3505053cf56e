"""Who may frame what: the dashboard, sign-in, API and every page of a business that does not
embed are refused to every site; the wizard, manage and payment pages of a business that lists
its websites name exactly those in frame-ancestors (and nothing else changes)."""
from __future__ import annotations

from tests.security.conftest import EMBEDDING_SITE
from tests.security.test_headers import policy


def framing(response) -> tuple[str, str | None]:
    return policy(response)["frame-ancestors"], response.headers.get("X-Frame-Options")


def test_without_embedding_the_wizard_is_unframeable(client, salon):
    assert framing(client.get(f"/{salon[0].slug}/book")) == ("'none'", "DENY")


def test_the_wizard_of_an_embedding_business_names_exactly_its_websites(client, salon, embedding):
    business, service, alice, _ = salon
    for url in (f"/{business.slug}", f"/{business.slug}/book", f"/{business.slug}/book/{service.id}"):
        response = client.get(url)
        assert response.status_code == 200
        assert framing(response) == (EMBEDDING_SITE, None), url
        assert "X-Frame-Options" not in response.headers
        # The rest of the policy is unchanged: framed or not, no inline script.
        assert policy(response)["script-src"] == "'self'"


def test_several_websites_are_listed_in_order(client, session, salon):
    business = salon[0]
    business.embed_origins = ["https://a.example", "http://localhost:8080"]
    session.commit()
    assert framing(client.get(f"/{business.slug}/book")) == ("https://a.example http://localhost:8080", None)


def test_the_manage_and_payment_pages_of_an_embedding_business_may_be_framed_too(client, booked, manage_url,
                                                                                embedding):
    assert framing(client.get(manage_url)) == (EMBEDDING_SITE, None)
    assert framing(client.get(f"/checkout/pay/{booked.id}")) == (EMBEDDING_SITE, None)


def test_a_redirect_between_wizard_steps_of_an_embedding_business_allows_the_same_websites(client, salon, booked,
                                                                                        embedding):
    from bookingapp.web.links import wizard_token

    # The details step of a booking already made sends the customer on to "done": a redirect,
    # nothing rendered, so the business comes from the address.
    response = client.get(f"/{salon[0].slug}/booking/{wizard_token(booked.id, 'anyone')}/details")
    assert response.status_code == 303
    assert framing(response) == (EMBEDDING_SITE, None)


def test_another_business_does_not_inherit_the_websites(client, salon, embedding, make_business):
    other = make_business(slug="other-salon")
    assert framing(client.get(f"/{other.slug}/book")) == ("'none'", "DENY")


def test_the_dashboard_sign_in_and_api_stay_unframeable_for_an_embedding_business(client, salon, embedding,
                                                                                as_role, api):
    owner = as_role(salon[0], "owner")
    assert framing(owner.get("/dashboard/day")) == ("'none'", "DENY")
    assert framing(owner.get("/dashboard/setup/embed")) == ("'none'", "DENY")
    assert framing(client.get("/dashboard/sign-in")) == ("'none'", "DENY")
    assert framing(api.get("/business")) == ("'none'", "DENY")


def test_the_unsubscribe_page_stays_unframeable(client, salon, embedding, make_customer):
    from bookingapp.web.links import unsubscribe_token

    customer = make_customer(salon[0])
    response = client.get(f"/{salon[0].slug}/unsubscribe/{unsubscribe_token(customer.id)}")
    assert response.status_code == 200
    assert framing(response) == ("'none'", "DENY")


def test_switching_embedding_off_makes_the_wizard_unframeable_again(client, session, salon, embedding):
    embedding.embed_origins = []
    session.commit()
    assert framing(client.get(f"/{salon[0].slug}/book")) == ("'none'", "DENY")
