"""Flask extensions, created unbound and attached in the application factory.

The models are plain SQLAlchemy 2.0 declarative classes (see models/base.py) so that the
domain layer can use them without Flask; Flask-SQLAlchemy only manages the engine and the
request-scoped session over the same metadata.
"""
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from bookingapp.models.base import Base

db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate(render_as_batch=True, compare_type=True)
# Every form POST needs a CSRF token; token-authenticated blueprints (API, webhooks)
# opt out with csrf.exempt(blueprint).
csrf = CSRFProtect()
