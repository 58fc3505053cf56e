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


DEVELOPMENT_SECRET_KEY = "dev-only-secret-change-me"
# APP_ENV names the kind of deployment. "production" turns on the refusals below and JSON logs;
# anything else (the default "development", or "testing") runs with the demo's defaults.
APP_ENVIRONMENTS = ("development", "testing", "production")


class UnsafeProductionSettings(RuntimeError):
    """APP_ENV=production with a setting that is only fit for a laptop: the app refuses to start
    rather than run with a forgeable session key, a per-process database or per-process limits."""


class InvalidSetting(RuntimeError):
    """A setting that cannot work in any environment (a malformed key): the app refuses to start
    rather than fail at the first sign-in that needs it."""


def check_settings(config) -> None:
    """Raise InvalidSetting for a malformed TOTP_ENCRYPTION_KEY or TOTP_ENCRYPTION_OLD_KEYS."""
    from bookingapp.auth.secret_box import InvalidKey, check_keys

    try:
        check_keys(config)
    except InvalidKey as problem:
        raise InvalidSetting(f"Refusing to start: {problem}") from None


def production_problems(config) -> list[str]:
    """What APP_ENV=production refuses, each naming the variable to set; empty when fine."""
    problems = []
    secret = str(config.get("SECRET_KEY") or "")
    if not secret or secret == DEVELOPMENT_SECRET_KEY or len(secret) < 32:
        problems.append("SECRET_KEY is the development value or shorter than 32 characters: set SECRET_KEY to a "
                        "long random value (python -c 'import secrets; print(secrets.token_urlsafe(48))').")
    if str(config.get("SQLALCHEMY_DATABASE_URI") or "").startswith("sqlite"):
        problems.append("The database is SQLite, which serialises every writer on one machine: set DATABASE_URL "
                        "to PostgreSQL (postgresql://user@host:5432/name).")
    if str(config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://"):
        problems.append("Rate limits are counted in each process's memory (every gunicorn worker would grant the "
                        "full allowance, and the monthly quota restarts with it): set RATELIMIT_STORAGE_URI to "
                        "Redis (redis://host:6379/0).")
    return problems


def check_production(config) -> None:
    """Raise UnsafeProductionSettings when APP_ENV=production and a setting is unsafe (and
    InvalidSetting, in every environment, for a setting that cannot work)."""
    check_settings(config)
    environment = str(config.get("APP_ENV") or "development")
    if environment not in APP_ENVIRONMENTS:
        raise UnsafeProductionSettings(
            f"APP_ENV={environment!r} is not one of {', '.join(APP_ENVIRONMENTS)}.")
    if environment != "production":
        return
    problems = production_problems(config)
    if problems:
        raise UnsafeProductionSettings(
            "APP_ENV=production refuses to start:\n" + "\n".join(f"- {problem}" for problem in problems))


def from_environment() -> dict:
    environment = os.environ.get("APP_ENV", "development").strip().lower() or "development"
    return {
        "APP_ENV": environment,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL") or _default_database_url()
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # README "Two-factor secrets at rest": the key sealing TOTP secrets in the database (32
        # random bytes, urlsafe base64); unset, one derived from SECRET_KEY. Older keys (comma-
        # separated) still open values sealed before a rotation. A malformed key refuses to start.
        "TOTP_ENCRYPTION_KEY": os.environ.get("TOTP_ENCRYPTION_KEY", ""),
        "TOTP_ENCRYPTION_OLD_KEYS": os.environ.get("TOTP_ENCRYPTION_OLD_KEYS", ""),
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        # Payments (README "## Payments"): another Stripe API address (tests: a local fake).
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
        "STRIPE_MAX_NETWORK_RETRIES": int(os.environ.get("STRIPE_MAX_NETWORK_RETRIES", "2")),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        # The integrators' API (README "## API"): limits per API key, shared storage for the counts.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Put before every rate-limit key: apps (or fleets) sharing one Redis keep their counts apart.
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", ""),
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
        # The least a worker's claim on a delivery lasts (a dead worker's delivery waits this long
        # before another worker takes it over); stretched to twice the timeout plus 30 s if shorter.
        "WEBHOOK_LEASE_SECONDS": float(os.environ.get("WEBHOOK_LEASE_SECONDS", "120")),
        # README "## API": webhook URLs on loopback, private or link-local addresses are refused
        # unless this is true (local development, tests with a receiver on this machine).
        "WEBHOOK_ALLOW_PRIVATE_URLS": _bool("WEBHOOK_ALLOW_PRIVATE_URLS", False),
        "WTF_CSRF_ENABLED": _bool("WTF_CSRF_ENABLED", True),
        # README "## Dashboard": how many reverse proxies in front of the app set X-Forwarded-For
        # (and -Proto, -Host). 0 (the default) trusts none: the client address is the socket's,
        # so nobody can dodge the sign-in rate limit by sending that header themselves.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        # README "Security headers and cookies" (bookingapp/security_headers.py): the session cookie
        # is Secure on every answer over HTTPS (as seen through TRUSTED_PROXIES) and always in
        # production; SameSite=Lax except on the framed wizard of a business that embeds it.
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", environment == "production"),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        # README "Two-factor sign-in and sessions": a dashboard session unused this long goes
        # back to sign-in; 0 switches the idle timeout off.
        "DASHBOARD_IDLE_MINUTES": float(os.environ.get("DASHBOARD_IDLE_MINUTES", "30")),
        # The largest request body read (bytes; 1 MiB): a larger one is refused with 413
        # before it is parsed (a plain page on the HTML doors, the error envelope on the
        # API). No form or API body comes near it; Stripe's events are a few KB.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", str(1024 * 1024))),
        # Logs (bookingapp/logs.py): "json" is one JSON object a line with the request id,
        # business and actor; "text" leaves logging as Flask and the server set it up.
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json" if environment == "production" else "text"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        # Prometheus metrics at /metrics (bookingapp/metrics.py). Under gunicorn, set
        # PROMETHEUS_MULTIPROC_DIR (an empty folder per machine) so every process's counts add up.
        "METRICS_ENABLED": _bool("METRICS_ENABLED", True),
    }
