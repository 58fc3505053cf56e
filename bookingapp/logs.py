"""Request ids and structured logs.

Every request carries an id: the one the load balancer sent in `X-Request-ID` (nginx's
`$request_id`, see deploy/nginx/bookingapp.conf) when it is safe (letters, digits and `._:-`, at
most 100), else a new `req_<hex>`; the same id the API puts in its error bodies. It is
sent back in the answer's `X-Request-ID`, so a customer's complaint, nginx's access log and the
app's lines meet on it.

With LOG_FORMAT=json (the default when APP_ENV=production) every log line is one JSON object
with the time, level, logger, message, and, inside a request, its id, business (slug, or id where
only the id is at hand without a query) and actor
(`api_key:<prefix>`, `account:<id>` or `anonymous`); one `bookingapp.access` line per request
adds method, path, endpoint, status and duration. The worker's lines carry `"process": "worker"`.
"""
from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_STARTED = "logs_started"
access_log = logging.getLogger("bookingapp.access")
# Attributes every LogRecord has; anything else on a record was passed in `extra=` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def _business_and_actor() -> tuple[str | None, str]:
    """Who acts for which business, from what the request already loaded (nothing is queried)."""
    business = g.get("business")
    key = g.get("api_key")
    if key is not None:
        return getattr(business, "slug", None), f"api_key:{getattr(key, 'prefix', '?')}"
    user = g.get("_login_user")  # Flask-Login's cache: set only once the request looked at the user
    if user is not None and getattr(user, "is_authenticated", False):
        loaded = getattr(user, "__dict__", {})  # a relationship not loaded yet is not loaded for a log line
        business = loaded.get("business")
        slug = getattr(business, "slug", None) or (request.view_args or {}).get("slug") or loaded.get("business_id")
        return (str(slug) if slug else None), f"account:{getattr(user, 'id', '?')}"
    return (request.view_args or {}).get("slug") if request.view_args else None, "anonymous"


_WHO = "logs_business_and_actor"


def _who() -> tuple[str | None, str]:
    """Business and actor: as remembered before the commit, else worked out now."""
    remembered = g.get(_WHO)
    return remembered if remembered is not None else _business_and_actor()


def remember_who(response):
    """Runs before the unit of work commits (registered after it: Flask runs after_request
    hooks last-registered first): the commit expires the loaded rows, and reading them after
    it would cost a query per request."""
    try:
        g.setdefault(_WHO, _business_and_actor())
    except Exception:  # never fail a request over its log line
        pass
    return response


class RequestContextFilter(logging.Filter):
    """Adds request_id, business and actor to each record made inside a request."""

    def __init__(self, process_role: str = "web"):
        super().__init__()
        self.process_role = process_role

    def filter(self, record: logging.LogRecord) -> bool:
        record.process_role = self.process_role
        if has_request_context():
            record.request_id = g.get("request_id")
            try:
                record.business, record.actor = _who()
            except Exception:  # never lose a log line over its decoration
                record.business, record.actor = None, "unknown"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line. The time is the record's own (taken by the logging module)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "process": getattr(record, "process_role", None),
            "pid": record.process,
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in entry and name != "process_role":
                entry[name] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps({k: v for k, v in entry.items() if v is not None}, ensure_ascii=False)


def configure_logging(level: str = "INFO", *, process_role: str = "web", stream=None) -> logging.Handler:
    """JSON lines on stderr for the whole process (root logger); replaces a handler this
    function installed before, leaves others alone."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_bookingapp_json", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._bookingapp_json = True
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter(process_role))
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


def init_app(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_finish)
    if str(app.config.get("LOG_FORMAT", "text")).lower() == "json":
        configure_logging(str(app.config.get("LOG_LEVEL", "INFO")))
        # Flask's own handler would print each line a second time, as text.
        from flask.logging import default_handler

        app.logger.removeHandler(default_handler)
        app.config["ACCESS_LOG"] = app.config.get("ACCESS_LOG", True)


def _begin() -> None:
    # One id per request for the whole app: the API's (api/errors.py), which its error bodies
    # and idempotent replays already carry: the offered one when it is safe, else "req_<hex>".
    from bookingapp.api.errors import request_id as api_request_id

    g.request_id = api_request_id()
    g.setdefault(_STARTED, time.perf_counter())


def _finish(response):
    if g.get("request_id") and REQUEST_ID_HEADER not in response.headers:
        response.headers[REQUEST_ID_HEADER] = g.request_id
    from flask import current_app

    if current_app.config.get("ACCESS_LOG"):
        started = g.get(_STARTED)
        access_log.info(
            "%s %s %s", request.method, request.path, response.status_code,
            extra={"method": request.method, "path": request.path, "status": response.status_code,
                   "endpoint": request.url_rule.endpoint if request.url_rule is not None else None,
                   "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None},
        )
    return response
