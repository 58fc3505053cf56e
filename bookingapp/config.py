"""Configuration defaults, overridden from the environment.

Everything a deployment changes comes from environment variables so that the same
code runs as the demo on SQLite and in production on PostgreSQL.
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The app's instance folder holds the demo database and, without SMTP, the emails as files.
DEFAULT_MAIL_RECORD_DIR = str(PROJECT_ROOT / "instance" / "mail")


def _default_database_url() -> str:
    instance = PROJECT_ROOT / "instance"
    instance.mkdir(exist_ok=True)
    return f"sqlite:///{instance / 'bookingapp.sqlite'}"


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` spellings hosting providers hand out,
    and route them to psycopg 3, the only PostgreSQL driver we install."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def from_environment() -> dict:
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-secret-change-me"),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL") or _default_database_url()
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        # Payments (README "## Payments"): another Stripe API address (tests: a local fake).
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
        "STRIPE_MAX_NETWORK_RETRIES": int(os.environ.get("STRIPE_MAX_NETWORK_RETRIES", "2")),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # The integrators' API (README "## API"): limits per API key, shared storage for the counts.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "API_RATE_LIMITS": os.environ.get("API_RATE_LIMITS", "100 per minute;1000 per hour"),
        "API_MONTHLY_QUOTA": int(os.environ.get("API_MONTHLY_QUOTA", "10000")),
        # Outgoing email (notifications/delivery.py); without SMTP_HOST nothing is sent and each
        # email is written to MAIL_RECORD_DIR as <message id>.eml instead (status "recorded").
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "25")),
        "SMTP_SENDER": os.environ.get("SMTP_SENDER", "bookings@localhost"),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _bool("SMTP_STARTTLS", False),
        "MAIL_RECORD_DIR": os.environ.get("MAIL_RECORD_DIR", DEFAULT_MAIL_RECORD_DIR),
        # Text messages go through Twilio when all three are set; otherwise they are only
        # recorded (logged, status "recorded"). TWILIO_API_BASE replaces https://api.twilio.com
        # (tests: a local fake of Twilio's API).
        "TWILIO_ACCOUNT_SID": os.environ.get("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_FROM_NUMBER": os.environ.get("TWILIO_FROM_NUMBER", ""),
        "TWILIO_API_BASE": os.environ.get("TWILIO_API_BASE", ""),
        # Where customers reach the site: the links in emails the worker sends are built on it.
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000"),
        "WEBHOOK_TIMEOUT_SECONDS": float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10")),
        "WEBHOOK_RETRY_HOURS": float(os.environ.get("WEBHOOK_RETRY_HOURS", "24")),
        "WEBHOOK_DISABLE_AFTER_FAILURES": int(os.environ.get("WEBHOOK_DISABLE_AFTER_FAILURES", "20")),
        # README "## API": webhook URLs on loopback, private or link-local addresses are refused
        # unless this is true (local development, tests with a receiver on this machine).
        "WEBHOOK_ALLOW_PRIVATE_URLS": _bool("WEBHOOK_ALLOW_PRIVATE_URLS", False),
        "WTF_CSRF_ENABLED": _bool("WTF_CSRF_ENABLED", True),
        # README "## Dashboard": how many reverse proxies in front of the app set X-Forwarded-For
        # (and -Proto, -Host). 0 (the default) trusts none: the client address is the socket's,
        # so nobody can dodge the sign-in rate limit by sending that header themselves.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        # The largest request body read (bytes; 1 MiB): a larger one is refused with 413
        # before it is parsed (a plain page on the HTML doors, the error envelope on the
        # API). No form or API body comes near it; Stripe's events are a few KB.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(1024 * 1024))),
    }
