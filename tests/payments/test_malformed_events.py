"""Correctly signed Stripe events we can never use (issue 10): a body that is a JSON array
or has no id, an id longer than we store, a type or object id that does not fit. Each is
answered 400 on every delivery (so it is not retried as a temporary failure), recorded
once as a "malformed" stripe_events row and logged, and changes nothing else."""
from __future__ import annotations

import json
import logging

import pytest

from bookingapp.models.payment import Payment, StripeEvent


def _malformed_rows(session):
    session.expire_all()
    return session.query(StripeEvent).filter_by(type="malformed").all()


MALFORMED = {
    "array": ("[]", "body"),
    "array_of_events": (json.dumps([{"id": "evt_1", "type": "checkout.session.completed"}]), "body"),
    "string": ('"evt_1"', "body"),
    "no_id": (json.dumps({"type": "checkout.session.completed", "data": {"object": {"id": "cs_1"}}}), "id"),
    "null_id": (json.dumps({"id": None, "type": "checkout.session.completed"}), "id"),
    "numeric_id": (json.dumps({"id": 12345, "type": "checkout.session.completed"}), "id"),
    "blank_id": (json.dumps({"id": "  ", "type": "checkout.session.completed"}), "id"),
    "id_over_255": (json.dumps({"id": "evt_" + "x" * 300, "type": "checkout.session.completed"}), "id"),
    "nul_in_id": (json.dumps({"id": "evt_\u0000", "type": "checkout.session.completed"}), "id"),
    "surrogate_in_id": ('{"id": "evt_\\ud800", "type": "checkout.session.completed"}', "id"),
    "no_type": (json.dumps({"id": "evt_no_type"}), "type"),
    "type_over_100": (json.dumps({"id": "evt_long_type", "type": "t" * 101}), "type"),
    "object_id_over_255": (json.dumps({"id": "evt_long_obj", "type": "checkout.session.completed",
                                       "data": {"object": {"id": "cs_" + "y" * 300}}}), "data.object.id"),
    "object_id_a_list": (json.dumps({"id": "evt_list_obj", "type": "charge.refunded",
                                     "data": {"object": {"id": ["ch_1"]}}}), "data.object.id"),
    "not_json": ("{not json", "body"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_signed_malformed_event_is_a_400_recorded_once_and_never_a_5xx(session, stripe_app, deliver, caplog, case):
    body, param = MALFORMED[case]
    with caplog.at_level(logging.WARNING):
        first = deliver("unused", {}, body=body)
        again = deliver("unused", {}, body=body)  # Stripe's retry: the same body, a new signature
    for response in (first, again):
        assert response.status_code == 400, response.get_data(as_text=True)
        assert response.json["param"] == param
    assert first.json["recorded_as"] == again.json["recorded_as"]
    (row,) = _malformed_rows(session)
    assert row.id == first.json["recorded_as"] and row.outcome == f"rejected: bad {param}"
    assert session.query(StripeEvent).count() == 1 and session.query(Payment).filter_by(kind="refund").count() == 0
    assert "refused as malformed" in caplog.text


def test_a_well_formed_event_of_255_characters_is_processed(session, stripe_app, deliver):
    event_id = "evt_" + "z" * 251
    response = deliver("customer.created", {"id": "cus_1", "object": "customer"}, event_id=event_id)
    assert response.status_code == 200 and response.json["outcome"] == "ignored"
    assert session.get(StripeEvent, event_id).outcome == "ignored"


def test_an_unsigned_array_is_refused_for_its_signature_and_not_recorded(session, stripe_app, client):
    response = client.post("/webhooks/stripe", data=b"[]", headers={"Stripe-Signature": "t=1,v1=abc"})
    assert response.status_code == 400 and response.json["error"] == "invalid signature"
    assert session.query(StripeEvent).count() == 0


def test_a_body_that_is_not_utf8_is_an_invalid_payload(session, stripe_app, client):
    response = client.post("/webhooks/stripe", data=b"\xff\xfe", headers={"Stripe-Signature": "t=1,v1=abc"})
    assert response.status_code == 400
    assert session.query(StripeEvent).count() == 0


def test_a_well_formed_event_of_a_type_we_do_not_use_is_acknowledged(session, stripe_app, deliver):
    response = deliver("payment_intent.created", {"id": "pi_1", "object": "payment_intent"}, event_id="evt_fine")
    assert response.status_code == 200 and response.json["outcome"] == "ignored"
    assert _malformed_rows(session) == []
