"""The session cookie's flags: HttpOnly and SameSite=Lax always; Secure over HTTPS (as the
trusted proxy reports it) and always in production; SameSite=None only on an HTTPS answer of
a business that embeds its wizard."""
from __future__ import annotations

import pytest

from tests.dashboard.conftest import PASSWORD, csrf_from


def session_cookie(response) -> dict[str, str | bool]:
    """The Set-Cookie of the session, as {attribute (lower case): value or True}."""
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    parts = [part.strip() for part in cookies[0].split(";")[1:]]
    return {(p.split("=", 1)[0].lower()): (p.split("=", 1)[1] if "=" in p else True) for p in parts}


def wizard_page(client, slug, **kwargs):
    # The wizard's first page sets the session (Flask-WTF's CSRF secret lives in it).
    return client.get(f"/{slug}/book", **kwargs)


def test_over_http_in_development_the_cookie_is_lax_httponly_and_not_secure(client, salon):
    flags = session_cookie(wizard_page(client, salon[0].slug))
    assert flags["samesite"] == "Lax" and flags["httponly"] is True
    assert "secure" not in flags


def test_over_https_the_cookie_is_secure(client, salon):
    flags = session_cookie(wizard_page(client, salon[0].slug, base_url="https://localhost"))
    assert flags["secure"] is True and flags["samesite"] == "Lax"


def sign_in_over_https(app, account):
    """Sign in through the form over HTTPS. Flask-WTF then also checks the Referer is our own
    page, which the browser sends on a same-origin POST (Referrer-Policy: same-origin)."""
    client = app.test_client()
    with app.app_context():
        page = client.get("/dashboard/sign-in", base_url="https://localhost")
        return client.post("/dashboard/sign-in", base_url="https://localhost",
                           headers={"Referer": "https://localhost/dashboard/sign-in"},
                           data={"email": account.email, "password": PASSWORD,
                                 "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_dashboard_sign_in_cookie_is_secure_and_lax_over_https(app, salon, make_account):
    response = sign_in_over_https(app, make_account(salon[0], "owner"))
    assert response.status_code == 302
    flags = session_cookie(response)
    assert flags["secure"] is True and flags["samesite"] == "Lax" and flags["httponly"] is True


@pytest.fixture
def app_behind_proxy(make_app):
    """The app as deployed behind one proxy of ours (TRUSTED_PROXIES=1)."""
    return make_app(TRUSTED_PROXIES=1)


def test_behind_a_trusted_proxy_https_is_read_from_x_forwarded_proto(app_behind_proxy, salon):
    client = app_behind_proxy.test_client()
    secure = session_cookie(wizard_page(client, salon[0].slug, headers={"X-Forwarded-Proto": "https"}))
    assert secure["secure"] is True
    plain = session_cookie(wizard_page(app_behind_proxy.test_client(), salon[0].slug,
                                       headers={"X-Forwarded-Proto": "http"}))
    assert "secure" not in plain


def test_without_a_trusted_proxy_a_forwarded_https_header_is_ignored(client, salon):
    flags = session_cookie(wizard_page(client, salon[0].slug, headers={"X-Forwarded-Proto": "https"}))
    assert "secure" not in flags


def test_in_production_the_cookie_is_always_secure(make_app, salon, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    from bookingapp.config import from_environment

    settings = from_environment()
    assert settings["SESSION_COOKIE_SECURE"] is True
    # check_production refuses SQLite and the memory rate limits; the flags are what matter here.
    app = make_app(APP_ENV="development", SESSION_COOKIE_SECURE=settings["SESSION_COOKIE_SECURE"])
    flags = session_cookie(wizard_page(app.test_client(), salon[0].slug))
    assert flags["secure"] is True and flags["samesite"] == "Lax"


def test_outside_production_the_cookie_is_not_secure_by_default(monkeypatch):
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    from bookingapp.config import from_environment

    assert from_environment()["SESSION_COOKIE_SECURE"] is False


def test_an_embedding_business_s_wizard_over_https_sends_samesite_none_and_secure(client, salon, embedding):
    flags = session_cookie(wizard_page(client, salon[0].slug, base_url="https://localhost"))
    assert flags["samesite"] == "None" and flags["secure"] is True


def test_an_embedding_business_s_wizard_over_http_keeps_lax(client, salon, embedding):
    # Browsers refuse SameSite=None without Secure, and Secure needs HTTPS.
    flags = session_cookie(wizard_page(client, salon[0].slug))
    assert flags["samesite"] == "Lax"


def test_the_dashboard_of_an_embedding_business_keeps_lax(app, salon, embedding, make_account):
    response = sign_in_over_https(app, make_account(salon[0], "owner"))
    assert response.status_code == 302
    assert session_cookie(response)["samesite"] == "Lax"


def test_another_business_s_wizard_keeps_lax_over_https(client, salon, embedding, make_business):
    other = make_business(slug="other-salon")
    flags = session_cookie(wizard_page(client, other.slug, base_url="https://localhost"))
    assert flags["samesite"] == "Lax" and flags["secure"] is True
