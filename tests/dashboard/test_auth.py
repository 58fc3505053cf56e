"""Sign-in, sign-out, the rate limit, the create-owner command and the demo owner."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bookingapp.auth.accounts import (
    MAX_FAILURES_PER_EMAIL, SignInRefused, TooManyAttempts, authenticate, create_owner,
)
from bookingapp.domain.errors import NotFound, ValidationError
from bookingapp.models import Account, SignInAttempt, Staff
from tests.dashboard.conftest import PASSWORD, Dashboard
from tests.helpers import before


def test_password_is_stored_as_argon2id_hash(session, salon, make_account):
    account = make_account(salon[0], "owner")
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


def test_sign_in_then_day_view_then_sign_out(app, salon, make_account, dashboard):
    account = make_account(salon[0], "owner", email="Owner@Example.com")
    assert dashboard.get("/dashboard/day").status_code == 302  # not signed in: to the sign-in page
    response = dashboard.sign_in("owner@example.com")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/day")
    page = dashboard.get("/dashboard/day")
    assert page.status_code == 200 and "Alice" in page.get_data(as_text=True)
    assert dashboard.post("/dashboard/sign-out").status_code == 302
    assert dashboard.get("/dashboard/day").status_code == 302
    assert account.email == "owner@example.com"


def test_wrong_password_is_refused_with_401(salon, make_account, dashboard):
    make_account(salon[0], "owner", email="o@example.com")
    response = dashboard.sign_in("o@example.com", "wrong password!!")
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)


def test_sign_in_is_rate_limited_per_email_and_counts_expire(session, salon, make_account):
    make_account(salon[0], "owner", email="o@example.com")
    now = before(days=1)
    for _ in range(MAX_FAILURES_PER_EMAIL):
        with pytest.raises(SignInRefused):
            authenticate(session, "o@example.com", "nope nope nope", address="10.0.0.1", now=now)
    # Even the right password is refused while the limit holds: that is the point.
    with pytest.raises(TooManyAttempts):
        authenticate(session, "o@example.com", PASSWORD, address="10.0.0.2", now=now)
    later = now + timedelta(minutes=16)
    assert authenticate(session, "o@example.com", PASSWORD, address="10.0.0.2", now=later).email == "o@example.com"


def test_rate_limit_answers_429_over_http(salon, make_account, dashboard):
    make_account(salon[0], "owner", email="o@example.com")
    for _ in range(MAX_FAILURES_PER_EMAIL):
        assert dashboard.sign_in("o@example.com", "wrong password!!").status_code == 401
    response = dashboard.sign_in("o@example.com")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)


def test_unknown_email_is_refused_and_recorded(session, salon):
    with pytest.raises(SignInRefused):
        authenticate(session, "nobody@example.com", "whatever at all", address="10.0.0.1")
    assert session.scalar(select(func.count(SignInAttempt.id))) == 1


def test_disabled_account_cannot_sign_in(session, salon, make_account):
    account = make_account(salon[0], "manager", email="m@example.com")
    account.is_enabled = False
    session.commit()
    with pytest.raises(SignInRefused):
        authenticate(session, "m@example.com", PASSWORD, address="10.0.0.1")


def test_sign_in_redirect_ignores_other_sites(salon, make_account, client):
    make_account(salon[0], "owner", email="o@example.com")
    dash = Dashboard(client)
    page = client.get("/dashboard/sign-in")
    from tests.dashboard.conftest import csrf_from

    response = client.post("/dashboard/sign-in?next=//evil.example/x",
                           data={"email": "o@example.com", "password": PASSWORD, "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.headers["Location"].endswith("/dashboard/day")
    assert dash


def test_sign_in_without_csrf_token_is_refused(salon, make_account, client):
    make_account(salon[0], "owner", email="o@example.com")
    response = client.post("/dashboard/sign-in", data={"email": "o@example.com", "password": PASSWORD})
    assert response.status_code == 400


def test_create_owner_links_existing_staff_by_email_or_creates_one(session, salon):
    business = salon[0]
    alice = salon[2]
    alice.email = "alice@example.com"
    session.commit()
    account = create_owner(session, business.slug, "ALICE@example.com", "a long enough password")
    assert account.staff_id == alice.id and alice.role == "owner"
    other = create_owner(session, business.slug, "new.owner@example.com", "a long enough password")
    assert other.staff.role == "owner" and other.staff.name == "New Owner"
    with pytest.raises(ValidationError):
        create_owner(session, business.slug, "new.owner@example.com", "a long enough password")
    with pytest.raises(ValidationError):
        create_owner(session, business.slug, "short@example.com", "short")
    with pytest.raises(NotFound):
        create_owner(session, "no-such-salon", "x@example.com", "a long enough password")


def test_create_owner_command_reads_password_from_environment(app, session, salon, monkeypatch):
    monkeypatch.setenv("OWNER_PASSWORD", "from the environment")
    result = app.test_cli_runner().invoke(args=["create-owner", salon[0].slug, "boss@example.com"])
    assert result.exit_code == 0, result.output
    assert "boss@example.com" in result.output
    account = session.scalar(select(Account).where(Account.email == "boss@example.com"))
    assert account is not None and account.role == "owner"
    again = app.test_cli_runner().invoke(args=["create-owner", salon[0].slug, "boss@example.com"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_owner_command_prompts_for_password(app, session, salon, monkeypatch):
    monkeypatch.delenv("OWNER_PASSWORD", raising=False)
    result = app.test_cli_runner().invoke(
        args=["create-owner", salon[0].slug, "boss@example.com"], input="typed password 1\ntyped password 1\n"
    )
    assert result.exit_code == 0, result.output
    assert authenticate(session, "boss@example.com", "typed password 1", address="x").role == "owner"


def test_demo_seed_creates_the_owner_account_it_prints(session):
    from bookingapp.demo import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, load_demo

    load_demo(session)
    session.commit()
    account = authenticate(session, DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, address="127.0.0.1")
    assert account.role == "owner"
    assert session.get(Staff, account.staff_id).name == "Amara Okafor"


def _attempt_addresses(session):
    session.expire_all()
    return [a.address for a in session.scalars(select(SignInAttempt).order_by(SignInAttempt.id))]


def test_sign_in_rate_limit_keys_on_the_socket_address_unless_proxies_are_trusted(database_url, session, salon,
                                                                                 make_account):
    from bookingapp import create_app
    from tests.dashboard.conftest import csrf_from

    make_account(salon[0], "owner", email="o@example.com")
    base = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret",
            "SERVER_NAME": "localhost"}
    forged = {"X-Forwarded-For": "203.0.113.9"}
    for proxies, expected in ((0, "127.0.0.1"), (1, "203.0.113.9")):
        app = create_app({**base, "TRUSTED_PROXIES": proxies})
        with app.app_context():
            client = app.test_client()
            token = csrf_from(client.get("/dashboard/sign-in").get_data(as_text=True))
            response = client.post("/dashboard/sign-in", headers=forged, environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                   data={"email": "o@example.com", "password": "wrong password!!", "csrf_token": token})
            assert response.status_code == 401
            from bookingapp.extensions import db

            db.session.remove()
            db.engine.dispose()
        assert _attempt_addresses(session)[-1] == expected
