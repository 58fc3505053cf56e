"""API-key scopes: every operation of the registry, refused (403 `forbidden`, naming the scope
it needs and the key's) to every key whose scope does not allow it, before the view can
read or change anything; let past the check for every key whose scope does. The rule of
which scope an operation needs is read from the registry itself (api/operations.py), so a
new operation is covered by these walks the day it is declared."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bookingapp import create_app
from bookingapp.api import views  # noqa: F401  (the operations register on import)
from bookingapp.api.keys import create_api_key, find_active_key
from bookingapp.api.operations import REGISTRY
from bookingapp.api.scopes import BOOKINGS, CATALOG, FULL, GRANTS, READ, SCOPES, allows, required_scope
from bookingapp.domain import booking as booking_domain
from bookingapp.domain import catalog
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.domain.errors import ValidationError
from bookingapp.extensions import db
from bookingapp.models import ApiKey, Booking, Business, Product, Review, Service, Staff, WebhookEndpoint
from bookingapp.notifications.webhooks import create_endpoint
from tests.api.conftest import Api, assert_error
from tests.helpers import MONDAY, at, before
from tests.test_migrations_and_cli import empty_database_url  # noqa: F401  (a fixture)


@pytest.fixture
def key_of(session, client):
    """An Api client whose key (of the salon's business unless told) has this scope."""
    def make(business, scope: str, mode: str = "live") -> Api:
        _, raw = create_api_key(session, business, mode=mode, scope=scope, name=f"{scope} key")
        session.commit()
        return Api(client, raw)

    return make


@pytest.fixture
def world(session, salon):
    """One of every object an operation's path can name, so a refused request would have
    had something real to read or change."""
    business, service, alice, _ = salon
    customer = find_or_create_customer(session, business, email="ada@example.com", name="Ada")
    served = booking_domain.create_booking(session, business, service, at(MONDAY, 10), customer, staff=alice,
                                           now=before())
    booking_domain.start(session, served, now=at(MONDAY, 10))
    booking_domain.complete(session, served, now=at(MONDAY, 11))
    upcoming = booking_domain.create_booking(session, business, service, at(MONDAY, 14), customer, staff=alice,
                                             now=before())
    product = catalog.create_product(session, business, {"name": "Oil", "price_cents": 1200}, now=before())
    review = Review(business_id=business.id, booking_id=served.id, rating=4, customer_name="Ada L.")
    session.add(review)
    endpoint = create_endpoint(session, business, url="https://hooks.example.com/in", allow_private=False)
    session.commit()
    ids = {"booking_id": upcoming.id, "service_id": service.id, "staff_id": alice.id, "product_id": product.id,
           "review_id": review.id, "endpoint_id": endpoint.id}
    return business, ids


def fingerprint(session, business) -> tuple:
    """What any operation could change, for "a refused request changed nothing"."""
    session.expire_all()
    of = business.id
    return (
        sorted((b.status, b.starts_at.isoformat()) for b in session.scalars(select(Booking).where(Booking.business_id == of))),
        sorted((s.name, s.is_active) for s in session.scalars(select(Service).where(Service.business_id == of))),
        sorted((s.name, s.is_active) for s in session.scalars(select(Staff).where(Staff.business_id == of))),
        sorted((p.name, p.is_active) for p in session.scalars(select(Product).where(Product.business_id == of))),
        sorted((e.url, e.deleted_at is None) for e in session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.business_id == of))),
        sorted((r.business_reply or "") for r in session.scalars(select(Review).where(Review.business_id == of))),
        session.get(Business, of).name,
    )


def call(api: Api, op, ids: dict | None = None):
    """The operation with the world's ids (or fresh random ones) and no body or query."""
    path = op.path.format(**{name: str((ids or {}).get(name) or uuid.uuid4()) for name in op.path_params})
    return api.client.open("/api/v1" + path, method=op.method, headers=api._headers(None))


def refused_pairs():
    return [(op, scope) for op in REGISTRY for scope in SCOPES if not allows(scope, op.scope)]


def allowed_pairs():
    return [(op, scope) for op in REGISTRY for scope in SCOPES if allows(scope, op.scope)]


# --------------------------------------------------------------------------- the rule


def test_the_scopes_are_read_bookings_catalog_and_full_and_only_full_grants_everything():
    assert SCOPES == ("read", "bookings", "catalog", "full")
    assert GRANTS[FULL] == set(SCOPES)
    assert all(READ in GRANTS[scope] for scope in SCOPES)
    assert not allows(BOOKINGS, CATALOG) and not allows(CATALOG, BOOKINGS)
    assert not allows("admin", READ)  # an unknown scope allows nothing


def test_every_read_needs_read_except_the_webhook_endpoints_and_every_write_needs_more():
    assert len(REGISTRY) >= 40
    for op in REGISTRY:
        if op.method == "GET":
            # The webhook endpoints and the audit trail (who signed in from where) need full.
            assert op.scope == (FULL if op.tag in ("Webhooks", "Audit") else READ), op.label
        else:
            assert op.scope in (BOOKINGS, CATALOG, FULL), op.label
    writes = {op.operation_id: op.scope for op in REGISTRY if op.method != "GET"}
    assert writes["createBooking"] == writes["replyToReview"] == writes["deleteBooking"] == BOOKINGS
    assert writes["createService"] == writes["updateStaff"] == writes["deleteProduct"] == CATALOG
    assert writes["updateBusiness"] == writes["updateNotificationSettings"] == CATALOG
    assert writes["createWebhookEndpoint"] == writes["sendTestWebhook"] == FULL


def test_a_write_under_a_tag_without_a_scope_must_declare_one():
    assert required_scope("GET", "Anything") == READ
    assert required_scope("POST", "Bookings") == BOOKINGS
    with pytest.raises(LookupError, match="must declare its scope"):
        required_scope("POST", "Gift cards")


def test_the_document_shows_each_operation_s_scope(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for op in REGISTRY:
        documented = document["paths"][op.path][op.method.lower()]
        assert documented["x-required-scope"] == op.scope, op.label
        assert f"Required scope: `{op.scope}`" in documented["description"]
        assert f"needs the `{op.scope}` scope" in documented["responses"]["403"]["description"]
    assert "**Scopes**" in document["info"]["description"]
    assert all(f"`{scope}`" in document["info"]["description"] for scope in SCOPES)


# --------------------------------------------------------------------------- every operation


def test_every_operation_is_refused_to_every_key_whose_scope_lacks_it(world, key_of, session):
    business, ids = world
    keys = {scope: key_of(business, scope) for scope in SCOPES}
    before_state = fingerprint(session, business)
    pairs = refused_pairs()
    assert {op.operation_id for op, _ in pairs} == {op.operation_id for op in REGISTRY if op.scope != READ}
    for op, scope in pairs:
        response = call(keys[scope], op, ids)
        body = assert_error(response, 403, "forbidden")
        message = body["error"]["message"]
        assert f"scope is '{scope}'" in message and f"needs the '{op.scope}' scope" in message, (op.label, message)
        assert op.operation_id in message
        assert body["error"]["details"] == {"key_scope": scope, "required_scope": op.scope}
    # Refused before the view: nothing read on the key's behalf was changed, nothing stored.
    assert fingerprint(session, business) == before_state


def test_a_refusal_comes_before_the_lookup_so_it_says_nothing_of_what_exists(world, key_of):
    business, ids = world
    reader = key_of(business, READ)
    cancel = next(op for op in REGISTRY if op.operation_id == "cancelBooking")
    real, unknown = call(reader, cancel, ids), call(reader, cancel)
    assert real.status_code == unknown.status_code == 403
    assert real.get_json()["error"] == unknown.get_json()["error"]


def test_every_operation_is_let_past_the_scope_check_for_every_key_whose_scope_has_it(salon, key_of):
    business = salon[0]
    keys = {scope: key_of(business, scope) for scope in SCOPES}
    for op, scope in allowed_pairs():
        # Random ids and no body: whatever the answer (404, 400 or a success), not a 403.
        response = call(keys[scope], op)
        assert response.status_code != 403, (op.label, scope, response.get_json())
        assert response.status_code < 500, (op.label, scope, response.get_json())


def test_each_scope_does_its_own_job(salon, key_of):
    business, service, alice, _ = salon
    reader, booker, cataloguer = (key_of(business, scope) for scope in (READ, BOOKINGS, CATALOG))
    booking = {"service_id": str(service.id), "start_at": at(MONDAY, 10).isoformat(),
               "customer_name": "Ada", "customer_email": "ada@example.com"}
    assert reader.get("/services").status_code == 200
    assert_error(reader.post("/bookings", json=booking), 403, "forbidden")
    made = booker.post("/bookings", json=booking)
    assert made.status_code == 201, made.get_json()
    assert booker.post(f"/bookings/{made.get_json()['data']['id']}/cancel").status_code == 200
    assert_error(booker.patch(f"/services/{service.id}", json={"name": "Trim"}), 403, "forbidden")
    assert cataloguer.patch(f"/services/{service.id}", json={"name": "Trim"}).status_code == 200
    assert_error(cataloguer.post("/bookings", json=booking), 403, "forbidden")
    assert_error(cataloguer.get("/webhooks"), 403, "forbidden")


def test_head_and_options_follow_their_get_and_need_no_scope(salon, key_of, client):
    reader = key_of(salon[0], READ)
    assert client.head("/api/v1/services", headers=reader._headers(None)).status_code == 200
    assert client.head("/api/v1/webhooks", headers=reader._headers(None)).status_code == 403
    # OPTIONS describes a path and needs no key at all; the document is public.
    assert client.options("/api/v1/webhooks").status_code == 204
    assert client.options("/api/v1/bookings", headers=reader._headers(None)).status_code == 204
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_a_scope_never_widens_a_test_key(salon, key_of):
    business, service, *_ = salon
    test_catalog = key_of(business, CATALOG, mode="test")
    body = assert_error(test_catalog.patch(f"/services/{service.id}", json={"name": "Trim"}), 403, "forbidden")
    assert body["error"]["message"] == "Test keys cannot change live settings."
    test_reader = key_of(business, READ, mode="test")
    booking = {"service_id": str(service.id), "start_at": at(MONDAY, 10).isoformat(),
               "customer_name": "Ada", "customer_email": "ada@example.com"}
    body = assert_error(test_reader.post("/bookings", json=booking), 403, "forbidden")
    assert "needs the 'bookings' scope" in body["error"]["message"]
    assert key_of(business, BOOKINGS, mode="test").post("/bookings", json=booking).status_code == 201


def test_an_unknown_path_is_still_a_404_for_a_narrow_key(salon, key_of):
    reader = key_of(salon[0], READ)
    assert_error(reader.get("/nowhere"), 404, "not_found")
    assert_error(reader.post("/bookings/not-a-uuid/cancel"), 404, "not_found")


# --------------------------------------------------------------------------- making keys


def test_a_key_is_made_with_a_known_scope_only(session, salon):
    business = salon[0]
    for bad in ("admin", "", None, ["read"], "READ"):
        with pytest.raises(ValidationError) as refused:
            create_api_key(session, business, scope=bad)
        assert refused.value.param == "scope"
    key, _ = create_api_key(session, business, scope=CATALOG)
    assert key.scope == CATALOG
    assert create_api_key(session, business)[0].scope == FULL  # the library's default, as before scopes


def test_the_database_refuses_an_unknown_scope(session, salon):
    key, _ = create_api_key(session, salon[0], scope=READ)
    session.commit()
    key.scope = "admin"
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_the_cli_makes_a_key_of_the_scope_asked_for_and_full_without_one(app, session, salon):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["create-api-key", salon[0].slug, "--scope", "bookings"])
    assert made.exit_code == 0, made.output
    assert "of scope bookings" in made.output
    assert find_active_key(session, made.output.strip().splitlines()[-1]).scope == BOOKINGS
    plain = runner.invoke(args=["create-api-key", salon[0].slug])
    assert find_active_key(session, plain.output.strip().splitlines()[-1]).scope == FULL
    wrong = runner.invoke(args=["create-api-key", salon[0].slug, "--scope", "admin"])
    assert wrong.exit_code != 0 and "admin" in wrong.output


# --------------------------------------------------------------------------- the migration


def test_keys_made_before_scopes_become_full(empty_database_url):  # noqa: F811
    """Upgrade to the revision before scopes, make a key the old way, then to head."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        upgrade(revision=script.get_revision("0013").down_revision)
        with Session(db.engine) as session:
            # Written as the schema of that revision has it: today's model has columns added later.
            business_id = uuid.uuid4()
            old_business = {
                "id": business_id, "name": "Old Salon", "slug": "old-salon", "timezone": "Europe/London",
                "currency": "GBP", "address_country": "GB", "is_active": True, "slot_interval_minutes": 15,
                "min_notice_minutes": 120, "max_advance_days": 60, "hold_seconds": 600, "auto_confirm": True,
                "deposit_policy": "service_deposit", "free_cancellation_hours": 24, "assignment_policy": "balanced",
                "reminder_cadence": [], "created_at": before(), "updated_at": before(),
            }
            session.execute(sa.table("businesses", *(
                sa.column(name, Business.__table__.c[name].type) for name in old_business)).insert().values(old_business))
            old_keys = sa.table("api_keys", *(sa.column(name, type_) for name, type_ in (
                ("id", sa.Uuid()), ("business_id", sa.Uuid()), ("name", sa.String()), ("mode", sa.String()),
                ("prefix", sa.String()), ("key_hash", sa.String()), ("created_at", sa.DateTime(timezone=True)))))
            key_id = uuid.uuid4()
            session.execute(old_keys.insert().values(id=key_id, business_id=business_id, name="Old", mode="live",
                                                     prefix="bo_live_old", key_hash="0" * 64,
                                                     created_at=before()))
            session.commit()
        upgrade(revision="heads")
        with Session(db.engine) as session:
            assert session.get(ApiKey, key_id).scope == FULL
        db.engine.dispose()
