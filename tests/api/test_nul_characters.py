"""A NUL character is refused with a 400 on every door (PostgreSQL cannot store it)."""
from __future__ import annotations

from tests.api.conftest import assert_error


def test_api_body_and_query_with_nul_are_400_naming_the_field(api, salon):
    business, service, *_ = salon
    assert_error(api.post("/products", json={"name": "Oil\x00", "price_cents": 100}), 400, "validation_error", "name")
    assert_error(api.post("/bookings/hold", json={
        "service_id": str(service.id), "start_at": "2030-06-03T09:00:00Z", "custom_fields": {"note": "a\x00b"},
    }), 400, "validation_error", "custom_fields")
    assert_error(api.get("/bookings?status=confirmed%00"), 400, "validation_error", "status")


def test_html_forms_with_nul_are_400(client, salon):
    business, *_ = salon
    response = client.get(f"/{business.slug}?q=a%00b")
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    response = client.post("/dashboard/sign-in", data={"email": "a\x00@example.com", "password": "x"})
    assert response.status_code == 400
