"""Flask extensions, created unbound and attached in the application factory.

The models are plain SQLAlchemy 2.0 declarative classes (see models/base.py) so that the
domain layer can use them without Flask; Flask-SQLAlchemy only manages the engine and the
request-scoped session over the same metadata.
"""
from __future__ import annotations

import logging
import threading
import time

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from bookingapp.models.base import Base

log = logging.getLogger("bookingapp.ratelimit")

# How long a Redis connect or command may take before the limiter gives up on it: a Redis that
# hangs (a dropped route rather than a refused connection) must not hold every API call for the
# operating system's TCP timeout. RATELIMIT_STORAGE_OPTIONS overrides these.
REDIS_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
STORAGE_WARNING_INTERVAL = 60.0  # seconds: at most one "storage unreachable" warning a minute


class OutageLog:
    """Logs that the rate-limit storage is unreachable at most once per interval, however many
    requests notice it."""

    def __init__(self, interval: float = STORAGE_WARNING_INTERVAL):
        self.interval = interval
        self._last: float | None = None
        self._lock = threading.Lock()

    def due(self, now: float | None = None) -> bool:
        """Whether a warning may be logged now; if so, the next one waits a whole interval."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._last is not None and now - self._last < self.interval:
                return False
            self._last = now
            return True

    def warn(self, message: str, *args) -> None:
        if self.due():
            log.warning(message, *args)

    def forget(self) -> None:
        with self._lock:
            self._last = None


outage_log = OutageLog()


class _OwnStorageWarnings(logging.Filter):
    """Flask-Limiter warns "storage unreachable" each time it falls back to memory; when Redis
    flaps that is many times a minute. api/auth.py logs the outage instead (naming the storage,
    at most once a minute while it lasts), so Flask-Limiter's own warning is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.WARNING and "unreachable" in record.getMessage())


logging.getLogger("flask-limiter").addFilter(_OwnStorageWarnings())


class ApiLimiter(Limiter):
    """Flask-Limiter with the API's choices for a storage outage, and per-app settings.

    Outage: `in_memory_fallback_enabled` rather than `swallow_errors`. When Redis stops
    answering, Flask-Limiter switches to counting in this process's memory (the same limits,
    per process instead of shared) and tries Redis again after 1, 2, 4 ... 32 seconds, so
    requests neither fail nor wait on a dead Redis one by one, and the limits keep a rough
    hold instead of vanishing; `swallow_errors` would try Redis (and log a traceback) on every
    request and count nothing. `swallow_errors` stays on underneath as the last resort: an
    error the fallback does not cover is logged and the request is served.

    Per app: the one module-level limiter is initialised once per application (tests build
    many); Flask-Limiter keeps the first app's key prefix, storage options and outage state
    on the instance, so they are reset here and each app's configuration applies."""

    def init_app(self, app) -> None:
        config = app.config
        uri = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
        options = dict(REDIS_TIMEOUTS) if uri.split(":", 1)[0] in ("redis", "rediss") else {}
        options.update(config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        self._storage_options = options
        self._key_prefix = config.get("RATELIMIT_KEY_PREFIX", "")
        self._storage_dead = False
        super().init_app(app)

    @property
    def storage_dead(self) -> bool:
        """Whether the shared storage is unreachable and limits are being counted in memory."""
        return bool(self._storage_dead)

    def storage_reachable(self) -> bool:
        """Ask the storage itself (a Redis PING); memory storage always answers."""
        try:
            return bool(self.storage.check())
        except Exception:  # a check that cannot even be made means unreachable
            return False


db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate(render_as_batch=True, compare_type=True)
# No default limits: only what a blueprint asks for (the API limits per key, see api/auth.py).
# Flask-Limiter's own headers are off: api/auth.py writes every window's headers itself (and
# Retry-After only on a 429), see api/rate_limits.py.
limiter = ApiLimiter(key_func=get_remote_address, headers_enabled=False, in_memory_fallback_enabled=True,
                     swallow_errors=True)
# Every form POST needs a CSRF token; token-authenticated blueprints (API, webhooks)
# opt out with csrf.exempt(blueprint).
csrf = CSRFProtect()
