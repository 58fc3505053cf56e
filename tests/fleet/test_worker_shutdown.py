"""A worker asked to stop (SIGTERM) finishes the delivery in hand, records it, sends nothing
more, and exits; what it did not send stays pending for the next worker."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from bookingapp.domain.outbox import record_event
from bookingapp.models import WebhookDelivery
from bookingapp.notifications import worker
from bookingapp.notifications.webhooks import create_endpoint

ROOT = Path(__file__).resolve().parents[2]


class SlowReceiver:
    """Answers 200 after `delay` seconds; `arrived` is set when the first delivery comes in."""

    def __init__(self, delay: float, on_arrival=None):
        self.arrived = threading.Event()
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.count += 1
                receiver.arrived.set()
                if on_arrival is not None:
                    on_arrival()
                time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def three_events_for(session, business, url: str) -> None:
    create_endpoint(session, business, url=url, allow_private=True)
    for number in range(3):
        record_event(session, business.id, "booking.created", {"number": number})
    session.commit()


def statuses(session) -> list[str]:
    session.expire_all()
    return sorted(session.scalars(select(WebhookDelivery.status)).all())


def test_a_stop_during_a_send_lets_it_finish_and_sends_nothing_more(app, session, salon):
    app.config["WEBHOOK_ALLOW_PRIVATE_URLS"] = True
    stop = worker.StopRequest()
    receiver = SlowReceiver(delay=0.3, on_arrival=stop)
    succeeded_before = REGISTRY.get_sample_value("bookingapp_webhook_attempts_total", {"result": "succeeded"}) or 0
    try:
        three_events_for(session, salon[0], receiver.url)
        with app.app_context():
            worker.run(interval=0.05, stop=stop)  # returns once stopped
    finally:
        receiver.close()
    assert receiver.count == 1
    assert statuses(session) == ["pending", "pending", "succeeded"]
    assert REGISTRY.get_sample_value("bookingapp_webhook_attempts_total", {"result": "succeeded"}) == succeeded_before + 1


@pytest.mark.slow
def test_sigterm_to_a_worker_process_finishes_its_delivery_and_exits_cleanly(app, session, salon, database_url,
                                                                               real_clock, tmp_path):
    receiver = SlowReceiver(delay=1.0)
    env = {key: value for key, value in os.environ.items() if key not in ("APP_ENV", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(DATABASE_URL=database_url, WEBHOOK_ALLOW_PRIVATE_URLS="1", MAIL_RECORD_DIR=str(tmp_path / "mail"),
               SECRET_KEY="test-secret")
    process = None
    try:
        three_events_for(session, salon[0], receiver.url)
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--interval", "0.2"],
                                   cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert receiver.arrived.wait(30), "the worker never sent anything"
        process.send_signal(signal.SIGTERM)  # while the receiver still holds the first send
        output, _ = process.communicate(timeout=30)
    finally:
        if process is not None and process.poll() is None:
            process.kill()
        receiver.close()
    assert process.returncode == 0, output.decode(errors="replace")
    assert receiver.count == 1
    assert statuses(session) == ["pending", "pending", "succeeded"]
