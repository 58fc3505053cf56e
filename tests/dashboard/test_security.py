"""Two-factor sign-in and sessions, through the dashboard's HTTP door: enrolment on the
Security page, signing in with a code or a recovery code, the owner's "everyone needs
two-factor", session rotation, sign out everywhere, password change and the idle timeout."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from sqlalchemy import select

from bookingapp.auth import two_factor
from bookingapp.auth.accounts import MAX_FAILURES_PER_EMAIL
from bookingapp.models import Account
from bookingapp.models.account import RecoveryCode
from tests.dashboard.conftest import PASSWORD, Dashboard, csrf_from

START = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
SECRET = re.compile(r"data-secret>([A-Z2-7]+)<")
RECOVERY = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


class Clock:
    """The app's CLOCK, moved by the test."""

    def __init__(self, app, instant=START):
        self.instant = instant
        app.config["CLOCK"] = lambda: self.instant

    def forward(self, **delta):
        self.instant += timedelta(**delta)


@pytest.fixture
def clock(app):
    return Clock(app)


@pytest.fixture
def owner(salon, make_account):
    return make_account(salon[0], "owner", email="owner@example.com")


def code_at(secret: str, instant: datetime) -> str:
    return pyotp.TOTP(secret).at(instant)


def new_client(app) -> Dashboard:
    return Dashboard(app.test_client())


def enrol(app, clock, email="owner@example.com") -> tuple[Dashboard, str, list[str]]:
    """Sign in, set up two-factor on the Security page; returns (client, secret, recovery codes)."""
    dash = new_client(app)
    assert dash.sign_in(email).status_code == 302
    page = dash.get("/dashboard/security").get_data(as_text=True)
    secret = SECRET.search(page).group(1)
    done = dash.post("/dashboard/security/two-factor", {"code": code_at(secret, clock.instant)})
    assert done.status_code == 200, done.get_data(as_text=True)
    codes = RECOVERY.findall(done.get_data(as_text=True))
    return dash, secret, codes


def password_step(app, email="owner@example.com") -> Dashboard:
    dash = new_client(app)
    response = dash.sign_in(email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/sign-in/code")
    return dash


def code_step(dash: Dashboard, code: str):
    page = dash.get("/dashboard/sign-in/code")
    assert page.status_code == 200, page.headers.get("Location")
    return dash.raw_post("/dashboard/sign-in/code", data={"code": code, "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_security_page_shows_a_qr_code_and_the_secret_and_enrolment_gives_ten_recovery_codes(app, session, clock,
                                                                                            owner):
    dash = new_client(app)
    dash.sign_in("owner@example.com")
    page = dash.get("/dashboard/security")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and 'data-two-factor="off"' in html
    secret = SECRET.search(html).group(1)
    assert dash.get("/dashboard/security").get_data(as_text=True).count(secret) >= 1  # a reload keeps the secret

    wrong = dash.post("/dashboard/security/two-factor", {"code": "000000" if code_at(secret, clock.instant) != "000000" else "111111"})
    assert wrong.status_code == 422 and "not right" in wrong.get_data(as_text=True)

    done = dash.post("/dashboard/security/two-factor", {"code": code_at(secret, clock.instant)})
    codes = RECOVERY.findall(done.get_data(as_text=True))
    assert done.status_code == 200 and len(codes) == 10 and len(set(codes)) == 10
    session.expire_all()
    account = session.get(Account, owner.id)
    # Stored sealed (auth/secret_box.py), read back through two_factor.
    assert account.has_two_factor and two_factor.secret_of(account) == secret
    assert account.totp_secret.startswith("v1:") and secret not in account.totp_secret
    hashes = session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.account_id == owner.id)).all()
    assert len(hashes) == 10 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(code.replace("-", "") in h for code in codes for h in hashes)
    # Shown once: the Security page now only counts them.
    again = dash.get("/dashboard/security").get_data(as_text=True)
    assert 'data-two-factor="on"' in again and "10 unused recovery codes" in again and codes[0] not in again


def test_sign_in_with_a_code_after_the_password(app, clock, owner):
    _, secret, _ = enrol(app, clock)
    clock.forward(seconds=30)
    dash = password_step(app)
    response = code_step(dash, code_at(secret, clock.instant))
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/day")
    assert dash.get("/dashboard/day").status_code == 200


def test_a_code_one_step_off_is_accepted(app, clock, owner):
    _, secret, _ = enrol(app, clock)
    clock.forward(seconds=90)
    dash = password_step(app)
    assert code_step(dash, code_at(secret, clock.instant - timedelta(seconds=30))).status_code == 302


def test_half_signed_in_cannot_reach_the_dashboard(app, clock, owner):
    enrol(app, clock)
    dash = password_step(app)
    for url in ("/dashboard/day", "/dashboard/security", "/dashboard/setup"):
        response = dash.get(url)
        assert response.status_code == 302 and "/dashboard/sign-in" in response.headers["Location"], url
    assert dash.post("/dashboard/security/sign-out-everywhere").status_code == 302
    assert dash.get("/dashboard/day").headers["Location"].startswith("/dashboard/sign-in")


def test_half_signed_in_state_expires(app, clock, owner):
    _, secret, _ = enrol(app, clock)
    clock.forward(seconds=30)
    dash = password_step(app)
    clock.forward(minutes=6)
    response = dash.get("/dashboard/sign-in/code")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/sign-in")


def test_wrong_code_is_refused_and_wrong_codes_are_rate_limited(app, clock, owner):
    _, secret, _ = enrol(app, clock)
    clock.forward(seconds=60)
    right = code_at(secret, clock.instant)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    dash = password_step(app)
    for _ in range(MAX_FAILURES_PER_EMAIL):
        response = code_step(dash, wrong)
        assert response.status_code == 401 and "not right" in response.get_data(as_text=True)
    limited = code_step(dash, right)
    assert limited.status_code == 429 and "Too many" in limited.get_data(as_text=True)
    assert dash.get("/dashboard/day").status_code == 302


def test_a_code_is_not_accepted_twice(app, clock, owner):
    _, secret, _ = enrol(app, clock)
    # The enrolment used this step's code: the same code (and the step before) are spent.
    dash = password_step(app)
    assert code_step(dash, code_at(secret, clock.instant)).status_code == 401
    clock.forward(seconds=30)
    code = code_at(secret, clock.instant)
    assert code_step(dash, code).status_code == 302
    other = password_step(app)
    assert code_step(other, code).status_code == 401  # replayed within its window


def test_recovery_code_signs_in_once(app, clock, owner):
    _, _, codes = enrol(app, clock)
    dash = password_step(app)
    response = code_step(dash, codes[3].upper())
    assert response.status_code == 302
    assert "9 left" in dash.get("/dashboard/day").get_data(as_text=True)
    again = password_step(app)
    assert code_step(again, codes[3]).status_code == 401
    assert code_step(again, codes[4].replace("-", " ")).status_code == 302


def test_disabling_two_factor_needs_the_password_or_a_code(app, session, clock, owner):
    dash, secret, _ = enrol(app, clock)
    refused = dash.post("/dashboard/security/two-factor/disable", {"password": "not my password"})
    assert refused.status_code == 422
    assert dash.post("/dashboard/security/two-factor/disable", {"password": PASSWORD}).status_code == 302
    session.expire_all()
    assert not session.get(Account, owner.id).has_two_factor
    assert session.scalars(select(RecoveryCode).where(RecoveryCode.account_id == owner.id)).all() == []
    assert new_client(app).sign_in("owner@example.com").headers["Location"].endswith("/dashboard/day")


def test_owner_requires_two_factor_and_an_account_without_it_is_sent_to_enrolment(app, session, clock, salon, owner,
                                                                                 make_account):
    manager = make_account(salon[0], "manager", email="manager@example.com")
    owner_dash = new_client(app)
    owner_dash.sign_in("owner@example.com")
    # The owner shows it works on their own account first.
    first = owner_dash.post("/dashboard/security/require-two-factor", {"require_two_factor": "on"})
    assert first.status_code == 422 and "your own account first" in first.get_data(as_text=True)
    signed_in_manager = new_client(app)
    signed_in_manager.sign_in("manager@example.com")

    owner_dash, _, _ = enrol(app, clock)
    assert owner_dash.post("/dashboard/security/require-two-factor", {"require_two_factor": "on"}).status_code == 302
    session.expire_all()
    assert session.get(Account, manager.id).business.require_two_factor

    # A manager signed in before: sent to the Security page at the next click.
    moved = signed_in_manager.get("/dashboard/day")
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/dashboard/security")

    # Signing in now: straight to the set-up after the password, the dashboard is closed until it is done.
    dash = new_client(app)
    response = dash.sign_in("manager@example.com")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/sign-in/two-factor-setup")
    assert dash.get("/dashboard/day").headers["Location"].startswith("/dashboard/sign-in")
    page = dash.get("/dashboard/sign-in/two-factor-setup")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html
    secret = SECRET.search(html).group(1)
    done = dash.raw_post("/dashboard/sign-in/two-factor-setup",
                         data={"code": code_at(secret, clock.instant), "csrf_token": csrf_from(html)})
    assert done.status_code == 200 and len(RECOVERY.findall(done.get_data(as_text=True))) == 10
    assert dash.get("/dashboard/day").status_code == 200
    # Required: it cannot be switched off.
    assert dash.post("/dashboard/security/two-factor/disable", {"password": PASSWORD}).status_code == 403


def test_only_an_owner_requires_two_factor(app, salon, make_account):
    make_account(salon[0], "manager", email="manager@example.com")
    dash = new_client(app)
    dash.sign_in("manager@example.com")
    assert dash.post("/dashboard/security/require-two-factor", {"require_two_factor": "on"}).status_code == 403


def test_session_is_rotated_at_sign_in(app, clock, owner):
    client = app.test_client()
    dash = Dashboard(client)
    dash.get("/dashboard/sign-in")
    with client.session_transaction() as planted:
        planted["_sid"] = "chosen-by-an-attacker"
        planted["anything"] = "from before"
    before = client.get_cookie("session").value
    assert dash.raw_post("/dashboard/sign-in", data={"email": "owner@example.com", "password": PASSWORD,
                                                    "csrf_token": csrf_from(client.get("/dashboard/sign-in").get_data(as_text=True))}
                         ).status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as current:
        assert current["_user_id"] == str(owner.id)
        assert current["_sid"] != "chosen-by-an-attacker" and len(current["_sid"]) >= 32
        assert "anything" not in current


def test_sign_out_clears_the_session(app, clock, owner):
    client = app.test_client()
    dash = Dashboard(client)
    dash.sign_in("owner@example.com")
    assert dash.post("/dashboard/sign-out").status_code == 302
    with client.session_transaction() as current:
        assert "_user_id" not in current and "_sid" not in current
    assert dash.get("/dashboard/day").status_code == 302


def test_sign_out_everywhere_ends_another_clients_session(app, clock, owner):
    laptop, phone = new_client(app), new_client(app)
    laptop.sign_in("owner@example.com")
    phone.sign_in("owner@example.com")
    assert phone.get("/dashboard/day").status_code == 200
    response = laptop.post("/dashboard/security/sign-out-everywhere")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/sign-in")
    for dash in (laptop, phone):
        refused = dash.get("/dashboard/day")
        assert refused.status_code == 302 and "/dashboard/sign-in" in refused.headers["Location"]
    assert new_client(app).sign_in("owner@example.com").status_code == 302  # signing in again works


def test_password_change_ends_other_sessions_and_keeps_this_one(app, session, clock, owner):
    here, elsewhere = new_client(app), new_client(app)
    here.sign_in("owner@example.com")
    elsewhere.sign_in("owner@example.com")
    wrong = here.post("/dashboard/security/password", {"current_password": "not the password",
                                                       "new_password": "a brand new password"})
    assert wrong.status_code == 422 and "current password is not right" in wrong.get_data(as_text=True)
    short = here.post("/dashboard/security/password", {"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    assert elsewhere.get("/dashboard/day").status_code == 200  # refusals changed nothing

    changed = here.post("/dashboard/security/password", {"current_password": PASSWORD,
                                                         "new_password": "a brand new password"})
    assert changed.status_code == 302
    assert here.get("/dashboard/day").status_code == 200
    assert elsewhere.get("/dashboard/day").status_code == 302
    assert new_client(app).sign_in("owner@example.com").status_code == 401
    assert new_client(app).sign_in("owner@example.com", "a brand new password").status_code == 302


def test_a_manager_setting_a_new_password_ends_that_accounts_sessions(app, salon, clock, owner, make_account):
    staff_account = make_account(salon[0], "front_desk", email="desk@example.com")
    desk = new_client(app)
    desk.sign_in("desk@example.com")
    boss = new_client(app)
    boss.sign_in("owner@example.com")
    assert boss.post(f"/dashboard/setup/staff/{staff_account.staff_id}/access/password",
                     {"password": "another long password"}).status_code == 303
    assert desk.get("/dashboard/day").status_code == 302


def test_idle_timeout_is_thirty_minutes_unless_configured(app, monkeypatch):
    from bookingapp import create_app
    from bookingapp.auth import idle_minutes

    monkeypatch.delenv("DASHBOARD_IDLE_MINUTES", raising=False)
    with create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).test_request_context():
        assert idle_minutes() == 30
    with app.test_request_context():
        assert idle_minutes() is None  # the suite's own app: the clock moves by hours in one session
        app.config["DASHBOARD_IDLE_MINUTES"] = 10
        assert idle_minutes() == 10


def test_idle_session_goes_back_to_sign_in(app, clock, owner):
    app.config["DASHBOARD_IDLE_MINUTES"] = 30
    dash = new_client(app)
    dash.sign_in("owner@example.com")
    clock.forward(minutes=29)
    assert dash.get("/dashboard/day").status_code == 200
    clock.forward(minutes=29)  # each request moves the last-seen time on
    assert dash.get("/dashboard/day").status_code == 200
    clock.forward(minutes=31)
    response = dash.get("/dashboard/day")
    assert response.status_code == 302 and "/dashboard/sign-in" in response.headers["Location"]
    assert dash.get("/dashboard/day").status_code == 302  # and it stays signed out


def test_idle_timeout_is_configurable(app, clock, owner):
    app.config["DASHBOARD_IDLE_MINUTES"] = 5
    dash = new_client(app)
    dash.sign_in("owner@example.com")
    clock.forward(minutes=6)
    assert dash.get("/dashboard/day").status_code == 302
