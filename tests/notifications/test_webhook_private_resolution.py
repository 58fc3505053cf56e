"""Webhook hosts are resolved at delivery time: a name that resolves to a loopback or private
address is refused (the delivery failed with the reason, and logged) unless
WEBHOOK_ALLOW_PRIVATE_URLS; when allowed, the connection goes to the address that was checked
with the receiver's own Host header (and TLS name), so a second DNS answer cannot redirect it."""
from __future__ import annotations

import logging
import shutil
import socket
import ssl
import subprocess
from datetime import timedelta

import pytest
import requests
from pytest_httpserver import HTTPServer

from bookingapp.domain import booking as booking_domain
from bookingapp.domain.customers import find_or_create_customer
from bookingapp.models import WebhookDelivery, WebhookEndpoint
from bookingapp.notifications import worker
from bookingapp.notifications.webhooks import (
    DeliverySettings, RefusedDestination, create_endpoint, non_public_kind, resolve_destination, run_once,
)
from tests.helpers import MONDAY, at, before


def _settings(allow_private: bool) -> DeliverySettings:
    return DeliverySettings(timeout_seconds=5, retry_for=timedelta(hours=24), disable_after_failures=3,
                            allow_private=allow_private)


def _book(session, salon):
    business, service, *_ = salon
    customer = find_or_create_customer(session, business, email="ada@example.com", name="Ada")
    booking_domain.create_booking(session, business, service, at(MONDAY, 10), customer, now=before())
    session.commit()


def _endpoint_at(session, salon, url):
    """An endpoint whose host later resolves inside our network: stored as registered while the
    name still passed (allow_private here stands in for "it resolved elsewhere back then")."""
    endpoint = create_endpoint(session, salon[0], url=url, events=["booking.created"], allow_private=True)
    session.commit()
    return endpoint


def test_a_name_resolving_to_loopback_is_refused_at_delivery_failed_and_logged(app, session, salon, httpserver,
                                                                              caplog):
    app.config["WEBHOOK_ALLOW_PRIVATE_URLS"] = False
    endpoint_id = _endpoint_at(session, salon, f"http://localhost:{httpserver.port}/hook").id
    httpserver.expect_request("/hook").respond_with_data("ok")
    _book(session, salon)
    with caplog.at_level(logging.WARNING, logger="bookingapp.notifications.webhooks"):
        # The real worker loop, reading the flag from the app's config.
        worker.run(once=True)
    assert httpserver.log == []  # nothing was sent
    delivery = session.query(WebhookDelivery).filter_by(endpoint_id=endpoint_id).one()
    # Failed at once (not retried later to wherever the name points then), with the reason.
    assert delivery.status == "failed" and delivery.attempts == 1 and delivery.response_status is None
    assert "localhost resolves to 127.0.0.1" in delivery.error and "loopback" in delivery.error
    assert "WEBHOOK_ALLOW_PRIVATE_URLS" in delivery.error
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1 and str(delivery.id) in refusals[0].getMessage()
    assert session.get(WebhookEndpoint, endpoint_id).consecutive_failures == 1


def test_the_same_delivery_goes_out_when_private_urls_are_allowed(app, session, salon, httpserver):
    app.config["WEBHOOK_ALLOW_PRIVATE_URLS"] = True
    endpoint_id = _endpoint_at(session, salon, f"http://localhost:{httpserver.port}/hook").id
    httpserver.expect_request("/hook").respond_with_data("ok")
    _book(session, salon)
    worker.run(once=True)
    assert len(httpserver.log) == 1
    request, _ = httpserver.log[0]
    # Sent to the vetted address, with the receiver's own host name in Host.
    assert request.headers["Host"] == f"localhost:{httpserver.port}"
    delivery = session.query(WebhookDelivery).filter_by(endpoint_id=endpoint_id).one()
    assert delivery.status == "succeeded" and delivery.error is None


def test_a_literal_private_address_stored_earlier_is_refused_at_delivery_too(session, salon, httpserver):
    endpoint = _endpoint_at(session, salon, httpserver.url_for("/hook").replace("localhost", "127.0.0.1"))
    _book(session, salon)
    assert run_once(session, _settings(allow_private=False)) == {"fanned_out": 1, "succeeded": 0,
                                                                 "failed_attempts": 1}
    delivery = session.query(WebhookDelivery).filter_by(endpoint_id=endpoint.id).one()
    assert delivery.status == "failed" and "127.0.0.1 is a loopback address" in delivery.error
    assert httpserver.log == []


def test_a_name_that_does_not_resolve_is_an_ordinary_retried_failure(session, salon):
    endpoint = _endpoint_at(session, salon, "http://no-such-host.invalid/hook")
    _book(session, salon)
    run_once(session, _settings(allow_private=False))
    delivery = session.query(WebhookDelivery).filter_by(endpoint_id=endpoint.id).one()
    assert delivery.status == "pending" and delivery.attempts == 1 and "gaierror" in delivery.error


def test_registration_refuses_a_name_that_resolves_inside(app, client, session, salon):
    """The machine's own host name is not one of the known local names, but resolves to this
    machine: refused when the endpoint is added, naming what it resolves to."""
    from bookingapp.api.keys import create_api_key
    from tests.api.conftest import Api

    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)}
    except OSError:
        pytest.skip("this machine's host name does not resolve")
    if not any(non_public_kind(address) for address in addresses):
        pytest.skip("this machine's host name resolves to a public address")
    app.config["WEBHOOK_ALLOW_PRIVATE_URLS"] = False
    _, raw = create_api_key(session, salon[0])
    session.commit()
    response = Api(client, raw).post("/webhooks", json={"url": f"https://{name}/hook"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["param"] == "url" and f"{name.lower()} resolves to" in error["message"]


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("10.0.0.7", "private"), ("172.16.5.4", "private"), ("192.168.0.1", "private"),
    ("169.254.169.254", "link-local"), ("224.0.0.1", "multicast"), ("0.0.0.0", "unspecified"),
    ("240.0.0.1", "reserved"), ("100.64.0.1", "non-global"),
    ("::1", "loopback"), ("::", "unspecified"), ("fe80::1%eth0", "link-local"), ("fd00::1", "private"),
    ("ff02::1", "multicast"), ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"),
    ("2002:a00:1::1", "private"), ("64:ff9b::a9fe:a9fe", "link-local"),
    ("93.184.216.34", None), ("2606:4700::1111", None), ("::ffff:93.184.216.34", None),
])
def test_what_counts_as_a_non_public_address(address, kind):
    assert non_public_kind(address) == kind


def test_any_private_address_among_a_names_answers_refuses_it():
    # localhost may answer 127.0.0.1 and ::1; either alone is enough to refuse.
    with pytest.raises(RefusedDestination, match="localhost resolves to"):
        resolve_destination("https://localhost/hook", allow_private=False)
    destination = resolve_destination("https://localhost:8443/hook?x=1", allow_private=True)
    assert destination.host_header == "localhost:8443"
    assert all(url.endswith(":8443/hook?x=1") and "localhost" not in url for url in destination.urls)


@pytest.fixture
def tls_receiver(tmp_path):
    """An HTTPS receiver with a certificate for the name "localhost" only (made with openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    yield server, str(cert)
    server.clear()
    server.stop()


def test_https_goes_to_the_vetted_address_with_the_certificate_checked_for_the_name(session, salon, tls_receiver):
    server, ca = tls_receiver
    server.expect_request("/hook").respond_with_data("ok")
    endpoint = _endpoint_at(session, salon, f"https://localhost:{server.port}/hook")
    _book(session, salon)
    http = requests.Session()
    http.trust_env = False  # REQUESTS_CA_BUNDLE would override the session's verify
    http.verify = ca  # trust the test certificate, nothing else
    stats = run_once(session, _settings(allow_private=True), http=http)
    assert stats["succeeded"] == 1, session.query(WebhookDelivery).one().error
    request, _ = server.log[0]
    assert request.headers["Host"] == f"localhost:{server.port}"
    delivery = session.query(WebhookDelivery).filter_by(endpoint_id=endpoint.id).one()
    assert delivery.status == "succeeded"
    # Without the name carried to TLS, connecting to the address fails the certificate check:
    # the pinning is what keeps verification working.
    plain = requests.Session()
    plain.trust_env = False
    with pytest.raises(requests.exceptions.SSLError, match="(?i)mismatch|doesn't match|not valid for"):
        plain.post(f"https://127.0.0.1:{server.port}/hook", headers={"Host": f"localhost:{server.port}"},
                   verify=ca, timeout=5)
