"""Security headers on every response, and the session cookie's flags, decided in one place.

A small `after_request` hook rather than Flask-Talisman: the one policy decision that varies is
which origins may frame a page (the business's own websites, on its wizard pages only), and that
needs the business a request is about, which Talisman's per-view options cannot know. Everything
else is a fixed set of headers, a few lines here.

- `Content-Security-Policy`: scripts only from our own origin, no inline script, no event
  attribute, no `eval` (every page's JavaScript lives in static/). Inline `style=` attributes stay
  allowed: the day view positions its blocks with them and htmx inserts its indicator style; an
  injected style cannot run code. Forms post only to ourselves, and with Stripe configured to
  Stripe Checkout (the pay button's answer redirects there, and Chromium applies `form-action`
  to a form's redirects). JSON answers get `default-src 'none'`: nothing in them is to be run.
- Framing: `frame-ancestors 'none'` and `X-Frame-Options: DENY` everywhere, except the wizard,
  manage and payment pages of a business that lists its websites (domain.embedding): those name
  exactly its origins and send no X-Frame-Options (it cannot list origins).
- `X-Content-Type-Options: nosniff`; `Referrer-Policy: same-origin`, since the manage and wizard
  addresses carry the customer's token and no page needs to tell another site where it came from.
- `Permissions-Policy` turns off the powerful features no page here uses (camera, microphone,
  geolocation, payment handlers, USB, motion sensors), so that an injected script or a framed
  page cannot ask the customer for them. `Cross-Origin-Opener-Policy: same-origin` on every
  answer: a page we link to (a map, a calendar, Stripe) opened from ours gets no handle on the
  customer's tab, whose address carries their token. A framed page ignores it, so the business's
  own website keeps its frame.
- `Strict-Transport-Security` only on an answer over HTTPS (a browser ignores it over http),
  as the request is seen through the trusted proxies (TRUSTED_PROXIES, werkzeug's ProxyFix).
- The session cookie (`SessionCookieInterface`): `Secure` on every answer over HTTPS and
  always in production, `SameSite=Lax`, and `SameSite=None` (with `Secure`) only on an HTTPS
  answer of a page that may be framed, so the customer's cookie (the form's CSRF secret) still
  reaches us inside the business's website.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask.signals import before_render_template
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from bookingapp.extensions import db
from bookingapp.models import Business
from bookingapp.payments import provider_name

HSTS = "max-age=31536000"
REFERRER_POLICY = "same-origin"
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "camera", "microphone", "geolocation", "payment", "usb", "accelerometer", "gyroscope", "magnetometer"))
OPENER_POLICY = "same-origin"
STRIPE_CHECKOUT = "https://checkout.stripe.com"
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

# The public site's pages a business's own website may frame: the booking steps, the manage
# link and the landing page. The unsubscribe page acts on one click and the site's root belongs
# to no business, so they stay unframeable like everything else.
FRAMABLE_BLUEPRINTS = ("web", "payments")
NEVER_FRAMED_ENDPOINTS = frozenset({
    "web.index", "web.unsubscribe_page", "web.unsubscribe", "web.resubscribe", "payments.stripe_webhook",
})

_ORIGINS = "security_framing_origins"
_RENDERED_BUSINESS = "security_rendered_business"


def init_app(app: Flask) -> None:
    app.session_interface = SessionCookieInterface()
    app.after_request(set_security_headers)
    before_render_template.connect(_remember_rendered_business, app)


def content_security_policy(frame_ancestors: list[str], *, stripe: bool) -> str:
    directives = [
        ("default-src", "'self'"),
        ("script-src", "'self'"),
        ("style-src", "'self' 'unsafe-inline'"),
        ("img-src", "'self'"),
        ("connect-src", "'self'"),
        ("object-src", "'none'"),
        ("base-uri", "'none'"),
        ("form-action", f"'self' {STRIPE_CHECKOUT}" if stripe else "'self'"),
        ("frame-ancestors", " ".join(frame_ancestors) or "'none'"),
    ]
    return "; ".join(f"{name} {value}" for name, value in directives)


def set_security_headers(response: Response) -> Response:
    origins = framing_origins()
    if response.mimetype == "application/json":
        response.headers["Content-Security-Policy"] = JSON_POLICY
    else:
        response.headers["Content-Security-Policy"] = content_security_policy(
            origins, stripe=provider_name(current_app.config) == "stripe")
    if origins:
        response.headers.pop("X-Frame-Options", None)
    else:
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = REFERRER_POLICY
    response.headers["Permissions-Policy"] = PERMISSIONS_POLICY
    response.headers["Cross-Origin-Opener-Policy"] = OPENER_POLICY
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def framing_origins() -> list[str]:
    """The origins that may frame this request's answer: empty (nobody) unless it is one of a
    business's public pages and the business listed its websites. Worked out once a request."""
    if not has_request_context():
        return []
    if _ORIGINS not in g:
        setattr(g, _ORIGINS, _find_framing_origins())
    return getattr(g, _ORIGINS)


def _find_framing_origins() -> list[str]:
    if request.blueprint not in FRAMABLE_BLUEPRINTS or request.endpoint in NEVER_FRAMED_ENDPOINTS:
        return []
    rendered = g.get(_RENDERED_BUSINESS)
    if rendered is not None:
        return list(rendered.embed_origins or [])
    slug = (request.view_args or {}).get("slug")
    if request.blueprint != "web" or not isinstance(slug, str):
        return []
    # A redirect between wizard steps renders nothing: the business comes from its address.
    try:
        return list(db.session.scalar(select(Business.embed_origins).where(Business.slug == slug)) or [])
    except SQLAlchemyError:
        # Unframeable is the safe answer when the database cannot say.
        return []


def _remember_rendered_business(app: Flask, template, context: dict, **_extra) -> None:
    """The business whose page is rendered (every public and payment page has `business` in its
    context): the payment pages are addressed by booking or checkout, not by the business."""
    business = context.get("business")
    if has_request_context() and isinstance(business, Business):
        g.setdefault(_RENDERED_BUSINESS, business)


class SessionCookieInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with `Secure` and `SameSite` chosen per answer."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)

    def get_cookie_samesite(self, app: Flask) -> str | None:
        # Browsers refuse SameSite=None without Secure, and Secure only means something over HTTPS.
        if has_request_context() and request.is_secure and framing_origins():
            return "None"
        return app.config["SESSION_COOKIE_SAMESITE"]
