"""A local fake of the part of Twilio's REST API we use: creating a message
(`POST /2010-04-01/Accounts/{sid}/Messages.json`), answering as Twilio does, so the real
`twilio` library can be pointed at it (TwilioSms(api_base=...)).

It checks the Basic auth (account SID and auth token), the From number and that To is
E.164, answers 201 with a message resource, 400 with Twilio's error codes (21211 for an
invalid To), 401 for wrong credentials, and whatever `fail_next` asks for; `received` holds
every accepted message's form fields."""
from __future__ import annotations

import json
import re
import uuid

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

# E.164: "+", a country code, at most 15 digits; no real number is shorter than 8 digits.
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
# Twilio's resources carry dates; the fake's is fixed, as tests must not read the clock.
DATE = "Mon, 03 Jun 2030 09:00:00 +0000"


class TwilioFake:
    def __init__(self, server: HTTPServer, *, account_sid: str = "AC" + "1" * 32, auth_token: str = "test-auth-token",
                 from_number: str = "+15005550006"):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.api_base = server.url_for("/").rstrip("/")
        self.received: list[dict[str, str]] = []
        self._failures: list[int] = []
        server.expect_request(f"/2010-04-01/Accounts/{account_sid}/Messages.json", method="POST") \
            .respond_with_handler(self._create_message)

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer the next `times` requests with this server error, as an outage would."""
        self._failures.extend([status] * times)

    def _error(self, status: int, code: int, message: str) -> Response:
        body = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status}
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _create_message(self, request: Request) -> Response:
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (self.account_sid, self.auth_token):
            return self._error(401, 20003, "Authenticate")
        if self._failures:
            return self._error(self._failures.pop(0), 20500, "Internal Server Error")
        form = request.form
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not E164.match(to):
            return self._error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if sender != self.from_number:
            return self._error(400, 21212, f"Invalid From Number (caller ID): {sender}")
        if not body:
            return self._error(400, 21602, "Message body is required.")
        sid = "SM" + uuid.uuid4().hex
        self.received.append({"sid": sid, "To": to, "From": sender, "Body": body})
        resource = {
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": body, "date_created": DATE,
            "date_sent": None, "date_updated": DATE, "direction": "outbound-api", "error_code": None,
            "error_message": None, "from": sender, "messaging_service_sid": None, "num_media": "0",
            "num_segments": "1", "price": None, "price_unit": "USD", "sid": sid, "status": "queued", "to": to,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        return Response(json.dumps(resource), status=201, content_type="application/json")
