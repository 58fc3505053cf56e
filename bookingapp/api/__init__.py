"""The integrators' JSON API at /api/v1 (issue 6).

Modules: auth (keys, limits), errors (envelope, request ids), schemas (each operation's
query, body and response models), operations (@operation: validation, serialization, the
registry the document is built from), params (checks on every request), pagination,
serializers, idempotency, openapi (the document), views (the routes)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
docs_bp = Blueprint("api_docs", __name__)


def init_app(app) -> None:
    """Register the API: its routes, error handling, per-key rate limits, CSRF exemption."""
    from bookingapp.api import views  # noqa: F401  (routes attach to bp on import)
    from bookingapp.api import audit_events  # noqa: F401  (its operation attaches to bp on import)
    from bookingapp.api import locations  # noqa: F401  (its operations attach to bp on import)
    from bookingapp.api.views import answer_options, test_keys_change_only_bookings
    from bookingapp.api.auth import authenticate, enforce_scope, install_limits, rate_limit_headers
    from bookingapp.api.errors import install
    from bookingapp.api.params import refuse_bad_text
    from bookingapp.extensions import csrf, db, limiter

    if not getattr(bp, "_api_installed", False):
        install(bp, db)
        # OPTIONS first: it describes a path and needs no key (a CORS preflight sends none).
        bp.before_request(answer_options)
        bp.before_request(authenticate)
        # Then the key's scope, then a test key's sandbox rule: each may only narrow.
        bp.before_request(enforce_scope)
        bp.before_request(test_keys_change_only_bookings)
        bp.before_request(refuse_bad_text)
        install_limits(bp, limiter)
        bp._api_installed = True
    csrf.exempt(bp)
    if limiter not in app.extensions.get("limiter", set()):
        # Registered before the limiter's own hook, so it runs after it (Flask runs
        # after_request functions in reverse) and can read the headers the limiter set.
        app.after_request(rate_limit_headers)
        limiter.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(docs_bp)
