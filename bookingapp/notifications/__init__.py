"""Delivery of outbox events: signed webhooks with retries (webhooks.py) and the worker
loop that runs it (worker.py, `flask --app app worker`)."""
