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
