"""API fixtures: keys for businesses, and a client that sends them."""
from __future__ import annotations

import pytest

from bookingapp.api.keys import create_api_key


@pytest.fixture
def make_key(session):
    def make(business, mode: str = "live") -> str:
        _, raw = create_api_key(session, business, mode=mode)
        session.commit()
        return raw

    return make


class Api:
    """The Flask test client with a key and /api/v1 prefixed."""

    def __init__(self, client, key: str | None):
        self.client = client
        self.key = key

    def _headers(self, headers):
        merged = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        merged.update(headers or {})
        return merged

    def get(self, path, **kw):
        return self.client.get("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, **kw):
        return self.client.post("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path, json=None, **kw):
        return self.client.put("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path, **kw):
        return self.client.delete("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def api(client, salon, make_key):
    """A client authorised for the salon fixture's business."""
    return Api(client, make_key(salon[0]))


@pytest.fixture
def api_for(client, make_key):
    def make(business) -> Api:
        return Api(client, make_key(business))

    return make


def assert_error(response, status: int, code: str, param: str | None = None):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["error"]["code"] == code, body
    assert body["meta"]["request_id"] == response.headers["X-Request-Id"]
    if param is not None:
        assert body["error"].get("param") == param, body
    return body
