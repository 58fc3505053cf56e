"""Small secrets sealed at rest (AES-256-GCM), with the key kept outside the database.

A stored value is "v1:" + urlsafe base64 of (96-bit random nonce + ciphertext + tag). The
caller's associated data (what the secret is for and whose row it is, e.g. b"totp:" + the
account id) is authenticated but not stored: a value copied into another row does not open
there, so a database writer cannot move one account's secret onto another.

The key is TOTP_ENCRYPTION_KEY (32 random bytes, urlsafe base64); without it, a key derived
from SECRET_KEY with HKDF-SHA256, so a deployment that never set it still keeps the key out
of the database. TOTP_ENCRYPTION_OLD_KEYS (comma-separated) are tried when the current key
does not open a value, and so is the SECRET_KEY-derived key once TOTP_ENCRYPTION_KEY is set
(setting it for the first time must not lock every account out). Values opened with an
older key are re-sealed under the current one as they are used (auth.two_factor) or all at
once (`flask encrypt-totp-secrets`).

Free of Flask: `box_for(config)` builds the box from any mapping of the settings.
"""
from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION_PREFIX = "v1:"
KEY_BYTES = 32
NONCE_BYTES = 12  # 96 bits, GCM's native nonce size; random per seal
DERIVATION_INFO = b"bookingapp totp secrets v1"
_URLSAFE_BASE64 = re.compile(r"[A-Za-z0-9_-]+={0,2}")


class InvalidKey(ValueError):
    """A configured key that is not 32 bytes of urlsafe base64; the message names the setting."""


class SecretUnreadable(Exception):
    """A sealed value that none of the configured keys opens for this associated data: the
    wrong key, a value copied from another row, or a damaged value."""


@dataclass(frozen=True)
class Opened:
    plaintext: str
    # Opened with an old key: the caller should store `seal(plaintext)` again.
    stale: bool


def is_sealed(stored: str | None) -> bool:
    """Whether a stored value is in the sealed form (anything else is a plain value from
    before sealing)."""
    return bool(stored) and stored.startswith(VERSION_PREFIX)


def decode_key(text: str, setting: str = "TOTP_ENCRYPTION_KEY") -> bytes:
    """32 bytes from urlsafe base64 (the padding may be left off); InvalidKey otherwise."""
    cleaned = (text or "").strip()
    if not _URLSAFE_BASE64.fullmatch(cleaned):
        raise InvalidKey(f"{setting} is not urlsafe base64. {_HOW_TO_MAKE_ONE}")
    try:
        raw = base64.urlsafe_b64decode(cleaned.rstrip("=") + "=" * (-len(cleaned.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise InvalidKey(f"{setting} is not urlsafe base64. {_HOW_TO_MAKE_ONE}") from None
    if len(raw) != KEY_BYTES:
        raise InvalidKey(f"{setting} decodes to {len(raw)} bytes; it must be {KEY_BYTES}. {_HOW_TO_MAKE_ONE}")
    return raw


_HOW_TO_MAKE_ONE = ("Make one with: python -c 'import base64, secrets; "
                    "print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'")


def derived_key(secret_key: str) -> bytes:
    """The key used when TOTP_ENCRYPTION_KEY is unset: HKDF-SHA256 of SECRET_KEY. It changes
    with SECRET_KEY (README "Two-factor secrets at rest" says how to change that safely)."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=DERIVATION_INFO).derive(
        (secret_key or "").encode("utf-8"))


def derived_key_text(secret_key: str) -> str:
    """The derived key in the form TOTP_ENCRYPTION_KEY and TOTP_ENCRYPTION_OLD_KEYS take."""
    return base64.urlsafe_b64encode(derived_key(secret_key)).decode("ascii")


def _old_key_texts(value) -> list[str]:
    if not value:
        return []
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [part.strip() for part in parts if part and part.strip()]


class SecretBox:
    def __init__(self, current_key: bytes, old_keys: Iterable[bytes] = ()):
        self._current = AESGCM(current_key)
        self._old = tuple(AESGCM(key) for key in old_keys if key != current_key)

    def seal(self, plaintext: str, *, associated_data: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._current.encrypt(nonce, plaintext.encode("utf-8"), associated_data)
        return VERSION_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, stored: str, *, associated_data: bytes) -> Opened:
        """The plaintext of a sealed value; SecretUnreadable if no key opens it."""
        if not is_sealed(stored):
            raise SecretUnreadable("not a sealed value")
        try:
            raw = base64.urlsafe_b64decode(stored[len(VERSION_PREFIX):].encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise SecretUnreadable("the sealed value is damaged") from None
        if len(raw) <= NONCE_BYTES:
            raise SecretUnreadable("the sealed value is damaged")
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        for index, key in enumerate((self._current, *self._old)):
            try:
                plaintext = key.decrypt(nonce, sealed, associated_data)
            except InvalidTag:
                continue
            return Opened(plaintext.decode("utf-8"), stale=index > 0)
        raise SecretUnreadable("no configured key opens this value for this row")


def box_for(config: Mapping) -> SecretBox:
    """The box of an app's settings (InvalidKey if one of the keys is malformed)."""
    return _cached_box(str(config.get("TOTP_ENCRYPTION_KEY") or ""),
                       tuple(_old_key_texts(config.get("TOTP_ENCRYPTION_OLD_KEYS"))),
                       str(config.get("SECRET_KEY") or ""))


def check_keys(config: Mapping) -> None:
    """Raise InvalidKey when a configured key is malformed (the app refuses to start)."""
    box_for(config)


@lru_cache(maxsize=8)
def _cached_box(key_text: str, old_key_texts: tuple[str, ...], secret_key: str) -> SecretBox:
    # Cached per distinct settings: HKDF and the cipher objects once, not per sign-in.
    old = [decode_key(text, "TOTP_ENCRYPTION_OLD_KEYS") for text in old_key_texts]
    if not key_text.strip():
        return SecretBox(derived_key(secret_key), old)
    # The derived key last: values sealed before TOTP_ENCRYPTION_KEY was first set still open.
    return SecretBox(decode_key(key_text), [*old, derived_key(secret_key)])
