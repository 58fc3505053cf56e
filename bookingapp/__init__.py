"""Application factory."""
from __future__ import annotations

from flask import Flask

from bookingapp import config as config_module
from bookingapp.db import install_sqlite_behaviour
from bookingapp.extensions import csrf, db, migrate


def create_app(config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, commands.

    The schema is never created here; it comes only from the migrations
    (`flask --app app db upgrade`)."""
    app = Flask(
        __name__,
        template_folder=str(config_module.PROJECT_ROOT / "templates"),
        static_folder=str(config_module.PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(config_module.from_environment())
    if config:
        app.config.update(config)
    # APP_ENV=production: refuse the development secret, SQLite and per-process rate limits.
    config_module.check_production(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"timeout": 30, "check_same_thread": False},
        }

    if app.config.get("TRUSTED_PROXIES", 0) > 0:
        # Behind N proxies of our own: request.remote_addr (the sign-in rate limit's key)
        # becomes the client's address from X-Forwarded-For, not the proxy's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    install_sqlite_behaviour()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    from bookingapp import i18n

    i18n.init_app(app)  # customer pages in English or German (bookingapp/i18n.py)

    from bookingapp import logs, metrics, unit_of_work

    # Request id first (every later hook and log line has it), metrics' timer next.
    logs.init_app(app)
    metrics.init_app(app)
    unit_of_work.init_app(app)
    app.after_request(logs.remember_who)  # runs before the commit (after_request runs last first)
    from bookingapp import audit_context

    audit_context.init_app(app)  # who acts and from where, for domain.audit's rows

    from bookingapp import security_headers

    # Headers on every answer, error pages included, and the session cookie's flags.
    security_headers.init_app(app)

    from bookingapp.web.health import bp as health_bp
    from bookingapp.web.views import bp as web_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(web_bp)

    from bookingapp.payments.views import bp as payments_bp

    app.register_blueprint(payments_bp)

    from bookingapp import auth
    from bookingapp.dashboard import bp as dashboard_bp

    auth.init_app(app)
    app.register_blueprint(dashboard_bp)

    from bookingapp import api

    api.init_app(app)

    app.before_request(_refuse_bad_text)

    from bookingapp.web import error_pages

    # Styled 403/404/410/500 pages for each door (the API keeps its JSON envelope).
    error_pages.init_app(app)

    from bookingapp.cli import register_commands

    register_commands(app)
    return app


def _refuse_bad_text():
    """Unacceptable text (a NUL, a lone surrogate, see bookingapp/textguard.py) in the path
    is a 404 and in a form or query field a 400 naming the field, on every HTML door; the
    database never sees it. The API answers in its own envelope (api/params.py)."""
    from flask import abort, request

    from bookingapp.textguard import find_bad_text

    if request.blueprint == "api":
        return None
    if find_bad_text([("path", request.path)]):
        abort(404)
    found = find_bad_text([*request.args.items(multi=True), *request.form.items(multi=True)])
    if found is not None:
        return f"The field {found.field!r} is not acceptable: {found.message}", 400
    return None
