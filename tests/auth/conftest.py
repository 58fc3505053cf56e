"""Sign-in fixtures: the dashboard's accounts and signed-in clients (its conftest's fixtures,
reused), the app's clock pinned and moved by the test, and the two-factor steps through
the sign-in pages."""
from __future__ import annotations

import pyotp
import pytest

from tests.dashboard.conftest import Dashboard, csrf_from, make_account  # noqa: F401  (fixture, registered by import)
from tests.dashboard.test_security import RECOVERY as RECOVERY_CODE
from tests.dashboard.test_security import SECRET as SECRET_ON_PAGE
from tests.dashboard.test_security import Clock as DashboardClock


class Clock(DashboardClock):
    """The dashboard tests' clock (the app's CLOCK, moved by the test: TOTP codes follow it,
    never the wall clock), which also gives the code of the moment."""

    def code(self, secret: str) -> str:
        return pyotp.TOTP(secret).at(self.instant)


@pytest.fixture
def clock(app):
    return Clock(app)


class TwoFactor:
    """The pages a person goes through: enrolment on the Security page, then sign-in with
    the password and a code."""

    def __init__(self, app, clock):
        self.app, self.clock = app, clock

    def client(self) -> Dashboard:
        return Dashboard(self.app.test_client())

    def enrol(self, email: str) -> tuple[str, list[str]]:
        """Sign in, set up two-factor on the Security page; returns (secret, recovery codes)."""
        dash = self.client()
        assert dash.sign_in(email).status_code == 302
        page = dash.get("/dashboard/security")
        assert page.status_code == 200
        secret = SECRET_ON_PAGE.search(page.get_data(as_text=True)).group(1)
        done = dash.post("/dashboard/security/two-factor", {"code": self.clock.code(secret)})
        assert done.status_code == 200, done.get_data(as_text=True)
        return secret, RECOVERY_CODE.findall(done.get_data(as_text=True))

    def sign_in(self, email: str, code: str) -> tuple[Dashboard, object]:
        """The password step, then the code step; returns (client, the code step's answer)."""
        dash = self.client()
        first = dash.sign_in(email)
        assert first.status_code == 302 and first.headers["Location"].endswith("/dashboard/sign-in/code")
        page = dash.get("/dashboard/sign-in/code")
        assert page.status_code == 200
        answer = dash.raw_post("/dashboard/sign-in/code",
                               data={"code": code, "csrf_token": csrf_from(page.get_data(as_text=True))})
        return dash, answer


@pytest.fixture
def two_factor_pages(app, clock):
    return TwoFactor(app, clock)
