"""Emails: building one from a rendered message, and two ways of sending it: over SMTP, or,
when no SMTP server is configured, written as an .eml file a developer can open.

Headers are built with `email.headerregistry.Address`, so a name such as "Smith, John" stays
one quoted recipient. The Message-ID is derived from the message's id: a retry after a
crash mid-send repeats the same Message-ID, which lets mail clients drop the duplicate."""
from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Mapping, Protocol

log = logging.getLogger(__name__)

# The topic prefix of the emails the outbox used to carry; webhooks.fan_out still leaves
# such events alone. Nothing records them any more: customer emails are `messages` rows.
EMAIL_TOPIC_PREFIX = "email."


class EmailError(Exception):
    def __init__(self, reason: str, *, permanent: bool):
        super().__init__(reason)
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_seconds: float = 10.0


def smtp_settings(config: Mapping) -> SmtpSettings | None:
    if not config.get("SMTP_HOST"):
        return None
    return SmtpSettings(
        host=config["SMTP_HOST"], port=int(config.get("SMTP_PORT") or 25),
        sender=config.get("SMTP_SENDER") or "bookings@localhost",
        username=config.get("SMTP_USERNAME") or None, password=config.get("SMTP_PASSWORD") or None,
        starttls=bool(config.get("SMTP_STARTTLS")),
    )


class _UrlListHeader(UnstructuredHeader):
    """List-Unsubscribe's `<url>` is a token, not text: the standard folding would turn a URL
    longer than a line into RFC 2047 encoded words, which no mail client reads as a URL.
    Marked not encodable, it is moved whole onto a continuation line instead."""

    @staticmethod
    def value_parser(value):
        tree = UnstructuredHeader.value_parser(value)
        for token in tree:
            token.as_ew_allowed = False
        return tree


_headers = HeaderRegistry()
_headers.map_to_type("list-unsubscribe", _UrlListHeader)
EMAIL_POLICY = default_policy.clone(header_factory=_headers)


def mailbox(email: str, name: str | None = None) -> Address:
    """One mailbox; EmailError (permanent: no retry can fix it) for an address that is not one."""
    try:
        address = Address(display_name=name or "", addr_spec=email.strip())
    except (ValueError, IndexError) as error:
        raise EmailError(f"not a valid email address: {email!r}", permanent=True) from error
    if not address.username or not address.domain:
        raise EmailError(f"not a valid email address: {email!r}", permanent=True)
    return address


def sender_address(sender: str) -> str:
    """SMTP_SENDER may be written "Bookings <bookings@example.com>": the bare address."""
    return parseaddr(sender)[1] or sender


def build_email(rendered, *, message_id: uuid.UUID, to: str, to_name: str | None, sender: str,
                sender_name: str | None, now: datetime) -> EmailMessage:
    """The email for a rendered message (notifications.messages.RenderedEmail): text and
    HTML alternatives, the booking's .ics attached as an invitation or a cancellation, and
    the one-click unsubscribe headers of RFC 8058 for non-transactional messages."""
    from_address = sender_address(sender)
    email = EmailMessage(policy=EMAIL_POLICY)
    email["From"] = mailbox(from_address, sender_name)
    email["To"] = mailbox(to, to_name)
    if rendered.reply_to:
        try:
            email["Reply-To"] = mailbox(rendered.reply_to)
        except EmailError as error:  # the email still goes; answers then go to the sender
            log.warning("message %s sent without Reply-To: %s", message_id, error)
    email["Subject"] = rendered.subject
    email["Date"] = format_datetime(now)
    email["Message-ID"] = f"<{message_id}@{from_address.rpartition('@')[2] or 'localhost'}>"
    if rendered.unsubscribe_url:
        email["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(rendered.text)
    if rendered.html:
        email.add_alternative(rendered.html, subtype="html")
    if rendered.ics:
        method = rendered.ics_method or "REQUEST"
        email.add_attachment(rendered.ics, subtype="calendar", filename="booking.ics", params={"method": method})
    return email


class EmailChannel(Protocol):
    name: str
    # The message's status once the channel has it: "sent", or "recorded" when nothing leaves.
    outcome: str
    sender: str

    def send(self, email: EmailMessage) -> str:
        """Hand the email on; its reference (the Message-ID). Raises EmailError."""


class SmtpEmail:
    name = "smtp"
    outcome = "sent"

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.sender = settings.sender

    def send(self, email: EmailMessage) -> str:
        settings = self.settings
        recipient = email["To"].addresses[0].addr_spec
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
                if settings.starttls:
                    # smtplib's own default context checks neither the certificate nor the name.
                    smtp.starttls(context=ssl.create_default_context())
                if settings.username:
                    smtp.login(settings.username, settings.password or "")
                smtp.send_message(email, from_addr=sender_address(settings.sender), to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = error.recipients.get(recipient, (0, b""))
            raise EmailError(f"SMTP server refused {recipient}: {code} {_text(reply)}",
                             permanent=500 <= code < 600) from error
        except smtplib.SMTPDataError as error:
            # 5xx after DATA: the server will not take this message (content, size, policy).
            raise EmailError(f"SMTP server refused the message: {error.smtp_code} {_text(error.smtp_error)}",
                             permanent=500 <= error.smtp_code < 600) from error
        except (smtplib.SMTPException, OSError) as error:
            # Connection, TLS, sign-in and sender problems: ours or passing; a later try may work.
            raise EmailError(f"SMTP failed: {type(error).__name__}: {error}", permanent=False) from error
        return email["Message-ID"]


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


class EmlFileEmail:
    """No SMTP server configured: each email is written to `directory` as <message id>.eml
    (the local part of its Message-ID), complete as it would have been sent."""

    name = "file"
    outcome = "recorded"

    def __init__(self, directory: str | os.PathLike, sender: str):
        self.directory = Path(directory)
        self.sender = sender

    def path_for(self, message_id: uuid.UUID | str) -> Path:
        return self.directory / f"{message_id}.eml"

    def send(self, email: EmailMessage) -> str:
        reference = email["Message-ID"]
        path = self.path_for(reference.strip("<>").partition("@")[0])
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Written aside then renamed: a reader never sees half an email.
            with tempfile.NamedTemporaryFile(dir=self.directory, suffix=".tmp", delete=False) as partial:
                partial.write(email.as_bytes())
            os.replace(partial.name, path)
        except OSError as error:
            raise EmailError(f"could not write {path}: {error}", permanent=False) from error
        return reference
