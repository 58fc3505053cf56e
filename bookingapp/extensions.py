"""Flask extensions, created unbound and attached in the application factory.

The models are plain SQLAlchemy 2.0 declarative classes (see models/base.py) so that the
domain layer can use them without Flask; Flask-SQLAlchemy only manages the engine and the
request-scoped session over the same metadata.
"""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from bookingapp.models.base import Base

db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate(render_as_batch=True, compare_type=True)
# No default limits: only what a blueprint asks for (the API limits per key, see api/limits.py).
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
# Every form POST needs a CSRF token; token-authenticated blueprints (API, webhooks)
# opt out with csrf.exempt(blueprint).
csrf = CSRFProtect()
