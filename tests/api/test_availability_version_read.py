"""The API door reads a business's availability version in the statement that reads its key
and business (api/keys.py, domain/availability_cache.remember_version), and its answers stay
as fresh as before: never older than the last committed booking."""
from __future__ import annotations

from tests.helpers import MONDAY, at, before, counted_statements

NOW = before(MONDAY)


def test_the_api_reads_the_version_with_its_key_and_a_new_hold_still_shows(app, session, salon, api):
    """Through the API door: an availability answer reads no version of its own, and a hold
    committed between two requests is never hidden by the first request's cached answer."""
    business, service, alice, _ = salon
    app.config["CLOCK"] = lambda: NOW
    service_id, alice_id = str(service.id), str(alice.id)
    url = f"/availability?service_id={service_id}&date={MONDAY.isoformat()}&staff_id={alice_id}"
    api.get(url)  # the key's first use is written once a minute in a transaction of its own
    session.remove()
    with counted_statements(session.get_bind()) as statements:
        first = api.get(url)
    assert first.status_code == 200
    assert not any("availability_version" in s and "api_keys" not in s for s in statements), statements
    start = at(MONDAY, 10)
    assert start.strftime("%Y-%m-%dT%H:%M") in str(first.get_json())
    held = api.post("/bookings/hold", json={"service_id": service_id, "staff_id": alice_id,
                                            "start_at": start.isoformat()})
    assert held.status_code == 201, held.get_json()
    again = api.get(url).get_json()["data"]["slots"]
    assert all(not slot["start"].startswith(start.strftime("%Y-%m-%dT%H:%M")) for slot in again), again
