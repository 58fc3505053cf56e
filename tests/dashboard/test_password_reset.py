"""Password reset by email: "Forgot password?" on the sign-in page, the same answer whether
or not an email has an account, a link recorded as a message (sent by the worker) that
works once, within an hour, and ends every session of the account."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from bookingapp.domain import reminders
from bookingapp.models import Message
from bookingapp.notifications.messages import render
from tests.dashboard.conftest import PASSWORD, Dashboard, csrf_from
from tests.helpers import MONDAY, at

ASKED = at(MONDAY, 9)
NEW_PASSWORD = "a much longer new secret"


@pytest.fixture
def owner(app, salon, make_account):
    app.config["CLOCK"] = lambda: ASKED
    return make_account(salon[0], "owner", email="owner@salon.example")


def _ask(app, email: str):
    visitor = Dashboard(app.test_client())
    page = visitor.get("/dashboard/forgot-password")
    assert page.status_code == 200
    visitor.token = csrf_from(page.get_data(as_text=True))
    return visitor.raw_post("/dashboard/forgot-password", data={"email": email, "csrf_token": visitor.token})


def _reset_messages(session):
    session.expire_all()
    return session.scalars(select(Message).where(Message.kind == "account_password_reset")).all()


def _link_path(session, message) -> str:
    rendered = render(session, message, now=ASKED)
    url = re.search(r"https?://\S+/dashboard/reset-password/[\w.-]+", rendered.text).group(0)
    return urlsplit(url).path


def _set_password(app, path: str, password: str):
    visitor = Dashboard(app.test_client())
    page = visitor.get(path)
    if page.status_code != 200:
        return page
    return visitor.raw_post(path, data={"new_password": password, "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_sign_in_offers_forgot_password_and_does_not_say_whether_an_email_exists(app, owner):
    page = Dashboard(app.test_client()).get("/dashboard/sign-in").get_data(as_text=True)
    assert 'href="/dashboard/forgot-password"' in page
    wrong_password = Dashboard(app.test_client()).sign_in(owner.email, "not the password at all")
    unknown_email = Dashboard(app.test_client()).sign_in("nobody@salon.example", "not the password at all")
    assert wrong_password.status_code == unknown_email.status_code == 401
    error = re.compile(r'<p class="error" role="alert">([^<]*)</p>')
    assert error.findall(wrong_password.get_data(as_text=True)) == error.findall(unknown_email.get_data(as_text=True))


def test_asking_answers_the_same_whether_or_not_the_email_has_an_account(app, session, owner):
    known = _ask(app, "Owner@Salon.example")
    unknown = _ask(app, "nobody@salon.example")
    assert known.status_code == unknown.status_code == 200

    def words(response, email):
        without_tokens = re.sub(r'"X-CSRFToken": "[^"]+"', "", response.get_data(as_text=True))
        return re.sub(r'name="csrf_token"[^>]*>', "", without_tokens).replace(email, "EMAIL")

    assert words(known, "Owner@Salon.example") == words(unknown, "nobody@salon.example")
    (message,) = _reset_messages(session)
    assert (message.recipient, message.channel, message.audience, message.booking_id) == (
        "owner@salon.example", "email", "staff", None)
    # Asking again at once records no second email.
    _ask(app, "owner@salon.example")
    assert len(_reset_messages(session)) == 1


def test_the_link_sets_a_new_password_once_and_ends_every_session(app, session, owner):
    signed_in = Dashboard(app.test_client())
    assert signed_in.sign_in(owner.email).status_code == 302
    _ask(app, owner.email)
    path = _link_path(session, _reset_messages(session)[0])
    short = _set_password(app, path, "short")
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    done = _set_password(app, path, NEW_PASSWORD)
    assert done.status_code == 302 and done.headers["Location"].endswith("/dashboard/sign-in")
    # The session from before is over; the old password no longer works; the new one does.
    assert signed_in.get("/dashboard/day").status_code == 302
    assert Dashboard(app.test_client()).sign_in(owner.email, PASSWORD).status_code == 401
    assert Dashboard(app.test_client()).sign_in(owner.email, NEW_PASSWORD).status_code == 302
    again = _set_password(app, path, "yet another long password")
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    assert Dashboard(app.test_client()).sign_in(owner.email, NEW_PASSWORD).status_code == 302


def test_the_link_expires_after_an_hour(app, session, owner):
    _ask(app, owner.email)
    message = _reset_messages(session)[0]
    path = _link_path(session, message)
    app.config["CLOCK"] = lambda: ASKED + timedelta(minutes=59)
    assert Dashboard(app.test_client()).get(path).status_code == 200
    app.config["CLOCK"] = lambda: ASKED + timedelta(minutes=61)
    expired = _set_password(app, path, NEW_PASSWORD)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert Dashboard(app.test_client()).sign_in(owner.email, PASSWORD).status_code == 302
    # An email the worker could not send within the hour is not sent at all.
    assert reminders.skip_reason(session, message, now=ASKED + timedelta(minutes=61)) == (
        "The reset link would have expired before it arrived.")
    assert reminders.skip_reason(session, message, now=ASKED + timedelta(minutes=5)) is None


def test_a_forged_link_is_refused(app, owner):
    response = Dashboard(app.test_client()).get("/dashboard/reset-password/not-a-real-token")
    assert response.status_code == 410 and "not valid" in response.get_data(as_text=True)


def test_a_disabled_account_gets_no_link(app, session, owner):
    owner.is_enabled = False
    session.commit()
    assert _ask(app, owner.email).status_code == 200
    assert _reset_messages(session) == []
