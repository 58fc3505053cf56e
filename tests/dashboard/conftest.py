"""Dashboard fixtures: accounts per role and a test client that signs in with real CSRF tokens."""
from __future__ import annotations

import re

import pytest

from bookingapp.auth.accounts import create_account

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_from(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class Dashboard:
    """A signed-in test client that sends the page's CSRF token with every POST, as the browser does.

    Each request runs in its own app context, as in production: the tests hold one open
    (the session fixture), and a request would otherwise reuse it and its `g`, where
    Flask-Login keeps the signed-in user, so one client's user would leak into the next."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def _run(self, method, url, **kwargs):
        with self.client.application.app_context():
            return getattr(self.client, method)(url, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD):
        page = self._run("get", "/dashboard/sign-in")
        self.token = csrf_from(page.get_data(as_text=True))
        return self._run("post", "/dashboard/sign-in", data={"email": email, "password": password, "csrf_token": self.token})

    def get(self, url, **kwargs):
        return self._run("get", url, **kwargs)

    def post(self, url, data=None, htmx=False, **kwargs):
        headers = {"X-CSRFToken": self.token, **({"HX-Request": "true"} if htmx else {}), **kwargs.pop("headers", {})}
        return self._run("post", url, data=data or {}, headers=headers, **kwargs)

    def raw_post(self, url, **kwargs):
        return self._run("post", url, **kwargs)


@pytest.fixture
def make_account(session, make_staff):
    def make(business, role: str, email: str | None = None, staff=None, services=()):
        staff = staff or make_staff(business, list(services), name=f"{role.title()} Person", role=role)
        account = create_account(session, staff, email or f"{role}-{staff.id.hex[:6]}@example.com", PASSWORD)
        session.commit()
        return account

    return make


@pytest.fixture
def dashboard(client):
    return Dashboard(client)


@pytest.fixture
def as_role(app, make_account):
    """as_role(business, role) -> a Dashboard client signed in with a new account of that role."""

    def sign_in(business, role: str, **kwargs):
        account = make_account(business, role, **kwargs)
        dash = Dashboard(app.test_client())
        response = dash.sign_in(account.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return dash

    return sign_in


@pytest.fixture
def served(app, session, salon, make_customer):
    """A 50.00 booking (10.00 deposit on the service) being served: Monday 10:00-11:00,
    started at 10:00. The clock stands at 11:00, the end of the visit, when the desk
    checks it out (closing a checkout completes the visit, allowed once it has started)."""
    from bookingapp.domain import booking as booking_ops
    from tests.helpers import MONDAY, at, before

    business, service, alice, _ = salon
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                         staff=alice, now=before())
    booking_ops.start(session, booking, now=at(MONDAY, 10))
    session.commit()
    app.config["CLOCK"] = lambda: at(MONDAY, 11)
    return booking


def record_deposit(session, booking, cents=1000):
    """A succeeded deposit payment on the booking, as the payment provider leaves it."""
    import uuid

    from bookingapp.models.payment import Payment

    session.add(Payment(business_id=booking.business_id, booking_id=booking.id, kind="deposit", status="succeeded",
                        amount_cents=cents, currency=booking.currency, provider="sandbox",
                        provider_payment_intent_id=f"pi_test_{uuid.uuid4().hex[:12]}"))
    session.commit()
