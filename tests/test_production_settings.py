"""APP_ENV=production refuses settings that are only fit for a laptop, naming the variable to set;
every other environment (the suite's included) starts with the demo's defaults."""
from __future__ import annotations

import pytest

from bookingapp import create_app
from bookingapp.config import DEVELOPMENT_SECRET_KEY, UnsafeProductionSettings, from_environment

SAFE = {
    "APP_ENV": "production",
    "SECRET_KEY": "x" * 48,
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:5432/never_connected",
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
}


def refusal(**overrides) -> str:
    with pytest.raises(UnsafeProductionSettings) as raised:
        create_app({**SAFE, **overrides})
    return str(raised.value)


def test_production_with_safe_settings_starts():
    app = create_app(dict(SAFE))
    assert app.config["APP_ENV"] == "production"


def test_production_refuses_the_development_secret_key_and_names_the_variable():
    message = refusal(SECRET_KEY=DEVELOPMENT_SECRET_KEY)
    assert "APP_ENV=production refuses to start" in message
    assert "set SECRET_KEY" in message


def test_production_refuses_a_short_secret_key():
    assert "set SECRET_KEY" in refusal(SECRET_KEY="short-but-not-default")


def test_production_refuses_sqlite_and_names_database_url():
    message = refusal(SQLALCHEMY_DATABASE_URI="sqlite:///instance/bookingapp.sqlite")
    assert "set DATABASE_URL" in message
    assert "SECRET_KEY" not in message


def test_production_refuses_memory_rate_limit_storage_and_names_the_variable():
    message = refusal(RATELIMIT_STORAGE_URI="memory://")
    assert "set RATELIMIT_STORAGE_URI" in message


def test_production_lists_every_problem_at_once():
    message = refusal(SECRET_KEY=DEVELOPMENT_SECRET_KEY, SQLALCHEMY_DATABASE_URI="sqlite://",
                      RATELIMIT_STORAGE_URI="memory://")
    assert [line for line in message.splitlines() if line.startswith("- ")].__len__() == 3


def test_an_unknown_app_env_is_refused():
    with pytest.raises(UnsafeProductionSettings, match="APP_ENV='prod'"):
        create_app({**SAFE, "APP_ENV": "prod"})


def test_development_keeps_the_demo_defaults(monkeypatch):
    for name in ("APP_ENV", "SECRET_KEY", "DATABASE_URL", "RATELIMIT_STORAGE_URI", "LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    config = from_environment()
    assert config["APP_ENV"] == "development"
    assert config["LOG_FORMAT"] == "text"
    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})  # no refusal


def test_app_env_production_from_the_environment_turns_on_json_logs(monkeypatch):
    monkeypatch.setenv("APP_ENV", "Production")
    config = from_environment()
    assert config["APP_ENV"] == "production"
    assert config["LOG_FORMAT"] == "json"
