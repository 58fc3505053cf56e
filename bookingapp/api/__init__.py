"""The integrators' JSON API at /api/v1 (issue 6).

Modules: auth (keys, limits), errors (envelope, request ids), params (strict input),
pagination, serializers, idempotency, openapi (the document), views (the routes)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
docs_bp = Blueprint("api_docs", __name__)


def init_app(app) -> None:
    """Register the API: its routes, error handling, per-key rate limits, CSRF exemption."""
    from bookingapp.api import views  # noqa: F401  (routes attach to bp on import)
    from bookingapp.api.auth import authenticate, not_limited, rate_limit_key, rate_limits
    from bookingapp.api.errors import install
    from bookingapp.extensions import csrf, db, limiter

    if not getattr(bp, "_api_installed", False):
        install(bp, db)
        bp.before_request(authenticate)
        limiter.limit(rate_limits, key_func=rate_limit_key, exempt_when=not_limited, per_method=False)(bp)
        bp._api_installed = True
    csrf.exempt(bp)
    if limiter not in app.extensions.get("limiter", set()):
        limiter.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(docs_bp)
