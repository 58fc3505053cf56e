"""Tells domain.audit who acts and from where, for each request, without the domain
importing Flask: a describer is bound for the request and read when a row is written (by
then the API has authenticated its key and Flask-Login knows the signed-in account)."""
from __future__ import annotations

from flask import Flask, g, has_request_context, request
from flask_login import current_user

from bookingapp.domain import audit

_TOKEN = "audit_context_token"
# Blueprints whose anonymous visitors are customers (the wizard and the manage link).
_CUSTOMER_BLUEPRINTS = ("web",)


def describe() -> audit.RequestContext:
    if not has_request_context():
        return audit.RequestContext()
    actor = None
    key = g.get("api_key")
    if key is not None:
        actor = audit.Actor.api_key(key)
    elif current_user and current_user.is_authenticated:
        actor = audit.Actor.account(current_user)
    elif request.blueprint in _CUSTOMER_BLUEPRINTS:
        actor = audit.CUSTOMER
    agent = request.headers.get("User-Agent")
    return audit.RequestContext(actor=actor, ip_address=request.remote_addr, user_agent=agent or None)


def _bind() -> None:
    g.setdefault(_TOKEN, audit.bind(describe))


def _unbind(_error: BaseException | None) -> None:
    token = g.pop(_TOKEN, None)
    if token is not None:
        try:
            audit.unbind(token)
        except ValueError:
            # Bound in another contextvars.Context (a copied context in a thread).
            pass


def init_app(app: Flask) -> None:
    app.before_request(_bind)
    app.teardown_request(_unbind)
