"""Security fixtures: the dashboard's signed-in clients and the API's keyed client (their own
conftests' fixtures, reused), a booking whose manage and payment pages can be opened, and a
business that embeds its wizard."""
from __future__ import annotations

import pytest

from bookingapp.domain import booking as booking_ops
from bookingapp.web.links import manage_token
from tests.api.conftest import Api, make_key  # noqa: F401  (fixtures, registered by import)
from tests.dashboard.conftest import Dashboard, as_role, dashboard, make_account  # noqa: F401
from tests.helpers import MONDAY, at, before

EMBEDDING_SITE = "https://www.salon-site.example"


@pytest.fixture
def booked(app, session, salon, make_customer):
    """Alice's booking on MONDAY at 10:00, the app's clock the day before."""
    business, service, alice, _ = salon
    app.config["CLOCK"] = lambda: before(MONDAY)
    booking = booking_ops.create_booking(session, business, service, at(MONDAY, 10), make_customer(business),
                                         staff=alice, now=before(MONDAY))
    session.commit()
    return booking


@pytest.fixture
def manage_url(salon, booked):
    return f"/{salon[0].slug}/manage/{manage_token(booked.id)}"


@pytest.fixture
def embedding(session, salon):
    """The salon's wizard may be framed by its own website."""
    business = salon[0]
    business.embed_origins = [EMBEDDING_SITE]
    session.commit()
    return business


@pytest.fixture
def api(client, salon, make_key):  # noqa: F811
    return Api(client, make_key(salon[0]))


@pytest.fixture
def make_app(database_url):
    """make_app(**config) -> another app on the test's database (another deployment's settings);
    its connections are closed afterwards, as the `app` fixture's are."""
    from bookingapp import create_app
    from bookingapp.extensions import db

    made = []

    def make(**config):
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret",
                          **config})
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
