"""A small fake of the Stripe API, served by pytest-httpserver, for the real `stripe`
package to talk to. It keeps checkout sessions, payment intents, charges and refunds in
memory, answers with Stripe-shaped JSON, and records every request the app sent (path,
form fields, idempotency key) so tests can check amounts, currency and metadata.

Like real Stripe it refuses a session that expires less than 30 minutes after it arrives,
creates a session's payment intent only when the customer submits a card (so a session
starts with payment_intent null), and expires only an open session."""
from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response


@dataclass
class Sent:
    method: str
    path: str
    form: dict[str, str]
    idempotency_key: str | None
    authorization: str | None


def _nest(form: dict[str, str], prefix: str) -> dict[str, str]:
    """metadata[booking_id]=x -> {"booking_id": "x"} for one bracketed prefix."""
    out = {}
    pattern = re.compile(re.escape(prefix) + r"\[([^\]]+)\]$")
    for key, value in form.items():
        match = pattern.match(key)
        if match:
            out[match.group(1)] = value
    return out


@dataclass
class FakeStripe:
    base_url: str
    requests: list[Sent] = field(default_factory=list)
    sessions: dict[str, dict] = field(default_factory=dict)
    intents: dict[str, dict] = field(default_factory=dict)
    charges: dict[str, dict] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    by_idempotency_key: dict[str, dict] = field(default_factory=dict)
    intent_metadata: dict[str, dict] = field(default_factory=dict)   # by session id, until the intent exists
    fail_next: int = 0          # answer this many requests with 500 (Stripe having trouble)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    # ------------------------------------------------------------------ HTTP

    def handle(self, request: Request) -> Response:
        form = dict(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))
        self.requests.append(Sent(
            request.method, request.path, form, request.headers.get("Idempotency-Key"), request.headers.get("Authorization"),
        ))
        if self.fail_next > 0:
            self.fail_next -= 1
            return self._error(500, "api_error", "Fake Stripe is having trouble.")
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key and key in self.by_idempotency_key:
            return self._json(self.by_idempotency_key[key])
        path = request.path
        if request.method == "POST" and path == "/v1/checkout/sessions":
            body = self._create_session(form)
            if isinstance(body, Response):
                return body
        elif request.method == "POST" and (m := re.fullmatch(r"/v1/checkout/sessions/([^/]+)/expire", path)):
            body = self._expire_session(m.group(1))
            if isinstance(body, Response):
                return body
        elif request.method == "POST" and path == "/v1/refunds":
            body = self._create_refund(form)
            if isinstance(body, Response):
                return body
        elif request.method == "GET" and (m := re.fullmatch(r"/v1/checkout/sessions/([^/]+)", path)):
            body = self.sessions.get(m.group(1))
        elif request.method == "GET" and (m := re.fullmatch(r"/v1/payment_intents/([^/]+)", path)):
            body = self.intents.get(m.group(1))
        elif request.method == "GET" and (m := re.fullmatch(r"/v1/charges/([^/]+)", path)):
            body = self.charges.get(m.group(1))
        else:
            body = None
        if body is None:
            return self._error(404, "invalid_request_error", f"No such object: {path}", code="resource_missing")
        if request.method == "POST" and key:
            self.by_idempotency_key[key] = body
        return self._json(body)

    @staticmethod
    def _json(body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _error(self, status: int, kind: str, message: str, code: str | None = None) -> Response:
        return self._json({"error": {"type": kind, "message": message, "code": code}}, status)

    # ------------------------------------------------------------------ objects

    def _create_session(self, form: dict[str, str]):
        expires_at = int(form.get("expires_at", 0) or 0)
        if expires_at and expires_at < time.time() + 30 * 60:
            return self._error(400, "invalid_request_error",
                               "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                               code="parameter_invalid_integer")
        session_id = self._id("cs_test")
        metadata = _nest(form, "metadata")
        amount = int(form["line_items[0][price_data][unit_amount]"]) * int(form.get("line_items[0][quantity]", "1"))
        currency = form["line_items[0][price_data][currency]"]
        self.intent_metadata[session_id] = _nest(form, "payment_intent_data[metadata]")
        session = {
            "id": session_id, "object": "checkout.session", "mode": "payment", "status": "open",
            "payment_status": "unpaid", "amount_total": amount, "currency": currency,
            # Real Stripe creates the payment intent when the customer submits the form.
            "payment_intent": None, "metadata": metadata, "client_reference_id": form.get("client_reference_id"),
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "success_url": form.get("success_url"), "cancel_url": form.get("cancel_url"),
            "expires_at": int(form.get("expires_at", 0)) or int(time.time()) + 1800,
        }
        self.sessions[session_id] = session
        return session

    def _expire_session(self, session_id: str):
        session = self.sessions.get(session_id)
        if session is None:
            return self._error(404, "invalid_request_error", f"No such checkout.session: {session_id}", code="resource_missing")
        if session["status"] != "open":
            return self._error(400, "invalid_request_error",
                               "Only Checkout Sessions with a status of `open` can be expired.")
        session["status"] = "expired"
        return session

    def _intent_of(self, session_id: str) -> dict:
        """The session's payment intent, made when the customer first submits a card."""
        session = self.sessions[session_id]
        if session["payment_intent"] is None:
            intent_id = self._id("pi")
            self.intents[intent_id] = {
                "id": intent_id, "object": "payment_intent", "amount": session["amount_total"],
                "currency": session["currency"], "status": "requires_payment_method",
                "metadata": self.intent_metadata.get(session_id, {}), "last_payment_error": None, "latest_charge": None,
            }
            session["payment_intent"] = intent_id
        return self.intents[session["payment_intent"]]

    def _create_refund(self, form: dict[str, str]):
        intent = self.intents.get(form.get("payment_intent", ""))
        if intent is None or intent["status"] != "succeeded":
            return self._error(400, "invalid_request_error", "This PaymentIntent has no successful charge to refund.")
        charge = self.charges[intent["latest_charge"]]
        amount = int(form["amount"])
        if charge["amount_refunded"] + amount > charge["amount"]:
            return self._error(400, "invalid_request_error", "Refund amount is greater than unrefunded amount on charge.")
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = {
            "id": self._id("re"), "object": "refund", "amount": amount, "currency": charge["currency"],
            "payment_intent": intent["id"], "charge": charge["id"], "status": "succeeded",
            "metadata": _nest(form, "metadata"),
        }
        self.refunds[refund["id"]] = refund
        return refund

    # ------------------------------------------------------------------ what the customer does at Stripe

    def pay(self, session_id: str) -> dict:
        session = self.sessions[session_id]
        if session["status"] != "open":
            raise AssertionError(f"cannot pay a {session['status']} checkout session")
        intent = self._intent_of(session_id)
        charge_id = self._id("ch")
        self.charges[charge_id] = {
            "id": charge_id, "object": "charge", "amount": intent["amount"], "amount_refunded": 0,
            "currency": intent["currency"], "payment_intent": intent["id"], "refunded": False,
        }
        intent.update(status="succeeded", latest_charge=charge_id, last_payment_error=None)
        session.update(status="complete", payment_status="paid")
        return session

    def decline(self, session_id: str) -> dict:
        intent = self._intent_of(session_id)
        intent.update(status="requires_payment_method", last_payment_error={"message": "Your card was declined.", "code": "card_declined"})
        return intent

    def expire(self, session_id: str) -> dict:
        self.sessions[session_id].update(status="expired")
        return self.sessions[session_id]

    def refund_in_dashboard(self, charge_id: str, amount: int) -> dict:
        charge = self.charges[charge_id]
        charge["amount_refunded"] += amount
        return charge

    def sent(self, method: str, path: str) -> list[Sent]:
        return [r for r in self.requests if r.method == method and r.path == path]
