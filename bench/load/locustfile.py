"""The fleet's load test: a realistic mix against nginx on loopback (run by `scripts/fleet load`).

* Customers (most users) browse the demo salon and book through the wizard's own URLs: the
  business page, the service list, the staff choice, the time page for a day, a POST of one of
  the times shown (the hold), the details form (the booking). A time someone else took first
  answers 409 "just taken": that is the product working, not an error.
* Integrators read availability and hold through the API; half their holds are booked with a
  customer, a quarter released, a quarter left to expire (the workers expire them).
* Owners sign in once and load the dashboard's day view for the days ahead.

LOAD_CONFIG names a JSON file written by scripts/fleet: the slug, an API key, the owner's
sign-in, the services without a deposit and the days to use. Request names are kinds (the
URL template), so the figures are per kind of request, not per URL.
"""
from __future__ import annotations

import json
import os
import random
import re
import uuid

from locust import HttpUser, between, task

CONFIG = json.loads(open(os.environ["LOAD_CONFIG"]).read())
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
SLOT = re.compile(r'name="start" value="([^"]+)"')
# 409: the slot was just taken (a race the product answers); 422: the time became unbookable.
EXPECTED_REFUSALS = (409, 422)


def csrf_token(html: str) -> str | None:
    found = CSRF.search(html)
    return (found.group(1) or found.group(2)) if found else None


def fail_unless(response, ok_statuses=(200,)) -> bool:
    """Mark a response failed (named by its status, so 5xx can be counted) unless expected."""
    if response.status_code in ok_statuses or response.status_code in EXPECTED_REFUSALS:
        response.success()
        return response.status_code in ok_statuses
    response.failure(f"HTTP {response.status_code}")
    return False


class Customer(HttpUser):
    weight = 6
    wait_time = between(0.5, 2.0)

    @task
    def book_through_the_wizard(self):
        slug = CONFIG["slug"]
        service = random.choice(CONFIG["services"])
        day = random.choice(CONFIG["days"])
        with self.client.get(f"/{slug}", name="web: business page", catch_response=True) as r:
            fail_unless(r)
        with self.client.get(f"/{slug}/book", name="web: services", catch_response=True) as r:
            fail_unless(r)
        with self.client.get(f"/{slug}/book/{service}", name="web: staff", catch_response=True) as r:
            fail_unless(r)
        time_url = f"/{slug}/book/{service}/any"  # the wizard's "anyone available"
        with self.client.get(f"{time_url}?day={day}", name="web: time page", catch_response=True) as r:
            if not fail_unless(r):
                return
            starts, token = SLOT.findall(r.text), csrf_token(r.text)
        if not starts or not token or random.random() < 0.3:  # many only look
            return
        with self.client.post(time_url, data={"csrf_token": token, "start": random.choice(starts)},
                              name="web: hold a time", catch_response=True) as r:
            # requests follows the 303 to the details page: a 200 there means "held".
            if not fail_unless(r) or "/details" not in r.url:
                return
            details_url, token = r.url, csrf_token(r.text)
        if not token:
            return
        person = uuid.uuid4().hex[:10]
        with self.client.post(details_url, data={
            "csrf_token": token, "action": "continue", "name": f"Load Customer {person}",
            "email": f"load-{person}@example.com", "phone": "", "notes": "", "promo_code": "",
        }, name="web: details (book)", catch_response=True) as r:
            fail_unless(r)


class Integrator(HttpUser):
    weight = 3
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {CONFIG['api_key']}"

    @task(3)
    def read_availability(self):
        service = random.choice(CONFIG["services"])
        with self.client.get("/api/v1/availability", params={"service_id": service, "date": random.choice(CONFIG["days"])},
                             name="api: availability", catch_response=True) as r:
            fail_unless(r)

    @task(2)
    def hold_and_book(self):
        service = random.choice(CONFIG["services"])
        with self.client.get("/api/v1/availability", params={"service_id": service, "date": random.choice(CONFIG["days"])},
                             name="api: availability", catch_response=True) as r:
            if not fail_unless(r):
                return
            body = r.json()
            slots = (body.get("data") or body).get("slots") or []
        if not slots:
            return
        slot = random.choice(slots)
        with self.client.post("/api/v1/bookings/hold", json={
            "service_id": service, "staff_id": slot["staff_id"], "start_at": slot["start"],
        }, name="api: hold", catch_response=True) as r:
            if not fail_unless(r, (200, 201)):
                return
            body = r.json()
            booking_id = (body.get("data") or body)["id"]
        choice = random.random()
        if choice < 0.5:
            person = uuid.uuid4().hex[:10]
            with self.client.post(f"/api/v1/bookings/{booking_id}/book", json={
                "customer_name": f"API Customer {person}", "customer_email": f"api-{person}@example.com",
            }, name="api: book", catch_response=True) as r:
                fail_unless(r, (200, 201))
        elif choice < 0.75:
            with self.client.post(f"/api/v1/bookings/{booking_id}/cancel", json={},
                                  name="api: release hold", catch_response=True) as r:
                fail_unless(r, (200, 201))


class Owner(HttpUser):
    weight = 1
    wait_time = between(1.0, 3.0)

    def on_start(self):
        with self.client.get("/dashboard/sign-in", name="dashboard: sign-in page", catch_response=True) as r:
            fail_unless(r)
            token = csrf_token(r.text)
        with self.client.post("/dashboard/sign-in", data={
            "csrf_token": token, "email": CONFIG["owner_email"], "password": CONFIG["owner_password"],
        }, name="dashboard: sign in", catch_response=True) as r:
            fail_unless(r)

    @task
    def day_view(self):
        with self.client.get("/dashboard/day", params={"date": random.choice(CONFIG["days"])},
                             name="dashboard: day view", catch_response=True) as r:
            fail_unless(r)
