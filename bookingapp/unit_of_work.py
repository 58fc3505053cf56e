"""One unit of work per request, and the one clock installed for every app context.

The doors (web, dashboard, api, payments) never commit: a request commits once, after its
view returned, when the answer is a success (status below 400), and rolls back otherwise
(a domain error, a form error, any exception), as Indico's request handler does. Side
effects that leave the process (emails, webhooks) are outbox rows written by the domain in
that same transaction and sent by the worker, so a rolled-back request sends nothing.

Two kinds of request deliberately keep what they wrote although they answer with an error:
a refused sign-in (the failed try must count towards the limit) and an idempotent API
request whose stored answer is an error (a retry must get the same answer). They call
`keep_on_error()`.
"""
from __future__ import annotations

from flask import Flask, appcontext_pushed, g

from bookingapp.domain import clock
from bookingapp.extensions import db

_KEEP = "unit_of_work_keep_on_error"
_CLOCK_TOKEN = "unit_of_work_clock_token"


def keep_on_error() -> None:
    """Commit this request's work even though it answers with a 4xx."""
    setattr(g, _KEEP, True)


def init_app(app: Flask) -> None:
    app.after_request(_commit_or_roll_back)
    app.teardown_request(_roll_back_if_unfinished)
    appcontext_pushed.connect(_install_clock, app)
    app.teardown_appcontext(_uninstall_clock)


def _commit_or_roll_back(response):
    if response.status_code < 400 or (response.status_code < 500 and g.get(_KEEP)):
        db.session.commit()
    else:
        db.session.rollback()
    return response


def _roll_back_if_unfinished(error: BaseException | None) -> None:
    # An exception skipped after_request: nothing of this request may be committed later.
    if error is not None:
        db.session.rollback()


def _install_clock(app: Flask, **_extra) -> None:
    """Every app context (request, CLI command, worker) reads the app's CLOCK setting: a
    callable returning an aware datetime (tests, demos) or unset for the real time. It is
    read at each call, so a test may change it while a context is open."""

    def configured_now():
        source = app.config.get("CLOCK")
        return source() if source is not None else clock.real_now()

    setattr(g, _CLOCK_TOKEN, clock.install(configured_now))


def _uninstall_clock(_error: BaseException | None) -> None:
    token = g.pop(_CLOCK_TOKEN, None)
    if token is not None:
        try:
            clock.uninstall(token)
        except ValueError:
            # The context was pushed in another contextvars.Context (a copied context in a
            # thread); there is nothing of ours to restore here.
            pass
