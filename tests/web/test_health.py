import pytest

from bookingapp import create_app


def test_healthz_answers_ok_without_touching_the_database():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/nothing"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_readyz_is_ok_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_readyz_is_503_when_the_database_is_down():
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/nothing",
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
    })
    response = app.test_client().get("/readyz")
    assert response.status_code == 503


def test_landing_page_shows_the_business_and_its_services(client, salon):
    business, service, alice, _ = salon
    page = client.get("/").get_data(as_text=True)
    assert business.name in page
    assert service.name in page
    assert alice.name in page


def _app_with_rate_limit_storage(database_url, storage):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "localhost",
                       "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage})


def _dispose(app):
    from bookingapp.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_readyz_says_degraded_with_200_when_redis_is_unreachable(database_url):
    # Nothing listens on port 1: a real refused connection, not a mock.
    app = _app_with_rate_limit_storage(database_url, "redis://127.0.0.1:1/0")
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 200  # the app still serves: not a reason to take it out
        lines = response.get_data(as_text=True).splitlines()
        assert lines[0] == "degraded"
        assert "database: ok" in lines
        assert any(line.startswith("rate-limit storage: unreachable") for line in lines)
    finally:
        _dispose(app)


def test_readyz_is_503_and_names_both_when_the_database_and_redis_are_down():
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/nothing",
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
    })
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "database unavailable"
    assert "database: unreachable" in lines
    assert any(line.startswith("rate-limit storage: unreachable") for line in lines)


def test_readyz_is_ok_when_redis_answers(database_url, redis_storage):
    storage, _ = redis_storage
    app = _app_with_rate_limit_storage(database_url, storage)
    try:
        response = app.test_client().get("/readyz")
        assert (response.status_code, response.get_data(as_text=True)) == (200, "ok")
    finally:
        _dispose(app)
