"""A customer asks from their manage link for a copy of their data, then for its erasure:
each request reaches the owners (an email and the client page), an owner confirms, and the
customer downloads the copy through the same link; the erasure erases."""
from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import select

from bookingapp.domain import audit, clock
from bookingapp.models import Customer, Message
from bookingapp.models.audit import AuditEvent, DataRequest
from bookingapp.notifications.delivery import channels_from_config, send_due_messages
from bookingapp.web.links import manage_token
from tests.dashboard.conftest import Dashboard
from tests.data_rights.conftest import ADA

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _manage_url(app, history) -> str:
    with app.app_context():
        return f"/{history.business.slug}/manage/{manage_token(history.visit.id)}"


def _ask(client, url, **form):
    token = TOKEN.search(client.get(url).get_data(as_text=True)).group(1)
    return client.post(f"{url}/data-request", data={"csrf_token": token, **form})


def test_a_customer_asks_for_a_copy_the_owner_confirms_and_the_customer_downloads_it(
        app, client, session, history, make_staff, make_account):
    owner_staff = make_staff(history.business, name="Olive Owner", role="owner", email="olive@example.com")
    make_account(history.business, "owner", email="olive@example.com", staff=owner_staff)
    url = _manage_url(app, history)
    page = client.get(url).get_data(as_text=True)
    assert 'id="data-requests"' in page and "Ask for a copy of my data" in page
    assert client.get(f"{url}/my-data.json").status_code == 404  # nothing confirmed yet

    asked = _ask(client, url, kind="export")
    assert asked.status_code == 303 and "notice=data_export" in asked.headers["Location"]
    assert _ask(client, url, kind="export").status_code == 303  # asking twice keeps one request
    (request,) = session.scalars(select(DataRequest)).all()
    assert (request.kind, request.status, request.customer_id) == ("export", "pending", history.ada.id)
    told = session.scalars(select(Message).where(Message.kind == "staff_data_request")).one()
    assert (told.recipient, told.facts) == ("olive@example.com", {"request_kind": "export"})
    # The worker renders and sends it like any other message (recorded: no SMTP server here).
    send_due_messages(session, channels_from_config(app.config), now=clock.now())
    session.expire_all()
    assert session.get(Message, told.id).status == "recorded"
    recorded = "".join(path.read_text() for path in Path(app.config["MAIL_RECORD_DIR"]).rglob("*") if path.is_file())
    assert "Ada Lovelace asks to have a copy of their data" in recorded
    received = session.scalars(select(AuditEvent).where(AuditEvent.action == "data_request.received")).one()
    assert received.actor_kind == "customer" and received.details["kind"] == "export"
    waiting = client.get(f"{url}?notice=data_export").get_data(as_text=True)
    assert 'data-request-pending="export"' in waiting and "has been sent to the business" in waiting

    owner = Dashboard(app.test_client())
    assert owner.sign_in("olive@example.com").status_code == 302
    assert 'data-data-request="export"' in owner.get("/dashboard/audit").get_data(as_text=True)
    client_page = owner.get(f"/dashboard/clients/{history.ada.id}").get_data(as_text=True)
    assert 'data-data-request="export"' in client_page
    assert owner.post(f"/dashboard/data-requests/{request.id}/confirm").status_code == 302
    session.expire_all()
    assert session.get(DataRequest, request.id).status == "completed"

    assert "Download your data (JSON)" in client.get(url).get_data(as_text=True)
    download = client.get(f"{url}/my-data.json")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    data = json.loads(download.get_data(as_text=True))
    assert data["profile"]["email"] == ADA["email"] and len(data["bookings"]) == 2
    exported = session.scalars(select(AuditEvent).where(AuditEvent.action == "client.exported")).one()
    assert exported.actor_kind == "customer" and exported.actor_label == audit.CUSTOMER.label


def test_a_customer_asks_for_erasure_and_the_owner_confirms_it_by_typing_the_name(
        app, client, session, history, as_role):
    url = _manage_url(app, history)
    token = TOKEN.search(client.get(url).get_data(as_text=True)).group(1)
    unticked = _ask(client, url, kind="erasure")
    assert unticked.status_code == 422 and "Tick the box" in unticked.get_data(as_text=True)
    assert _ask(client, url, kind="forget-me", understood="yes").status_code == 422
    assert session.scalars(select(DataRequest)).all() == []

    assert _ask(client, url, kind="erasure", understood="yes").status_code == 303
    request = session.scalars(select(DataRequest)).one()
    owner = as_role(history.business, "owner")
    confirm = owner.post(f"/dashboard/data-requests/{request.id}/confirm")
    assert confirm.status_code == 302 and confirm.headers["Location"].endswith(f"/clients/{history.ada.id}/erase")
    assert owner.post(f"/dashboard/clients/{history.ada.id}/erase", {"confirm_name": ADA["name"]}).status_code == 302
    session.expire_all()
    answered = session.get(DataRequest, request.id)
    assert answered.status == "completed" and answered.decided_by.endswith("(owner)")
    assert session.get(Customer, history.ada.id).name == "Erased client"
    page = client.get(url).get_data(as_text=True)
    assert "Your details have been erased" in page and ADA["name"] not in page and "Ask for a copy" not in page
    late = client.post(f"{url}/data-request", data={"csrf_token": token, "kind": "export"})
    assert late.status_code == 422 and "already been erased" in late.get_data(as_text=True)
    assert session.scalars(select(DataRequest).where(DataRequest.status == "pending")).all() == []


def test_the_owner_may_decline_a_request_and_other_businesses_cannot_touch_it(
        app, client, session, history, as_role, make_business):
    url = _manage_url(app, history)
    assert _ask(client, url, kind="export").status_code == 303
    request = session.scalars(select(DataRequest)).one()
    stranger = as_role(make_business(slug="elsewhere"), "owner")
    assert stranger.post(f"/dashboard/data-requests/{request.id}/confirm").status_code == 404
    assert stranger.get(f"/dashboard/clients/{history.ada.id}/export.json").status_code == 404
    owner = as_role(history.business, "owner")
    assert owner.post(f"/dashboard/data-requests/{request.id}/decline").status_code == 302
    session.expire_all()
    assert session.get(DataRequest, request.id).status == "declined"
    assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "data_request.declined")).one()
    assert client.get(f"{url}/my-data.json").status_code == 404
