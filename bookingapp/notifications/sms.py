"""Text messages: a provider interface, Twilio as the real provider, and a recording
stand-in for when none is configured (development, demos: nothing leaves the machine).

A provider either returns its id for the accepted message or raises SmsError, whose
`permanent` says whether trying again could help (an invalid number: no; Twilio down: yes)."""
from __future__ import annotations

import logging
from typing import Protocol

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
# Twilio answers these when the fault is ours or passing (credentials, rate limit), not
# the message's: a later try, once fixed or calmer, can still send it.
_RETRYABLE_CLIENT_STATUSES = (401, 403, 408, 429)


class SmsError(Exception):
    def __init__(self, reason: str, *, permanent: bool):
        super().__init__(reason)
        self.permanent = permanent


class SmsProvider(Protocol):
    name: str
    # The message's status once the provider has it: "sent", or "recorded" when nothing leaves.
    outcome: str

    def send(self, to: str, body: str) -> str:
        """Send body to an E.164 number; the provider's id for the message."""


class _RebasedHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending what it would send to api.twilio.com to another
    address (a local fake in tests, a proxy in some deployments)."""

    def __init__(self, api_base: str, *, timeout: float):
        super().__init__(timeout=timeout)
        self.api_base = api_base.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.api_base + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


class TwilioSms:
    name = "twilio"
    outcome = "sent"

    def __init__(self, account_sid: str, auth_token: str, from_number: str, api_base: str | None = None,
                 *, timeout: float = 10.0):
        http_client = _RebasedHttpClient(api_base, timeout=timeout) if api_base else TwilioHttpClient(timeout=timeout)
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.from_number = from_number

    def send(self, to: str, body: str) -> str:
        try:
            return self.client.messages.create(to=to, from_=self.from_number, body=body).sid
        except (TwilioRestException, TwilioServiceException) as error:
            status = error.status
            reason = f"Twilio {status} (code {error.code}): {_twilio_message(error)}"
            permanent = 400 <= status < 500 and status not in _RETRYABLE_CLIENT_STATUSES
            raise SmsError(reason, permanent=permanent) from error
        except (requests.RequestException, TwilioException) as error:
            raise SmsError(f"Twilio unreachable: {error}", permanent=False) from error


def _twilio_message(error: TwilioException) -> str:
    # str(TwilioRestException) adds terminal colours when stderr is a terminal: use the fields.
    return getattr(error, "msg", None) or getattr(error, "detail", None) or getattr(error, "title", "")


class RecordingSms:
    """No provider configured: the text is logged and kept in `recorded`, and nothing is sent."""

    name = "recording"
    outcome = "recorded"

    def __init__(self):
        self.recorded: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> str:
        self.recorded.append((to, body))
        log.info("SMS recorded, not sent (no SMS provider configured) to %s: %s", to, body)
        return ""
