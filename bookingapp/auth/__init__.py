"""Dashboard sign-in (Flask-Login): the login manager, the permission decorator, and the
sign-in / sign-out pages. The account rules themselves are in auth/accounts.py."""
from __future__ import annotations

from functools import wraps

from flask import Flask, abort, request
from flask_login import LoginManager, current_user

from bookingapp.auth.roles import allowed
from bookingapp.extensions import db

login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Please sign in to use the dashboard."
login_manager.login_message_category = "info"


# The session keys this module owns, beside Flask-Login's own (_user_id, _fresh, _id).
SESSION_GENERATION = "_gen"  # the account's session_generation at sign-in
SESSION_SEEN = "_seen"  # POSIX time of the last request (the idle timeout)
SESSION_ID = "_sid"  # a new random id per sign-in: nothing from before the sign-in is kept
PENDING = "_2fa"  # the half-signed-in state between the password and the second factor
_SIGNED_IN_KEYS = ("_user_id", "_fresh", "_id", "_remember", SESSION_GENERATION, SESSION_SEEN, SESSION_ID, PENDING)


def idle_minutes() -> float | None:
    """DASHBOARD_IDLE_MINUTES (config.py, 30 by default); None or 0 switches the idle
    timeout off."""
    from flask import current_app

    from bookingapp.auth.accounts import DEFAULT_IDLE_MINUTES

    value = current_app.config.get("DASHBOARD_IDLE_MINUTES", DEFAULT_IDLE_MINUTES)
    return float(value) if value else None


def forget_sign_in() -> None:
    """Drop everything that says who is signed in (or half signed in) from the session."""
    from flask import session

    for key in _SIGNED_IN_KEYS:
        session.pop(key, None)


def clear_session() -> None:
    """Empty the session but for Flask-WTF's CSRF secret. Keeping that secret is a choice:
    a page's forms (and the test client's) stay valid across the sign-in; the secret says
    nothing about who is signed in, and a session cookie planted before the sign-in still
    ends up without any identity of its own (see README "Two-factor sign-in and sessions")."""
    from flask import session

    csrf_secret = session.get("csrf_token")
    session.clear()
    if csrf_secret:
        session["csrf_token"] = csrf_secret


def start_session(account) -> None:
    """Sign in with a fresh session: the old one is cleared, nothing of it is kept but the
    CSRF secret (see README "Two-factor sign-in and sessions" for why), and the new one
    carries the account's session generation and a new session id."""
    import secrets

    from flask import session
    from flask_login import login_user

    from bookingapp.domain import clock

    clear_session()
    login_user(account)
    session[SESSION_GENERATION] = account.session_generation or 0
    session[SESSION_ID] = secrets.token_urlsafe(24)
    session[SESSION_SEEN] = clock.now().timestamp()


def end_session() -> None:
    from flask import session
    from flask_login import logout_user

    logout_user()
    session.clear()


@login_manager.user_loader
def _load_account(account_id: str):
    import uuid

    from flask import session

    from bookingapp.auth import accounts
    from bookingapp.domain import clock
    from bookingapp.models import Account

    try:
        account = db.session.get(Account, uuid.UUID(account_id))
    except ValueError:
        return None
    # Called on every request: a disabled account, or one whose staff member was removed,
    # is signed out at its next click instead of keeping the access it had at sign-in; so is
    # a session from before "sign out everywhere" or a password change, and one left idle.
    now = clock.now()
    if (account is None or not account.is_active
            or not accounts.session_is_current(account, session.get(SESSION_GENERATION))
            or accounts.is_idle(session.get(SESSION_SEEN), now, idle_minutes())):
        forget_sign_in()
        return None
    session[SESSION_SEEN] = now.timestamp()
    return account


@login_manager.unauthorized_handler
def _unauthorized():
    from flask import redirect, url_for

    target = url_for("auth.sign_in", next=request.full_path if request.method == "GET" else None)
    if request.headers.get("HX-Request"):
        # htmx follows HX-Redirect with a full page load (a session that ran out mid-day).
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def require(permission: str, *, before_two_factor: bool = False):
    """View decorator: signed in, and the account's role has this permission (403 if not).

    An account whose business requires two-factor sign-in and that has none yet (the owner
    turned the requirement on while it was signed in) is sent to the security page to set it
    up; only the pages that do that pass before_two_factor=True."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not allowed(current_user.role, permission):
                abort(403)
            if not before_two_factor:
                from bookingapp.auth.two_factor import must_enrol

                if must_enrol(current_user):
                    return _to_enrolment()
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _to_enrolment():
    from flask import flash, redirect, url_for

    target = url_for("dashboard.security")
    if request.headers.get("HX-Request"):
        return "", 401, {"HX-Redirect": target}
    flash("Your business requires two-factor sign-in: set it up to use the dashboard.", "info")
    return redirect(target)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    from bookingapp.auth.views import bp

    app.register_blueprint(bp)
