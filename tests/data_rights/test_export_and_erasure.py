"""An owner exports one client's data (JSON and CSV) and erases a client: afterwards no
table holds the client's name, email or phone, another client is untouched, the books and
the analytics are the same, and webhook events not yet delivered carry nothing personal."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import JSON, String, Text, select

from bookingapp.domain.data_rights import ERASED_NAME
from bookingapp.models import Base, Booking, Customer, Message, OutboxEvent, Payment, Review, WebhookDelivery
from bookingapp.models.audit import AuditEvent
from bookingapp.notifications.webhooks import event_body
from tests.data_rights.conftest import ADA, GRACE, personal_strings


def _everything_mentioning(session, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text or JSON cell, in every table, holding a needle."""
    found = []
    connection = session.connection()
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
        if not columns:
            continue
        for row in connection.execute(select(*columns)):
            for column, value in zip(columns, row):
                text = json.dumps(value) if isinstance(value, (dict, list)) else str(value or "")
                if any(needle in text.lower() for needle in needles):
                    found.append((table.name, column.name, text[:120]))
    return found


def _erase(dash, customer, name):
    return dash.post(f"/dashboard/clients/{customer.id}/erase", {"confirm_name": name})


def test_the_owner_exports_a_client_as_json_with_profile_bookings_payments_reviews_consents_and_messages(
        session, history, as_role):
    owner = as_role(history.business, "owner")
    response = owner.get(f"/dashboard/clients/{history.ada.id}/export.json")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert {k: data["profile"][k] for k in ("name", "email", "phone")} == {k: ADA[k] for k in ("name", "email", "phone")}
    assert data["consents"] == {"reminders_and_review_requests": True, "unsubscribed_at": None}
    numbers = [b["booking_number"] for b in data["bookings"]]
    assert numbers == [history.visit.booking_number, history.upcoming.booking_number]
    assert data["bookings"][0]["notes"] == "Ada Lovelace is allergic to latex"
    assert [(p["kind"], p["amount_cents"], p["status"]) for p in data["payments"]] == [("deposit", 1000, "succeeded")]
    assert data["checkouts"][0]["status"] == "closed" and data["checkouts"][0]["desk_payments"]
    assert data["reviews"] == [{**data["reviews"][0], "rating": 5, "comment": "Lovely, thank you! Ada Lovelace"}]
    assert data["messages"] and {m["recipient"] for m in data["messages"]} <= {ADA["email"], ADA["phone"]}
    assert GRACE["email"] not in response.get_data(as_text=True)
    exported = session.scalars(select(AuditEvent).where(AuditEvent.action == "client.exported")).one()
    assert exported.subject_id == str(history.ada.id) and exported.actor_kind == "account"
    assert exported.details == {"format": "json", "bookings": 2}


def test_the_csv_export_has_one_value_a_row_and_defuses_formulas(session, history, as_role):
    history.visit.notes = "=HYPERLINK(\"http://evil\")"
    session.commit()
    owner = as_role(history.business, "owner")
    response = owner.get(f"/dashboard/clients/{history.ada.id}/export.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["section", "item", "field", "value"]
    cells = {(section, item, field): value for section, item, field, value in rows[1:]}
    assert cells[("profile", "1", "email")] == ADA["email"]
    assert cells[("bookings", history.visit.booking_number, "notes")] == "'=HYPERLINK(\"http://evil\")"
    assert cells[("reviews", history.visit.booking_number, "rating")] == "5"
    assert cells[("consents", "1", "reminders_and_review_requests")] == "true"
    assert session.scalars(select(AuditEvent.details).where(AuditEvent.action == "client.exported")).one()["format"] == "csv"


@pytest.mark.parametrize("role", ["manager", "front_desk", "staff"])
def test_only_owners_export_or_erase(history, as_role, role):
    dash = as_role(history.business, role)
    assert dash.get(f"/dashboard/clients/{history.ada.id}/export.json").status_code == 403
    assert _erase(dash, history.ada, ADA["name"]).status_code == 403


def test_erasing_asks_for_the_clients_name_first(session, history, as_role):
    owner = as_role(history.business, "owner")
    page = owner.get(f"/dashboard/clients/{history.ada.id}").get_data(as_text=True)
    assert "Export JSON" in page and "Export CSV" in page and "Erase client…" in page
    assert "Type <strong>Ada Lovelace</strong> to confirm" in owner.get(
        f"/dashboard/clients/{history.ada.id}/erase").get_data(as_text=True)
    wrong = _erase(owner, history.ada, "Ada")
    assert wrong.status_code == 422 and 'value="Ada"' in wrong.get_data(as_text=True)
    session.expire_all()
    assert session.get(Customer, history.ada.id).name == ADA["name"]


def test_after_erasure_nothing_personal_is_left_in_any_table_and_the_books_are_the_same(session, history, as_role):
    needles = personal_strings(ADA)
    assert _everything_mentioning(session, needles)  # the scan finds her before
    api = history.api
    analytics_before = api.get("/analytics?period=all").get_json()["data"]
    payments_before = session.execute(select(Payment.kind, Payment.amount_cents, Payment.status)).all()
    grace_before = _everything_mentioning(session, personal_strings(GRACE))

    owner = as_role(history.business, "owner")
    response = _erase(owner, history.ada, " ada  lovelace ")  # spaces and case do not matter
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/clients/{history.ada.id}")

    session.expire_all()
    assert _everything_mentioning(session, needles) == []
    assert _everything_mentioning(session, personal_strings(GRACE)) == grace_before
    ada = session.get(Customer, history.ada.id)
    assert (ada.name, ada.email, ada.phone) == (ERASED_NAME, f"erased-{ada.id.hex}@invalid", None)
    assert ada.unsubscribed_at is not None
    visit = session.get(Booking, history.visit.id)
    assert visit.customer_id == ada.id and visit.status == "completed" and visit.notes is None
    review = session.scalars(select(Review)).one()
    assert (review.rating, review.comment, review.customer_name) == (5, None, ERASED_NAME)
    assert session.execute(select(Payment.kind, Payment.amount_cents, Payment.status)).all() == payments_before
    assert api.get("/analytics?period=all").get_json()["data"] == analytics_before
    erased = session.scalars(select(AuditEvent).where(AuditEvent.action == "client.erased")).one()
    assert erased.subject_id == str(ada.id) and erased.actor_kind == "account"
    page = owner.get(f"/dashboard/clients/{ada.id}").get_data(as_text=True)
    assert "This client was erased" in page and "Erase client…" not in page
    assert _erase(owner, ada, ERASED_NAME).status_code == 302  # already erased: back to the client


def test_erasure_reaches_pending_webhook_payloads_and_withdraws_unsent_messages(session, history, as_role):
    pending = session.scalars(select(WebhookDelivery).where(WebhookDelivery.status == "pending")).all()
    ada_events = [session.get(OutboxEvent, d.event_id) for d in pending]
    ada_events = [e for e in ada_events if str(history.ada.id) in json.dumps(e.payload)
                  or e.payload.get("booking_id") == str(history.visit.id)]
    assert ada_events and any(b"Ada Lovelace" in event_body(e) or b"Ada L." in event_body(e) for e in ada_events)
    waiting = session.scalars(select(Message).where(Message.customer_id == history.ada.id,
                                                    Message.status == "pending")).all()
    assert waiting

    owner = as_role(history.business, "owner")
    assert _erase(owner, history.ada, ADA["name"]).status_code == 302
    session.expire_all()
    for event in ada_events:
        body = event_body(session.get(OutboxEvent, event.id)).decode().lower()
        assert not any(needle in body for needle in personal_strings(ADA))
        assert str(event.id) in body  # still the same event, only without her details
    withdrawn = [session.get(Message, m.id) for m in waiting]
    assert {(m.status, m.last_error) for m in withdrawn} == {("cancelled", "client erased")}
