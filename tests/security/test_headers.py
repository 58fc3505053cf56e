"""Every door answers with the security headers (bookingapp/security_headers.py): a strict
Content-Security-Policy, no framing, nosniff, a referrer policy, a permissions policy that turns
off what no page uses, an opener policy, and HSTS only over HTTPS."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bookingapp.config import PROJECT_ROOT
from tests.helpers import MONDAY

HTML_POLICY = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self' 'unsafe-inline'", "img-src": "'self'",
    "connect-src": "'self'", "object-src": "'none'", "base-uri": "'none'", "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def assert_locked_down(response, *, html: bool = True):
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    denied = dict(part.strip().split("=") for part in response.headers["Permissions-Policy"].split(","))
    assert {"camera", "microphone", "geolocation", "payment"} <= set(denied)
    assert set(denied.values()) == {"()"}  # nobody, not even our own origin
    assert "Strict-Transport-Security" not in response.headers  # plain http in these tests
    if html:
        assert policy(response) == HTML_POLICY
    else:
        assert policy(response) == {"default-src": "'none'", "frame-ancestors": "'none'", "base-uri": "'none'",
                                    "form-action": "'none'"}


def test_the_wizard_pages_carry_every_header(client, salon):
    business, service, alice, _ = salon
    for url in (f"/{business.slug}", f"/{business.slug}/book", f"/{business.slug}/book/{service.id}",
                f"/{business.slug}/book/{service.id}/{alice.id}?day={MONDAY.isoformat()}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_locked_down(response)


def test_an_htmx_partial_carries_them_too(client, salon):
    response = client.get(f"/{salon[0].slug}/book", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert_locked_down(response)


def test_the_manage_page_carries_every_header(client, manage_url):
    response = client.get(manage_url)
    assert response.status_code == 200
    assert_locked_down(response)


def test_the_payment_page_carries_every_header(client, booked):
    response = client.get(f"/checkout/pay/{booked.id}")
    assert response.status_code == 200
    assert_locked_down(response)


def test_with_stripe_configured_forms_may_also_go_to_stripe_checkout_and_nowhere_else(app, client, salon):
    app.config["STRIPE_SECRET_KEY"] = "sk_test_not_used_here"
    response = client.get(f"/{salon[0].slug}/book")
    assert policy(response)["form-action"] == "'self' https://checkout.stripe.com"
    assert policy(response)["script-src"] == "'self'"  # Checkout is a hosted page: no Stripe.js here


def test_the_dashboard_and_sign_in_carry_every_header(client, salon, as_role):
    assert_locked_down(client.get("/dashboard/sign-in"))
    owner = as_role(salon[0], "owner")
    for url in ("/dashboard/day", "/dashboard/week", "/dashboard/setup/business", "/dashboard/setup/embed",
                "/dashboard/security"):
        response = owner.get(url)
        assert response.status_code == 200, url
        assert_locked_down(response)


def test_a_dashboard_redirect_to_sign_in_carries_them(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert_locked_down(response)


def test_api_json_gets_a_policy_that_runs_nothing(api, client):
    ok = api.get("/business")
    assert ok.status_code == 200 and ok.mimetype == "application/json"
    assert_locked_down(ok, html=False)
    refused = client.get("/api/v1/business")
    assert refused.status_code == 401
    assert_locked_down(refused, html=False)
    assert_locked_down(client.get("/api/v1/openapi.json"), html=False)


def test_the_api_docs_page_carries_the_html_policy_and_loads_only_its_own_files(client):
    with client.get("/api/docs") as response:
        assert response.status_code == 200
        assert_locked_down(response)
        html = response.get_data(as_text=True)
    assert re.findall(r'<script src="([^"]+)"', html) == ["/static/api-docs/docs.js"]
    assert "<script>" not in html and not re.search(r"\son[a-z]+=", html)


def test_error_pages_carry_every_header(client, salon):
    assert_locked_down(client.get("/no-such-business/book"))
    assert_locked_down(client.get(f"/{salon[0].slug}/manage/not-a-token"))
    too_large = client.post(f"/{salon[0].slug}/book/x/y", data={"x": "a" * (2 * 1024 * 1024)})
    assert too_large.status_code == 413
    assert_locked_down(too_large)


def test_an_unexpected_error_page_carries_them(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/test-only-boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/test-only-boom")
    assert response.status_code == 500
    assert_locked_down(response)


def test_static_files_are_not_sniffed(client):
    with client.get("/static/embed.js") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_only_over_https_and_only_as_the_trusted_proxy_says(app, client, salon):
    url = f"/{salon[0].slug}/book"
    # Not trusted (TRUSTED_PROXIES=0): anyone could send the header, so it means nothing.
    spoofed = client.get(url, headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers
    assert client.get(url, base_url="https://localhost").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_hsts_behind_a_trusted_proxy(make_app):
    client = make_app(TRUSTED_PROXIES=1).test_client()
    assert client.get("/healthz", headers={"X-Forwarded-Proto": "https"}).headers["Strict-Transport-Security"] \
        == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/healthz", headers={"X-Forwarded-Proto": "http"}).headers


TEMPLATES = PROJECT_ROOT / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_ATTRIBUTE = re.compile(r"<[^>]*\s(on[a-z]+|hx-on[:-][^=\s]*)\s*=", re.I)


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")
                                            if not p.relative_to(TEMPLATES).as_posix().startswith("emails/")))
def test_no_template_has_inline_script_event_attributes_or_javascript_urls(template):
    text = (TEMPLATES / template).read_text()
    assert not INLINE_SCRIPT.search(text), "an inline <script> block: move it to static/js"
    assert not EVENT_ATTRIBUTE.search(text), "an inline event handler: use a data attribute and static/js"
    assert "javascript:" not in text.lower()
    assert Path(TEMPLATES / template).exists()
