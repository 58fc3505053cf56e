"""Developer settings (owner and manager): API keys (created and shown once, revoked) and
webhook endpoints (added, removed, sent a test event, their delivery log, a delivery
replayed). Keys come from api.keys, endpoints and deliveries from notifications.webhooks;
what those lack (a named key check, replay) is in domain.setup.

A new key's secret is put straight into the response and nowhere else: not in the flash
(the session cookie) and not in the database, which keeps only its digest."""
from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from bookingapp.api.keys import revoke_api_key
from bookingapp.api.scopes import DESCRIPTIONS as SCOPE_DESCRIPTIONS, READ
from bookingapp.auth import require
from bookingapp.dashboard import NAV, all_or_nothing, bp, is_htmx, now_utc, render
from bookingapp.domain import setup as setup_domain
from bookingapp.domain.errors import DomainError
from bookingapp.extensions import db
from bookingapp.models.api import ApiKey, WebhookDelivery, WebhookEndpoint
from bookingapp.notifications import webhooks

NAV.append(("dashboard.developer", "Developer", "developer"))
LOG_SIZE = 50


def _page(*, status=200, new_key=None, new_endpoint=None, key_form=None, hook_form=None):
    business = current_user.business
    keys = db.session.scalars(select(ApiKey).where(ApiKey.business_id == business.id)
                              .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())).all()
    endpoints = db.session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.business_id == business.id, WebhookEndpoint.deleted_at.is_(None)
    ).order_by(WebhookEndpoint.created_at)).all()
    return render("dashboard/_developer.html", "dashboard/developer.html", status=status, business=business, keys=keys,
                  endpoints=endpoints, new_key=new_key, new_endpoint=new_endpoint, event_types=webhooks.EVENT_TYPES,
                  scopes=SCOPE_DESCRIPTIONS,
                  # The narrowest scope is the one preselected: the owner widens it on purpose.
                  key_form=key_form or {"name": "", "mode": "live", "scope": READ, "error": None},
                  hook_form=hook_form or {"url": "", "description": "", "events": [], "error": None})


@bp.get("/developer")
@require("developer")
def developer():
    return _page()


@bp.post("/developer/keys")
@require("developer")
def developer_create_key():
    # No default scope: the form always sends one, and a POST without it is a 422 naming it.
    form = {"name": request.form.get("name", ""), "mode": request.form.get("mode", "live"),
            "scope": request.form.get("scope", ""), "error": None}
    try:
        with all_or_nothing():
            key, secret = setup_domain.create_named_api_key(db.session, current_user.business, name=form["name"],
                                                            mode=form["mode"], scope=form["scope"])
    except DomainError as error:
        form["error"] = error.message
        return _page(status=422, key_form=form)
    # The secret goes out only in this 201, which the unit of work commits before sending:
    # if the key cannot be stored the answer is an error and the secret is never shown.
    return _page(status=201, new_key={"key": key, "secret": secret})


def _own_key(key_id: uuid.UUID) -> ApiKey:
    key = db.session.get(ApiKey, key_id)
    if key is None or key.business_id != current_user.business_id:
        abort(404)
    return key


@bp.post("/developer/keys/<uuid:key_id>/revoke")
@require("developer")
def developer_revoke_key(key_id):
    key = _own_key(key_id)
    revoke_api_key(db.session, key, now=now_utc())
    return _page()


@bp.post("/developer/webhooks")
@require("developer")
def developer_add_webhook():
    form = {"url": request.form.get("url", ""), "description": request.form.get("description", ""),
            "events": request.form.getlist("events"), "error": None}
    try:
        with all_or_nothing():
            endpoint = webhooks.create_endpoint(db.session, current_user.business, url=form["url"],
                                                events=form["events"], description=form["description"].strip() or None)
    except DomainError as error:
        form["error"] = error.message
        return _page(status=422, hook_form=form)
    return _page(status=201, new_endpoint=endpoint)


def _own_endpoint(endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.business_id != current_user.business_id or endpoint.deleted_at is not None:
        abort(404)
    return endpoint


@bp.post("/developer/webhooks/<uuid:endpoint_id>/delete")
@require("developer")
def developer_delete_webhook(endpoint_id):
    endpoint = _own_endpoint(endpoint_id)
    webhooks.delete_endpoint(db.session, current_user.business, endpoint, now=now_utc())
    flash("Endpoint removed; its pending deliveries were abandoned.", "success")
    target = url_for("dashboard.developer")
    return ("", 204, {"HX-Redirect": target}) if is_htmx() else redirect(target, code=303)


def _log(endpoint: WebhookEndpoint, *, status=200, error=None):
    deliveries = db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(LOG_SIZE)
    ).all()
    return render("dashboard/_delivery_log.html", "dashboard/webhook.html", status=status, business=current_user.business,
                  endpoint=endpoint, deliveries=deliveries, error=error)


@bp.get("/developer/webhooks/<uuid:endpoint_id>")
@require("developer")
def developer_webhook(endpoint_id):
    return _log(_own_endpoint(endpoint_id))


@bp.post("/developer/webhooks/<uuid:endpoint_id>/test")
@require("developer")
def developer_test_webhook(endpoint_id):
    endpoint = _own_endpoint(endpoint_id)
    webhooks.send_test_event(db.session, current_user.business, endpoint, now=now_utc())
    return _log(endpoint, status=202)


@bp.post("/developer/deliveries/<uuid:delivery_id>/replay")
@require("developer")
def developer_replay(delivery_id):
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        abort(404)
    endpoint = _own_endpoint(delivery.endpoint_id)
    try:
        with all_or_nothing():
            setup_domain.replay_delivery(db.session, current_user.business, delivery, now=now_utc())
    except DomainError as error:
        return _log(_own_endpoint(endpoint.id), status=422, error=error.message)
    return _log(endpoint, status=202)
