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


@login_manager.user_loader
def _load_account(account_id: str):
    import uuid

    from bookingapp.models import Account

    try:
        account = db.session.get(Account, uuid.UUID(account_id))
    except ValueError:
        return None
    # Called on every request: a disabled account, or one whose staff member was removed,
    # is signed out at its next click instead of keeping the access it had at sign-in.
    if account is None or not account.is_active:
        return None
    return account


@login_manager.unauthorized_handler
def _unauthorized():
    from flask import redirect, url_for

    target = url_for("auth.sign_in", next=request.full_path if request.method == "GET" else None)
    if request.headers.get("HX-Request"):
        # htmx follows HX-Redirect with a full page load (a session that ran out mid-day).
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def require(permission: str):
    """View decorator: signed in, and the account's role has this permission (403 if not)."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not allowed(current_user.role, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    from bookingapp.auth.views import bp

    app.register_blueprint(bp)
