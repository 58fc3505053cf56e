"""The booking core. No Flask here: functions take a SQLAlchemy session, models and plain
values, flush but never commit, and raise the errors of domain.errors."""
